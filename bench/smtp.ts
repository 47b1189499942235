/**
 * npm run bench:smtp — 5 KB messages over 4 pooled connections, (a) straight into Dovecot's LMTP and
 * (b) through our MX into the same Dovecot. Prints msg/s of each and the ratio b/a (target ≥ 0.9).
 * Runs a, b, b, a and reports each round, so drift on a noisy machine shows. Every run writes to four
 * mailboxes of its own, created empty for it: Dovecot's cost per delivery grows with the mailbox (its
 * index is rewritten as it grows), which would otherwise make whichever side runs later look slower.
 *
 * (c) is (b) with scanning on: the embedded rspamd (and clamd, with one signature) asked at the end of
 * DATA, plus our attachment policy. It prints c/b (target ≥ 0.6).
 *
 * Under each round: the CPU time per message of every process involved (Dovecot, PostgreSQL, rspamd,
 * clamd, the MX — this process — and the sender), read from /proc. Everything runs on one machine, so when it has few
 * cores the rate is bounded by the total of that line, and b/a follows the ratio of the totals.
 */
import { fork } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { startSmtpEnv } from '../test/support/mailenv.js';
import { startTestScanner } from '../test/support/scanner.js';
import { freePort } from '../test/support/postgres.js';
import { addDomain, addMailbox } from '../admin/index.js';
import { loadKek } from '../core/kek.js';
import { createMessageScanner, startSmtpServices } from '../smtp/index.js';
import type { LoadJob } from './smtp-load.js';

const COUNT = Number(process.env.BENCH_COUNT ?? 2000);
const CONNECTIONS = 4;
const D = 'bench.gov.vn';

type Kind = 'pg' | 'dovecot' | 'rspamd' | 'clamd';
const kindOf = (name: string): Kind => (name.startsWith('postgres') ? 'pg' : name.startsWith('rspamd') ? 'rspamd' : name.startsWith('clamd') ? 'clamd' : 'dovecot');

/** CPU milliseconds used so far by this process's descendants (PostgreSQL, Dovecot, rspamd, clamd), by kind. */
function childCpuMs(): Record<Kind, number> {
  const procs = new Map<number, { ppid: number; ms: number; name: string }>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime + stime, in clock ticks of 10 ms.
      procs.set(Number(d), { ppid: Number(f[1]), ms: (Number(f[11]) + Number(f[12])) * 10, name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) });
    } catch {
      // exited meanwhile
    }
  }
  const out: Record<Kind, number> = { pg: 0, dovecot: 0, rspamd: 0, clamd: 0 };
  for (const [pid, p] of procs) {
    if (pid === process.pid || p.name === 'node') continue;
    let up = p.ppid;
    for (let i = 0; i < 8 && up > 1 && up !== process.pid; i++) up = procs.get(up)?.ppid ?? 0;
    if (up === process.pid) out[kindOf(p.name)] += p.ms;
  }
  return out;
}

