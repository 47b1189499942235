import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { QueryTypes } from 'sequelize';
import { startWebmailEnv, Browser, rawMessage, messageWithPdf, type WebmailEnv } from '../support/webmail.js';
import { addAgency, addDomain, addMailbox, getAgency } from '../../admin/index.js';
import { activeIssuingCa, caChain, getProfile, initCa, issueCertificate, parseSubject, pem, signPdfWithServerKey, toDer } from '../../signer/index.js';
import { makeTestPdf } from '../support/pdf-fixtures.js';
import { SignatureChecker } from '../../webmail/server/signatures.js';

const PW = 'mat-khau-hop-thu-2026';
const PIN = '135792';
const D = 'sonv.test.gov.vn';
const A = `phamvand@${D}`;
const B = `hoangthie@${D}`;

interface Badge {
  part: string;
  filename?: string;
  index: number;
  status: 'valid' | 'invalid' | 'indeterminate' | 'not-checked';
  indication: string;
  subIndication?: string;
  signer?: { name: string; title?: string; organisation?: string };
  signedAt?: string;
  certificateStatus?: string;
  vi: string;
  en: string;
}

/** A message with one PDF attachment per entry, as a desktop client would send it. */
function withPdfs(o: { from: string; to: string; subject: string; pdfs: Array<{ name: string; data: Uint8Array }> }): Buffer {
  const lines = [
    `From: ${o.from}`,
    `To: ${o.to}`,
    `Subject: ${o.subject}`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: <${Math.random().toString(36).slice(2)}@test.gov.vn>`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="ranh-gioi"',
    '',
    '--ranh-gioi',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Gửi kèm văn bản đã ký số.',
  ];
  for (const p of o.pdfs) {
    lines.push('--ranh-gioi', `Content-Type: application/pdf; name="${p.name}"`, `Content-Disposition: attachment; filename="${p.name}"`, 'Content-Transfer-Encoding: base64', '');
    lines.push(...(Buffer.from(p.data).toString('base64').match(/.{1,76}/g) ?? []));
  }
  lines.push('--ranh-gioi--', '');
  return Buffer.from(lines.join('\r\n'));
}

describe('webmail signatures — badges on incoming mail, signing in compose (real PostgreSQL, Dovecot, our CA; openssl judges)', function () {
  this.timeout(180_000);
  let env: WebmailEnv;
  let a: Browser;
  let b: Browser;
  let serial: string;
  let work: string;
  let chainFile: string;

  const deliver = async (to: string, raw: Buffer) => {
    const res = await env.lmtp.deliver({ from: 'congvan@bo-ngoai.vn', to: [to], raw });
    assert.ok(res.every((r) => r.accepted), JSON.stringify(res));
  };
  /** The newest message of a folder: its uid. */
  const newest = async (who: Browser, folder = 'INBOX') => {
    const res = await who.get(`messages?folder=${encodeURIComponent(folder)}&pageSize=1`);
    assert.equal(res.statusCode, 200, res.body);
    return { uid: res.json().messages[0]?.uid as number, total: res.json().total as number };
  };
  const open = async (who: Browser, uid: number, folder = 'INBOX') => {
    const res = await who.get(`messages/${encodeURIComponent(folder)}/${uid}`);
    assert.equal(res.statusCode, 200, res.body);
    return res.json() as { signatures: Badge[]; subject: string; attachments: Array<{ partId: string; filename: string }> };
  };
  const signatureRows = async () => Number((await env.db.query<{ n: string }>('SELECT count(*) AS n FROM signer_signatures', { type: QueryTypes.SELECT }))[0]!.n);

  before(async () => {
    env = await startWebmailEnv();
    work = mkdtempSync(path.join(tmpdir(), 'govmail-wm-sig-'));
    await addDomain(env.db, D);
    await addAgency(env.db, { code: 'T', name: 'UBND tỉnh', level: 'province' });
    const agency = await addAgency(env.db, { code: 'SNV', name: 'Sở Nội vụ', level: 'department', parentCode: 'T' });
    const agencyId = (await getAgency(env.db, agency.code))!.id;
    await addMailbox(env.db, { address: A, displayName: 'Phạm Văn D', password: PW, agencyId, position: 'Trưởng phòng' }, { defaultQuota: '1G' });
    await addMailbox(env.db, { address: B, displayName: 'Hoàng Thị E', password: PW, agencyId }, { defaultQuota: '1G' });
    const pkiUrl = 'http://127.0.0.1:9/pki';
    await initCa(env.db, env.kek, { organization: 'UBND tỉnh Thử nghiệm', algorithm: 'p-256', pkiUrl, actor: 'test' });
    const profile = getProfile('individual');
    const subject = parseSubject({ commonName: 'Phạm Văn D', organization: 'Sở Nội vụ tỉnh Thử nghiệm', title: 'Trưởng phòng', email: A, cccd: '001085001234' }, profile);
    serial = (await issueCertificate(env.db, env.kek, { profile, subject, key: { kind: 'server', pin: PIN, algorithm: 'p-256' }, pkiUrl, actor: 'test' })).serial;
    const chain = await caChain(env.db, await activeIssuingCa(env.db));
    chainFile = path.join(work, 'chain.pem');
    writeFileSync(chainFile, chain.map((c) => pem('CERTIFICATE', toDer(c))).join(''));

    a = new Browser(env.app, '10.88.0.1');
    b = new Browser(env.app, '10.88.0.2');
    assert.equal((await a.login(A, PW)).statusCode, 200);
    assert.equal((await b.login(B, PW)).statusCode, 200);
  });

  after(async () => {
    await env?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('lists only the logged-in user\'s own server-held certificates at /certificates', async () => {
    const mine = await a.get('certificates');
    assert.equal(mine.statusCode, 200, mine.body);
    assert.deepEqual(mine.json().map((c: { serial: string; commonName: string }) => [c.serial, c.commonName]), [[serial, 'Phạm Văn D']]);
    assert.ok(new Date(mine.json()[0].notAfter).getTime() > Date.now());
    const theirs = await b.get('certificates');
    assert.equal(theirs.statusCode, 200);
    assert.deepEqual(theirs.json(), []);
  });

  it('refuses a wrong PIN with 403 and the attempts left, and sends nothing', async () => {
    const before = (await newest(b)).total;
    const sentBefore = (await newest(a, 'Sent')).total;
    const rows = await signatureRows();
    const res = await a.post('send', { from: A, to: [B], subject: 'Sai PIN', text: 'không được gửi', sign: { serial, pin: '000000' } });
    assert.equal(res.statusCode, 403, res.body);
    assert.equal(res.json().error.code, 'PIN_WRONG');
    assert.equal(res.json().error.attemptsLeft, 4);
    assert.match(res.json().error.vi, /sai mã PIN/);
    assert.equal((await newest(b)).total, before, 'nothing delivered');
    assert.equal((await newest(a, 'Sent')).total, sentBefore, 'nothing in Sent');
    assert.equal(await signatureRows(), rows, 'no signature recorded');
    // Someone else's certificate cannot be used, whatever the PIN.
    const other = await b.post('send', { from: B, to: [A], subject: 'x', text: 'x', sign: { serial, pin: PIN } });
    assert.equal(other.statusCode, 403, other.body);
    assert.equal(other.json().error.code, 'NOT_HOLDER');
  });

  let signedUid = 0;
  let signedRaw = '';

  it('sends a message signed as S/MIME: the recipient sees a valid badge with the signer, openssl verifies it, Sent holds the signed copy', async () => {
    const res = await a.post('send', { from: A, to: [B], bcc: [A], subject: 'Công văn đã ký số', text: 'Kinh gui chi E,\nSO-TIEN-100 trieu dong.', html: '<p>Kính gửi chị E,</p><p>SO-TIEN-100 triệu đồng.</p>', sign: { serial, pin: PIN } });
    assert.equal(res.statusCode, 200, res.body);
    signedUid = (await newest(b)).uid;
    const msg = await open(b, signedUid);
    assert.equal(msg.subject, 'Công văn đã ký số');
    assert.equal(msg.signatures.length, 1, JSON.stringify(msg.signatures));
    const s = msg.signatures[0]!;
    assert.equal(s.part, 'message');
    assert.equal(s.status, 'valid', JSON.stringify(s));
    assert.equal(s.indication, 'TOTAL-PASSED');
    assert.deepEqual(s.signer, { name: 'Phạm Văn D', title: 'Trưởng phòng', organisation: 'Sở Nội vụ tỉnh Thử nghiệm', email: A });
    assert.ok(s.signedAt && Math.abs(new Date(s.signedAt).getTime() - Date.now()) < 120_000);
    assert.equal(s.certificateStatus, 'good');

    signedRaw = (await b.get(`messages/INBOX/${signedUid}/raw`)).body;
    assert.match(signedRaw, /^Content-Type: multipart\/signed;/im);
    const file = path.join(work, 'signed.eml');
    writeFileSync(file, signedRaw);
    const noverify = spawnSync('openssl', ['smime', '-verify', '-noverify', '-in', file, '-out', '/dev/null'], { encoding: 'utf8' });
    assert.equal(noverify.status, 0, noverify.stderr);
    const full = spawnSync('openssl', ['smime', '-verify', '-CAfile', chainFile, '-purpose', 'any', '-in', file, '-out', '/dev/null'], { encoding: 'utf8' });
    assert.equal(full.status, 0, full.stderr);

    const sent = await newest(a, 'Sent');
    const copy = (await a.get(`messages/Sent/${sent.uid}/raw`)).body;
    assert.match(copy, /^Content-Type: multipart\/signed;/im, 'the copy in Sent is the signed message');
    assert.match(copy, new RegExp(`^Bcc: ${A.replace(/\./g, '\\.')}`, 'im'), 'and shows the Bcc');
    assert.equal((await open(a, sent.uid, 'Sent')).signatures[0]?.status, 'valid', 'Bcc in the outer header leaves the signature intact');
  });

  it('serves the full report for a badge as HTML (Vietnamese), JSON and PDF; an unknown part is 404', async () => {
    const html = await b.get(`messages/INBOX/${signedUid}/signatures/message/report`);
    assert.equal(html.statusCode, 200, html.body);
    assert.match(html.headers['content-type'] as string, /^text\/html/);
    assert.match(html.body, /<html lang="vi">/);
    assert.match(html.body, /Hợp lệ/);
    assert.match(html.body, /Phạm Văn D/);
    assert.doesNotMatch(html.headers['content-security-policy'] as string, /script-src|unsafe-eval/);
    assert.match(html.headers['content-security-policy'] as string, /default-src 'none'/);
    const en = await b.get(`messages/INBOX/${signedUid}/signatures/message/report?lang=en`);
    assert.match(en.body, /<html lang="en">/);
    const json = await b.get(`messages/INBOX/${signedUid}/signatures/message/report?format=json`);
    assert.equal(json.statusCode, 200);
    assert.equal(JSON.parse(json.body).overall, 'TOTAL-PASSED');
    const pdf = await b.get(`messages/INBOX/${signedUid}/signatures/message/report?format=pdf`);
    assert.equal(pdf.statusCode, 200);
    assert.equal(pdf.rawPayload.subarray(0, 5).toString(), '%PDF-');
    assert.equal((await b.get(`messages/INBOX/${signedUid}/signatures/2/report`)).statusCode, 404);
    assert.equal((await b.get(`messages/INBOX/${signedUid}/signatures/..%2F/report`)).statusCode, 400);
    // Without a session, nothing.
    assert.equal((await new Browser(env.app, '10.88.0.9').get(`messages/INBOX/${signedUid}/signatures/message/report`)).statusCode, 401);
  });

  it('marks a tampered copy invalid (HASH_FAILURE), never valid', async () => {
    assert.match(signedRaw, /SO-TIEN-100/);
    const tampered = signedRaw.replace(/SO-TIEN-100/g, 'SO-TIEN-900').replace(/^Message-ID:.*$/im, 'Message-ID: <sua-doi@bo-ngoai.vn>');
    await deliver(B, Buffer.from(tampered, 'latin1'));
    const { uid } = await newest(b);
    const msg = await open(b, uid);
    assert.equal(msg.signatures.length, 1, JSON.stringify(msg.signatures));
    assert.equal(msg.signatures[0]!.status, 'invalid', JSON.stringify(msg.signatures[0]));
    assert.equal(msg.signatures[0]!.subIndication, 'HASH_FAILURE');
    assert.match(msg.signatures[0]!.vi, /thay đổi/);
  });

  it('gives an unsigned message, and an unsigned PDF attachment, no badge at all', async () => {
    await deliver(B, rawMessage({ from: 'congvan@bo-ngoai.vn', to: B, subject: 'Không ký' }));
    assert.deepEqual((await open(b, (await newest(b)).uid)).signatures, []);
    await deliver(B, messageWithPdf({ from: 'congvan@bo-ngoai.vn', to: B, subject: 'PDF không ký' }));
    assert.deepEqual((await open(b, (await newest(b)).uid)).signatures, []);
  });

  it('checks a signed PDF attachment: valid with the signer; more than five signed PDFs leave the rest not-checked', async () => {
    const signed = (await signPdfWithServerKey(env.db, env.kek, { pdf: await makeTestPdf({ pages: 1 }), serial, pin: PIN, holder: A })).pdf;
    await deliver(B, withPdfs({ from: A, to: B, subject: 'Văn bản ký số', pdfs: [{ name: 'quyet-dinh.pdf', data: signed }] }));
    const msg = await open(b, (await newest(b)).uid);
    assert.equal(msg.signatures.length, 1, JSON.stringify(msg.signatures));
    const s = msg.signatures[0]!;
    assert.equal(s.part, msg.attachments.find((x) => x.filename === 'quyet-dinh.pdf')!.partId);
    assert.equal(s.filename, 'quyet-dinh.pdf');
    assert.equal(s.status, 'valid', JSON.stringify(s));
    assert.equal(s.signer?.name, 'Phạm Văn D');
    const report = await b.get(`messages/INBOX/${(await newest(b)).uid}/signatures/${s.part}/report?format=json`);
    assert.equal(report.statusCode, 200);
    assert.equal(JSON.parse(report.body).fileType, 'pdf');

    // A changed byte inside the signed range of the PDF: invalid.
    const broken = Buffer.from(signed);
    const at = broken.indexOf('/Title');
    assert.ok(at > 0);
    broken[at + 1] = 'X'.charCodeAt(0);
    await deliver(B, withPdfs({ from: A, to: B, subject: 'PDF bị sửa', pdfs: [{ name: 'bi-sua.pdf', data: broken }] }));
    const bad = (await open(b, (await newest(b)).uid)).signatures;
    assert.equal(bad.length, 1, JSON.stringify(bad));
    assert.notEqual(bad[0]!.status, 'valid');
    assert.equal(bad[0]!.status, 'invalid', JSON.stringify(bad[0]));

    await deliver(B, withPdfs({ from: A, to: B, subject: 'Sáu tệp', pdfs: [1, 2, 3, 4, 5, 6].map((i) => ({ name: `tep-${i}.pdf`, data: signed })) }));
    const six = (await open(b, (await newest(b)).uid)).signatures;
    assert.equal(six.length, 6, JSON.stringify(six));
    assert.deepEqual(six.map((x) => x.status), ['valid', 'valid', 'valid', 'valid', 'valid', 'not-checked']);
    assert.equal(six[5]!.filename, 'tep-6.pdf');
  });

  it('validates at most maxConcurrent at once server-wide: beyond the queue a badge is not-checked (not cached), the same message opened twice is checked once', async () => {
    const signed = (await signPdfWithServerKey(env.db, env.kek, { pdf: await makeTestPdf({ pages: 1 }), serial, pin: PIN, holder: A })).pdf;
    const raw = withPdfs({ from: A, to: B, subject: 'Giới hạn kiểm tra', pdfs: [{ name: 'van-ban.pdf', data: signed }] });
    const checker = new SignatureChecker({ db: env.db, kek: env.kek, maxConcurrent: 1, maxQueued: 1 });
    const key = (uid: number) => ({ mailbox: B, folder: 'INBOX', uid, uidValidity: '1' });
    const [first, same, second, third] = await Promise.all([checker.check(key(1), raw), checker.check(key(1), raw), checker.check(key(2), raw), checker.check(key(3), raw)]);
    assert.equal(same, first, 'one validation for two opens of the same message');
    // One running and one waiting: whichever of the three reached the limiter last was turned away.
    const results = [first, second, third];
    const busy = results.filter((r) => r.badges[0]!.status === 'not-checked');
    assert.equal(busy.length, 1, JSON.stringify(results.map((r) => r.badges)));
    assert.equal(results.filter((r) => r.badges[0]!.status === 'valid').length, 2);
    assert.match(busy[0]!.badges[0]!.vi, /đang kiểm tra nhiều chữ ký/);
    const again = await checker.check(key(results.indexOf(busy[0]!) + 1), raw);
    assert.equal(again.badges[0]!.status, 'valid', 'a busy answer is not cached');
  });
});
