import assert from 'node:assert/strict';
import net from 'node:net';
import nodemailer from 'nodemailer';
import { addDomain, addMailbox } from '../../admin/index.js';
import { folderMessages, imapAs } from '../support/webmail.js';
import { startSmtpEnv, type SmtpEnv } from '../support/mailenv.js';
import { eicar, fakeExecutable, GTUBE, PDF, zipOf } from '../support/scanner.js';
import { freePort } from '../support/postgres.js';

const D = 'sotp.test.gov.vn';
const STRICT = 'nghiemngat.test.gov.vn';
const TO = `vanthu@${D}`;
const STRICT_TO = `vanthu@${STRICT}`;
const PASSWORD = 'mat-khau-van-thu-2026';

/**
 * The MX with the embedded rspamd and clamd (started by the launcher `govmail start` uses) into a real
 * Dovecot: rspamd and ClamAV judge spam and malware, our attachment policy judges files.
 */
describe('MX — spam, malware and attachment policy (real rspamd, ClamAV, PostgreSQL, Dovecot)', function () {
  this.timeout(180_000);
  let env: SmtpEnv;
  const mx = () => nodemailer.createTransport({ host: '127.0.0.1', port: env.config.smtpPort, secure: false, tls: { rejectUnauthorized: false }, name: 'mail.ngoai.example' } as any);
  const subjects = (mailbox: string, folder: string) => folderMessages(env, mailbox, folder);
  // nodemailer reads replies as Latin-1; smtp-server wrote UTF-8.
  const refused = (code: number, pattern: RegExp) => (e: any) => {
    const response = Buffer.from(e.response, 'latin1').toString('utf8');
    assert.equal(e.responseCode, code, response);
    assert.match(response, pattern);
    return true;
  };

  before(async () => {
    env = await startSmtpEnv('smtp://127.0.0.1:9', false, { scanDomains: { [STRICT]: { spamJunkScore: 1, maxAttachmentSize: '1K', encryptedArchives: 'refuse' } } }, { scan: true });
    for (const [domain, to] of [[D, TO], [STRICT, STRICT_TO]]) {
      await addDomain(env.db, domain);
      await addMailbox(env.db, { address: to, displayName: 'Văn thư', password: PASSWORD }, { defaultQuota: '1G' });
    }
    assert.equal(env.scanner!.health().clamav, 'running');
  });
  after(async () => {
    await env?.stop();
  });

  it('delivers a normal letter with a PDF to INBOX with the scan result on it, and drops a forged one', async () => {
    await mx().sendMail({
      from: 'congvan@ubnd.example', to: TO, subject: 'Công văn số 12/UBND', text: 'Kính gửi Sở Thông tin và Truyền thông, xin gửi kèm công văn.',
      headers: { 'X-Spam-Status': 'No, score=-50 tu-xung', 'X-Spamd-Result': 'default: False [-50.00 / 15.00]' },
      attachments: [{ filename: 'cong-van-12.pdf', content: PDF, contentType: 'application/pdf' }],
    });
    const [m] = (await subjects(TO, 'INBOX')).filter((x) => x.subject === 'Công văn số 12/UBND');
    assert.ok(m, 'in INBOX');
    const status = m.source.match(/^X-Spam-Status: .*$/gm) ?? [];
    assert.equal(status.length, 1, 'only our X-Spam-Status');
    assert.match(status[0]!, /^X-Spam-Status: No, score=-?\d+\.\d\d required=15\.00 action=no_action scanner=rspamd/);
    assert.match(m.source, /^X-Spamd-Result: default: False \[-?\d+\.\d\d \/ 15\.00\]/m);
    assert.doesNotMatch(m.source, /tu-xung|-50\.00/);
  });

  it('refuses GTUBE at DATA with a 5xx the sender reads, stores nothing, and counts the refusal', async () => {
    await assert.rejects(mx().sendMail({ from: 'spam@ngoai.example', to: TO, subject: 'Khuyến mãi lớn', text: `Mua ngay!\n${GTUBE}\n` }), refused(550, /5\.7\.1 .*spam/i));
    assert.equal((await subjects(TO, 'INBOX')).filter((x) => x.subject === 'Khuyến mãi lớn').length, 0);
    let rows: Array<{ n: number }> = [];
    for (let i = 0; i < 50 && !rows[0]?.n; i++) {
      await new Promise((r) => setTimeout(r, 100));
      [rows] = (await env.db.query(`SELECT count(*)::int AS n FROM usage_events WHERE event = 'refused' AND mailbox = '${TO}'`)) as any;
    }
    assert.ok(rows[0]!.n >= 1, 'a refused usage event for the recipient');
  });

  it('refuses the EICAR test file through ClamAV', async () => {
    await assert.rejects(
      mx().sendMail({ from: 'virus@ngoai.example', to: TO, subject: 'Tài liệu', text: 'Xem tệp đính kèm.', attachments: [{ filename: 'tai-lieu.txt', content: eicar(), contentType: 'text/plain' }] }),
      refused(554, /Virus found: Eicar-Test-Signature/),
    );
    assert.equal((await subjects(TO, 'INBOX')).filter((x) => x.subject === 'Tài liệu').length, 0);
  });

  it('refuses an executable named congvan.pdf.exe, and one disguised as congvan.pdf by its real type', async () => {
    const send = (filename: string) => mx().sendMail({ from: 'lua@ngoai.example', to: TO, subject: `Công văn ${filename}`, text: 'Mở tệp.', attachments: [{ filename, content: fakeExecutable(), contentType: 'application/pdf' }] });
    await assert.rejects(send('congvan.pdf.exe'), refused(550, /Attachment "congvan\.pdf\.exe" refused: files ending in \.exe .*Tệp đính kèm/));
    await assert.rejects(send('congvan.pdf'), refused(550, /Attachment "congvan\.pdf" refused: it is a program \(exe\)/));
    await assert.rejects(send('congvan\u202Efdp.scr'), refused(550, /direction marks/));
  });

  it('looks inside zip archives: an executable in a zip is refused, a zip of PDFs delivered', async () => {
    const send = (subject: string, zip: Buffer) => mx().sendMail({ from: 'lua@ngoai.example', to: TO, subject, text: 'Tệp nén.', attachments: [{ filename: 'ho-so.zip', content: zip }] });
    await assert.rejects(send('Hồ sơ có chương trình', zipOf({ 'huong-dan.pdf': PDF, 'cai-dat.pdf': fakeExecutable() })), refused(550, /ho-so\.zip\/cai-dat\.pdf" refused: it is a program/));
    await assert.rejects(send('Hồ sơ lồng', zipOf({ 'trong.zip': zipOf({ 'chay.exe': Buffer.from('x') }) })), refused(550, /trong\.zip\/chay\.exe/));
    await send('Hồ sơ sạch', zipOf({ 'huong-dan.pdf': PDF }));
    assert.equal((await subjects(TO, 'INBOX')).filter((x) => x.subject === 'Hồ sơ sạch').length, 1);
  });

  it('files a password-protected archive in Junk by default, and refuses it for a domain that says so', async () => {
    const locked = zipOf({ 'bang-luong.pdf': PDF }, 'matkhau123');
    await mx().sendMail({ from: 'lua@ngoai.example', to: TO, subject: 'Bảng lương (mật khẩu 123)', text: 'Mật khẩu: matkhau123', attachments: [{ filename: 'bang-luong.zip', content: locked }] });
    assert.equal((await subjects(TO, 'INBOX')).filter((x) => x.subject.startsWith('Bảng lương')).length, 0);
    const [junk] = (await subjects(TO, 'Junk')).filter((x) => x.subject.startsWith('Bảng lương'));
    assert.ok(junk, 'in Junk');
    assert.match(junk.source, /^X-GovMail-Junk: encrypted-archive/m);
    await assert.rejects(
      mx().sendMail({ from: 'lua@ngoai.example', to: STRICT_TO, subject: 'Bảng lương', text: 'x', attachments: [{ filename: 'bang-luong.zip', content: locked }] }),
      refused(550, /password-protected/),
    );
  });

  it('applies per-domain thresholds: the same message is INBOX for one domain and Junk for a stricter one', async () => {
    // No Message-ID and no Date: rspamd scores a few points, above the strict domain's junk score of 1.
    const raw = (to: string) => `From: <thongbao@ngoai.example>\r\nTo: <${to}>\r\nSubject: Thong bao hop\r\n\r\nHop luc 8 gio.\r\n`;
    for (const to of [TO, STRICT_TO]) await mx().sendMail({ envelope: { from: 'thongbao@ngoai.example', to: [to] }, raw: raw(to) });
    assert.equal((await subjects(TO, 'INBOX')).filter((x) => x.subject === 'Thong bao hop').length, 1, 'INBOX at the default thresholds');
    const [junk] = (await subjects(STRICT_TO, 'Junk')).filter((x) => x.subject === 'Thong bao hop');
    assert.ok(junk, 'Junk at the strict domain');
    assert.match(junk.source, /^X-Spam: Yes/m);
    assert.match(junk.source, /^X-Spam-Status: Yes, score=\d+\.\d\d required=15\.00 action=add_header/m);
  });

  it('scans what our own users send: GTUBE from an account is refused and the account flagged in the audit log', async () => {
    const submission = nodemailer.createTransport({ host: '127.0.0.1', port: env.config.submissionPort, secure: false, requireTLS: true, tls: { rejectUnauthorized: false }, auth: { user: TO, pass: PASSWORD } } as any);
    await submission.sendMail({ from: TO, to: STRICT_TO, subject: 'Thư nội bộ hợp lệ', text: 'Kính gửi.' });
    assert.equal((await subjects(STRICT_TO, 'INBOX')).filter((x) => x.subject === 'Thư nội bộ hợp lệ').length, 1);
    await assert.rejects(submission.sendMail({ from: TO, to: [STRICT_TO, 'ai.do@ngoai.example'], subject: 'Thư rác từ tài khoản bị chiếm', text: GTUBE }), refused(550, /spam/));
    assert.equal((await subjects(STRICT_TO, 'INBOX')).filter((x) => x.subject === 'Thư rác từ tài khoản bị chiếm').length, 0);
    const [queued] = (await env.db.query(`SELECT count(*)::int AS n FROM smtp_queue`)) as any;
    assert.equal(queued[0].n, 0, 'nothing queued for the outside recipient');
    const [flags] = (await env.db.query(`SELECT actor, after FROM audit_entries WHERE action = 'mail.outbound_refused'`)) as any;
    assert.equal(flags.length, 1);
    assert.equal(flags[0].actor, TO);
    assert.equal(flags[0].after.category, 'spam');
  });

  it('applies a per-domain attachment size limit with 552', async () => {
    await assert.rejects(
      mx().sendMail({ from: 'a@ngoai.example', to: STRICT_TO, subject: 'Tệp lớn', text: 'x', attachments: [{ filename: 'lon.pdf', content: Buffer.concat([PDF, Buffer.alloc(4096, 0x20)]) }] }),
      refused(552, /5\.3\.4 .*lon\.pdf.*limit is 1024/),
    );
  });
});

describe('MX — when the scanner cannot answer (real PostgreSQL, Dovecot)', function () {
  this.timeout(120_000);
  const send = (env: SmtpEnv, subject: string) =>
    nodemailer.createTransport({ host: '127.0.0.1', port: env.config.smtpPort, secure: false, tls: { rejectUnauthorized: false } } as any).sendMail({ from: 'a@ngoai.example', to: TO, subject, text: 'x' });
  const setup = async (env: SmtpEnv) => {
    await addDomain(env.db, D);
    await addMailbox(env.db, { address: TO, displayName: 'Văn thư', password: PASSWORD }, { defaultQuota: '1G' });
  };

  it('answers 451 when rspamd is down, and within the timeout when it stalls', async () => {
    // A listener that accepts and never answers: a hung rspamd.
    const stalled = net.createServer(() => undefined);
    await new Promise<void>((r) => stalled.listen(0, '127.0.0.1', r));
    const dead = await freePort();
    for (const [label, url] of [['down', `http://127.0.0.1:${dead}`], ['stalled', `http://127.0.0.1:${(stalled.address() as net.AddressInfo).port}`]]) {
      const env = await startSmtpEnv('smtp://127.0.0.1:9', false, { scanTimeoutMs: 1000 }, { scan: { scanUrl: url!, timeoutMs: 1000 } });
      try {
        await setup(env);
        const started = Date.now();
        await assert.rejects(send(env, `Thư khi rspamd ${label}`), (e: any) => e.responseCode === 451 && /4\.7\.1 .*scanning unavailable/.test(e.response));
        assert.ok(Date.now() - started < 5000, `${label}: answered in ${Date.now() - started} ms`);
        const client = await imapAs(env, TO);
        const status = await client.status('INBOX', { messages: true });
        await client.logout();
        assert.equal(status.messages, 0);
      } finally {
        await env.stop();
      }
    }
    stalled.close();
  });

  it('accepts and marks the message unscanned when the site chose scanUnavailable=accept', async () => {
    const env = await startSmtpEnv('smtp://127.0.0.1:9', false, { scanUnavailable: 'accept' }, { scan: { scanUrl: `http://127.0.0.1:${await freePort()}`, timeoutMs: 1000 } });
    try {
      await setup(env);
      await send(env, 'Thư chưa quét');
      const client = await imapAs(env, TO);
      const lock = await client.getMailboxLock('INBOX');
      const m = await client.fetchOne('*', { source: true });
      lock.release();
      await client.logout();
      assert.match(m && m.source ? m.source.toString() : '', /^X-Spam-Status: Unscanned, reason=/m);
    } finally {
      await env.stop();
    }
  });
});