/** One round from a separate sender process (see smtp-load.ts); resolves to msg/s. */
let runs = 0;
async function run(label: string, target: { port: number; lmtp: boolean }): Promise<number> {
  const mailboxPrefix = `r${++runs}u`;
  for (let i = 0; i < 4; i++) await addMailbox(env.db, { address: `${mailboxPrefix}${i}@${D}`, displayName: `Người dùng ${runs}.${i}`, password: 'mat-khau-bench-2026' }, { defaultQuota: '10G' });
  const job: LoadJob = { label, host: '127.0.0.1', port: target.port, lmtp: target.lmtp, count: COUNT, connections: CONNECTIONS, domain: D, mailboxPrefix };
  return new Promise((resolve, reject) => {
    const children0 = childCpuMs();
    const self0 = process.cpuUsage();
    const sender = fork(new URL('./smtp-load.ts', import.meta.url), { execArgv: ['--import', 'tsx'] });
    sender.send(job);
    sender.once('message', (m: { rate?: number; error?: string; cpuMs?: number }) => {
      if (m.error !== undefined) return reject(new Error(m.error));
      const children = childCpuMs();
      const self = process.cpuUsage(self0);
      const perMsg: Record<string, number> = { dovecot: children.dovecot - children0.dovecot, postgres: children.pg - children0.pg, mx: (self.user + self.system) / 1000, sender: m.cpuMs ?? 0 };
      if (children.rspamd > children0.rspamd) perMsg.rspamd = children.rspamd - children0.rspamd;
      if (children.clamd > children0.clamd) perMsg.clamd = children.clamd - children0.clamd;
      const us = (ms: number) => ((ms * 1000) / COUNT).toFixed(0);
      console.log(`${label.padEnd(28)} ${COUNT} messages  ${m.rate!.toFixed(0).padStart(5)} msg/s`);
      console.log(`${''.padEnd(28)} CPU µs/msg: ${Object.entries(perMsg).map(([k, v]) => `${k} ${us(v)}`).join(', ')}; total ${us(Object.values(perMsg).reduce((x, y) => x + y, 0))}`);
      resolve(m.rate!);
    });
    sender.once('error', reject);
  });
}

const env = await startSmtpEnv('smtp://127.0.0.1:9', false);
// A second MX on the same database and Dovecot, with the embedded scanner.
const scanner = await startTestScanner(env.config, env.identity);
const scanningConfig = { ...env.config, smtpPort: await freePort(), submissionPort: await freePort(), submissionsPort: await freePort() };
const scanning = await startSmtpServices({ config: scanningConfig, db: env.db, lmtp: env.lmtp, kek: loadKek(env.dataDir), tls: env.tls, worker: false, scanner: createMessageScanner(scanningConfig, scanner.endpoints) });
try {
  await addDomain(env.db, D);
  const lmtp = { port: env.dovecot.lmtp.port, lmtp: true };
  const mx = { port: env.config.smtpPort, lmtp: false };
  const scanned = { port: scanningConfig.smtpPort, lmtp: false };
  console.log(`GovMail bench:smtp — ${COUNT} × 5 KB, ${CONNECTIONS} connections, Dovecot mdbox with quota and sieve`);
  // Every path warm before anything is measured: Dovecot's caches, the MX's code compiled by the JIT, rspamd.
  await run('warm-up (LMTP)', lmtp);
  await run('warm-up (MX)', mx);
  await run('warm-up (MX + rspamd)', scanned);
  const rounds: Array<[number, number, number]> = [];
  // a, b, c, then c, b, a: what else runs on the machine drifts, so no side always goes first.
  for (let r = 1; r <= 2; r++) {
    const sides = [() => run(`round ${r} (a) Dovecot LMTP`, lmtp), () => run(`round ${r} (b) GovMail MX`, mx), () => run(`round ${r} (c) MX + rspamd`, scanned)];
    const rates = [0, 0, 0];
    for (const i of r % 2 === 1 ? [0, 1, 2] : [2, 1, 0]) rates[i] = await sides[i]!();
    const [a, b, c] = rates as [number, number, number];
    rounds.push([a, b, c]);
    console.log(`round ${r} ratio b/a = ${(b / a).toFixed(2)}, c/b = ${(c / b).toFixed(2)}`);
  }
  const mean = (i: number) => rounds.reduce((s, x) => s + x[i]!, 0) / rounds.length;
  const [a, b, c] = [mean(0), mean(1), mean(2)];
  console.log(`mean: a ${a.toFixed(0)} msg/s, b ${b.toFixed(0)} msg/s, c ${c.toFixed(0)} msg/s; ratio b/a = ${(b / a).toFixed(2)} (target ≥ 0.90), c/b = ${(c / b).toFixed(2)} (target ≥ 0.60)`);
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await scanning.stop();
  await scanner.stop();
  await env.stop();
  process.exit();
}
