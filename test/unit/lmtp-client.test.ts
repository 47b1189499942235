import assert from 'node:assert/strict';
import net from 'node:net';
import { createLmtpClient, crlfOnly, dataPieces, LmtpUnavailableError, ReplyParser } from '../../mailstore/lmtp.js';

/**
 * A scripted LMTP server: enough of RFC 2033 to check what the client puts on the wire (pipelined
 * writes, dot-stuffing, RSET) and how it reads per-recipient answers, outages and timeouts. BDAT
 * (RFC 3030, LAST only) behaves as Dovecot 2.3.19 was seen to: one reply per accepted recipient; with
 * none, or no MAIL, exactly one 503 and the bytes discarded; an accepted MAIL is kept after that 503,
 * and every later BDAT gets one 503 too ("Previous data chunk failed"), until RSET.
 */
interface FakeOptions {
  pipelining?: boolean;
  /** Advertise CHUNKING; default false. */
  chunking?: boolean;
  /** The reply to MAIL FROM; default 250. */
  mail?: (address: string) => string;
  /** Stop answering after this many completed messages on a connection (the message is still stored). */
  hangFrom?: number;
  /** On a connection with this many completed messages, read whatever comes and never answer. */
  muteAfter?: number;
  /** On a connection with this many completed messages, drop it as soon as anything more arrives, unread. */
  dropOnArrivalAfter?: number;
  /** Close a connection after writing this many replies to commands (LHLO not counted); it still stores. */
  dropAfterReplies?: number;
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
  /** The raw bytes of each message stored: a DATA section as sent (still dot-stuffed, without the final "."), or a BDAT chunk. */
  bodies: Buffer[];
  /** How each stored message came: 'DATA' or 'BDAT'. */
  via: string[];
  commands: string[];
  connections: number;
  close(): Promise<void>;
}

