import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import nodemailer from 'nodemailer';
import { ImapFlow } from 'imapflow';
import { startSmtpEnv, type SmtpEnv } from '../support/mailenv.js';
import { startSink, type Sink } from '../support/smtp-sink.js';
import { rawSmtp } from '../support/raw-smtp.js';
import { addDomain, addMailbox, addAlias, setMailboxActive } from '../../admin/index.js';
import { createDkimKey } from '../../smtp/index.js';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';

const PW = 'mat-khau-hop-thu-2026';
const D = 'sotttt.test.gov.vn';

async function inbox(env: SmtpEnv, user: string): Promise<Array<{ subject: string; source: string }>> {
  const client = new ImapFlow({ host: '127.0.0.1', port: env.dovecot.imap.port, secure: false, doSTARTTLS: true, tls: { rejectUnauthorized: false }, auth: { user, pass: PW }, logger: false });
  await client.connect();
  const lock = await client.getMailboxLock('INBOX');
  const out: Array<{ subject: string; source: string }> = [];
  try {
    if ((client.mailbox as any).exists) for await (const m of client.fetch('1:*', { envelope: true, source: true })) out.push({ subject: m.envelope?.subject ?? '', source: m.source!.toString() });
  } finally {
    lock.release();
    await client.logout();
  }
  return out;
}

