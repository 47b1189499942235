import assert from 'node:assert/strict';
import type { Sequelize } from 'sequelize';
import { freshDatabase } from '../support/postgres.js';
import { allMigrations } from '../../cli/migrations.js';
import { addAgency, addDomain, addMailbox, createList, resolveRecipient, mayPost, setMailboxActive, getAgency } from '../../admin/index.js';
import { GovmailError } from '../../core/errors.js';

describe('admin/lists — distribution lists expanded at delivery (real PostgreSQL)', () => {
  let db: Sequelize;
  const mb = async (address: string, agency: string, kind: 'personal' | 'functional' = 'personal') =>
    addMailbox(db, { address, displayName: `Hộp thư ${address}`, password: 'mat-khau-dai-du-10', agencyId: (await getAgency(db, agency))!.id, kind }, { defaultQuota: '1G' });

  before(async () => {
    ({ db } = await freshDatabase(allMigrations()));
    await addDomain(db, 'tinh.gov.vn');
    await addAgency(db, { code: 'T', name: 'UBND tỉnh', level: 'province' });
    await addAgency(db, { code: 'H1', name: 'UBND huyện Một', level: 'district', parentCode: 'T' });
    await addAgency(db, { code: 'X1', name: 'UBND xã Một', level: 'commune', parentCode: 'H1' });
    await addAgency(db, { code: 'X2', name: 'UBND xã Hai', level: 'commune', parentCode: 'H1' });
    await mb('vanthu.x1@tinh.gov.vn', 'X1', 'functional');
    await mb('vanthu.x2@tinh.gov.vn', 'X2', 'functional');
    await mb('chutich.x1@tinh.gov.vn', 'X1');
    await mb('vanthu.h1@tinh.gov.vn', 'H1', 'functional');
    await mb('canbo.h1@tinh.gov.vn', 'H1');
  });
  after(() => db.close());

  it('"all commune People\'s Committees" reaches every commune clerk, and follows the directory', async () => {
    await createList(db, { address: 'tatca-xa@tinh.gov.vn', name: 'Tất cả UBND cấp xã', kind: 'level', level: 'commune' });
    const r = await resolveRecipient(db, 'tatca-xa@tinh.gov.vn');
    assert.equal(r.kind, 'list');
    assert.deepEqual(r.kind === 'list' && r.list.members, ['vanthu.x1@tinh.gov.vn', 'vanthu.x2@tinh.gov.vn']);
    await setMailboxActive(db, 'vanthu.x2@tinh.gov.vn', false);
    const after = await resolveRecipient(db, 'tatca-xa@tinh.gov.vn');
    assert.deepEqual(after.kind === 'list' && after.list.members, ['vanthu.x1@tinh.gov.vn']);
    await setMailboxActive(db, 'vanthu.x2@tinh.gov.vn', true);
  });

  it('an agency list with its subtree, and a static list', async () => {
    await createList(db, { address: 'huyen1@tinh.gov.vn', name: 'Huyện Một (toàn bộ)', kind: 'agency', agencyCode: 'H1', includeSubtree: true });
    await createList(db, { address: 'huyen1-cq@tinh.gov.vn', name: 'Cơ quan huyện Một', kind: 'agency', agencyCode: 'H1' });
    await createList(db, { address: 'lanhdao@tinh.gov.vn', name: 'Lãnh đạo', kind: 'static', members: ['chutich.x1@tinh.gov.vn', 'canbo.h1@tinh.gov.vn'], postPolicy: 'members' });
    const sub = await resolveRecipient(db, 'huyen1@tinh.gov.vn');
    assert.equal(sub.kind === 'list' && sub.list.members.length, 5);
    const own = await resolveRecipient(db, 'huyen1-cq@tinh.gov.vn');
    assert.deepEqual(own.kind === 'list' && own.list.members, ['canbo.h1@tinh.gov.vn', 'vanthu.h1@tinh.gov.vn']);
    const st = await resolveRecipient(db, 'lanhdao@tinh.gov.vn');
    assert.ok(st.kind === 'list');
    if (st.kind === 'list') {
      assert.equal(mayPost(st.list, 'canbo.h1@tinh.gov.vn', true), true);
      assert.equal(mayPost(st.list, 'vanthu.h1@tinh.gov.vn', true), false);
      assert.equal(mayPost(st.list, 'canbo.h1@tinh.gov.vn', false), false);
    }
  });

  it('keeps one address space for mailboxes, aliases and lists', async () => {
    await assert.rejects(createList(db, { address: 'canbo.h1@tinh.gov.vn', name: 'X', kind: 'static' }), (e: GovmailError) => e.code === 'ALREADY_EXISTS');
    await assert.rejects(mb('tatca-xa@tinh.gov.vn', 'T'), (e: GovmailError) => e.code === 'ALREADY_EXISTS');
  });
});
