/**
 * npm run bench:load — many users at once on one GovMail (real PostgreSQL, Dovecot, our MX and the
 * webmail over HTTP on loopback). BENCH_USERS (default 500) mailboxes, 10 % of them desktop clients
 * (IMAP with IDLE), the rest webmail users with think times, and an inbound stream through the MX;
 * BENCH_SECONDS (default 60). The same client code runs first with one user as the baseline, so every
 * figure has its single-user value beside it. Prints p50/p95/p99 per action, messages/s, errors,
 * Dovecot panics and the CPU each component used — which one saturates first is the limit.
 * Target (issue #20): list/open p95 ≤ 300 ms at 500 users, no error, no Dovecot panic.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { addDomain, addMailbox } from '../admin/index.js';
import { startSmtpServices } from '../smtp/index.js';
import { startWebmailEnv, rawMessage } from '../test/support/webmail.js';
import { fmt, ratio } from './measure.js';

const USERS = Number(process.env.BENCH_USERS ?? 500);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const INBOUND = Number(process.env.BENCH_INBOUND_PER_SECOND ?? 5);
const D = 'load.gov.vn';
const PW = 'mat-khau-tai-cao-2026';
const here = path.dirname(fileURLToPath(import.meta.url));

/** CPU seconds used so far by each component: this process, PostgreSQL, Dovecot (all its processes). */
function cpuByComponent(): Record<string, number> {
  const tick = 100; // USER_HZ on Linux
  const out: Record<string, number> = { govmail: 0, postgres: 0, dovecot: 0 };
  const dovecot = new Set(['dovecot', 'imap', 'imap-login', 'lmtp', 'auth', 'anvil', 'log', 'config', 'stats', 'dict', 'quota-status', 'pop3-login', 'managesieve-lo', 'indexer', 'indexer-worker']);
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const seconds = (Number(fields[11]) + Number(fields[12])) / tick;
    if (Number(pid) === process.pid) out.govmail! += seconds;
    else if (comm === 'postgres') out.postgres! += seconds;
    else if (dovecot.has(comm)) out.dovecot! += seconds;
  }
  return out;
}

interface Result {
  actions: Record<string, { n: number; p50: number; p95: number; p99: number }>;
  errors: Record<string, number>;
  sent: number;
  inbound: number;
  idleEvents: number;
  /** CPU seconds the load client itself used. */
  cpuSeconds: number;
}

function runClients(job: object): { done: Promise<Result> } {
  const child = execFile(process.execPath, ['--import', 'tsx', path.join(here, 'load-client.ts'), JSON.stringify(job)], { maxBuffer: 64 * 1024 * 1024 });
  const done = new Promise<Result>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => process.stderr.write(d));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!)) : reject(new Error(`load client exited ${code}`))));
  });
  return { done };
}

const env = await startWebmailEnv();
const smtp = await startSmtpServices({ config: env.config, db: env.db, lmtp: env.lmtp, kek: env.kek, tls: env.tls, worker: false });
try {
  console.log(`GovMail bench:load — ${os.cpus().length} cores, Node ${process.version}, ${USERS} users (10 % IMAP with IDLE), ${SECONDS} s, ${INBOUND} inbound msg/s through the MX`);
  await addDomain(env.db, D);
  const users = Array.from({ length: USERS }, (_, i) => `canbo${i}@${D}`);
  let t0 = performance.now();
  for (let i = 0; i < users.length; i += 4) {
    await Promise.all(users.slice(i, i + 4).map((address) => addMailbox(env.db, { address, displayName: `Cán bộ ${address}`, password: PW }, { defaultQuota: '2G' })));
  }
  for (const u of users) {
    for (let k = 0; k < 10; k++) await env.lmtp.deliver({ from: 'vanphong@load.gov.vn', to: [u], raw: rawMessage({ from: 'vanphong@load.gov.vn', to: u, subject: `Kế hoạch ngân sách số ${k}`, body: `Kính gửi. Kế hoạch công tác số ${k}.` }) });
  }
  console.log(`  set-up: ${USERS} mailboxes with 10 messages each in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  await env.app.listen({ host: '127.0.0.1', port: 0 });
  const http = `http://127.0.0.1:${(env.app.server.address() as AddressInfo).port}`;
  const base = { http, imapPort: env.dovecot.imap.port, mxPort: env.config.smtpPort, password: PW, thinkMs: [1000, 5000] };

  const measure = async (label: string, job: object) => {
    const before = cpuByComponent();
    t0 = performance.now();
    const client = runClients(job);
    const result = await client.done;
    const wall = (performance.now() - t0) / 1000;
    const after = cpuByComponent();
    const cpu = { ...Object.fromEntries(Object.keys(before).map((k) => [k, (after[k]! - before[k]!) / wall])), 'load client': result.cpuSeconds / wall };
    console.log(`  ${label}: CPU cores used — ${Object.entries(cpu).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}`);
    return result;
  };
  const single = await measure('baseline, 1 webmail user', { ...base, users: [users[0]!], imapShare: 0, seconds: Math.min(30, SECONDS), thinkMs: [100, 200], inboundPerSecond: 0 });
  const many = await measure(`${USERS} users`, { ...base, users, imapShare: 0.1, seconds: SECONDS, inboundPerSecond: INBOUND });

  console.log('\n  action            n    p50 ms   p95 ms   p99 ms   (1 user: p95)   p95 ratio');
  for (const [action, s] of Object.entries(many.actions)) {
    const b = single.actions[action];
    console.log(`  ${action.padEnd(14)} ${String(s.n).padStart(6)} ${fmt(s.p50).padStart(8)} ${fmt(s.p95).padStart(8)} ${fmt(s.p99).padStart(8)}   ${b ? fmt(b.p95).padStart(13) : '            —'}   ${b ? ratio(s.p95 / b.p95) : '—'}`);
  }
  const errorCount = Object.values(many.errors).reduce((a, b) => a + b, 0);
  console.log(`\n  messages: sent by webmail ${fmt(many.sent / SECONDS)}/s, inbound through the MX ${fmt(many.inbound / SECONDS)}/s; IDLE notifications ${many.idleEvents}`);
  console.log(`  errors: ${errorCount}${errorCount ? ' — ' + JSON.stringify(many.errors) : ''}; Dovecot panics ${env.dovecot.health().panics}, fatal errors ${env.dovecot.health().fatals}`);
  const worst = Math.max(many.actions.list?.p95 ?? NaN, many.actions.open?.p95 ?? NaN);
  console.log(`  target: list/open p95 ≤ 300 ms at ${USERS} users — ${worst <= 300 && errorCount === 0 ? 'met' : 'NOT met'} (${fmt(worst)} ms)`);
} finally {
  await smtp.stop();
  await env.stop();
}
process.exit(0);