async function fakeLmtp(o: FakeOptions = {}): Promise<Fake> {
  const fake: Fake = { port: 0, chunks: [], bodies: [], via: [], commands: [], connections: 0, close: async () => undefined };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.setNoDelay(true); // replies written one by one must not wait for delayed ACKs
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
    let bdat: number | undefined;
    let chunkFailed = false;
    let replies = 0;
    let dropped = false;
    const answer = (lines: string[]) => {
      for (const l of lines) {
        if (dropped) return;
        sock.write(l + '\r\n');
        if (o.dropAfterReplies !== undefined && ++replies >= o.dropAfterReplies) {
          dropped = true;
          sock.end();
        }
      }
    };
    const hang = () => o.hangAfterData || (o.hangFrom !== undefined && done >= o.hangFrom);
    const completed = () => {
      accepted = [];
      hasMail = false;
      if (++done === o.closeAfter) sock.destroy();
    };
    sock.write('220 fake LMTP ready\r\n');
    sock.on('data', (chunk: Buffer) => {
      mine.push(chunk.toString('latin1'));
      if (o.dropOnArrivalAfter !== undefined && done >= o.dropOnArrivalAfter) {
        sock.destroy();
        return;
      }
      if (o.muteAfter !== undefined && done >= o.muteAfter) return;
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (bdat !== undefined) {
          if (buf.length < bdat) return;
          const body = buf.subarray(0, bdat);
          buf = buf.subarray(bdat);
          bdat = undefined;
          const refusal = chunkFailed ? 'Previous data chunk failed, issue RSET first' : !hasMail ? 'MAIL needed first' : !accepted.length ? 'No valid recipients' : '';
          if (refusal) {
            chunkFailed = true;
            answer([`503 5.5.0 ${refusal}`]);
          } else {
            fake.bodies.push(body);
            fake.via.push('BDAT');
            if (hang()) return;
            answer(accepted.map((a) => o.data?.(a) ?? '250 2.0.0 <x> Saved'));
            completed();
          }
          continue;
        }
        if (inData) {
          const end = buf.indexOf('\r\n.\r\n');
          const atStart = buf.subarray(0, 3).toString() === '.\r\n';
          if (end < 0 && !atStart) return;
          const bodyEnd = atStart ? 0 : end + 2;
          fake.bodies.push(buf.subarray(0, bodyEnd));
          fake.via.push('DATA');
          buf = buf.subarray(atStart ? 3 : end + 5);
          inData = false;
          if (hang()) return;
          answer(accepted.map((a) => o.data?.(a) ?? '250 2.0.0 <x> Saved'));
          completed();
          continue;
        }
        const nl = buf.indexOf('\r\n');
        if (nl < 0) return;
        const line = buf.subarray(0, nl).toString('latin1');
        buf = buf.subarray(nl + 2);
        fake.commands.push(line);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'LHLO') sock.write(`250-fake\r\n${o.pipelining === false ? '' : '250-PIPELINING\r\n'}${o.chunking ? '250-CHUNKING\r\n' : ''}250-ENHANCEDSTATUSCODES\r\n250 8BITMIME\r\n`);
        else if (verb === 'MAIL') {
          const reply = o.mail?.(/<(.*)>/.exec(line)![1]) ?? '250 2.1.0 OK';
          if (hasMail) answer(['503 5.5.1 MAIL already given']);
          else {
            hasMail = reply.startsWith('2');
            answer([reply]);
          }
        } else if (verb === 'RCPT') {
          const address = /<(.*)>/.exec(line)![1];
          if (!hasMail) {
            answer(['503 5.5.1 MAIL needed first']);
            continue;
          }
          const reply = o.rcpt?.(address) ?? '250 2.1.5 OK';
          if (reply.startsWith('2')) accepted.push(address);
          answer([reply]);
        } else if (verb === 'DATA') {
          if (!accepted.length) answer(['554 5.5.1 No valid recipients']);
          else {
            inData = true;
            answer(['354 OK']);
          }
        } else if (verb === 'BDAT' && o.chunking) {
          const m = /^BDAT (\d+) LAST$/i.exec(line);
          if (!m) answer(['501 5.5.4 only BDAT <size> LAST here']);
          else bdat = Number(m[1]);
        } else if (verb === 'RSET') {
          accepted = [];
          hasMail = false;
          chunkFailed = false;
          answer(['250 2.0.0 OK']);
        } else if (verb === 'QUIT') sock.end('221 2.0.0 Bye\r\n');
        else answer(['500 5.5.2 Unknown command']);
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
  it('sends by BDAT only a message with CRLF line ends throughout, the last one included', () => {
    assert.equal(crlfOnly(Buffer.from('Subject: x\r\n\r\n.dot\r\nbody\r\n')), true);
    assert.equal(crlfOnly(Buffer.from('\r\n')), true);
    for (const bad of ['', 'x', 'a\r\nb', 'a\r\nb\r', '\n', 'a\nb\r\n', 'a\r\nb\n', 'a\r\n\n', 'a\rb\r\n', 'a\r\nb\r\r\n', '\r\r\n', 'a\r\n\rb\r\n']) {
      assert.equal(crlfOnly(Buffer.from(bad)), false, JSON.stringify(bad));
    }
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

describe('mailstore/lmtp — CHUNKING (BDAT) against a scripted server', () => {
  let fake: Fake | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });
  const codes = (res: Array<{ code: number }>) => res.map((r) => r.code);

  it('sends MAIL, every RCPT, "BDAT <size> LAST" and the message in one write, the bytes unchanged', async () => {
    fake = await fakeLmtp({ chunking: true });
    const lmtp = createLmtpClient({ host: '127.0.0.1', port: fake.port, poolSize: 1 });
    try {
      const raw = Buffer.from('Subject: x\r\n\r\n.hidden\r\n..two\r\n.\r\nbody\r\n');
      const res = await lmtp.deliver({ from: 'a@ext.vn', to: ['x@t.vn', 'y@t.vn'], raw });
      assert.deepEqual(res.map((r) => [r.recipient, r.accepted, r.code, r.enhanced]), [
        ['x@t.vn', true, 250, '2.0.0'],
        ['y@t.vn', true, 250, '2.0.0'],
      ]);
      assert.deepEqual(fake.chunks[0], ['LHLO localhost\r\n', `MAIL FROM:<a@ext.vn>\r\nRCPT TO:<x@t.vn>\r\nRCPT TO:<y@t.vn>\r\nBDAT ${raw.length} LAST\r\n${raw.toString('latin1')}`]);
      assert.deepEqual(fake.via, ['BDAT']);
      assert.ok(fake.bodies[0].equals(raw), 'no dot-stuffing on BDAT');
    } finally {
      lmtp.close();
    }
  });

  it('gives each recipient its own answer: refused at RCPT, over quota or deferred at BDAT', async () => {
    fake = await fakeLmtp({
      chunking: true,
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
      // The transaction ended with BDAT LAST: the next one needs no RSET.
      assert.deepEqual(codes(await lmtp.deliver({ from: '', to: ['ok@t.vn'], raw: msg })), [250]);
      assert.match(fake.chunks[0][2], /^MAIL FROM:<>\r\nRCPT TO:<ok@t.vn>\r\nBDAT \d+ LAST\r\n/);
      assert.deepEqual(fake.via, ['BDAT', 'BDAT']);
    } finally {
      lmtp.close();
    }
  });

  it('every recipient refused: reads the one refusal of BDAT, stores nothing, and resets before the next transaction', async () => {
    fake = await fakeLmtp({ chunking: true, rcpt: (a) => (a.startsWith('no') ? '550 5.1.1 no such user' : '250 2.1.5 OK') });
    // A client waiting for a reply per recipient would time out here.
    const lmtp = createLmtpClient({ host: '127.0.0.1', port: fake.port, poolSize: 1, socketTimeoutMs: 1000 });
    try {
      assert.deepEqual(codes(await lmtp.deliver({ from: 'a@ext.vn', to: ['no1@t.vn', 'no2@t.vn'], raw: msg })), [550, 550]);
      assert.deepEqual(codes(await lmtp.deliver({ from: 'a@ext.vn', to: ['yes@t.vn'], raw: msg })), [250]);
      assert.equal(fake.connections, 1);
      assert.equal(fake.bodies.length, 1);
      assert.ok(fake.chunks[0][2].startsWith('RSET\r\nMAIL FROM:<a@ext.vn>\r\nRCPT TO:<yes@t.vn>\r\nBDAT '), fake.chunks[0][2].slice(0, 80));
    } finally {
      lmtp.close();
    }
  });

  it('MAIL refused: every recipient gets that answer, one reply to BDAT is read, and RSET follows (the failed chunk)', async () => {
    fake = await fakeLmtp({ chunking: true, mail: (a) => (a.startsWith('bad') ? '501 5.5.4 Invalid FROM' : '250 2.1.0 OK') });
    const lmtp = createLmtpClient({ host: '127.0.0.1', port: fake.port, poolSize: 1, socketTimeoutMs: 1000 });
    try {
      const res = await lmtp.deliver({ from: 'bad@ext.vn', to: ['x@t.vn', 'y@t.vn'], raw: msg });
      assert.deepEqual(res.map((r) => [r.code, r.enhanced, r.accepted]), [
        [501, '5.5.4', false],
        [501, '5.5.4', false],
      ]);
      assert.deepEqual(codes(await lmtp.deliver({ from: 'a@ext.vn', to: ['x@t.vn', 'y@t.vn'], raw: msg })), [250, 250]);
      assert.ok(fake.chunks[0][2].startsWith('RSET\r\nMAIL FROM:<a@ext.vn>\r\n'), fake.chunks[0][2].slice(0, 80));
      assert.equal(fake.bodies.length, 1);
      assert.equal(fake.connections, 1);
    } finally {
      lmtp.close();
    }
  });

  it('falls back to DATA for bare LF, bare CR or no final line end, and when the server does not pipeline', async () => {
    fake = await fakeLmtp({ chunking: true });
    const lmtp = createLmtpClient({ host: '127.0.0.1', port: fake.port, poolSize: 1 });
    try {
      for (const body of ['Subject: lf\n\n.dot\nline\n', 'Subject: cr\r\n\r\na\rb\r\n', 'Subject: end\r\n\r\nno end']) {
        assert.deepEqual(codes(await lmtp.deliver({ from: 'a@ext.vn', to: ['x@t.vn'], raw: Buffer.from(body) })), [250]);
      }
      assert.deepEqual(fake.via, ['DATA', 'DATA', 'DATA']);
      assert.equal(fake.bodies[0].toString(), 'Subject: lf\r\n\r\n..dot\r\nline\r\n');
      assert.equal(fake.bodies[1].toString(), 'Subject: cr\r\n\r\na\rb\r\n');
      assert.equal(fake.bodies[2].toString(), 'Subject: end\r\n\r\nno end\r\n');
      assert.ok(!fake.commands.some((c) => c.startsWith('BDAT')));
    } finally {
      lmtp.close();
    }
    await fake.close();
    fake = await fakeLmtp({ chunking: true, pipelining: false });
    const plain = createLmtpClient({ host: '127.0.0.1', port: fake.port, poolSize: 1 });
    try {
      assert.deepEqual(codes(await plain.deliver({ from: 'a@ext.vn', to: ['x@t.vn'], raw: msg })), [250]);
      assert.deepEqual(fake.via, ['DATA']);
    } finally {
      plain.close();
    }
  });

  it('sends a message over 1 MB as one BDAT chunk, byte for byte', async () => {
    fake = await fakeLmtp({ chunking: true });
    const lmtp = createLmtpClient({ host: '127.0.0.1', port: fake.port, poolSize: 1 });
    try {
      const raw = Buffer.from('Subject: lon\r\n\r\n' + Array.from({ length: 20_000 }, (_, i) => `.${i} ${'z'.repeat(70)}\r\n`).join(''));
      assert.ok(raw.length > 1_500_000);
      assert.deepEqual(codes(await lmtp.deliver({ from: 'a@ext.vn', to: ['x@t.vn'], raw })), [250]);
      assert.ok(fake.commands.includes(`BDAT ${raw.length} LAST`));
      assert.deepEqual(fake.via, ['BDAT']);
      assert.ok(fake.bodies[0].equals(raw));
      assert.deepEqual(codes(await lmtp.deliver({ from: 'a@ext.vn', to: ['x@t.vn'], raw: msg })), [250], 'the connection goes on after it');
      assert.equal(fake.connections, 1);
    } finally {
      lmtp.close();
    }
  });

  it('reuses one connection for many deliveries, one write each, refusals in between', async () => {
    fake = await fakeLmtp({ chunking: true, rcpt: (a) => (a.startsWith('no') ? '550 5.1.1 no' : '250 2.1.5 OK') });
    const lmtp = createLmtpClient({ host: '127.0.0.1', port: fake.port, poolSize: 1, socketTimeoutMs: 1000 });
    try {
      for (let i = 0; i < 60; i++) {
        const to = i % 10 === 3 ? ['no@t.vn'] : ['x@t.vn', 'no@t.vn'];
        assert.deepEqual(codes(await lmtp.deliver({ from: 'a@ext.vn', to, raw: Buffer.from(`Subject: ${i}\r\n\r\nx\r\n`) })), i % 10 === 3 ? [550] : [250, 550]);
      }
      assert.equal(fake.connections, 1);
      assert.equal(fake.chunks[0].length, 61, 'LHLO, then one write per delivery');
      assert.equal(fake.bodies.length, 54);
      assert.equal(fake.commands.filter((c) => c === 'RSET').length, 6);
    } finally {
      lmtp.close();
    }
  });

  it('retries once on a fresh connection when a reused one was dropped before any reply', async () => {
    fake = await fakeLmtp({ chunking: true, dropOnArrivalAfter: 1 });
    const lmtp = createLmtpClient({ host: '127.0.0.1', port: fake.port, poolSize: 1 });
    try {
      assert.deepEqual(codes(await lmtp.deliver({ from: 'a@ext.vn', to: ['x@t.vn'], raw: msg })), [250]);
      // The server drops the pooled connection as the next delivery's write arrives: nothing was read, nothing stored.
      assert.deepEqual(codes(await lmtp.deliver({ from: 'a@ext.vn', to: ['x@t.vn'], raw: msg })), [250]);
      assert.equal(fake.connections, 2);
      assert.equal(fake.bodies.length, 2, 'each message stored exactly once');
    } finally {
      lmtp.close();
    }
  });

  it('never retries once MAIL was answered: LmtpUnavailableError, or 451 4.4.2 for accepted recipients left unanswered', async () => {
    // One delivery to one recipient is 3 replies (MAIL, RCPT, BDAT); the second closes after its MAIL reply.
    fake = await fakeLmtp({ chunking: true, dropAfterReplies: 4 });
    let lmtp = createLmtpClient({ host: '127.0.0.1', port: fake.port, poolSize: 1 });
    try {
      await lmtp.deliver({ from: 'a@ext.vn', to: ['x@t.vn'], raw: msg });
      await assert.rejects(lmtp.deliver({ from: 'a@ext.vn', to: ['x@t.vn'], raw: msg }), LmtpUnavailableError);
      assert.equal(fake.connections, 1, 'not retried');
      assert.equal(fake.bodies.length, 2, 'the server did store it');
    } finally {
      lmtp.close();
    }
    await fake.close();
    // MAIL, 3 RCPT and the first BDAT reply of the second delivery, then the connection closes.
    fake = await fakeLmtp({ chunking: true, dropAfterReplies: 3 + 5, rcpt: (a) => (a.startsWith('no') ? '550 5.1.1 no' : '250 2.1.5 OK') });
    lmtp = createLmtpClient({ host: '127.0.0.1', port: fake.port, poolSize: 1 });
    try {
      await lmtp.deliver({ from: 'a@ext.vn', to: ['x@t.vn'], raw: msg });
      const res = await lmtp.deliver({ from: 'a@ext.vn', to: ['x@t.vn', 'no@t.vn', 'y@t.vn'], raw: msg });
      assert.deepEqual(res.map((r) => [r.code, r.enhanced]), [
        [250, '2.0.0'],
        [550, '5.1.1'],
        [451, '4.4.2'],
      ]);
      assert.equal(fake.connections, 1, 'not retried');
      assert.equal(fake.bodies.length, 2);
    } finally {
      lmtp.close();
    }
  });

  it('times out when the server does not answer BDAT, and does not retry: 451 4.4.2', async () => {
    fake = await fakeLmtp({ chunking: true, hangFrom: 2 });
    const lmtp = createLmtpClient({ host: '127.0.0.1', port: fake.port, poolSize: 1, socketTimeoutMs: 300 });
    try {
      assert.deepEqual(codes(await lmtp.deliver({ from: 'a@ext.vn', to: ['x@t.vn'], raw: msg })), [250]);
      await settle(400); // idle longer than the timeout: no timeout while the connection waits in the pool
      assert.deepEqual(codes(await lmtp.deliver({ from: 'a@ext.vn', to: ['x@t.vn'], raw: msg })), [250]);
      const started = Date.now();
      // MAIL and RCPT were answered, BDAT not: the message may be stored, so it is deferred, not retried.
      const res = await lmtp.deliver({ from: 'a@ext.vn', to: ['x@t.vn'], raw: msg });
      assert.deepEqual(res.map((r) => [r.code, r.enhanced, r.accepted]), [[451, '4.4.2', false]]);
      assert.match(res[0].response, /timed out/);
      assert.ok(Date.now() - started >= 250);
      assert.equal(fake.connections, 1, 'not retried');
      assert.equal(fake.bodies.length, 3);
    } finally {
      lmtp.close();
    }
  });

  it('a reused connection that answers nothing times out: LmtpUnavailableError, not retried (the server may be working)', async () => {
    fake = await fakeLmtp({ chunking: true, muteAfter: 1 });
    const lmtp = createLmtpClient({ host: '127.0.0.1', port: fake.port, poolSize: 1, socketTimeoutMs: 300 });
    try {
      assert.deepEqual(codes(await lmtp.deliver({ from: 'a@ext.vn', to: ['x@t.vn'], raw: msg })), [250]);
      await assert.rejects(lmtp.deliver({ from: 'a@ext.vn', to: ['x@t.vn'], raw: msg }), (e: Error) => e instanceof LmtpUnavailableError && /timed out/.test(e.message));
      assert.equal(fake.connections, 1, 'not retried');
    } finally {
      lmtp.close();
    }
  });
});
