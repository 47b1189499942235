/**
 * The load generator of bench:smtp, run in a child process so that the client's own work does not
 * share an event loop with the MX it measures (in production the senders are other machines).
 */
import net from 'node:net';
import nodemailer from 'nodemailer';

export interface LoadJob {
  label: string;
  host: string;
  port: number;
  lmtp: boolean;
  count: number;
  connections: number;
  domain: string;
  /** Local part prefix of the four mailboxes this round writes to (`<prefix>0@domain` …). */
  mailboxPrefix: string;
}

function message(i: number, to: string): Buffer {
  const body = 'Nội dung công văn thử nghiệm. '.repeat(170).slice(0, 5000);
  return Buffer.from(`From: a@ngoai.vn\r\nTo: ${to}\r\nSubject: bench ${i}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}\r\n`);
}

/**
 * TCP_NODELAY on the client: nodemailer's own sockets stall ~40 ms per message on a delayed ACK,
 * which would make both figures measure the client, not the servers.
 */
const noDelaySocket = (options: any, callback: (err: Error | null, s?: { connection: net.Socket }) => void) => {
  const socket = net.connect({ host: options.host, port: options.port }, () => callback(null, { connection: socket }));
  socket.setNoDelay(true);
  socket.once('error', (err) => callback(err));
};

async function run(job: LoadJob): Promise<{ rate: number; cpuMs: number }> {
  const transport = nodemailer.createTransport({ host: job.host, port: job.port, lmtp: job.lmtp, pool: true, maxConnections: job.connections, maxMessages: Infinity, ignoreTLS: true, getSocket: noDelaySocket } as any);
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  let next = 0;
  try {
    // Two messages in flight per connection keep each pooled connection busy between transactions.
    await Promise.all(
      Array.from({ length: job.connections * 2 }, async () => {
        for (let i = next++; i < job.count; i = next++) {
          const to = `${job.mailboxPrefix}${i % 4}@${job.domain}`;
          const info = await transport.sendMail({ envelope: { from: 'a@ngoai.vn', to: [to] }, raw: message(i, to) });
          if (!info.accepted?.length) throw new Error(`${job.label}: message ${i} refused: ${info.response}`);
        }
      }),
    );
  } finally {
    transport.close();
  }
  const cpu = process.cpuUsage(cpu0);
  return { rate: job.count / ((performance.now() - start) / 1000), cpuMs: (cpu.user + cpu.system) / 1000 };
}

process.once('message', (job: LoadJob) => {
  run(job).then(
    (r) => process.send!(r, () => process.exit(0)),
    (err: Error) => process.send!({ error: err.message }, () => process.exit(1)),
  );
});
