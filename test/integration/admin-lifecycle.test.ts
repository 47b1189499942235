import assert from 'node:assert/strict';
import type { Sequelize } from 'sequelize';
import { freshDatabase } from '../support/postgres.js';
import { allMigrations } from '../../cli/migrations.js';
import { addAgency, addDomain, addMailbox, transferMailbox, resetPassword, archiveMailbox, resolveRecipient, authenticate, senderAddresses } from '../../admin/index.js';
import { GovmailError } from '../../core/errors.js';

describe('admin/lifecycle — transfer, reset, archive (real PostgreSQL)', () => {
  let db: Sequelize;
  const PW = 'mat-khau-ban-dau-2026';
  before(async () => {
    ({ db } = await freshDatabase(allMigrations()));
    await addDomain(db, 'soyte.example.gov.vn');
    await addDomain(db, 'sotc.example.gov.vn');
    await addAgency(db, { code: 'T', name: 'UBND tỉnh', level: 'province' });
    await addAgency(db, { code: 'SYT', name: 'Sở Y tế', level: 'department', parentCode: 'T', domain: 'soyte.example.gov.vn' });
    await addAgency(db, { code: 'STC', name: 'Sở Tài chính', level: 'department', parentCode: 'T', domain: 'sotc.example.gov.vn' });
    const syt = ((await db.query(`SELECT id FROM agencies WHERE code = 'SYT'`))[0][0] as any).id;
    await addMailbox(db, { address: 'lethu@soyte.example.gov.vn', displayName: 'Lê Thu', password: PW, agencyId: syt }, { defaultQuota: '1G' });
  });
  after(() => db.close());

  it('transfers a person with a new address; the old one keeps delivering as an alias', async () => {
    const res = await transferMailbox(db, 'lethu@soyte.example.gov.vn', { agencyCode: 'STC', newAddress: 'lethu@sotc.example.gov.vn', keepOldAddressDays: 90 });
    assert.equal(res.address, 'lethu@sotc.example.gov.vn');
    assert.ok(res.aliasUntil && res.aliasUntil.getTime() > Date.now() + 89 * 86_400_000);
    assert.deepEqual(await resolveRecipient(db, 'lethu@soyte.example.gov.vn'), { kind: 'mailbox', address: 'lethu@sotc.example.gov.vn', quotaBytes: 1024 ** 3 });
    assert.equal(await authenticate(db, 'lethu@sotc.example.gov.vn', PW), 'lethu@sotc.example.gov.vn');
    assert.deepEqual((await senderAddresses(db, 'lethu@sotc.example.gov.vn')).sort(), ['lethu@soyte.example.gov.vn', 'lethu@sotc.example.gov.vn'].sort());
    const [row] = (await db.query(`SELECT a.code FROM mailboxes m JOIN agencies a ON a.id = m.agency_id WHERE m.address = 'lethu@sotc.example.gov.vn'`))[0] as any[];
    assert.equal(row.code, 'STC');
    // The id Dovecot stores mail under did not change.
    const ids = (await db.query(`SELECT mailbox_id FROM dovecot_users WHERE username = 'lethu@sotc.example.gov.vn'`))[0] as any[];
    assert.equal(ids.length, 1);
  });

  it('refuses a transfer onto an address that is taken, changing nothing', async () => {
    await addMailbox(db, { address: 'other@sotc.example.gov.vn', displayName: 'Người khác', password: PW }, { defaultQuota: '1G' });
    await assert.rejects(transferMailbox(db, 'other@sotc.example.gov.vn', { agencyCode: 'SYT', newAddress: 'lethu@soyte.example.gov.vn' }), (e: GovmailError) => e.code === 'ALREADY_EXISTS');
    const [row] = (await db.query(`SELECT agency_id FROM mailboxes WHERE address = 'other@sotc.example.gov.vn'`))[0] as any[];
    assert.equal(row.agency_id, null);
  });

  it('resets a password: the old one stops working, the new one works', async () => {
    const fresh = await resetPassword(db, 'lethu@sotc.example.gov.vn');
    assert.equal(await authenticate(db, 'lethu@sotc.example.gov.vn', PW), undefined);
    assert.equal(await authenticate(db, 'lethu@sotc.example.gov.vn', fresh), 'lethu@sotc.example.gov.vn');
    const [row] = (await db.query(`SELECT must_change_password FROM mailboxes WHERE address = 'lethu@sotc.example.gov.vn'`))[0] as any[];
    assert.equal(row.must_change_password, true);
  });

  it('archives on offboarding: no login, no delivery, record kept', async () => {
    await archiveMailbox(db, 'other@sotc.example.gov.vn');
    assert.equal(await authenticate(db, 'other@sotc.example.gov.vn', PW), undefined);
    assert.equal((await resolveRecipient(db, 'other@sotc.example.gov.vn')).kind, 'suspended');
    const rows = (await db.query(`SELECT archived_at FROM mailboxes WHERE address = 'other@sotc.example.gov.vn'`))[0] as any[];
    assert.ok(rows[0].archived_at instanceof Date);
    await assert.rejects(archiveMailbox(db, 'other@sotc.example.gov.vn'), (e: GovmailError) => e.code === 'NOT_FOUND');
  });
});
