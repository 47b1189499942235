// Issue #6, done when: a leader and a clerk sign one PDF in turn, send it, and the receiving clerk sees
// both signatures valid, with stamps that look like the ones on paper; pdfsig agrees.
//
// Everything goes through the webmail API as the browser drives it (upload, send with a PIN, open the
// message), on real PostgreSQL and Dovecot, with our CA, our TSA and server-held keys; pdfsig (NSS
// trusting our root), pdftotext and pdftoppm judge the result.

import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { QueryTypes } from 'sequelize';
import { addAgency, addDomain, addMailbox } from '../../admin/index.js';
import { activeIssuingCa, caChain, getProfile, initCa, issueCertificate, parseSubject, pem, saveStampImage, toDer } from '../../signer/index.js';
import { makeLetter } from '../support/pdf-fixtures.js';
import { decodePng } from '../support/png.js';
import { Browser, startWebmailEnv, type WebmailEnv } from '../support/webmail.js';

const PW = 'mat-khau-hop-thu-2026';
const PIN_LEADER = '271828';
const PIN_CLERK = '314159';
const SNV = 'snv.thunghiem.gov.vn';
const STP = 'stp.thunghiem.gov.vn';
const LEADER = `pgd.tuan@${SNV}`;
const CLERK = `vanthu@${SNV}`;
const OTHER_CLERK = `vanthu@${STP}`;
const LEADER_NAME = 'Lê Quang Tuấn';
const LEADER_TITLE = 'Phó Giám đốc';
const AGENCY_CN = 'Sở Nội vụ tỉnh Thử nghiệm';

interface Badge {
  part: string;
  filename?: string;
  index: number;
  status: string;
  indication: string;
  signer?: { name: string; title?: string; organisation?: string; email?: string };
  signedAtSource?: string;
}

/** pdfsig asks our OCSP responder, which runs in this process: it must not block the event loop. */
function pdfsig(file: string, nssdir: string): Promise<string> {
  return new Promise((resolve) => execFile('pdfsig', ['-nssdir', `sql:${nssdir}`, file], { encoding: 'utf8' }, (_e, out, err) => resolve(out + err)));
}

/** Pixels of a colour family on a rendered page. */
function inkCount(png: Uint8Array, colour: 'blue' | 'red'): number {
  const img = decodePng(png);
  let n = 0;
  for (let i = 0; i < img.data.length; i += 4) {
    const [r, g, b] = [img.data[i]!, img.data[i + 1]!, img.data[i + 2]!];
    if (colour === 'blue' ? b > 120 && r < 100 && g < 130 && b - r > 60 : r > 150 && g < 110 && b < 110 && r - g > 60) n++;
  }
  return n;
}

