import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { QueryTypes, type Sequelize } from 'sequelize';
import type { FastifyInstance } from 'fastify';
import { addAgency, addDomain, addMailbox, approveCertificate, certificateCounts, grantRole, listCertificates, rejectCertificate, renewCertificate, requestCertificate } from '../../admin/index.js';
import { buildHttpApp } from '../../cli/http.js';
import { loadConfig } from '../../core/config.js';
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
    const [person] = (await listCertificates(db, [null])).items.filter((c) => c.profile === 'individual');
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
    const listed = (await listCertificates(db, [null])).items.find((c) => c.id === person.id)!;
    assert.equal(listed.status, 'issued');
    assert.equal(listed.serial, issued.serial);
    assert.ok(listed.notAfter && listed.notAfter > new Date());
  });

  it('lists only the caller’s subtree, shows revocations, and counts certificates by level and profile', async () => {
    const org = (await listCertificates(db, [null])).items.find((c) => c.profile === 'organisation' && c.status === 'requested')!;
    await approveCertificate(db, signer, org.id, by);
    const tReq = await requestCertificate(db, { agency: 'T', profile: 'organisation', mailbox: 'vanthu@bacninh.gov.vn' }, by);
    const tIssued = await approveCertificate(db, signer, tReq.id, by);
    const rejected = await requestCertificate(db, { agency: 'T', profile: 'organisation', mailbox: 'vanthu@bacninh.gov.vn' }, by);
    await rejectCertificate(db, rejected.id, 'trùng đề nghị', by);

    await revokeCertificate(db, signer.kek, tIssued.serial, 'superseded', by.actor);
    const all = (await listCertificates(db, [null])).items;
    assert.equal(all.find((c) => c.id === tReq.id)!.status, 'revoked');
    assert.equal(all.find((c) => c.id === rejected.id)!.status, 'rejected');
    const [{ path: stpPath }] = await db.query<{ path: string }>(`SELECT path FROM agencies WHERE code = 'STP'`, { type: QueryTypes.SELECT });
    assert.deepEqual([...new Set((await listCertificates(db, [stpPath])).items.map((c) => c.agency))], ['STP']);

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
  describe('paging, filters and renewal (functions and HTTP)', () => {
    let app: FastifyInstance;
    let headers: Record<string, string>;
    /** The requests so far, by what the tests above made of them. */
    const ids = { stpOrg: 0, stpPerson: 0, tRevoked: 0, tRejected: 0, stpShort: 0 };
    const serialOf = async (id: number) => (await db.query<{ serial: string }>('SELECT serial FROM admin_cert_requests WHERE id = $1', { bind: [id], type: QueryTypes.SELECT }))[0].serial;

    before(async () => {
      const rows = await db.query<{ id: number; code: string; profile: string; status: string; reason: string | null }>(
        `SELECT r.id, a.code, r.profile, r.status, r.reason FROM admin_cert_requests r JOIN agencies a ON a.id = r.agency_id ORDER BY r.id`,
        { type: QueryTypes.SELECT },
      );
      assert.equal(rows.length, 5);
      [ids.stpOrg, ids.stpPerson, ids.tRevoked, ids.tRejected, ids.stpShort] = rows.map((r) => r.id);
      assert.deepEqual(rows.map((r) => `${r.code} ${r.profile} ${r.status}`), ['STP organisation issued', 'STP individual issued', 'T organisation issued', 'T organisation rejected', 'STP individual issued']);
      // The 20-day certificate of the expiry test has run out (the signer's record, moved back in time).
      await db.query(`UPDATE signer_certificates SET not_before = now() - interval '30 days', not_after = now() - interval '1 day' WHERE serial = $1`, { bind: [await serialOf(ids.stpShort)] });

      const t = await db.query<{ id: number }>(`SELECT id FROM agencies WHERE code = 'T'`, { type: QueryTypes.SELECT });
      await addMailbox(db, { address: 'quantri@bacninh.gov.vn', displayName: 'Quản trị tỉnh', agencyId: t[0].id, password: 'mat-khau-quan-tri-2026' }, { defaultQuota: '1G' });
      await grantRole(db, 'quantri@bacninh.gov.vn', 'superadmin', null);
      app = await buildHttpApp(loadConfig({ dataDir: dir }, {}), db);
      const login = await app.inject({ method: 'POST', url: '/api/session', payload: { username: 'quantri@bacninh.gov.vn', password: 'mat-khau-quan-tri-2026' } });
      assert.equal(login.statusCode, 200, login.body);
      headers = { cookie: String(login.headers['set-cookie']).split(';')[0], 'x-csrf-token': login.json().csrfToken };
    });
    after(async () => app?.close());

    it('pages newest first with a total, and filters by agency, profile and live status (revoked and expired included)', async () => {
      const idsOf = async (o: Parameters<typeof listCertificates>[2], scopes: Array<string | null> = [null]) => {
        const p = await listCertificates(db, scopes, o);
        return { ids: p.items.map((c) => c.id), total: p.total };
      };
      assert.deepEqual(await idsOf({ pageSize: 2 }), { ids: [ids.stpShort, ids.tRejected], total: 5 });
      assert.deepEqual(await idsOf({ pageSize: 2, page: 2 }), { ids: [ids.tRevoked, ids.stpPerson], total: 5 });
      assert.deepEqual(await idsOf({ pageSize: 2, page: 3 }), { ids: [ids.stpOrg], total: 5 });
      assert.deepEqual(await idsOf({ pageSize: 2, page: 4 }), { ids: [], total: 5 });
      assert.deepEqual(await idsOf({ status: 'issued' }), { ids: [ids.stpPerson, ids.stpOrg], total: 2 });
      assert.deepEqual(await idsOf({ status: 'issued', pageSize: 1, page: 2 }), { ids: [ids.stpOrg], total: 2 });
      assert.deepEqual(await idsOf({ status: 'revoked' }), { ids: [ids.tRevoked], total: 1 });
      assert.deepEqual(await idsOf({ status: 'expired' }), { ids: [ids.stpShort], total: 1 });
      assert.deepEqual(await idsOf({ status: 'rejected' }), { ids: [ids.tRejected], total: 1 });
      assert.deepEqual(await idsOf({ status: 'requested' }), { ids: [], total: 0 });
      assert.deepEqual(await idsOf({ profile: 'individual' }), { ids: [ids.stpShort, ids.stpPerson], total: 2 });
      assert.deepEqual(await idsOf({ agency: 'T' }), { ids: [ids.tRejected, ids.tRevoked], total: 2 });
      assert.deepEqual(await idsOf({ agency: 'STP', profile: 'organisation', status: 'issued' }), { ids: [ids.stpOrg], total: 1 });
      const [{ path: stpPath }] = await db.query<{ path: string }>(`SELECT path FROM agencies WHERE code = 'STP'`, { type: QueryTypes.SELECT });
      assert.deepEqual(await idsOf({ status: 'revoked' }, [stpPath]), { ids: [], total: 0 }, 'the scope still applies');
      const rejected = (await listCertificates(db, [null], { status: 'rejected' })).items[0];
      assert.equal(rejected.reason, 'trùng đề nghị');
      assert.equal(rejected.renewalOf, null);
    });

    it('GET /api/admin/certificates answers a page with its total and names a bad filter', async () => {
      const res = await app.inject({ method: 'GET', url: '/api/admin/certificates?status=revoked&pageSize=1', headers });
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.deepEqual({ ids: body.items.map((c: any) => c.id), total: body.total, page: body.page, pageSize: body.pageSize }, { ids: [ids.tRevoked], total: 1, page: 1, pageSize: 1 });
      assert.equal(body.items[0].status, 'revoked');
      const second = (await app.inject({ method: 'GET', url: '/api/admin/certificates?pageSize=3&page=2', headers })).json();
      assert.deepEqual({ ids: second.items.map((c: any) => c.id), total: second.total }, { ids: [ids.stpPerson, ids.stpOrg], total: 5 });
      const bad = await app.inject({ method: 'GET', url: '/api/admin/certificates?status=valid', headers });
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().error.field, 'status');
      assert.equal((await app.inject({ method: 'GET', url: '/api/admin/certificates?pageSize=500', headers })).statusCode, 400);
    });

    it('renews an issued certificate with the same subject and profile, marked as a renewal and audited; once only', async () => {
      const serial = await serialOf(ids.stpPerson);
      const [before] = await db.query<{ subject: object; mailbox_id: number; agency_id: number }>('SELECT subject, mailbox_id, agency_id FROM admin_cert_requests WHERE id = $1', { bind: [ids.stpPerson], type: QueryTypes.SELECT });
      // The records change after issuance: the renewal still copies the certificate's subject, not the new records.
      await db.query(`UPDATE mailboxes SET position = 'Phó Trưởng phòng' WHERE address = 'huong.stp@bacninh.gov.vn'`);
      const renewal = await renewCertificate(db, serial.toUpperCase(), by);
      assert.equal(renewal.renewalOf, serial);
      const [row] = await db.query<{ subject: object; mailbox_id: number; agency_id: number; profile: string; status: string; renewal_of: string; requested_by: string }>(
        'SELECT subject, mailbox_id, agency_id, profile, status, renewal_of, requested_by FROM admin_cert_requests WHERE id = $1',
        { bind: [renewal.id], type: QueryTypes.SELECT },
      );
      assert.deepEqual(row, { ...before, profile: 'individual', status: 'requested', renewal_of: serial, requested_by: by.actor });
      assert.equal((row.subject as any).title, 'Chuyên viên');
      const [entry] = await db.query<{ after: any }>(`SELECT after FROM audit_entries WHERE action = 'cert.request' AND target = $1`, { bind: [String(renewal.id)], type: QueryTypes.SELECT });
      assert.deepEqual(entry.after, { agency: 'STP', profile: 'individual', subject: before.subject, renewalOf: serial });
      const listed = (await listCertificates(db, [null], { status: 'requested' })).items;
      assert.deepEqual(listed.map((c) => [c.id, c.renewalOf, c.commonName]), [[renewal.id, serial, 'Nguyễn Thị Hương']]);

      await assert.rejects(renewCertificate(db, serial, by), (e: any) => e.code === 'ALREADY_RENEWED' && e.status === 409 && /waiting for a decision/.test(e.message));
      // Approval treats it as an extension: at most 3 years (Decree 68/2024), and the signer links the two.
      await assert.rejects(approveCertificate(db, signer, renewal.id, by, { validityDays: 1500 }), /an extension: at most 3 years/);
      const issued = await approveCertificate(db, signer, renewal.id, by);
      const [linked] = await db.query<{ renewal_of: string }>('SELECT renewal_of FROM signer_certificates WHERE serial = $1', { bind: [issued.serial], type: QueryTypes.SELECT });
      assert.equal(linked.renewal_of, serial);
      await assert.rejects(renewCertificate(db, serial, by), (e: any) => e.code === 'ALREADY_RENEWED' && /already renewed/.test(e.message));
    });

    it('refuses to renew a revoked, an expired or an unknown certificate', async () => {
      await assert.rejects(renewCertificate(db, await serialOf(ids.tRevoked), by), (e: any) => e.code === 'CERTIFICATE_REVOKED' && e.status === 409);
      await assert.rejects(renewCertificate(db, await serialOf(ids.stpShort), by), (e: any) => e.code === 'CERTIFICATE_EXPIRED' && /hết hạn/.test(e.messageVi));
      await assert.rejects(renewCertificate(db, 'ab12', by), (e: any) => e.code === 'NOT_FOUND');
      const [{ n }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM admin_cert_requests WHERE status = 'requested'`, { type: QueryTypes.SELECT });
      assert.equal(n, 0, 'a refused renewal files nothing');
    });

    it('POST /api/admin/certificates/{serial}/renew files the renewal (201), and a second one is a 409', async () => {
      const serial = await serialOf(ids.stpOrg);
      const res = await app.inject({ method: 'POST', url: `/api/admin/certificates/${serial}/renew`, headers });
      assert.equal(res.statusCode, 201, res.body);
      assert.equal(res.json().renewalOf, serial);
      assert.deepEqual(res.json().subject, { country: 'VN', commonName: 'Sở Tư pháp', organization: 'Sở Tư pháp', email: 'vanthu.stp@bacninh.gov.vn', mns: '1012345' });
      const [{ actor }] = await db.query<{ actor: string }>(`SELECT actor FROM audit_entries WHERE action = 'cert.request' AND target = $1`, { bind: [String(res.json().id)], type: QueryTypes.SELECT });
      assert.equal(actor, 'quantri@bacninh.gov.vn');
      const again = await app.inject({ method: 'POST', url: `/api/admin/certificates/${serial}/renew`, headers });
      assert.equal(again.statusCode, 409);
      assert.match(again.json().error.messageVi, /đang chờ duyệt/);
      const unknown = await app.inject({ method: 'POST', url: '/api/admin/certificates/00ff/renew', headers });
      assert.equal(unknown.statusCode, 404);
    });
  });
});
