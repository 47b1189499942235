/**
 * npm run bench:smtp — 5 KB messages over 4 pooled connections, (a) straight into Dovecot's LMTP and
 * (b) through our MX into the same Dovecot. Prints msg/s of each and the ratio b/a (target ≥ 0.9).
 * Runs a, b, a, b and reports each round, so drift on a noisy machine shows.
 */
import { fork } from 'node:child_process';
import { startSmtpEnv } from '../test/support/mailenv.js';
import { addDomain, addMailbox } from '../admin/index.js';
import type { LoadJob } from './smtp-load.js';

const COUNT = Number(process.env.BENCH_COUNT ?? 2000);
const CONNECTIONS = 4;
const D = 'bench.gov.vn';

/** One round from a separate sender process (see smtp-load.ts); resolves to msg/s. */
function run(label: string, target: { port: number; lmtp: boolean }): Promise<number> {
  const job: LoadJob = { label, host: '127.0.0.1', port: target.port, lmtp: target.lmtp, count: COUNT, connections: CONNECTIONS, domain: D };
  return new Promise((resolve, reject) => {
    const sender = fork(new URL('./smtp-load.ts', import.meta.url), { execArgv: ['--import', 'tsx'] });
    sender.send(job);
    sender.once('message', (m: { rate?: number; error?: string }) => {
      if (m.error !== undefined) return reject(new Error(m.error));
      console.log(`${label.padEnd(28)} ${COUNT} messages  ${m.rate!.toFixed(0).padStart(5)} msg/s`);
      resolve(m.rate!);
    });
    sender.once('error', reject);
  });
}

const env = await startSmtpEnv('smtp://127.0.0.1:9', false);
try {
  await addDomain(env.db, D);
  for (let i = 0; i < 4; i++) await addMailbox(env.db, { address: `u${i}@${D}`, displayName: `Người dùng ${i}`, password: 'mat-khau-bench-2026' }, { defaultQuota: '10G' });
  const lmtp = { port: env.dovecot.lmtp.port, lmtp: true };
  const mx = { port: env.config.smtpPort, lmtp: false };
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
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await env.stop();
  process.exit();
}