describe('the signed document flow (#6): leader and clerk sign one PDF through the webmail, the other agency\'s clerk sees both valid; pdfsig agrees', function () {
  this.timeout(240_000);
  let env: WebmailEnv;
  let work: string;
  let nssdir: string;
  let leaderSerial: string;
  let clerkSerial: string;
  const users: Record<'leader' | 'clerk' | 'other', Browser> = {} as never;
  let letter: Uint8Array;
  const f = (name: string) => path.join(work, name);

  const upload = async (who: Browser, filename: string, data: Uint8Array) => {
    const boundary = '----govmail-flow';
    const payload = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/pdf\r\n\r\n`),
      Buffer.from(data),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const res = await who.request('POST', 'uploads', undefined, { headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, payload });
    assert.equal(res.statusCode, 200, res.body);
    return res.json().id as string;
  };
  const newest = async (who: Browser, folder = 'INBOX') => {
    const res = await who.get(`messages?folder=${encodeURIComponent(folder)}&pageSize=1`);
    assert.equal(res.statusCode, 200, res.body);
    return { uid: res.json().messages[0]?.uid as number, total: res.json().total as number };
  };
  const open = async (who: Browser, uid: number, folder = 'INBOX') => {
    const res = await who.get(`messages/${encodeURIComponent(folder)}/${uid}`);
    assert.equal(res.statusCode, 200, res.body);
    return res.json() as { subject: string; signatures: Badge[]; attachments: Array<{ partId: string; filename: string }> };
  };
  /** The PDF attached to a message, as the recipient's mail client would save it. */
  const attachedPdf = async (who: Browser, uid: number, folder = 'INBOX') => {
    const raw = (await who.get(`messages/${encodeURIComponent(folder)}/${uid}/raw`)).rawPayload;
    const parsed = await simpleParser(raw);
    const pdf = parsed.attachments.find((a) => a.contentType === 'application/pdf');
    assert.ok(pdf, 'a PDF attachment');
    return { filename: pdf.filename, data: new Uint8Array(pdf.content) };
  };
  const signatureRows = async () => Number((await env.db.query<{ n: string }>('SELECT count(*) AS n FROM signer_signatures', { type: QueryTypes.SELECT }))[0]!.n);

  before(async () => {
    env = await startWebmailEnv();
    work = mkdtempSync(path.join(tmpdir(), 'govmail-flow-'));
    // Our OCSP responder answers pdfsig at the URL written into the certificates.
    const pkiUrl = `http://127.0.0.1:${env.config.httpPort}/pki`;
    await env.app.listen({ host: '127.0.0.1', port: env.config.httpPort });

    await addDomain(env.db, SNV);
    await addDomain(env.db, STP);
    await addAgency(env.db, { code: 'TNG', name: 'UBND tỉnh Thử nghiệm', level: 'province' });
    const snv = await addAgency(env.db, { code: 'SNV', name: 'Sở Nội vụ', level: 'department', parentCode: 'TNG' });
    const stp = await addAgency(env.db, { code: 'STP', name: 'Sở Tư pháp', level: 'department', parentCode: 'TNG' });
    await addMailbox(env.db, { address: LEADER, displayName: LEADER_NAME, password: PW, agencyId: snv.id, position: LEADER_TITLE }, { defaultQuota: '1G' });
    await addMailbox(env.db, { address: CLERK, displayName: 'Văn thư Sở Nội vụ', password: PW, agencyId: snv.id, kind: 'functional' }, { defaultQuota: '1G' });
    await addMailbox(env.db, { address: OTHER_CLERK, displayName: 'Văn thư Sở Tư pháp', password: PW, agencyId: stp.id, kind: 'functional' }, { defaultQuota: '1G' });

    await initCa(env.db, env.kek, { organization: 'UBND tỉnh Thử nghiệm', algorithm: 'p-256', pkiUrl, actor: 'test' });
    const individual = getProfile('individual');
    leaderSerial = (await issueCertificate(env.db, env.kek, {
      profile: individual,
      subject: parseSubject({ commonName: LEADER_NAME, organization: AGENCY_CN, title: LEADER_TITLE, email: LEADER, cccd: '001080004321' }, individual),
      key: { kind: 'server', pin: PIN_LEADER, algorithm: 'p-256' }, pkiUrl, actor: 'test',
    })).serial;
    const organisation = getProfile('organisation');
    clerkSerial = (await issueCertificate(env.db, env.kek, {
      profile: organisation,
      subject: parseSubject({ commonName: AGENCY_CN, organization: 'UBND tỉnh Thử nghiệm', email: CLERK, mns: '1122334' }, organisation),
      key: { kind: 'server', pin: PIN_CLERK, algorithm: 'rsa-2048' }, pkiUrl, actor: 'test',
    })).serial;

    // The administrator stores the leader's signature picture and the agency's seal (govmail stamp-image set).
    await saveStampImage(env.dataDir, 'signature', LEADER, new Uint8Array(readFileSync('certs/stamps/mau-chu-ky.png')));
    await saveStampImage(env.dataDir, 'seal', 'SNV', new Uint8Array(readFileSync('certs/stamps/mau-con-dau.png')));

    const chain = await caChain(env.db, await activeIssuingCa(env.db));
    writeFileSync(f('root.pem'), pem('CERTIFICATE', toDer(chain.at(-1)!)));
    nssdir = f('nssdb');
    mkdirSync(nssdir);
    execFileSync('certutil', ['-N', '-d', `sql:${nssdir}`, '--empty-password'], { stdio: 'pipe' });
    execFileSync('certutil', ['-A', '-d', `sql:${nssdir}`, '-n', 'govmail-root', '-t', 'CT,C,C', '-i', f('root.pem')], { stdio: 'pipe' });

    letter = await makeLetter({ agency: 'SỞ NỘI VỤ TỈNH THỬ NGHIỆM' });
    users.leader = new Browser(env.app, '10.77.0.1');
    users.clerk = new Browser(env.app, '10.77.0.2');
    users.other = new Browser(env.app, '10.77.0.3');
    assert.equal((await users.leader.login(LEADER, PW)).statusCode, 200);
    assert.equal((await users.clerk.login(CLERK, PW)).statusCode, 200);
    assert.equal((await users.other.login(OTHER_CLERK, PW)).statusCode, 200);
  });

  after(async () => {
    await env?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('/certificates tells the compose form which stamps fit: the leader\'s is individual, the clerk\'s organisation', async () => {
    const mine = (await users.leader.get('certificates')).json();
    assert.deepEqual(mine.map((c: { serial: string; profile: string }) => [c.serial, c.profile]), [[leaderSerial, 'individual']]);
    const clerks = (await users.clerk.get('certificates')).json();
    assert.deepEqual(clerks.map((c: { serial: string; profile: string }) => [c.serial, c.profile]), [[clerkSerial, 'organisation']]);
  });

  it('a wrong PIN sends nothing and names the attempts left; a bad choice is refused before the PIN', async () => {
    const id = await upload(users.leader, 'cong-van-456.pdf', letter);
    const rows = await signatureRows();
    const before = (await newest(users.clerk)).total;
    const wrong = await users.leader.post('send', {
      from: LEADER, to: [CLERK], subject: 'Sai PIN', text: 'x', attachments: [id],
      sign: { serial: leaderSerial, pin: '000000', message: false, attachments: [{ id, stamp: 'person' }] },
    });
    assert.equal(wrong.statusCode, 403, wrong.body);
    assert.equal(wrong.json().error.code, 'PIN_WRONG');
    assert.equal(wrong.json().error.attemptsLeft, 4);
    assert.match(wrong.json().error.vi, /sai mã PIN: còn 4 lần thử/);
    assert.equal((await newest(users.clerk)).total, before, 'nothing delivered');
    assert.equal(await signatureRows(), rows, 'nothing signed');

    // A seal with a person's certificate, a stamp kind that does not exist, an id not attached: 400, no PIN spent.
    const bad = [
      [{ id, stamp: 'organisation' }, 'STAMP_NOT_FOR_CERTIFICATE'],
      [{ id, stamp: 'con-dau' }, 'INVALID_INPUT'],
      [{ id: '00000000-0000-0000-0000-000000000000', stamp: 'person' }, 'INVALID_INPUT'],
    ] as const;
    for (const [choice, code] of bad) {
      const res = await users.leader.post('send', { from: LEADER, to: [CLERK], subject: 'x', text: 'x', attachments: [id], sign: { serial: leaderSerial, pin: '000000', message: false, attachments: [choice] } });
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json().error.code, code, res.body);
    }
    const failures = await env.db.query<{ failures: number }>('SELECT failures FROM signer_pin_failures WHERE serial = $1', { bind: [leaderSerial], type: QueryTypes.SELECT });
    assert.equal(failures[0]?.failures, 1, 'only the wrong PIN counted');
  });

  let leaderSigned: Uint8Array;

  it('the leader signs the letter with a person stamp and sends it to the clerk of the same agency', async () => {
    const id = await upload(users.leader, 'Công văn 456.pdf', letter);
    const res = await users.leader.post('send', {
      from: LEADER, to: [CLERK], subject: 'Trình ban hành công văn 456', text: 'Đề nghị Văn thư đóng dấu, phát hành.', attachments: [id],
      sign: { serial: leaderSerial, pin: PIN_LEADER, message: false, attachments: [{ id, stamp: 'person' }] },
    });
    assert.equal(res.statusCode, 200, res.body);
    const { uid } = await newest(users.clerk);
    const msg = await open(users.clerk, uid);
    assert.equal(msg.signatures.length, 1, JSON.stringify(msg.signatures));
    assert.equal(msg.signatures[0]!.status, 'valid', JSON.stringify(msg.signatures[0]));
    assert.equal(msg.signatures[0]!.filename, 'Công văn 456.pdf');
    const got = await attachedPdf(users.clerk, uid);
    assert.equal(got.filename, 'Công văn 456.pdf', 'the signed PDF keeps its name');
    assert.deepEqual(got.data.subarray(0, letter.length), letter, 'an incremental update of the letter');
    leaderSigned = got.data;
    // The leader's Sent holds the signed PDF as well.
    const sent = await attachedPdf(users.leader, (await newest(users.leader, 'Sent')).uid, 'Sent');
    assert.deepEqual(sent.data, leaderSigned);
  });

  let finalUid = 0;

  it('the clerk seals it with the organisation stamp (B-T, our TSA) and sends it to the clerk of another agency', async () => {
    const id = await upload(users.clerk, 'Công văn 456.pdf', leaderSigned);
    const res = await users.clerk.post('send', {
      from: CLERK, to: [OTHER_CLERK], subject: 'Công văn 456/SNV-VP', text: 'Sở Nội vụ gửi công văn số 456/SNV-VP.', attachments: [id],
      sign: { serial: clerkSerial, pin: PIN_CLERK, message: false, attachments: [{ id, stamp: 'organisation' }] },
    });
    assert.equal(res.statusCode, 200, res.body);
    finalUid = (await newest(users.other)).uid;
    const [row] = await env.db.query<{ level: string; agency_code: string; holder: string }>('SELECT level, agency_code, holder FROM signer_signatures WHERE serial = $1', { bind: [clerkSerial], type: QueryTypes.SELECT });
    assert.deepEqual(row, { level: 'B-T', agency_code: 'SNV', holder: CLERK });
  });

  it('the receiving clerk sees two valid signatures on the PDF (TOTAL-PASSED), the leader\'s and the agency\'s', async () => {
    const msg = await open(users.other, finalUid);
    assert.equal(msg.subject, 'Công văn 456/SNV-VP');
    assert.equal(msg.signatures.length, 2, JSON.stringify(msg.signatures));
    const part = msg.attachments.find((a) => a.filename === 'Công văn 456.pdf')!.partId;
    const [leader, agency] = msg.signatures;
    for (const s of [leader!, agency!]) {
      assert.equal(s.part, part);
      assert.equal(s.status, 'valid', JSON.stringify(s));
      assert.equal(s.indication, 'TOTAL-PASSED', JSON.stringify(s));
    }
    assert.deepEqual([leader!.index, agency!.index], [1, 2]);
    assert.equal(leader!.signer?.name, LEADER_NAME);
    assert.equal(leader!.signer?.title, LEADER_TITLE);
    assert.equal(agency!.signer?.name, AGENCY_CN);
    assert.equal(agency!.signedAtSource, 'timestamp', 'the clerk\'s signature is time-stamped');
  });

  it('pdfsig (NSS trusting our root) says both signatures are valid and trusted; pdftotext and pdftoppm show the stamps on page 2', async () => {
    const { data } = await attachedPdf(users.other, finalUid);
    writeFileSync(f('received.pdf'), data);
    const out = await pdfsig(f('received.pdf'), nssdir);
    assert.equal(out.match(/^Signature #\d+:/gm)?.length, 2, out);
    assert.equal(out.match(/Signature Validation: Signature is Valid\./g)?.length, 2, out);
    assert.equal(out.match(/Certificate Validation: Certificate is Trusted\./g)?.length, 2, out);
    assert.match(out, new RegExp(`Signer Certificate Common Name: ${LEADER_NAME}`));
    assert.match(out, new RegExp(`Signer Certificate Common Name: ${AGENCY_CN}`));
    assert.match(out, /- Not total document signed[\s\S]*- Total document signed/, 'the leader\'s signature covers its revision, the clerk\'s the whole file');

    const page2 = execFileSync('pdftotext', ['-f', '2', '-l', '2', f('received.pdf'), '-'], { encoding: 'utf8' });
    assert.ok(page2.includes(LEADER_TITLE), page2);
    assert.ok(page2.includes(LEADER_NAME), page2);
    assert.ok(!execFileSync('pdftotext', ['-f', '1', '-l', '1', f('received.pdf'), '-'], { encoding: 'utf8' }).includes(LEADER_NAME));

    // As on paper: the blue signature between position and name, the red seal over part of it.
    writeFileSync(f('letter.pdf'), letter);
    execFileSync('pdftoppm', ['-r', '72', '-png', '-f', '2', '-l', '2', '-singlefile', f('letter.pdf'), f('before')]);
    execFileSync('pdftoppm', ['-r', '72', '-png', '-f', '2', '-l', '2', '-singlefile', f('received.pdf'), f('after')]);
    const before = readFileSync(f('before.png'));
    const after = readFileSync(f('after.png'));
    assert.equal(inkCount(before, 'blue') + inkCount(before, 'red'), 0, 'the letter itself is black on white');
    assert.ok(inkCount(after, 'blue') > 100, `blue signature ink: ${inkCount(after, 'blue')}`);
    assert.ok(inkCount(after, 'red') > 500, `red seal ink: ${inkCount(after, 'red')}`);
  });

  it('signs the message (S/MIME) and an attached PDF with one PIN: the recipient sees both badges valid', async () => {
    const id = await upload(users.leader, 'phu-luc.pdf', letter);
    const res = await users.leader.post('send', {
      from: LEADER, to: [OTHER_CLERK], subject: 'Thư và phụ lục ký số', text: 'Gửi kèm phụ lục.', attachments: [id],
      sign: { serial: leaderSerial, pin: PIN_LEADER, attachments: [{ id, stamp: 'none' }] },
    });
    assert.equal(res.statusCode, 200, res.body);
    const msg = await open(users.other, (await newest(users.other)).uid);
    assert.deepEqual(msg.signatures.map((s) => [s.part === 'message' ? 'message' : s.filename, s.status, s.signer?.name]), [
      ['message', 'valid', LEADER_NAME],
      ['phu-luc.pdf', 'valid', LEADER_NAME],
    ]);
  });
});
