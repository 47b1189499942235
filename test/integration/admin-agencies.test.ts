import assert from 'node:assert/strict';
import { freshDatabase } from '../support/postgres.js';
import { auditMigrations } from '../../core/audit.js';
import { adminMigrations, addAgency, addDomain, moveAgency, subtree, isWithin, levelMayHaveParent } from '../../admin/index.js';
import { GovmailError } from '../../core/errors.js';
import type { Sequelize } from 'sequelize';

describe('admin/agencies — the agency tree (real PostgreSQL)', () => {
  let db: Sequelize;
  before(async () => {
    ({ db } = await freshDatabase([...auditMigrations, ...adminMigrations]));
    await addDomain(db, 'example.gov.vn');
    await addAgency(db, { code: 'T01', name: 'Ủy ban nhân dân tỉnh Bắc Kạn', level: 'province', domain: 'example.gov.vn', mns: '1000001' });
    await addAgency(db, { code: 'H01', name: 'UBND huyện Ba Bể', level: 'district', parentCode: 'T01' });
    await addAgency(db, { code: 'H02', name: 'UBND huyện Chợ Đồn', level: 'district', parentCode: 'T01' });
    await addAgency(db, { code: 'X01', name: 'UBND xã Nam Mẫu', level: 'commune', parentCode: 'H01' });
    await addAgency(db, { code: 'X01-VP', name: 'Văn phòng UBND xã Nam Mẫu', level: 'unit', parentCode: 'X01' });
  });
  after(() => db.close());

  it('orders levels: a commune under a district, never the reverse', () => {
    assert.equal(levelMayHaveParent('commune', 'district'), true);
    assert.equal(levelMayHaveParent('district', 'commune'), false);
    assert.equal(levelMayHaveParent('province', 'province'), false);
    assert.equal(levelMayHaveParent('unit', 'unit'), true);
  });

  it('refuses a district under a commune and an orphan commune, with a clear error', async () => {
    await assert.rejects(addAgency(db, { code: 'H09', name: 'X', level: 'district', parentCode: 'X01' }), (e: GovmailError) => e.code === 'LEVEL_ORDER' && /cấp huyện/.test(e.messageVi));
    await assert.rejects(addAgency(db, { code: 'X09', name: 'X', level: 'commune' }), (e: GovmailError) => e.code === 'INVALID_INPUT' && /parent/.test(e.message));
    await assert.rejects(addAgency(db, { code: 'T01', name: 'X', level: 'province' }), (e: GovmailError) => e.code === 'ALREADY_EXISTS');
    await assert.rejects(addAgency(db, { code: 'Z1', name: 'Tên\u202Egiả', level: 'province' }), (e: GovmailError) => e.code === 'INVALID_INPUT' && /invisible/.test(e.message));
  });

  it('keeps Vietnamese names intact and answers subtree membership', async () => {
    const tree = await subtree(db, 'H01');
    assert.deepEqual(tree.map((a) => a.code), ['H01', 'X01', 'X01-VP']);
    assert.equal(tree[1].name, 'UBND xã Nam Mẫu');
    assert.equal(await isWithin(db, 'X01-VP', 'H01'), true);
    assert.equal(await isWithin(db, 'X01', 'H02'), false);
    assert.equal(await isWithin(db, 'T01', 'H01'), false);
  });

  it('moves an agency with its whole subtree, and never into itself', async () => {
    await moveAgency(db, 'X01', 'H02');
    assert.deepEqual((await subtree(db, 'H02')).map((a) => a.code), ['H02', 'X01', 'X01-VP']);
    assert.deepEqual((await subtree(db, 'H01')).map((a) => a.code), ['H01']);
    assert.equal(await isWithin(db, 'X01-VP', 'H02'), true);
    await assert.rejects(moveAgency(db, 'H02', 'X01-VP'), (e: GovmailError) => e.code === 'MOVE_INTO_SELF');
  });
});
