import assert from 'node:assert/strict';
import net from 'node:net';
import { rawSmtp } from '../support/raw-smtp.js';
import nodemailer from 'nodemailer';
import { ImapFlow } from 'imapflow';
import type { SMTPServer } from 'smtp-server';
import { startSmtpEnv, type SmtpEnv } from '../support/mailenv.js';
import { freePort } from '../support/postgres.js';
import { addDomain, addMailbox } from '../../admin/index.js';
import { createLmtpClient, LmtpUnavailableError, type LmtpClient } from '../../mailstore/index.js';
import { directLookups } from '../../smtp/index.js';
import { createMxServer } from '../../smtp/inbound.js';

const PW = 'mat-khau-hop-thu-2026';
const D = 'lmtp.test.gov.vn';

/** A TCP proxy in front of Dovecot's LMTP that records, per connection, each chunk our client wrote and all Dovecot answered. */
interface Recorder {
  port: number;
  /** Per connection: every chunk from the client as it arrived (on loopback, one per write of ours). */
  toServer: string[][];
  /** Per connection: everything Dovecot sent. */
  fromServer: string[];
  close(): Promise<void>;
}

async function recordingProxy(host: string, port: number): Promise<Recorder> {
  const sockets = new Set<net.Socket>();
  const rec: Recorder = { port: 0, toServer: [], fromServer: [], close: async () => undefined };
  const server = net.createServer((client) => {
    const conn = rec.toServer.push([]) - 1;
    rec.fromServer.push('');
    const upstream = net.connect(port, host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.setNoDelay(true);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    client.on('data', (d: Buffer) => {
      rec.toServer[conn].push(d.toString('latin1'));
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      rec.fromServer[conn] += d.toString('latin1');
      client.write(d);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  rec.port = (server.address() as net.AddressInfo).port;
  rec.close = () =>
    new Promise((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });
  return rec;
}

/** The codes of the replies in `text` (multi-line replies once). */
const replyCodes = (text: string) => text.split('\r\n').filter((l) => /^\d{3} /.test(l)).map((l) => Number(l.slice(0, 3)));

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
    for (const u of ['bdat1', 'bdat2', 'bdat3', 'bdat4', 'bdat5', 'bdat6']) await addMailbox(env.db, { address: `${u}@${D}`, displayName: u, password: PW }, { defaultQuota: '1G' });
  });
  after(() => env?.stop());

  let proxy: Recorder | undefined;
  let client: LmtpClient | undefined;
  /** A client of its own, through a recording proxy, one connection so that every delivery shows on it. */
  const recorded = async () => {
    proxy = await recordingProxy(env.dovecot.lmtp.host, env.dovecot.lmtp.port);
    client = createLmtpClient({ host: '127.0.0.1', port: proxy.port, poolSize: 1, socketTimeoutMs: 10_000 });
    return { proxy, lmtp: client };
  };
  afterEach(async () => {
    client?.close();
    await proxy?.close();
    client = proxy = undefined;
  });

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
      // Sent by BDAT, unstuffed (or stuffed and undone by Dovecot on the DATA way): stored exactly as given.
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
    const small: SMTPServer = createMxServer({ ...env.config, maxMessageSize: 2048 }, { db: env.db, lmtp: env.lmtp, kek: env.kek, hostname: env.config.hostname, queueRetryMaxSeconds: 600 }, env.tls, directLookups(env.db));
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

  it('CHUNKING: Dovecot advertises it and a delivery is one write, the bytes unchanged, each recipient with its own answer', async () => {
    const { proxy, lmtp } = await recorded();
    const body = '.\r\n..hai chấm\r\n.một chấm\r\nKính gửi.\r\n' + 'x'.repeat(8000) + '\r\n.\r\n';
    const raw = Buffer.from(`From: a@ngoai.vn\r\nSubject: bdat\r\n\r\n${body}`);
    const res = await lmtp.deliver({ from: 'a@ngoai.vn', to: [`bdat1@${D}`, `khongco@${D}`, `nho@${D}`, `bdat2@${D}`], raw });
    assert.deepEqual(res.map((r) => [r.recipient, r.accepted, r.code, r.enhanced]), [
      [`bdat1@${D}`, true, 250, '2.0.0'],
      [`khongco@${D}`, false, 550, '5.1.1'],
      [`nho@${D}`, false, 552, '5.2.2'],
      [`bdat2@${D}`, true, 250, '2.0.0'],
    ]);
    assert.match(proxy.fromServer[0], /\r\n250-CHUNKING\r\n/);
    const envelope = `MAIL FROM:<a@ngoai.vn>\r\nRCPT TO:<bdat1@${D}>\r\nRCPT TO:<khongco@${D}>\r\nRCPT TO:<nho@${D}>\r\nRCPT TO:<bdat2@${D}>\r\nBDAT ${raw.length} LAST\r\n`;
    assert.deepEqual(proxy.toServer[0], ['LHLO localhost\r\n', envelope + raw.toString('latin1')]);
    // Greeting, LHLO; MAIL, 4 × RCPT, then one reply per recipient accepted at RCPT (3).
    assert.deepEqual(replyCodes(proxy.fromServer[0]).slice(2), [250, 250, 550, 250, 250, 250, 552, 250]);
    for (const u of ['bdat1', 'bdat2']) {
      const got = await inbox(`${u}@${D}`);
      assert.equal(got.length, 1, u);
      assert.ok(got[0].endsWith(`Subject: bdat\r\n\r\n${body}`), `${u}: body changed in transit`);
    }
    assert.deepEqual(await inbox(`nho@${D}`), []);
  });

  it('CHUNKING: every recipient refused, MAIL refused, quota refused — Dovecot\'s reply counts, and RSET after a refused BDAT', async () => {
    const { proxy, lmtp } = await recorded();
    const ok = async () => assert.deepEqual((await lmtp.deliver({ from: 'a@ngoai.vn', to: [`bdat3@${D}`], raw: Buffer.from('Subject: ok\r\n\r\nx\r\n') })).map((r) => r.code), [250]);
    await ok();
    let seen = proxy.fromServer[0].length;
    /** The codes Dovecot sent since the last call. */
    const since = () => {
      const codes = replyCodes(proxy.fromServer[0].slice(seen));
      seen = proxy.fromServer[0].length;
      return codes;
    };
    const lastWrite = () => proxy.toServer[0].at(-1)!;

    const none = await lmtp.deliver({ from: 'a@ngoai.vn', to: [`khongco1@${D}`, `khongco2@${D}`], raw: Buffer.from('Subject: none\r\n\r\nRSET\r\nMAIL FROM:<x@y>\r\n') });
    assert.deepEqual(none.map((r) => [r.code, r.enhanced]), [[550, '5.1.1'], [550, '5.1.1']]);
    assert.match(lastWrite(), /^MAIL FROM:<a@ngoai\.vn>\r\n.*BDAT \d+ LAST\r\n/s);
    assert.deepEqual(since(), [250, 550, 550, 503], 'all refused: ONE reply to BDAT, the bytes discarded');
    await ok();
    assert.match(lastWrite(), /^RSET\r\nMAIL FROM:/, 'Dovecot still holds MAIL after a refused BDAT');
    assert.deepEqual(since(), [250, 250, 250, 250]);
    // What the RSET is for: without it, Dovecot refuses the next BDAT once, whatever MAIL and RCPT got.
    const raw = new net.Socket();
    await new Promise<void>((r) => raw.connect(env.dovecot.lmtp.port, env.dovecot.lmtp.host, r));
    let heard = '';
    raw.on('data', (d: Buffer) => (heard += d.toString('latin1')));
    raw.write(`LHLO x\r\nMAIL FROM:<a@ngoai.vn>\r\nRCPT TO:<khongco@${D}>\r\nBDAT 3 LAST\r\nx\r\nMAIL FROM:<b@ngoai.vn>\r\nRCPT TO:<bdat3@${D}>\r\nRCPT TO:<bdat4@${D}>\r\nBDAT 3 LAST\r\nx\r\nQUIT\r\n`);
    await new Promise((r) => raw.on('close', r));
    assert.deepEqual(replyCodes(heard), [220, 250, 250, 550, 503, 503, 250, 250, 503, 221]);
    assert.match(heard, /503 5\.5\.0 Previous data chunk failed/);

    const badFrom = await lmtp.deliver({ from: 'a b@ngoai.vn', to: [`bdat3@${D}`, `khongco@${D}`], raw: Buffer.from('Subject: bad from\r\n\r\nx\r\n') });
    assert.deepEqual(badFrom.map((r) => [r.code, r.enhanced, r.accepted]), [[501, '5.5.4', false], [501, '5.5.4', false]]);
    assert.deepEqual(since(), [501, 503, 503, 503], 'MAIL refused: 503 to each RCPT, ONE reply to BDAT');
    await ok();
    assert.match(lastWrite(), /^RSET\r\nMAIL FROM:/, 'RSET: the chunk failed, even with no MAIL held');
    assert.deepEqual(since(), [250, 250, 250, 250]);

    const full = await lmtp.deliver({ from: 'a@ngoai.vn', to: [`nho@${D}`], raw: Buffer.from(`Subject: full\r\n\r\n${'x'.repeat(8000)}\r\n`) });
    assert.deepEqual(full.map((r) => [r.code, r.enhanced]), [[552, '5.2.2']]);
    assert.deepEqual(since(), [250, 250, 552], 'over quota: the one reply per accepted recipient');
    await ok();
    assert.match(lastWrite(), /^MAIL FROM:/, 'no RSET: BDAT LAST ended the transaction');
    assert.deepEqual(since(), [250, 250, 250]);

    assert.equal(proxy.toServer.length, 1, 'one connection throughout');
    const got = await inbox(`bdat3@${D}`);
    assert.equal(got.length, 4);
    assert.ok(got.every((m) => /Subject: ok/.test(m)));
    assert.deepEqual(await inbox(`nho@${D}`), []);
  });

  it('CHUNKING: a message with bare LF goes the DATA way and arrives with CRLF', async () => {
    const { proxy, lmtp } = await recorded();
    const res = await lmtp.deliver({ from: 'a@ngoai.vn', to: [`bdat4@${D}`], raw: Buffer.from('From: a@ngoai.vn\nSubject: lf\n\n.mot cham\ndong\r\ncuoi\n') });
    assert.deepEqual(res.map((r) => r.code), [250]);
    assert.equal(proxy.toServer[0][1], `MAIL FROM:<a@ngoai.vn>\r\nRCPT TO:<bdat4@${D}>\r\nDATA\r\n`);
    assert.ok(!proxy.toServer[0].join('').includes('BDAT'));
    const [got] = await inbox(`bdat4@${D}`);
    assert.ok(got.endsWith('From: a@ngoai.vn\r\nSubject: lf\r\n\r\n.mot cham\r\ndong\r\ncuoi\r\n'), JSON.stringify(got.slice(-80)));
    assert.ok(!/[^\r]\n/.test(got), 'no bare LF stored');
  });

  it('CHUNKING: a message over 1 MB goes in one BDAT and arrives intact', async () => {
    const { proxy, lmtp } = await recorded();
    const body = Array.from({ length: 20_000 }, (_, i) => `${i % 7 ? '' : '.'}dong ${i} ${'z'.repeat(70)}\r\n`).join('');
    const raw = Buffer.from(`From: a@ngoai.vn\r\nSubject: lon\r\n\r\n${body}`);
    assert.ok(raw.length > 1_500_000);
    assert.deepEqual((await lmtp.deliver({ from: 'a@ngoai.vn', to: [`bdat5@${D}`], raw })).map((r) => r.code), [250]);
    const head = `MAIL FROM:<a@ngoai.vn>\r\nRCPT TO:<bdat5@${D}>\r\nBDAT ${raw.length} LAST\r\n`;
    const wire = proxy.toServer[0].slice(1).join('');
    assert.ok(wire.startsWith(head + 'From: a@ngoai.vn\r\n'));
    assert.equal(wire.length, head.length + raw.length);
    const [got] = await inbox(`bdat5@${D}`);
    assert.ok(got.endsWith(`Subject: lon\r\n\r\n${body}`), 'body changed in transit');
  });

  it('CHUNKING: one connection carries many deliveries, one write each', async () => {
    const { proxy, lmtp } = await recorded();
    for (let i = 0; i < 100; i++) {
      const to = i % 25 === 7 ? [`khongco@${D}`] : [`bdat6@${D}`];
      const res = await lmtp.deliver({ from: 'a@ngoai.vn', to, raw: Buffer.from(`Subject: so ${i}\r\n\r\n.\r\nx\r\n`) });
      assert.deepEqual(res.map((r) => r.code), [i % 25 === 7 ? 550 : 250], `delivery ${i}`);
    }
    assert.equal(proxy.toServer.length, 1);
    assert.equal(proxy.toServer[0].length, 101, 'LHLO, then one write per delivery');
    assert.equal(proxy.toServer[0].filter((w) => w.startsWith('RSET\r\n')).length, 4);
    const got = await inbox(`bdat6@${D}`);
    assert.equal(got.length, 96);
    assert.ok(got.every((m) => /\r\n\r\n\.\r\nx\r\n$/.test(m)));
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
