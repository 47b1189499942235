/**
 * npm run bench:smtp — 5 KB messages over 4 pooled connections, (a) straight into Dovecot's LMTP and
 * (b) through our MX into the same Dovecot. Prints msg/s of each and the ratio b/a (target ≥ 0.9).
 * Runs a, b, a, b and reports each round, so drift on a noisy machine shows.
 */
import net from 'node:net';
import nodemailer from 'nodemailer';
import { startSmtpEnv } from '../test/support/mailenv.js';
import { addDomain, addMailbox } from '../admin/index.js';

const COUNT = Number(process.env.BENCH_COUNT ?? 2000);
const CONNECTIONS = 4;
const D = 'bench.gov.vn';

function message(i: number): Buffer {
  const body = 'Nội dung công văn thử nghiệm. '.repeat(170).slice(0, 5000);
  return Buffer.from(`From: a@ngoai.vn\r\nTo: u${i % 4}@${D}\r\nSubject: bench ${i}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}\r\n`);
}

async function run(label: string, transport: nodemailer.Transporter): Promise<number> {
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONNECTIONS * 2 }, async () => {
      for (let i = next++; i < COUNT; i = next++) {
        const info = await transport.sendMail({ envelope: { from: 'a@ngoai.vn', to: [`u${i % 4}@${D}`] }, raw: message(i) });
        if (!info.accepted?.length) throw new Error(`${label}: message ${i} refused: ${info.response}`);
      }
    }),
  );
  const rate = COUNT / ((performance.now() - start) / 1000);
  console.log(`${label.padEnd(28)} ${COUNT} messages  ${rate.toFixed(0).padStart(5)} msg/s`);
  return rate;
}

/**
 * Both clients get TCP_NODELAY: nodemailer's own sockets stall ~40 ms per message on a delayed ACK,
 * which would make both figures measure the client, not the servers.
 */
const noDelaySocket = (options: any, callback: (err: Error | null, s?: { connection: net.Socket }) => void) => {
  const socket = net.connect({ host: options.host, port: options.port }, () => callback(null, { connection: socket }));
  socket.setNoDelay(true);
  socket.once('error', (err) => callback(err));
};

const env = await startSmtpEnv('smtp://127.0.0.1:9', false);
try {
  await addDomain(env.db, D);
  for (let i = 0; i < 4; i++) await addMailbox(env.db, { address: `u${i}@${D}`, displayName: `Người dùng ${i}`, password: 'mat-khau-bench-2026' }, { defaultQuota: '10G' });
  const lmtp = nodemailer.createTransport({ host: '127.0.0.1', port: env.dovecot.lmtp.port, lmtp: true, pool: true, maxConnections: CONNECTIONS, maxMessages: Infinity, ignoreTLS: true, getSocket: noDelaySocket } as any);
  const mx = nodemailer.createTransport({ host: '127.0.0.1', port: env.config.smtpPort, pool: true, maxConnections: CONNECTIONS, maxMessages: Infinity, ignoreTLS: true, getSocket: noDelaySocket } as any);
  console.log(`GovMail bench:smtp — ${COUNT} × 5 KB, ${CONNECTIONS} connections, Dovecot mdbox with quota and sieve`);
  await run('warm-up (LMTP)', lmtp);
  const rounds: Array<[number, number]> = [];
  for (let r = 1; r <= 2; r++) {
    const a = await run(`round ${r} (a) Dovecot LMTP`, lmtp);
    const b = await run(`round ${r} (b) GovMail MX`, mx);
    rounds.push([a, b]);
    console.log(`round ${r} ratio b/a = ${(b / a).toFixed(2)}`);
  }
  const a = rounds.reduce((s, [x]) => s + x, 0) / rounds.length;
  const b = rounds.reduce((s, [, y]) => s + y, 0) / rounds.length;
  console.log(`mean: a ${a.toFixed(0)} msg/s, b ${b.toFixed(0)} msg/s, ratio b/a = ${(b / a).toFixed(2)} (target ≥ 0.90)`);
  lmtp.close();
  mx.close();
} finally {
  await env.stop();
  process.exit(0);
}
