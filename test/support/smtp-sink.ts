import { SMTPServer } from 'smtp-server';
import { freePort } from './postgres.js';

/**
 * A stand-in for "the rest of the Internet": a real SMTP server on loopback that our outbound queue
 * relays to (as the smarthost). Recipients steer its answers: `temp*` is refused 451 the first
 * `tempFailures` times, `perm*` is refused 550, `slow*` holds the DATA answer for `slowMs`.
 */
export interface Sink {
  port: number;
  url: string;
  received: Array<{ from: string; to: string[]; data: Buffer }>;
  tempFailures: number;
  slowMs: number;
  waitFor(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startSink(): Promise<Sink> {
  const port = await freePort();
  const seen = new Map<string, number>();
  const sink: Sink = {
    port,
    url: `smtp://127.0.0.1:${port}`,
    received: [],
    tempFailures: 1,
    slowMs: 0,
    async waitFor(n, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (sink.received.length < n) {
        if (Date.now() > deadline) throw new Error(`sink got ${sink.received.length} of ${n} messages`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
  const server = new SMTPServer({
    authOptional: true,
    disableReverseLookup: true,
    logger: false,
    hideSTARTTLS: true,
    onRcptTo(address, _session, cb) {
      const local = address.address.split('@')[0];
      if (local.startsWith('perm')) return cb(Object.assign(new Error('5.1.1 no such user here'), { responseCode: 550 }));
      if (local.startsWith('temp')) {
        const n = (seen.get(address.address) ?? 0) + 1;
        seen.set(address.address, n);
        if (n <= sink.tempFailures) return cb(Object.assign(new Error('4.2.0 try again later'), { responseCode: 451 }));
      }
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c) => chunks.push(c));
      stream.on('end', () => {
        const slow = session.envelope.rcptTo.some((r) => r.address.startsWith('slow'));
        setTimeout(() => {
          sink.received.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), data: Buffer.concat(chunks) });
          cb();
        }, slow ? sink.slowMs : 0);
      });
    },
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return sink;
}
