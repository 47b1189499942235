import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { QueryTypes, type Sequelize } from 'sequelize';
import { addAgency, addDomain, addMailbox, approveCertificate, certificateCounts, listCertificates, rejectCertificate, requestCertificate } from '../../admin/index.js';
import { allMigrations } from '../../cli/migrations.js';
import { loadKek } from '../../core/kek.js';
import { initCa, revokeCertificate } from '../../signer/index.js';
import { freshDatabase, testDataDir } from '../support/postgres.js';
import { sendCertificateExpiryNotices } from '../../cli/notices.js';
import { simpleParser } from 'mailparser';

describe('admin/certificates — request, approve, issue, revoke, count (real PostgreSQL, judged by openssl)', function () {
  this.timeout(120_000);
  let db: Sequelize;
  const dir = testDataDir('govmail-admin-cert-');
  const signer = { kek: loadKek(dir, {}), pkiUrl: 'http://ca.bacninh.gov.vn/pki' };
  const by = { actor: 'admin@bacninh.gov.vn' };

  before(async () => {
    ({ db } = await freshDatabase(allMigrations()));
    await initCa(db, signer.kek, { organization: 'UBND tỉnh Bắc Ninh', algorithm: 'p-256', pkiUrl: signer.pkiUrl, actor: 'test' });
    await addDomain(db, 'bacninh.gov.vn');
    const t = await addAgency(db, { code: 'T', name: 'UBND tỉnh Bắc Ninh', level: 'province', mst: '2300000001' });
    const stp = await addAgency(db, { code: 'STP', name: 'Sở Tư pháp', level: 'department', parentCode: 'T', mns: '1012345' });
    const x = await addAgency(db, { code: 'XD', name: 'UBND xã Đông Phong', level: 'commune', parentCode: 'T' });
    await addMailbox(db, { address: 'vanthu@bacninh.gov.vn', displayName: 'Văn thư UBND tỉnh', agencyId: t.id, kind: 'functional' }, { defaultQuota: '1G' });
    await addMailbox(db, { address: 'vanthu.stp@bacninh.gov.vn', displayName: 'Văn thư Sở Tư pháp', agencyId: stp.id, kind: 'functional' }, { defaultQuota: '1G' });
    await addMailbox(db, { address: 'huong.stp@bacninh.gov.vn', displayName: 'Nguyễn Thị Hương', agencyId: stp.id, position: 'Chuyên viên', cccd: '027190001234' }, { defaultQuota: '1G' });
    await addMailbox(db, { address: 'lan.xd@bacninh.gov.vn', displayName: 'Trần Thị Lan', agencyId: x.id }, { defaultQuota: '1G' });
    await addMailbox(db, { address: 'vanthu.xd@bacninh.gov.vn', displayName: 'Văn thư xã', agencyId: x.id, kind: 'functional' }, { defaultQuota: '1G' });
  });
  after(async () => {
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('builds the subject from our records and refuses requests the records cannot support', async () => {
    const org = await requestCertificate(db, { agency: 'STP', profile: 'organisation', mailbox: 'vanthu.stp@bacninh.gov.vn' }, by);
    assert.deepEqual(org.subject, { country: 'VN', commonName: 'Sở Tư pháp', organization: 'Sở Tư pháp', email: 'vanthu.stp@bacninh.gov.vn', mns: '1012345' });
    const person = await requestCertificate(db, { agency: 'STP', profile: 'individual', mailbox: 'huong.stp@bacninh.gov.vn' }, by);
    assert.deepEqual(person.subject, { country: 'VN', commonName: 'Nguyễn Thị Hương', organization: 'Sở Tư pháp', title: 'Chuyên viên', email: 'huong.stp@bacninh.gov.vn', cccd: '027190001234' });
    await assert.rejects(requestCertificate(db, { agency: 'XD', profile: 'individual', mailbox: 'lan.xd@bacninh.gov.vn' }, by), /subject\.cccd/);
    await assert.rejects(requestCertificate(db, { agency: 'XD', profile: 'organisation', mailbox: 'vanthu.xd@bacninh.gov.vn' }, by), /mst\|mns.*at least one of mst, mns/);
    await assert.rejects(requestCertificate(db, { agency: 'T', profile: 'individual', mailbox: 'huong.stp@bacninh.gov.vn' }, by), /a mailbox of the requesting agency/);
    const [{ n }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_entries WHERE action = 'cert.request'`, { type: QueryTypes.SELECT });
    assert.equal(n, 2, 'refused requests leave no trace but their error');
  });

  it('approval issues a PKCS#12 that openssl opens with the one-time password; a decided request cannot be decided again', async () => {
    const [person] = (await listCertificates(db, [null])).filter((c) => c.profile === 'individual');
    assert.equal(person.status, 'requested');
    const issued = await approveCertificate(db, signer, person.id, by);
    const p12 = path.join(dir, 'huong.p12');
    writeFileSync(p12, issued.p12);
    const out = spawnSync('openssl', ['pkcs12', '-in', p12, '-passin', `pass:${issued.password}`, '-nodes'], { encoding: 'utf8' });
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /BEGIN PRIVATE KEY/);
    const leaf = spawnSync('openssl', ['x509', '-noout', '-subject', '-nameopt', 'utf8,sep_comma_plus_space'], { input: out.stdout, encoding: 'utf8' });
    assert.match(leaf.stdout, /CN=Nguyễn Thị Hương, UID=CCCD:027190001234/);
    await assert.rejects(approveCertificate(db, signer, person.id, by), /already issued/);
    await assert.rejects(rejectCertificate(db, person.id, 'x', by), /already issued/);
    const listed = (await listCertificates(db, [null])).find((c) => c.id === person.id)!;
    assert.equal(listed.status, 'issued');
    assert.equal(listed.serial, issued.serial);
    assert.ok(listed.notAfter && listed.notAfter > new Date());
  });

  it('lists only the caller’s subtree, shows revocations, and counts certificates by level and profile', async () => {
    const org = (await listCertificates(db, [null])).find((c) => c.profile === 'organisation' && c.status === 'requested')!;
    await approveCertificate(db, signer, org.id, by);
    const tReq = await requestCertificate(db, { agency: 'T', profile: 'organisation', mailbox: 'vanthu@bacninh.gov.vn' }, by);
    const tIssued = await approveCertificate(db, signer, tReq.id, by);
    const rejected = await requestCertificate(db, { agency: 'T', profile: 'organisation', mailbox: 'vanthu@bacninh.gov.vn' }, by);
    await rejectCertificate(db, rejected.id, 'trùng đề nghị', by);

    await revokeCertificate(db, signer.kek, tIssued.serial, 'superseded', by.actor);
    const all = await listCertificates(db, [null]);
    assert.equal(all.find((c) => c.id === tReq.id)!.status, 'revoked');
    assert.equal(all.find((c) => c.id === rejected.id)!.status, 'rejected');
    const [{ path: stpPath }] = await db.query<{ path: string }>(`SELECT path FROM agencies WHERE code = 'STP'`, { type: QueryTypes.SELECT });
    assert.deepEqual([...new Set((await listCertificates(db, [stpPath])).map((c) => c.agency))], ['STP']);

    assert.deepEqual(await certificateCounts(db), [
      { level: 'province', profile: 'organisation', valid: 0, revoked: 1, expiringIn60Days: 0 },
      { level: 'department', profile: 'individual', valid: 1, revoked: 0, expiringIn60Days: 0 },
      { level: 'department', profile: 'organisation', valid: 1, revoked: 0, expiringIn60Days: 0 },
    ]);
  });

  it('warns the holder by mail 60/30/7 days before expiry, each warning once, through the queue', async () => {
    const req = await requestCertificate(db, { agency: 'STP', profile: 'individual', mailbox: 'huong.stp@bacninh.gov.vn' }, by);
    const { serial } = await approveCertificate(db, signer, req.id, by, { validityDays: 20 });
    const queued = async () =>
      db.query<{ message: Buffer; address: string; sender: string }>(
        `SELECT q.message, r.address, q.sender FROM smtp_queue q JOIN smtp_queue_recipients r ON r.queue_id = q.id ORDER BY q.id`,
        { type: QueryTypes.SELECT },
      );
    assert.equal(await sendCertificateExpiryNotices(db, { queueRetryMaxSeconds: 3600 }), 1, 'only the 20-day certificate is due');
    const [first] = await queued();
    assert.equal(first.address, 'huong.stp@bacninh.gov.vn');
    assert.equal(first.sender, '', 'null sender: a warning never bounces back');
    const mail = await simpleParser(first.message);
    assert.equal(mail.subject, 'Chứng thư số sắp hết hạn (20 ngày) / Certificate expires in 20 days');
    assert.match(mail.text!, new RegExp(`Số hiệu: ${serial}`));
    assert.equal(await sendCertificateExpiryNotices(db, { queueRetryMaxSeconds: 3600 }), 0, 'the 30-day warning (which covers 60) goes once');
    const inTwoWeeks = new Date(Date.now() + 14 * 86_400_000);
    assert.equal(await sendCertificateExpiryNotices(db, { queueRetryMaxSeconds: 3600 }, inTwoWeeks), 1);
    assert.match((await simpleParser((await queued())[1].message)).subject!, /\(6 ngày\)/);
    assert.equal(await sendCertificateExpiryNotices(db, { queueRetryMaxSeconds: 3600 }, inTwoWeeks), 0);
  });
});