async function waitForMail(env: SmtpEnv, user: string, pred: (m: { subject: string; source: string }) => boolean, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await inbox(env, user)).find(pred);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no matching message for ${user}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('smtp — MX, submission and the outbound queue (real Dovecot and PostgreSQL)', function () {
  this.timeout(90_000);
  let env: SmtpEnv;
  let sink: Sink;
  const mx = () => nodemailer.createTransport({ host: '127.0.0.1', port: env.config.smtpPort, secure: false, tls: { rejectUnauthorized: false }, name: 'mail.ben-ngoai.vn' } as any);
  const submission = (user = `nguyenvana@${D}`, pass = PW) =>
    nodemailer.createTransport({ host: '127.0.0.1', port: env.config.submissionPort, secure: false, requireTLS: true, tls: { rejectUnauthorized: false }, auth: { user, pass } } as any);

  before(async () => {
    sink = await startSink();
    env = await startSmtpEnv(sink.url);
    await addDomain(env.db, D);
    await createDkimKey(env.db, env.kek, D);
    await addMailbox(env.db, { address: `nguyenvana@${D}`, displayName: 'Nguyễn Văn A', password: PW }, { defaultQuota: '1G' });
    await addMailbox(env.db, { address: `tranthib@${D}`, displayName: 'Trần Thị B', password: PW }, { defaultQuota: '1G' });
    await addMailbox(env.db, { address: `day@${D}`, displayName: 'Hộp thư đầy', password: PW, quota: '6K' }, { defaultQuota: '1G' });
    await addAlias(env.db, `vanthu@${D}`, `nguyenvana@${D}`);
  });
  after(async () => {
    await env?.stop();
    await sink?.close();
  });

  it('receives mail through the MX and the user reads it over IMAP', async () => {
    const info = await mx().sendMail({ from: 'doitac@ben-ngoai.vn', to: `tranthib@${D}`, subject: 'Công văn số 12/CV-STTTT', text: 'Kính gửi chị.' });
    assert.match(info.response, /^250 /);
    const m = await waitForMail(env, `tranthib@${D}`, (x) => x.subject === 'Công văn số 12/CV-STTTT');
    assert.match(m.source, /^Return-Path: <doitac@ben-ngoai\.vn>/m);
    assert.match(m.source, /^Received: from mail\.ben-ngoai\.vn \(\[127\.0\.0\.1\]\)\r\n\tby mail\.test\.gov\.vn \(GovMail\) with ESMTPS?/m);
  });

  it('is not an open relay', async () => {
    await assert.rejects(mx().sendMail({ from: 'x@ben-ngoai.vn', to: 'someone@gmail.com', subject: 'relay?', text: 'x' }), (e: any) => e.responseCode === 554 && /5\.7\.1/.test(e.response));
  });

  it('refuses an unknown recipient at RCPT with 550 5.1.1', async () => {
    await assert.rejects(mx().sendMail({ from: 'x@ben-ngoai.vn', to: `khongco@${D}`, subject: 'x', text: 'x' }), (e: any) => e.responseCode === 550 && /5\.1\.1/.test(e.response));
  });

  it('refuses over quota: 552 at DATA when the message does not fit, 452 at RCPT once full', async () => {
    await assert.rejects(mx().sendMail({ from: 'x@ben-ngoai.vn', to: `day@${D}`, subject: 'big', text: 'x'.repeat(10_000) }), (e: any) => e.responseCode === 552 && /5\.2\.2/.test(e.response));
    await env.db.query(`UPDATE mailstore_usage SET bytes = 999999 WHERE username = 'day@${D}'`).then(async ([, meta]: any) => {
      if (!meta?.rowCount) await env.db.query(`INSERT INTO mailstore_usage (username, bytes, messages) VALUES ('day@${D}', 999999, 1)`);
    });
    await assert.rejects(mx().sendMail({ from: 'x@ben-ngoai.vn', to: `day@${D}`, subject: 'small', text: 'x' }), (e: any) => e.responseCode === 452 && /4\.2\.2/.test(e.response));
  });

  it('refuses SMTP smuggling line endings with 554 5.6.0', async () => {
    for (const payload of ['Subject: a\r\n\r\nx\n.\nMAIL FROM:<ceo@sotttt.test.gov.vn>\r\n.\r\n', 'Subject: a\r\n\r\nx\r.\r\n.\r\n', 'Subject: a\r\n\r\nx\n.\r\n.\r\n']) {
      const out = await rawSmtp(env.config.smtpPort, ['EHLO x', 'MAIL FROM:<a@ben-ngoai.vn>', `RCPT TO:<tranthib@${D}>`, 'DATA', 'QUIT'], Buffer.from(payload));
      assert.match(out, /554 5\.6\.0/, JSON.stringify(payload));
      assert.doesNotMatch(out, /250 2\.0\.0 Message accepted/);
    }
  });

  it('requires TLS before AUTH on submission', async () => {
    const out = await rawSmtp(env.config.submissionPort, ['EHLO x', 'AUTH PLAIN ' + Buffer.from(`\0nguyenvana@${D}\0${PW}`).toString('base64'), 'QUIT']);
    // AUTH is neither offered nor understood before STARTTLS (RFC 4954 §4); smtp-limits.test.ts checks it appears after.
    assert.doesNotMatch(out, /^250[ -]AUTH/m);
    assert.match(out, /^500 /m);
    assert.doesNotMatch(out, /^235 /m);
  });

  it('sends with AUTH to a remote address through the queue, DKIM-signed', async () => {
    const before = sink.received.length;
    const info = await submission().sendMail({ from: `"Nguyễn Văn A" <nguyenvana@${D}>`, to: 'doitac@ben-ngoai.vn', subject: 'Giấy mời', text: 'Trân trọng kính mời.' });
    assert.match(info.response, /^250 /);
    await sink.waitFor(before + 1);
    const got = sink.received[before];
    assert.deepEqual(got.to, ['doitac@ben-ngoai.vn']);
    assert.match(got.data.toString(), /^DKIM-Signature:[^]*?\bd=sotttt\.test\.gov\.vn;/m);
    // An independent check of the signature: mailauth's verifier with our published key.
    const [key] = (await env.db.query(`SELECT selector, public_key_b64 FROM smtp_dkim_keys WHERE domain = '${D}'`))[0] as any[];
    const result = await dkimVerify(got.data, { resolver: async (name: string, type: string) => {
      if (type === 'TXT' && name === `${key.selector}._domainkey.${D}`) return [[`v=DKIM1; k=rsa; p=${key.public_key_b64}`]];
      throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    } } as any);
    assert.equal(result.results[0].status.result, 'pass');
  });

  it('lets a user send as an alias, and refuses someone else\'s address', async () => {
    await submission().sendMail({ from: `vanthu@${D}`, to: `tranthib@${D}`, subject: 'Từ văn thư', text: 'x' });
    await waitForMail(env, `tranthib@${D}`, (m) => m.subject === 'Từ văn thư');
    await assert.rejects(submission().sendMail({ from: `tranthib@${D}`, to: 'doitac@ben-ngoai.vn', subject: 'giả mạo', text: 'x' }), (e: any) => e.responseCode === 553);
    await assert.rejects(
      submission().sendMail({ envelope: { from: `nguyenvana@${D}`, to: ['doitac@ben-ngoai.vn'] }, from: `giamdoc@${D}`, to: 'doitac@ben-ngoai.vn', subject: 'giả From', text: 'x' }),
      (e: any) => e.responseCode === 553 && /giamdoc/.test(e.response),
    );
  });

  it('retries after a 4xx and delivers', async () => {
    const before = sink.received.length;
    await submission().sendMail({ from: `nguyenvana@${D}`, to: 'temp1@ben-ngoai.vn', subject: 'thử lại', text: 'x' });
    await sink.waitFor(before + 1, 30_000);
    assert.deepEqual(sink.received.at(-1)!.to, ['temp1@ben-ngoai.vn']);
    const [rows] = await env.db.query(`SELECT q.attempts, r.status FROM smtp_queue q JOIN smtp_queue_recipients r ON r.queue_id = q.id WHERE r.address = 'temp1@ben-ngoai.vn'`);
    assert.deepEqual(rows, [{ attempts: 2, status: 'delivered' }]);
  });

  it('bounces after a 5xx with a DSN in the sender\'s mailbox', async () => {
    await submission().sendMail({ from: `nguyenvana@${D}`, to: 'perm1@ben-ngoai.vn', subject: 'Báo cáo tháng', text: 'x' });
    const dsn = await waitForMail(env, `nguyenvana@${D}`, (m) => /Undelivered mail/.test(m.subject));
    assert.match(dsn.source, /Content-Type: multipart\/report; report-type=delivery-status/);
    assert.match(dsn.source, /Final-Recipient: rfc822; perm1@ben-ngoai\.vn/);
    assert.match(dsn.source, /Status: 5\.1\.1/);
    assert.match(dsn.source, /Không chuyển được thư|Thư không thể chuyển/);
  });

  it('records usage events for what it accepted, delivered and sent', async () => {
    const [rows] = await env.db.query(`SELECT event, direction, count(*)::int AS n FROM usage_events GROUP BY 1, 2 ORDER BY 1, 2`);
    const got = new Map((rows as any[]).map((r) => [`${r.event}/${r.direction}`, r.n]));
    for (const k of ['accepted/in', 'delivered/in', 'accepted/out', 'sent/out', 'bounced/out', 'deferred/out']) assert.ok((got.get(k) ?? 0) > 0, `no ${k} event in ${[...got.keys()]}`);
  });

  it('refuses a suspended mailbox at once over SMTP AUTH and IMAP, and lets it back in on resume', async () => {
    const user = `tamdung@${D}`;
    await addMailbox(env.db, { address: user, displayName: 'Tạm dừng', password: PW }, { defaultQuota: '1G' });
    const imapLogin = async () => {
      const c = new ImapFlow({ host: '127.0.0.1', port: env.dovecot.imap.port, secure: false, doSTARTTLS: true, tls: { rejectUnauthorized: false }, auth: { user, pass: PW }, logger: false });
      try {
        await c.connect();
        await c.logout();
        return 'ok';
      } catch (err) {
        return (err as { authenticationFailed?: boolean }).authenticationFailed ? 'refused' : `error: ${(err as Error).message}`;
      }
    };
    const smtpLogin = async () => {
      try {
        await submission(user).verify();
        return 'ok';
      } catch (err) {
        return (err as { responseCode?: number }).responseCode === 535 ? 'refused' : `error: ${(err as Error).message}`;
      }
    };
    // Logged in before: any cache Dovecot keeps is warm.
    assert.deepEqual([await imapLogin(), await smtpLogin()], ['ok', 'ok']);
    await setMailboxActive(env.db, user, false);
    // The very next attempts, with no wait, are refused.
    assert.deepEqual([await imapLogin(), await smtpLogin()], ['refused', 'refused']);
    await setMailboxActive(env.db, user, true);
    assert.deepEqual([await imapLogin(), await smtpLogin()], ['ok', 'ok']);
  });

  it('throttles repeated failed logins per account', async () => {
    for (let i = 0; i < 5; i++) await assert.rejects(submission(`tranthib@${D}`, 'sai-mat-khau').verify(), (e: any) => e.responseCode === 535);
    await assert.rejects(submission(`tranthib@${D}`, PW).verify(), (e: any) => e.responseCode === 454);
  });

  it('interoperates with swaks over STARTTLS', async () => {
    const out = await new Promise<string>((resolve) =>
      execFile('swaks', ['--server', `127.0.0.1:${env.config.submissionPort}`, '--tls', '--auth', 'PLAIN', '--auth-user', `nguyenvana@${D}`, '--auth-password', PW, '--from', `nguyenvana@${D}`, '--to', `tranthib@${D}`, '--header', 'Subject: swaks', '--body', 'hello'], (_e, stdout, stderr) => resolve(stdout + stderr)),
    );
    assert.match(out, /<~ {2}250 2\.0\.0 Message accepted/);
    await waitForMail(env, `tranthib@${D}`, (m) => m.subject === 'swaks');
  });
});
