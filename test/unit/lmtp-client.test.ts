import assert from 'node:assert/strict';
import net from 'node:net';
import { createLmtpClient, dataPieces, LmtpUnavailableError, ReplyParser } from '../../mailstore/lmtp.js';

/**
 * A scripted LMTP server: enough of RFC 2033 to check what the client puts on the wire (pipelined
 * writes, dot-stuffing, RSET) and how it reads per-recipient answers, outages and timeouts.
 */
interface FakeOptions {
  pipelining?: boolean;
  /** The reply to RCPT TO for an address; default 250. */
  rcpt?: (address: string) => string;
  /** The reply after the message for an accepted address; default 250. */
  data?: (address: string) => string;
  /** Reply to nothing after the DATA body (a server that hangs). */
  hangAfterData?: boolean;
  /** Close the connection after this many completed messages. */
  closeAfter?: number;
}

interface Fake {
  port: number;
  /** Every chunk as it arrived, per connection. */
  chunks: string[][];
  /** The raw bytes of each DATA section as sent (still dot-stuffed, without the final "."). */
  bodies: Buffer[];
  commands: string[];
  connections: number;
  close(): Promise<void>;
}

async function fakeLmtp(o: FakeOptions = {}): Promise<Fake> {
  const fake: Fake = { port: 0, chunks: [], bodies: [], commands: [], connections: 0, close: async () => undefined };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    fake.connections++;
    const mine: string[] = [];
    fake.chunks.push(mine);
    let buf = Buffer.alloc(0);
    let inData = false;
    let accepted: string[] = [];
    let hasMail = false;
    let done = 0;
    sock.write('220 fake LMTP ready\r\n');
    sock.on('data', (chunk: Buffer) => {
      mine.push(chunk.toString('latin1'));
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (inData) {
          const end = buf.indexOf('\r\n.\r\n');
          const atStart = buf.subarray(0, 3).toString() === '.\r\n';
          if (end < 0 && !atStart) return;
          const bodyEnd = atStart ? 0 : end + 2;
          fake.bodies.push(buf.subarray(0, bodyEnd));
          buf = buf.subarray(atStart ? 3 : end + 5);
          inData = false;
          if (o.hangAfterData) return;
          sock.write(accepted.map((a) => (o.data?.(a) ?? '250 2.0.0 <x> Saved') + '\r\n').join(''));
          accepted = [];
          hasMail = false;
          if (o.closeAfter !== undefined && ++done >= o.closeAfter) sock.destroy();
          continue;
        }
        const nl = buf.indexOf('\r\n');
        if (nl < 0) return;
        const line = buf.subarray(0, nl).toString('latin1');
        buf = buf.subarray(nl + 2);
        fake.commands.push(line);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'LHLO') sock.write(`250-fake\r\n${o.pipelining === false ? '' : '250-PIPELINING\r\n'}250-ENHANCEDSTATUSCODES\r\n250 8BITMIME\r\n`);
        else if (verb === 'MAIL') {
          if (hasMail) sock.write('503 5.5.1 MAIL already given\r\n');
          else {
            hasMail = true;
            sock.write('250 2.1.0 OK\r\n');
          }
        } else if (verb === 'RCPT') {
          const address = /<(.*)>/.exec(line)![1];
          if (!hasMail) {
            sock.write('503 5.5.1 MAIL needed first\r\n');
            continue;
          }
          const reply = o.rcpt?.(address) ?? '250 2.1.5 OK';
          if (reply.startsWith('2')) accepted.push(address);
          sock.write(reply + '\r\n');
        } else if (verb === 'DATA') {
          if (!accepted.length) sock.write('554 5.5.1 No valid recipients\r\n');
          else {
            inData = true;
            sock.write('354 OK\r\n');
          }
        } else if (verb === 'RSET') {
          accepted = [];
          hasMail = false;
          sock.write('250 2.0.0 OK\r\n');
        } else if (verb === 'QUIT') sock.end('221 2.0.0 Bye\r\n');
        else sock.write('500 5.5.2 Unknown command\r\n');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  fake.port = (server.address() as net.AddressInfo).port;
  fake.close = () =>
    new Promise((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });
  return fake;
}

const msg = Buffer.from('From: a@ext.vn\r\nSubject: x\r\n\r\nKính gửi anh.\r\n');
const settle = (ms = 30) => new Promise((r) => setTimeout(r, ms));

describe('mailstore/lmtp — reply parsing and dot-stuffing', () => {
  it('parses single and multi-line replies, across chunk boundaries', () => {
    const p = new ReplyParser();
    assert.deepEqual(p.feed('250-first\r\n250-PIPE'), []);
    assert.deepEqual(p.feed('LINING\r\n250 last\r\n354 go'), [{ code: 250, text: '250-first\n250-PIPELINING\n250 last' }]);
    assert.deepEqual(p.feed(' ahead\r\n550 5.1.1 <x@y> User doesn\'t exist\n'), [
      { code: 354, text: '354 go ahead' },
      { code: 550, text: '550 5.1.1 <x@y> User doesn\'t exist' },
    ]);
    assert.deepEqual(p.feed(Buffer.from('452 4.2.2 full\r\n250 2.0.0 ok\r\n')), [
      { code: 452, text: '452 4.2.2 full' },
      { code: 250, text: '250 2.0.0 ok' },
    ]);
  });

  it('refuses what is not a reply rather than guessing where the conversation is', () => {
    assert.throws(() => new ReplyParser().feed('hello\r\n'), /not an LMTP reply/);
    assert.throws(() => new ReplyParser().feed('250-a\r\n550 b\r\n'), /code changed/);
    assert.throws(() => new ReplyParser().feed('250 ' + 'x'.repeat(5000)), /too long/);
  });

  it('stuffs every line that starts with a dot and ends the data once', () => {
    const wire = (s: string) => Buffer.concat(dataPieces(Buffer.from(s))).toString();
    assert.equal(wire('a\r\nb\r\n'), 'a\r\nb\r\n.\r\n');
    assert.equal(wire('.start\r\n..two\r\nmid.dle\r\n.\r\n'), '..start\r\n...two\r\nmid.dle\r\n..\r\n.\r\n');
    assert.equal(wire('no final line end'), 'no final line end\r\n.\r\n');
    assert.equal(wire(''), '.\r\n');
  });

  it('turns bare LF into CRLF so that "\\n.\\n" can never end the data early', () => {
    const wire = (s: string) => Buffer.concat(dataPieces(Buffer.from(s))).toString();
    assert.equal(wire('x\n.\nMAIL FROM:<ceo@x>\n'), 'x\r\n..\r\nMAIL FROM:<ceo@x>\r\n.\r\n');
    assert.equal(wire('a\r\n\n.'), 'a\r\n\r\n..\r\n.\r\n');
    // A bare CR is not a line end for Dovecot: left as it is (the MX refuses it before this point).
    assert.equal(wire('a\r.\r\n'), 'a\r.\r\n.\r\n');
  });

  it('copies nothing for a message that needs no change', () => {
    const raw = Buffer.from('Subject: x\r\n\r\nbody\r\n');
    const pieces = dataPieces(raw);
    assert.equal(pieces.length, 2);
    assert.equal(pieces[0].buffer, raw.buffer);
  });
});

describe('mailstore/lmtp — the pipelined client against a scripted server', () => {
  let fake: Fake | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  it('sends MAIL, every RCPT and DATA in one write, then the body and "." in one write', async () => {
    fake = await fakeLmtp();
    const lmtp = createLmtpClient({ host: '127.0.0.1', port: fake.port, poolSize: 1 });
    try {
      const res = await lmtp.deliver({ from: 'a@ext.vn', to: ['x@t.vn', 'y@t.vn', 'z@t.vn'], raw: Buffer.from('.hidden\r\nbody\r\n') });
      assert.deepEqual(res.map((r) => [r.recipient, r.accepted, r.code, r.enhanced]), [
        ['x@t.vn', true, 250, '2.0.0'],
        ['y@t.vn', true, 250, '2.0.0'],
        ['z@t.vn', true, 250, '2.0.0'],
      ]);
      const chunks = fake.chunks[0];
      assert.equal(chunks[0], 'LHLO localhost\r\n');
      assert.equal(chunks[1], 'MAIL FROM:<a@ext.vn>\r\nRCPT TO:<x@t.vn>\r\nRCPT TO:<y@t.vn>\r\nRCPT TO:<z@t.vn>\r\nDATA\r\n');
      assert.equal(chunks[2], '..hidden\r\nbody\r\n.\r\n');
      assert.equal(chunks.length, 3);
    } finally {
      lmtp.close();
    }
  });

  it('gives each recipient its own answer: refused at RCPT, refused or deferred after the message', async () => {
    fake = await fakeLmtp({
      rcpt: (a) => (a.startsWith('unknown') ? "550 5.1.1 <unknown@t.vn> User doesn't exist" : '250 2.1.5 OK'),
      data: (a) => (a.startsWith('full') ? '552 5.2.2 <full@t.vn> Quota exceeded' : a.startsWith('busy') ? '451 4.3.0 <busy@t.vn> Temporary failure' : '250 2.0.0 <ok@t.vn> Saved'),
    });
    const lmtp = createLmtpClient({ host: '127.0.0.1', port: fake.port, poolSize: 1 });
    try {
      const res = await lmtp.deliver({ from: '', to: ['ok@t.vn', 'unknown@t.vn', 'full@t.vn', 'busy@t.vn'], raw: msg });
      assert.deepEqual(res.map((r) => [r.recipient, r.accepted, r.code, r.enhanced]), [
        ['ok@t.vn', true, 250, '2.0.0'],
        ['unknown@t.vn', false, 550, '5.1.1'],
        ['full@t.vn', false, 552, '5.2.2'],
        ['busy@t.vn', false, 451, '4.3.0'],
      ]);
      assert.match(res[2].response, /Quota exceeded/);
      assert.ok(fake.commands.includes('MAIL FROM:<>'), 'the null sender');
    } finally {
      lmtp.close();
    }
  });

  it('sends no message when every recipient is refused, and resets before the next one on the same connection', async () => {
    fake = await fakeLmtp({ rcpt: (a) => (a.startsWith('no') ? '550 5.1.1 no such user' : '250 2.1.5 OK') });
    const lmtp = createLmtpClient({ host: '127.0.0.1', port: fake.port, poolSize: 1 });
    try {
      const refused = await lmtp.deliver({ from: 'a@ext.vn', to: ['no1@t.vn', 'no2@t.vn'], raw: msg });
      assert.deepEqual(refused.map((r) => r.code), [550, 550]);
      const ok = await lmtp.deliver({ from: 'a@ext.vn', to: ['yes@t.vn'], raw: msg });
      assert.deepEqual(ok.map((r) => r.code), [250]);
      assert.equal(fake.connections, 1);
      assert.equal(fake.bodies.length, 1);
      assert.equal(fake.chunks[0][2], 'RSET\r\nMAIL FROM:<a@ext.vn>\r\nRCPT TO:<yes@t.vn>\r\nDATA\r\n');
    } finally {
      lmtp.close();
    }
  });

  it('works with a server that does not pipeline, one command at a time', async () => {
    fake = await fakeLmtp({ pipelining: false, rcpt: (a) => (a.startsWith('no') ? '550 5.1.1 no' : '250 2.1.5 OK') });
    const lmtp = createLmtpClient({ host: '127.0.0.1', port: fake.port, poolSize: 1 });
    try {
      const res = await lmtp.deliver({ from: 'a@ext.vn', to: ['no@t.vn', 'yes@t.vn'], raw: msg });
      assert.deepEqual(res.map((r) => r.code), [550, 250]);
      assert.deepEqual(fake.chunks[0].slice(1, 5), ['MAIL FROM:<a@ext.vn>\r\n', 'RCPT TO:<no@t.vn>\r\n', 'RCPT TO:<yes@t.vn>\r\n', 'DATA\r\n']);
    } finally {
      lmtp.close();
    }
  });

  it('reuses pooled connections and reconnects when the server closed one', async () => {
    fake = await fakeLmtp({ closeAfter: 2 });
    const lmtp = createLmtpClient({ host: '127.0.0.1', port: fake.port, poolSize: 1 });
    try {
      for (let i = 0; i < 5; i++) {
        assert.deepEqual((await lmtp.deliver({ from: 'a@ext.vn', to: ['x@t.vn'], raw: msg })).map((r) => r.code), [250]);
        await settle(10);
      }
      assert.equal(fake.bodies.length, 5, 'each message stored exactly once');
      assert.equal(fake.connections, 3);
    } finally {
      lmtp.close();
    }
  });

  it('runs several deliveries at once on separate connections, never more than the pool', async () => {
    fake = await fakeLmtp();
    const lmtp = createLmtpClient({ host: '127.0.0.1', port: fake.port, poolSize: 2 });
    try {
      const all = await Promise.all(Array.from({ length: 10 }, (_, i) => lmtp.deliver({ from: 'a@ext.vn', to: [`u${i}@t.vn`], raw: msg })));
      assert.deepEqual(all.map((r) => r[0].code), Array(10).fill(250));
      assert.equal(fake.connections, 2);
    } finally {
      lmtp.close();
    }
  });

  it('throws LmtpUnavailableError when nothing listens', async () => {
    const dead = await fakeLmtp();
    const port = dead.port;
    await dead.close();
    const lmtp = createLmtpClient({ host: '127.0.0.1', port });
    try {
      await assert.rejects(lmtp.deliver({ from: 'a@ext.vn', to: ['x@t.vn'], raw: msg }), LmtpUnavailableError);
    } finally {
      lmtp.close();
    }
  });

  it('throws LmtpUnavailableError when the server stops answering after the message', async () => {
    fake = await fakeLmtp({ hangAfterData: true });
    const lmtp = createLmtpClient({ host: '127.0.0.1', port: fake.port, socketTimeoutMs: 200 });
    try {
      await assert.rejects(lmtp.deliver({ from: 'a@ext.vn', to: ['x@t.vn'], raw: msg }), LmtpUnavailableError);
    } finally {
      lmtp.close();
    }
  });

  it('refuses an address that could end the command line', async () => {
    const lmtp = createLmtpClient({ host: '127.0.0.1', port: 9 });
    try {
      await assert.rejects(lmtp.deliver({ from: 'a@ext.vn', to: ['x@t.vn>\r\nRCPT TO:<y@t.vn'], raw: msg }), TypeError);
    } finally {
      lmtp.close();
    }
  });
});
