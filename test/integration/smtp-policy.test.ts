import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import nodemailer from 'nodemailer';
import { ImapFlow } from 'imapflow';
import { QueryTypes } from 'sequelize';
import { startSmtpEnv, type SmtpEnv } from '../support/mailenv.js';
import { startSink, type Sink } from '../support/smtp-sink.js';
import { addDomain, addMailbox } from '../../admin/index.js';
import { submitMessage } from '../../smtp/index.js';

const PW = 'mat-khau-hop-thu-2026';
const D = 'vanphong.test.gov.vn';
const ME = `vanthu@${D}`;

async function inboxSubjects(env: SmtpEnv, user: string): Promise<string[]> {
  const client = new ImapFlow({ host: '127.0.0.1', port: env.dovecot.imap.port, secure: false, doSTARTTLS: true, tls: { rejectUnauthorized: false }, auth: { user, pass: PW }, logger: false });
  await client.connect();
  const lock = await client.getMailboxLock('INBOX');
  const out: string[] = [];
  try {
    if ((client.mailbox as any).exists) for await (const m of client.fetch('1:*', { envelope: true })) out.push(m.envelope?.subject ?? '');
  } finally {
    lock.release();
    await client.logout();
  }
  return out;
}

describe('smtp — classified-document policy through real submission (PostgreSQL, Dovecot, a remote sink)', function () {
  this.timeout(90_000);
  let env: SmtpEnv;
  let sink: Sink;
  const submission = () =>
    nodemailer.createTransport({ host: '127.0.0.1', port: env.config.submissionPort, secure: false, requireTLS: true, tls: { rejectUnauthorized: false }, auth: { user: ME, pass: PW } } as any);

  before(async () => {
    sink = await startSink();
    env = await startSmtpEnv(sink.url);
    await addDomain(env.db, D);
    await addMailbox(env.db, { address: ME, displayName: 'Văn thư', password: PW }, { defaultQuota: '1G' });
    await addMailbox(env.db, { address: `lanhdao@${D}`, displayName: 'Lãnh đạo', password: PW }, { defaultQuota: '1G' });
  });
  after(async () => {
    await env?.stop();
    await sink?.close();
  });

  it('refuses a classified document to an external address with 550 5.7.1 naming the address and the classification; nothing is delivered to anyone', async () => {
    const before = sink.received.length;
    await assert.rejects(
      submission().sendMail({ from: ME, to: [`lanhdao@${D}`, 'doitac@congty-ngoai.vn', 'so@snv.bacninh.gov.vn'], subject: 'Mật: kế hoạch', text: 'Nội dung mật.', headers: { 'X-GovMail-Classification': 'mat', 'X-GovMail-Doc-Number': '12/KH-VP' } }),
      (e: any) => {
        assert.equal(e.responseCode, 550);
        assert.match(e.response, /^550 5\.7\.1 Classified document \(confidential, mat\)/);
        assert.match(e.response, /<doitac@congty-ngoai\.vn>/);
        assert.doesNotMatch(e.response, /snv\.bacninh/);
        // nodemailer reads replies as Latin-1; our text is UTF-8.
        assert.match(Buffer.from(e.response, 'latin1').toString('utf8'), /Văn bản mật \(độ mật: Mật\)/);
        return true;
      },
    );
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(sink.received.length, before, 'nothing left for the outside');
    assert.ok(!(await inboxSubjects(env, `lanhdao@${D}`)).includes('Mật: kế hoạch'), 'the local recipient did not get it either');
    const [row] = await env.db.query<{ actor: string; after: any }>(`SELECT actor, after FROM audit_entries WHERE action = 'mail.classified_refused'`, { type: QueryTypes.SELECT });
    assert.equal(row?.actor, ME);
    assert.deepEqual(row.after.refused, ['doitac@congty-ngoai.vn']);
  });

  it('accepts a classified document to a gov.vn address and sends it', async () => {
    const before = sink.received.length;
    const info = await submission().sendMail({ from: ME, to: 'vanthu@snv.bacninh.gov.vn', subject: 'Tối mật gửi Sở', text: 'x', headers: { 'X-GovMail-Classification': 'toi-mat' } });
    assert.match(info.response, /^250 /);
    await sink.waitFor(before + 1);
    assert.deepEqual(sink.received.at(-1)!.to, ['vanthu@snv.bacninh.gov.vn']);
    assert.match(sink.received.at(-1)!.data.toString(), /^X-GovMail-Classification: toi-mat\r?$/im);
  });

  it('accepts an unclassified document to an external address (swaks over STARTTLS with AUTH)', async () => {
    const before = sink.received.length;
    const out = await new Promise<string>((resolve) =>
      execFile('swaks', ['--server', `127.0.0.1:${env.config.submissionPort}`, '--tls', '--auth', 'PLAIN', '--auth-user', ME, '--auth-password', PW, '--from', ME, '--to', 'doitac@congty-ngoai.vn',
        '--header', 'Subject: Thông báo', '--header', 'X-GovMail-Classification: none', '--body', 'Công khai.'], (_e, stdout, stderr) => resolve(stdout + stderr)),
    );
    assert.match(out, /<~ {2}250 2\.0\.0 Message accepted/);
    await sink.waitFor(before + 1);
    assert.deepEqual(sink.received.at(-1)!.to, ['doitac@congty-ngoai.vn']);
    // And swaks sees the refusal text for a classified one.
    const refused = await new Promise<string>((resolve) =>
      execFile('swaks', ['--server', `127.0.0.1:${env.config.submissionPort}`, '--tls', '--auth', 'PLAIN', '--auth-user', ME, '--auth-password', PW, '--from', ME, '--to', 'doitac@congty-ngoai.vn',
        '--header', 'Subject: Mật', '--header', 'X-GovMail-Classification: tuyet-mat', '--body', 'x'], (_e, stdout, stderr) => resolve(stdout + stderr)),
    );
    assert.match(refused, /<~\* 550 5\.7\.1 Classified document \(top secret, tuyet-mat\)/);
  });

  it('covers the webmail path too (smtp/submit.ts reuses acceptMessage)', async () => {
    const deps = { db: env.db, lmtp: env.lmtp, kek: env.kek, hostname: env.config.hostname, queueRetryMaxSeconds: 3600, maxMessageSize: 1_000_000 };
    const raw = Buffer.from(`From: ${ME}\r\nTo: doitac@congty-ngoai.vn\r\nSubject: Mật qua webmail\r\nX-GovMail-Classification: mat\r\n\r\nx\r\n`);
    await assert.rejects(submitMessage(deps, { mailbox: ME, raw, envelopeFrom: ME, recipients: ['doitac@congty-ngoai.vn'] }), /550 5\.7\.1 Classified document/);
  });
});
