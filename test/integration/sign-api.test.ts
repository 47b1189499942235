import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { QueryTypes, type Sequelize } from 'sequelize';
import { addAgency, addDomain, addMailbox, createToken } from '../../admin/index.js';
import { buildHttpApp } from '../../cli/http.js';
import { allMigrations } from '../../cli/migrations.js';
import { loadConfig } from '../../core/config.js';
import { loadKek } from '../../core/kek.js';
import {
  activeIssuingCa, caChain, chainValidator, initCa, documentMetadataFromHeaders, getProfile, issueCertificate, ourTrust, parseSubject, pem, revokeCertificate,
  signatureCounts, signPdfWithServerKey, toDer, verifyPdf, saveStampImage,
} from '../../signer/index.js';
import { makeTestPdf } from '../support/pdf-fixtures.js';
import { freePort, freshDatabase, testDataDir } from '../support/postgres.js';

const PIN = '246810';

/**
 * pdfsig, run asynchronously: it asks our own OCSP responder (the URL is in the certificate), which
 * lives in this process, so a synchronous child would wait on a blocked event loop.
 */
function pdfsig(file: string, nssdir: string): Promise<{ out: string; validation?: string; certificate?: string; signer?: string; total: boolean; count: number }> {
  return new Promise((resolve) => {
    execFile('pdfsig', ['-nssdir', `sql:${nssdir}`, file], { encoding: 'utf8' }, (_err, stdout, stderr) => {
      const field = (label: string) => new RegExp(`^\\s*- ${label}: (.*)$`, 'm').exec(stdout)?.[1]?.trim();
      resolve({
        out: stdout + stderr,
        validation: field('Signature Validation'),
        certificate: field('Certificate Validation'),
        signer: field('Signer Certificate Common Name'),
        total: /^\s*- Total document signed$/m.test(stdout),
        count: stdout.match(/^Signature #\d+:/gm)?.length ?? 0,
      });
    });
  });
}
const HOLDER = 'huong.stp@bacninh.gov.vn';

describe('signer/api — signing with a server-held key over HTTP (real PostgreSQL, our CA; pdfsig and openssl judge)', function () {
  this.timeout(180_000);
  const dir = testDataDir('govmail-sign-api-');
  const f = (name: string) => path.join(dir, 'files', name);
  const kek = loadKek(dir, {});
  let db: Sequelize;
  let app: FastifyInstance;
  let base: string;
  let pkiUrl: string;
  let serial: string;
  let lockSerial: string;
  let pdf: Uint8Array;
  let nssdir: string;
  const tokens: Record<string, string> = {};

  async function issue(cccd: string): Promise<string> {
    const profile = getProfile('individual');
    const subject = parseSubject({ commonName: 'Nguyễn Thị Hương', organization: 'Sở Tư pháp tỉnh Bắc Ninh', title: 'Chuyên viên', email: HOLDER, cccd }, profile);
    return (await issueCertificate(db, kek, { profile, subject, key: { kind: 'server', pin: PIN, algorithm: 'rsa-2048' }, pkiUrl, actor: 'test' })).serial;
  }

  function form(fields: Record<string, string>, file?: { name?: string; data: Uint8Array; filename: string; type?: string }): FormData {
    const fd = new FormData();
    for (const [k, v] of Object.entries(fields)) fd.append(k, v);
    if (file) fd.append(file.name ?? 'file', new Blob([new Uint8Array(file.data)], { type: file.type ?? 'application/pdf' }), file.filename);
    return fd;
  }

  const post = (url: string, token: string | undefined, body: FormData | object) =>
    fetch(`${base}${url}`, {
      method: 'POST',
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body instanceof FormData ? {} : { 'content-type': 'application/json' }) },
      body: body instanceof FormData ? body : JSON.stringify(body),
    });

  const signPdfForm = (extra: Record<string, string> = {}, s = serial) =>
    form({ serial: s, pin: PIN, level: 'B-B', reason: 'Phê duyệt', number: '123/STP-VP', date: '2026-03-15', urgency: 'khan', classification: 'mat', ...extra }, { data: pdf, filename: 'công văn 123.pdf' });

  const failures = async (s: string) => (await db.query<{ failures: number }>('SELECT failures FROM signer_pin_failures WHERE serial = $1', { bind: [s], type: QueryTypes.SELECT }))[0]?.failures ?? 0;

  before(async () => {
    mkdirSync(path.join(dir, 'files'));
    ({ db } = await freshDatabase(allMigrations()));
    const port = await freePort();
    pkiUrl = `http://127.0.0.1:${port}/pki`;
    await initCa(db, kek, { organization: 'UBND tỉnh Bắc Ninh', algorithm: 'p-256', pkiUrl, actor: 'test' });
    await addDomain(db, 'bacninh.gov.vn');
    await addAgency(db, { code: 'T', name: 'UBND tỉnh Bắc Ninh', level: 'province' });
    const stp = await addAgency(db, { code: 'STP', name: 'Sở Tư pháp', level: 'department', parentCode: 'T' });
    await addAgency(db, { code: 'SYT', name: 'Sở Y tế', level: 'department', parentCode: 'T' });
    await addMailbox(db, { address: HOLDER, displayName: 'Nguyễn Thị Hương', agencyId: stp.id, cccd: '027190001234' }, { defaultQuota: '1G' });
    serial = await issue('027190001234');
    lockSerial = await issue('027190009999');
    tokens.stp = (await createToken(db, { name: 'QLVB Sở Tư pháp', agencyCode: 'STP', scopes: ['sign'] }, { actor: 'test' })).token;
    tokens.province = (await createToken(db, { name: 'QLVB tỉnh', agencyCode: 'T', scopes: ['sign', 'mailbox.read'] }, { actor: 'test' })).token;
    tokens.noScope = (await createToken(db, { name: 'Chỉ gửi thư', agencyCode: 'STP', scopes: ['mail.send'] }, { actor: 'test' })).token;
    tokens.other = (await createToken(db, { name: 'QLVB Sở Y tế', agencyCode: 'SYT', scopes: ['sign'] }, { actor: 'test' })).token;
    pdf = await makeTestPdf({ pages: 3 });

    app = await buildHttpApp(loadConfig({ dataDir: dir, httpPort: port, pkiUrl }, {}), db);
    await app.listen({ host: '127.0.0.1', port });
    base = `http://127.0.0.1:${port}`;

    // pdfsig trusts our root through an NSS database; openssl through the chain file.
    const chain = await caChain(db, await activeIssuingCa(db));
    writeFileSync(f('chain.pem'), chain.map((c) => pem('CERTIFICATE', toDer(c))).join(''));
    writeFileSync(f('root.pem'), pem('CERTIFICATE', toDer(chain.at(-1)!)));
    nssdir = f('nssdb');
    mkdirSync(nssdir);
    execFileSync('certutil', ['-N', '-d', `sql:${nssdir}`, '--empty-password'], { stdio: 'pipe' });
    execFileSync('certutil', ['-A', '-d', `sql:${nssdir}`, '-n', 'govmail-root', '-t', 'CT,C,C', '-i', f('root.pem')], { stdio: 'pipe' });
  });

  after(async () => {
    await app?.close();
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('signs a PDF at B-B with a sign-scoped token and the PIN: pdfsig says valid, the headers and the signer_signatures row carry the metadata', async () => {
    const res = await post('/api/sign/pdf', tokens.stp, signPdfForm());
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(res.headers.get('content-type'), 'application/pdf');
    assert.match(res.headers.get('content-disposition')!, /filename="cong van 123\.signed\.pdf"; filename\*=UTF-8''c%C3%B4ng%20v%C4%83n%20123\.signed\.pdf/);
    assert.deepEqual(documentMetadataFromHeaders(res.headers), { number: '123/STP-VP', date: '2026-03-15', urgency: 'khan', classification: 'mat' });
    assert.equal(res.headers.get('x-govmail-classification'), 'mat');
    const signed = new Uint8Array(await res.arrayBuffer());
    assert.deepEqual(signed.subarray(0, pdf.length), pdf, 'an incremental update: the original bytes are kept');
    writeFileSync(f('bb.pdf'), signed);

    const p = await pdfsig(f('bb.pdf'), nssdir);
    assert.equal(p.count, 1, p.out);
    assert.equal(p.validation, 'Signature is Valid.', p.out);
    assert.equal(p.certificate, 'Certificate is Trusted.', p.out);
    assert.equal(p.signer, 'Nguyễn Thị Hương');
    assert.ok(p.total, p.out);

    const [row] = await db.query<Record<string, unknown>>(
      `SELECT id, serial, holder, agency_code, kind, level, doc_number, doc_date::text AS doc_date, urgency, classification, output_sha256, actor FROM signer_signatures WHERE id = $1`,
      { bind: [Number(res.headers.get('x-govmail-signature-id'))], type: QueryTypes.SELECT },
    );
    assert.deepEqual({ ...row, id: undefined }, {
      id: undefined, serial, holder: HOLDER, agency_code: 'STP', kind: 'pdf', level: 'B-B', doc_number: '123/STP-VP', doc_date: '2026-03-15', urgency: 'khan', classification: 'mat',
      output_sha256: createHash('sha256').update(signed).digest('hex'), actor: row!.actor,
    });
    assert.match(String(row!.actor), /^token:\d+$/);
    assert.equal(res.headers.get('x-govmail-signature-sha256'), row!.output_sha256);
  });

  it('signs at B-T with our own TSA through a token of the agency above the holder; verifyPdf finds the time-stamp', async () => {
    const res = await post('/api/sign/pdf', tokens.province, signPdfForm({ level: 'B-T', number: '05/2026/QĐ-STP', classification: '', urgency: 'Hỏa tốc' }));
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(res.headers.get('x-govmail-signature-level'), 'B-T');
    assert.match(res.headers.get('x-govmail-doc-number')!, /^=\?UTF-8\?B\?/);
    assert.deepEqual(documentMetadataFromHeaders(res.headers), { number: '05/2026/QĐ-STP', date: '2026-03-15', urgency: 'hoa-toc', classification: 'none' });
    const signed = new Uint8Array(await res.arrayBuffer());
    writeFileSync(f('bt.pdf'), signed);
    const p = await pdfsig(f('bt.pdf'), nssdir);
    assert.equal(p.validation, 'Signature is Valid.', p.out);
    assert.equal(p.certificate, 'Certificate is Trusted.', p.out);
    const v = await verifyPdf(signed, { validateChain: chainValidator(await ourTrust(db, kek)) });
    const s = v.signatures[0]!;
    assert.ok(s.intact && s.byteRangeValid, JSON.stringify(s.byteRangeProblem));
    assert.equal(s.cms?.indication, 'TOTAL-PASSED', s.cms?.message);
    assert.ok(s.timestamp?.imprintMatches && s.timestamp.tokenIntact, 'a valid signature time-stamp');
    const [row] = await db.query<{ doc_number: string; urgency: string; classification: string; level: string }>('SELECT doc_number, urgency, classification, level FROM signer_signatures WHERE id = $1', { bind: [Number(res.headers.get('x-govmail-signature-id'))], type: QueryTypes.SELECT });
    assert.deepEqual(row, { doc_number: '05/2026/QĐ-STP', urgency: 'hoa-toc', classification: 'none', level: 'B-T' });
  });

  it('signs a message as S/MIME (JSON): openssl smime -verify accepts it and the document headers ride outside the signature', async () => {
    const message = 'From: huong.stp@bacninh.gov.vn\r\nTo: vanthu@snv.bacninh.gov.vn\r\nSubject: =?UTF-8?B?Q8O0bmcgdsSDbg==?=\r\nX-GovMail-Classification: toi-mat\r\nX-GovMail-Urgency: khan\r\n\r\nKính gửi Văn thư,\r\nĐề nghị tiếp nhận công văn.\r\n';
    const res = await post('/api/sign/smime', tokens.stp, { serial, pin: PIN, message, number: '7/STP-VP', urgency: 'thuong-khan' });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(res.headers.get('content-type'), 'message/rfc822');
    const signed = await res.text();
    writeFileSync(f('smime.eml'), signed);
    const v = spawnSync('openssl', ['smime', '-verify', '-in', f('smime.eml'), '-CAfile', f('chain.pem'), '-purpose', 'smimesign'], { encoding: 'utf8' });
    assert.equal(v.status, 0, v.stderr);
    assert.match(v.stderr, /Verification successful/);
    assert.ok(v.stdout.includes(Buffer.from('Kính gửi Văn thư,\r\n').toString('base64').slice(0, 24)), v.stdout);
    // The request's fields win; what it leaves out comes from the message's own headers; each header once.
    assert.deepEqual(documentMetadataFromHeaders(signed), { number: '7/STP-VP', urgency: 'thuong-khan', classification: 'toi-mat' });
    assert.equal(signed.match(/^X-GovMail-Urgency:/gim)?.length, 1);
    assert.match(signed, /^From: huong\.stp@bacninh\.gov\.vn\r\n/);
    assert.match(signed, /^Content-Type: multipart\/signed; protocol="application\/pkcs7-signature";/m);
    const [row] = await db.query<{ kind: string; classification: string; output_sha256: string }>(`SELECT kind, classification, output_sha256 FROM signer_signatures WHERE kind = 'smime'`, { type: QueryTypes.SELECT });
    assert.deepEqual(row, { kind: 'smime', classification: 'toi-mat', output_sha256: createHash('sha256').update(signed).digest('hex') });
  });

  it('signs S/MIME from a multipart upload too', async () => {
    const message = Buffer.from('From: huong.stp@bacninh.gov.vn\r\nTo: a@b.gov.vn\r\nSubject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nNội dung.\r\n');
    const res = await post('/api/sign/smime', tokens.stp, form({ serial, pin: PIN }, { name: 'message', data: message, filename: 'thu.eml', type: 'message/rfc822' }));
    assert.equal(res.status, 200, await res.clone().text());
    writeFileSync(f('smime2.eml'), Buffer.from(await res.arrayBuffer()));
    const v = spawnSync('openssl', ['smime', '-verify', '-in', f('smime2.eml'), '-CAfile', f('chain.pem'), '-purpose', 'smimesign'], { encoding: 'utf8' });
    assert.equal(v.status, 0, v.stderr);
  });

  it('refuses a token without the sign scope, a token of another agency, no token — without touching the PIN counter', async () => {
    const noScope = await post('/api/sign/pdf', tokens.noScope, signPdfForm({ pin: '000000' }));
    assert.equal(noScope.status, 403);
    assert.match((await noScope.json()).error.message, /lacks the "sign" scope/);
    const other = await post('/api/sign/pdf', tokens.other, signPdfForm({ pin: '000000' }));
    assert.equal(other.status, 403);
    const body = await other.json();
    assert.equal(body.error.code, 'FORBIDDEN');
    assert.match(body.error.message, /outside this token's agency/);
    assert.match(body.error.messageVi, /không thuộc cơ quan của mã truy cập này/);
    const none = await post('/api/sign/pdf', undefined, signPdfForm());
    assert.equal(none.status, 401);
    const forged = await post('/api/sign/pdf', `${tokens.stp.slice(0, -4)}AAAA`, signPdfForm());
    assert.equal(forged.status, 401);
    assert.equal(await failures(serial), 0, 'no PIN attempt was spent');
  });

  it('names a wrong metadata field before the PIN is tried', async () => {
    const res = await post('/api/sign/pdf', tokens.stp, signPdfForm({ classification: 'bí mật', pin: '000000' }));
    assert.equal(res.status, 400);
    const { error } = await res.json();
    assert.equal(error.field, 'classification');
    assert.match(error.message, /classification: expected one of none, mat, toi-mat, tuyet-mat/);
    assert.match(error.messageVi, /độ mật/);
    const level = await post('/api/sign/pdf', tokens.stp, signPdfForm({ level: 'B-LTA', pin: '000000' }));
    assert.equal((await level.json()).error.field, 'level');
    const notPdf = await post('/api/sign/pdf', tokens.stp, form({ serial, pin: '000000' }, { data: new TextEncoder().encode('hello'), filename: 'x.pdf' }));
    assert.equal(notPdf.status, 400);
    assert.equal((await notPdf.json()).error.field, 'file');
    assert.equal(await failures(serial), 0);
  });

  it('counts wrong PINs: 403 naming the attempts left, the fifth locks the key until HH:MM, then even the right PIN waits', async () => {
    for (let i = 1; i <= 4; i++) {
      const res = await post('/api/sign/pdf', tokens.stp, signPdfForm({ pin: '135790' }, lockSerial));
      assert.equal(res.status, 403);
      const { error } = await res.json();
      assert.equal(error.code, 'PIN_WRONG');
      assert.equal(error.attemptsLeft, 5 - i);
      assert.match(error.message, new RegExp(`wrong PIN: ${5 - i} attempts? left`));
      assert.match(error.messageVi, new RegExp(`sai mã PIN: còn ${5 - i} lần thử`));
    }
    const fifth = await post('/api/sign/pdf', tokens.stp, signPdfForm({ pin: '135790' }, lockSerial));
    assert.equal(fifth.status, 403);
    const e5 = (await fifth.json()).error;
    assert.equal(e5.attemptsLeft, 0);
    const hhmm = new Date(new Date(e5.lockedUntil).getTime() + 7 * 3_600_000).toISOString().slice(11, 16);
    assert.match(e5.message, new RegExp(`locked until ${hhmm} \\(Vietnam time\\)`));
    const locked = await post('/api/sign/pdf', tokens.stp, signPdfForm({}, lockSerial));
    assert.equal(locked.status, 429);
    assert.ok(Number(locked.headers.get('retry-after')) > 800);
    const el = (await locked.json()).error;
    assert.equal(el.code, 'PIN_LOCKED');
    assert.match(el.message, new RegExp(`locked after 5 wrong PINs until ${hhmm}`));
    assert.match(el.messageVi, new RegExp(`đến ${hhmm} \\(giờ Việt Nam\\)`));
    // The other certificate of the same holder is not affected.
    assert.equal((await post('/api/sign/pdf', tokens.stp, signPdfForm())).status, 200);
  });

  it('signPdfWithServerKey (for the webmail) refuses someone who is not the holder before the PIN, and a revoked certificate', async () => {
    await assert.rejects(
      signPdfWithServerKey(db, kek, { serial, pin: '000000', pdf, holder: 'khac@bacninh.gov.vn', metadata: {} }),
      (e: any) => e.code === 'NOT_HOLDER' && e.status === 403 && /is not the holder/.test(e.message),
    );
    assert.equal(await failures(serial), 0);
    const r = await signPdfWithServerKey(db, kek, { serial, pin: PIN, pdf, holder: HOLDER.toUpperCase(), metadata: { number: '9/STP' } });
    assert.equal(r.signature.sha256.length, 64);
    assert.deepEqual(r.headers, { 'X-GovMail-Doc-Number': '9/STP', 'X-GovMail-Urgency': 'thuong', 'X-GovMail-Classification': 'none' });
    await revokeCertificate(db, kek, serial, 'affiliationChanged', 'test');
    const res = await post('/api/sign/pdf', tokens.stp, signPdfForm());
    assert.equal(res.status, 403);
    assert.match((await res.json()).error.message, /revoked and cannot sign/);
  });

  it('counts signatures per holder and kind for the usage report', async () => {
    const counts = await signatureCounts(db, new Date(Date.now() - 3_600_000), new Date(Date.now() + 60_000));
    assert.deepEqual(counts, [{ mailbox: HOLDER, kind: 'pdf', signatures: 4 }, { mailbox: HOLDER, kind: 'smime', signatures: 2 }]);
    assert.deepEqual(await signatureCounts(db, new Date(Date.now() + 60_000), new Date(Date.now() + 120_000)), []);
  });

  describe('visible stamps (stamp, stampPage, stampBox, copyType)', () => {
    const CLERK = 'vanthu.stp@bacninh.gov.vn';
    let person: string;
    let org: string;
    const text = (file: string, page: number) => execFileSync('pdftotext', ['-f', String(page), '-l', String(page), file, '-'], { encoding: 'utf8' });

    before(async () => {
      person = await issue('027190005555');
      const stp = (await db.query<{ id: number }>("SELECT id FROM agencies WHERE code = 'STP'", { type: QueryTypes.SELECT }))[0]!;
      await addMailbox(db, { address: CLERK, displayName: 'Văn thư Sở Tư pháp', agencyId: stp.id, kind: 'functional' }, { defaultQuota: '1G' });
      const profile = getProfile('organisation');
      const subject = parseSubject({ commonName: 'Sở Tư pháp tỉnh Bắc Ninh', organization: 'UBND tỉnh Bắc Ninh', email: CLERK, mns: '1234567' }, profile);
      org = (await issueCertificate(db, kek, { profile, subject, key: { kind: 'server', pin: PIN, algorithm: 'p-256' }, pkiUrl, actor: 'test' })).serial;
      // The holder's own signature picture, put in DATA by an administrator; never part of a request.
      await saveStampImage(dir, 'signature', HOLDER, new Uint8Array(readFileSync('certs/stamps/mau-chu-ky.png')));
    });

    it('checks the stamp fields first, naming the field in Vietnamese and English, before the token and the PIN', async () => {
      const cases: Array<[Record<string, string>, string]> = [
        [{ stamp: 'chu-ky' }, 'stamp'],
        [{ stamp: 'person', stampPage: '0' }, 'stampPage'],
        [{ stamp: 'person', stampBox: '10,20,30' }, 'stampBox'],
        [{ stamp: 'person', stampBox: '-5,20' }, 'stampBox'],
        [{ stamp: 'person', copyType: 'SAO Y' }, 'copyType'],
        [{ stamp: 'copy', copyType: 'SAO Y\nX' }, 'copyType'],
        [{ stampPage: 'last' }, 'stampPage'],
      ];
      for (const [fields, field] of cases) {
        for (const token of [tokens.stp, undefined]) {
          const res = await post('/api/sign/pdf', token, signPdfForm({ pin: '000000', ...fields }, person));
          assert.equal(res.status, 400, `${JSON.stringify(fields)}: ${await res.clone().text()}`);
          const { error } = await res.json();
          assert.equal(error.field, field, JSON.stringify(fields));
          assert.match(error.messageVi, new RegExp(`^${field}: cần `));
        }
      }
      assert.equal(await failures(person), 0, 'no PIN attempt was spent');
    });

    it('a person stamp: position and name from the certificate, the picture from DATA; pdfsig valid, pdftotext gives the diacritics back', async () => {
      // Fields a caller might try for identity are not read: the words come from the certificate.
      const res = await post('/api/sign/pdf', tokens.stp, signPdfForm({ stamp: 'person', name: 'Người Khác', title: 'Giám đốc' }, person));
      assert.equal(res.status, 200, await res.clone().text());
      writeFileSync(f('person.pdf'), new Uint8Array(await res.arrayBuffer()));
      const p = await pdfsig(f('person.pdf'), nssdir);
      assert.equal(p.count, 1, p.out);
      assert.equal(p.validation, 'Signature is Valid.', p.out);
      assert.equal(p.certificate, 'Certificate is Trusted.', p.out);
      const last = text(f('person.pdf'), 3);
      assert.ok(last.includes('Chuyên viên'), last);
      assert.ok(last.includes('Nguyễn Thị Hương'), last);
      assert.ok(!last.includes('Người Khác') && !last.includes('Giám đốc'), last);
      assert.ok(!text(f('person.pdf'), 1).includes('Nguyễn Thị Hương'), 'only on the last page');
    });

    it('refuses a seal on a person\'s certificate and an organisation stamp without a stored seal (409), before the PIN', async () => {
      const wrongKind = await post('/api/sign/pdf', tokens.stp, signPdfForm({ stamp: 'organisation', pin: '000000' }, person));
      assert.equal(wrongKind.status, 400);
      const e1 = (await wrongKind.json()).error;
      assert.equal(e1.code, 'STAMP_NOT_FOR_CERTIFICATE');
      assert.match(e1.messageVi, /cơ quan \(con dấu\)/);
      const noSeal = await post('/api/sign/pdf', tokens.stp, form({ serial: org, pin: '000000', stamp: 'organisation' }, { data: readFileSync(f('person.pdf')), filename: 'person.pdf' }));
      assert.equal(noSeal.status, 409);
      const e2 = (await noSeal.json()).error;
      assert.equal(e2.code, 'STAMP_IMAGE_MISSING');
      assert.match(e2.message, /govmail stamp-image set SEAL\.png --agency STP/);
      assert.match(e2.messageVi, /chưa có ảnh con dấu của cơ quan STP/);
      assert.equal(await failures(person), 0);
      assert.equal(await failures(org), 0);
    });

    it('the organisation seal of the holder\'s agency over the leader\'s signature: both signatures valid for pdfsig', async () => {
      await saveStampImage(dir, 'seal', 'STP', new Uint8Array(readFileSync('certs/stamps/mau-con-dau.png')));
      const res = await post('/api/sign/pdf', tokens.stp, form({ serial: org, pin: PIN, stamp: 'organisation', level: 'B-T' }, { data: readFileSync(f('person.pdf')), filename: 'person.pdf' }));
      assert.equal(res.status, 200, await res.clone().text());
      writeFileSync(f('sealed.pdf'), new Uint8Array(await res.arrayBuffer()));
      const out = await new Promise<string>((resolve) => execFile('pdfsig', ['-nssdir', `sql:${nssdir}`, f('sealed.pdf')], { encoding: 'utf8' }, (_e, so) => resolve(so)));
      assert.equal(out.match(/Signature Validation: Signature is Valid\./g)?.length, 2, out);
      assert.equal(out.match(/Certificate Validation: Certificate is Trusted\./g)?.length, 2, out);
      assert.match(out, /Signer Certificate Common Name: Sở Tư pháp tỉnh Bắc Ninh/);
      const v = await verifyPdf(new Uint8Array(readFileSync(f('sealed.pdf'))), { validateChain: chainValidator(await ourTrust(db, kek)) });
      assert.deepEqual(v.signatures.map((s) => [s.intact, s.cms?.indication]), [[true, 'TOTAL-PASSED'], [true, 'TOTAL-PASSED']]);
    });

    it('a copy stamp top right of page 1 with the document number; a box and a page can be given', async () => {
      const res = await post('/api/sign/pdf', tokens.stp, signPdfForm({ stamp: 'copy' }, person));
      assert.equal(res.status, 200, await res.clone().text());
      writeFileSync(f('copy.pdf'), new Uint8Array(await res.arrayBuffer()));
      const first = text(f('copy.pdf'), 1);
      assert.ok(first.includes('123/STP-VP') && first.includes('Nguyễn Thị Hương'), first);
      assert.match(first, /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+07:00/);
      const boxed = await post('/api/sign/pdf', tokens.stp, signPdfForm({ stamp: 'copy', copyType: 'SAO Y', number: '', stampPage: '2', stampBox: '300,500' }, person));
      assert.equal(boxed.status, 200, await boxed.clone().text());
      writeFileSync(f('copy2.pdf'), new Uint8Array(await boxed.arrayBuffer()));
      assert.ok(text(f('copy2.pdf'), 2).includes('SAO Y'));
      assert.ok(!text(f('copy2.pdf'), 1).includes('SAO Y'));
      const p = await pdfsig(f('copy2.pdf'), nssdir);
      assert.equal(p.validation, 'Signature is Valid.', p.out);
    });
  });
});
