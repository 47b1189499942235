import assert from 'node:assert/strict';
import { rawSmtp } from '../support/raw-smtp.js';
import nodemailer from 'nodemailer';
import { ImapFlow } from 'imapflow';
import type { SMTPServer } from 'smtp-server';
import { startSmtpEnv, type SmtpEnv } from '../support/mailenv.js';
import { freePort } from '../support/postgres.js';
import { addDomain, addMailbox } from '../../admin/index.js';
import { LmtpUnavailableError, mailboxOverQuota } from '../../mailstore/index.js';
import { createMxServer } from '../../smtp/inbound.js';

const PW = 'mat-khau-hop-thu-2026';
const D = 'lmtp.test.gov.vn';

describe('mailstore/lmtp — the pipelined client against a real Dovecot', function () {
  this.timeout(120_000);
  let env: SmtpEnv;
  const inbox = async (user: string): Promise<string[]> => {
    const client = new ImapFlow({ host: '127.0.0.1', port: env.dovecot.imap.port, secure: false, doSTARTTLS: true, tls: { rejectUnauthorized: false }, auth: { user, pass: PW }, logger: false });
    await client.connect();
    const lock = await client.getMailboxLock('INBOX');
    const out: string[] = [];
    try {
      if ((client.mailbox as any).exists) for await (const m of client.fetch('1:*', { source: true })) out.push(m.source!.toString());
    } finally {
      lock.release();
      await client.logout();
    }
    return out;
  };

  before(async () => {
    env = await startSmtpEnv('smtp://127.0.0.1:9', false);
    await addDomain(env.db, D);
    for (const u of ['mot', 'hai', 'ba']) await addMailbox(env.db, { address: `${u}@${D}`, displayName: u, password: PW }, { defaultQuota: '1G' });
    await addMailbox(env.db, { address: `nho@${D}`, displayName: 'Hộp thư nhỏ', password: PW, quota: '4K' }, { defaultQuota: '1G' });
  });
  after(() => env?.stop());

  it('delivers to several recipients in one pipelined transaction, each with its own answer', async () => {
    const body = 'Kính gửi các đồng chí.\r\n.\r\n..hai chấm\r\n.một chấm\r\n' + 'x'.repeat(8000) + '\r\n';
    const raw = Buffer.from(`From: a@ngoai.vn\r\nSubject: nhieu nguoi nhan\r\n\r\n${body}`);
    const res = await env.lmtp.deliver({ from: 'a@ngoai.vn', to: [`mot@${D}`, `khongco@${D}`, `nho@${D}`, `hai@${D}`], raw });
    assert.deepEqual(res.map((r) => [r.recipient, r.accepted, r.code, r.enhanced]), [
      [`mot@${D}`, true, 250, '2.0.0'],
      [`khongco@${D}`, false, 550, '5.1.1'],
      [`nho@${D}`, false, 552, '5.2.2'],
      [`hai@${D}`, true, 250, '2.0.0'],
    ]);
    for (const u of ['mot', 'hai']) {
      const got = await inbox(`${u}@${D}`);
      assert.equal(got.length, 1, u);
      // Dot-stuffing undone by Dovecot: the body is stored exactly as given.
      assert.ok(got[0].endsWith(body), `${u}: body changed in transit`);
    }
    assert.deepEqual(await inbox(`nho@${D}`), []);
  });

  it('keeps the pool usable: a transaction refused for every recipient, then many deliveries at once', async () => {
    const none = await env.lmtp.deliver({ from: 'a@ngoai.vn', to: [`khongco1@${D}`, `khongco2@${D}`], raw: Buffer.from('Subject: x\r\n\r\nx\r\n') });
    assert.deepEqual(none.map((r) => r.code), [550, 550]);
    const all = await Promise.all(Array.from({ length: 24 }, (_, i) => env.lmtp.deliver({ from: 'a@ngoai.vn', to: [`ba@${D}`], raw: Buffer.from(`Subject: loat ${i}\r\n\r\nx\r\n`) })));
    assert.deepEqual(all.map((r) => r[0].code), Array(24).fill(250));
    assert.equal((await inbox(`ba@${D}`)).length, 24);
  });

  it('MX: a message refused at the end of DATA (bare line ends, SIZE) leaves nothing in Dovecot, and the pool goes on', async () => {
    const before = (await inbox(`mot@${D}`)).length;
    for (const payload of ['Subject: a\r\n\r\nx\n.\nMAIL FROM:<ceo@lmtp.test.gov.vn>\r\n.\r\n', 'Subject: a\r\n\r\nx\r.\r\n.\r\n']) {
      const out = await rawSmtp(env.config.smtpPort, ['EHLO x', 'MAIL FROM:<a@ngoai.vn>', `RCPT TO:<mot@${D}>`, 'DATA', 'QUIT'], Buffer.from(payload));
      assert.match(out, /554 5\.6\.0/);
    }
    // SIZE: an MX with a small limit over the same pipeline refuses a bigger message with 552.
    const port = await freePort();
    const small: SMTPServer = createMxServer({ ...env.config, maxMessageSize: 2048 }, { db: env.db, lmtp: env.lmtp, kek: env.kek, hostname: env.config.hostname, queueRetryMaxSeconds: 600 }, env.tls, (m) => mailboxOverQuota(env.db, m));
    await new Promise<void>((r) => small.listen(port, '127.0.0.1', r));
    try {
      const t = nodemailer.createTransport({ host: '127.0.0.1', port, ignoreTLS: true } as any);
      await assert.rejects(t.sendMail({ from: 'a@ngoai.vn', to: `mot@${D}`, subject: 'qua lon', text: 'x'.repeat(5000) }), (e: any) => e.responseCode === 552);
      const ok = await t.sendMail({ from: 'a@ngoai.vn', to: `mot@${D}`, subject: 'vua', text: 'nho thoi' });
      assert.match(ok.response, /^250 /);
      const answered = Date.now();
      // The MX writes usage rows after its 250, within about 100 ms, stamped with the time of delivery.
      let rows: Array<{ event: string; at: Date }> = [];
      for (let i = 0; i < 50 && rows.length < 2; i++) {
        await new Promise((r) => setTimeout(r, 50));
        [rows] = (await env.db.query(`SELECT event, at FROM usage_events WHERE mailbox = 'mot@${D}' AND direction = 'in' ORDER BY event`)) as any;
      }
      assert.deepEqual(rows.map((r) => r.event), ['accepted', 'delivered']);
      for (const r of rows) assert.ok(new Date(r.at).getTime() <= answered, 'stamped at delivery, not at the later write');
    } finally {
      await new Promise<void>((r) => small.close(() => r()));
    }
    const after = await inbox(`mot@${D}`);
    assert.equal(after.length, before + 1, 'only the good message arrived');
    assert.match(after.at(-1)!, /Subject: vua/);
  });

  it('Dovecot stopped: deliver() throws LmtpUnavailableError and the MX still answers 250 with the message queued', async () => {
    await env.dovecot.stop();
    await assert.rejects(env.lmtp.deliver({ from: 'a@ngoai.vn', to: [`mot@${D}`], raw: Buffer.from('Subject: x\r\n\r\nx\r\n') }), LmtpUnavailableError);
    const info = await nodemailer.createTransport({ host: '127.0.0.1', port: env.config.smtpPort, ignoreTLS: true } as any).sendMail({ from: 'a@ngoai.vn', to: `hai@${D}`, subject: 'khi dovecot ngung', text: 'x' });
    assert.match(info.response, /^250 /);
    const [rows] = await env.db.query(`SELECT r.address, r.local, r.status FROM smtp_queue q JOIN smtp_queue_recipients r ON r.queue_id = q.id`);
    assert.deepEqual(rows, [{ address: `hai@${D}`, local: true, status: 'pending' }]);
  });
});
