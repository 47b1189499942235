/**
 * npm run bench:webmail — one folder of 100,000 messages (BENCH_MESSAGES) behind the webmail API, over
 * real HTTP on loopback: the first page of 50, the 1,000th page, a page sorted by subject, opening a
 * message (fetch + safe rendering), a search, and a page right after a flag change. p50/p95 over
 * BENCH_RUNS (default 20) runs each; targets: list ≤ 150 ms p95, open ≤ 100 ms p95. The first call of
 * each list kind after login (Dovecot sorts the whole folder once) is printed separately as "cold".
 *
 * Loading: 100,000 APPENDs through imapflow would take about 15 minutes (one round trip each), so the
 * folder is written as a maildir and imported with `doveadm import` — the loading rate of both is printed.
 */
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { addDomain, addMailbox } from '../admin/index.js';
import { spawnAs } from '../core/privileges.js';
import { startWebmailEnv, imapAs, rawMessage } from '../test/support/webmail.js';

const N = Number(process.env.BENCH_MESSAGES ?? 100_000);
const RUNS = Math.max(20, Number(process.env.BENCH_RUNS ?? 20));
const D = 'bench.gov.vn';
const USER = `hopthu@${D}`;
const PW = 'mat-khau-do-hieu-nang';
const FOLDER = 'Lưu trữ';

const env = await startWebmailEnv();
try {
  console.log(`GovMail bench:webmail — ${os.cpus().length} cores, Node ${process.version}, ${N.toLocaleString('en')} messages in one folder, ${RUNS} runs each`);
  await addDomain(env.db, D);
  await addMailbox(env.db, { address: USER, displayName: 'Hộp thư đo', password: PW }, { defaultQuota: '100G' });

  // Loading, (a) the rate of imapflow APPEND, on a sample.
  const imap = await imapAs(env, USER);
  await imap.mailboxCreate(FOLDER);
  const sample = 500;
  let t0 = performance.now();
  for (let i = 0; i < sample; i++) await imap.append('INBOX', rawMessage({ from: `mau${i}@ngoai.vn`, to: USER, subject: `Mẫu ${i}` }));
  const appendRate = sample / ((performance.now() - t0) / 1000);
  await imap.logout();

  // (b) the whole folder as a maildir, imported by doveadm.
  const maildir = path.join(env.dataDir, 'bench-import');
  for (const d of ['cur', 'new', 'tmp']) mkdirSync(path.join(maildir, d), { recursive: true });
  const start = Date.UTC(2024, 0, 1);
  t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const date = new Date(start + i * 5 * 60_000);
    const subject = `=?UTF-8?B?${Buffer.from(`Công văn số ${(i * 7919) % N} về việc triển khai`).toString('base64')}?=`;
    const body = `Kính gửi các đơn vị. Nội dung số ${i}. ${'Trân trọng. '.repeat(i % 200)}`;
    // Every fourth message is an HTML newsletter (text + HTML with a table and a remote image), as mail
    // from outside often is: opening those exercises the sanitiser, not just a text part.
    const html = i % 4 === 0;
    const raw = [
      `From: "Người gửi ${i % 700}" <nguoigui${i % 700}@donvi${i % 13}.gov.vn>`,
      `To: ${USER}`,
      `Subject: ${subject}`,
      `Date: ${date.toUTCString()}`,
      `Message-ID: <bench-${i}@${D}>`,
      'MIME-Version: 1.0',
      ...(html
        ? [
            'Content-Type: multipart/alternative; boundary="b"',
            '',
            '--b',
            'Content-Type: text/plain; charset=utf-8',
            '',
            body,
            '--b',
            'Content-Type: text/html; charset=utf-8',
            '',
            `<html><head><style>td{padding:4px;color:#333}</style></head><body><h2>Bản tin số ${i}</h2><p>${body}</p>` +
              `<table>${'<tr><td>Đơn vị</td><td><a href="https://donvi.gov.vn/">Chi tiết</a></td></tr>'.repeat(30)}</table>` +
              '<img src="https://anh.donvi.gov.vn/logo.png" width="100"></body></html>',
            '--b--',
          ]
        : ['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '', body]),
      '',
    ].join('\r\n');
    const file = path.join(maildir, 'cur', `${1_700_000_000 + i}.M${i}P1.bench:2,${i % 3 ? 'S' : ''}`);
    writeFileSync(file, raw);
    // Maildir's arrival date is the file's mtime.
    utimesSync(file, date, date);
  }
  execFileSync('chown', ['-R', `${env.identity.uid}:${env.identity.gid}`, maildir]);
  const writeSeconds = (performance.now() - t0) / 1000;
  t0 = performance.now();
  execFileSync('/usr/bin/doveadm', ['-c', env.dovecot.confFile, 'import', '-u', USER, '-s', `maildir:${maildir}:LAYOUT=fs`, FOLDER, 'mailbox', 'INBOX'], { ...spawnAs(env.identity), stdio: 'inherit' });
  const importSeconds = (performance.now() - t0) / 1000;
  console.log(`load: imapflow APPEND ${appendRate.toFixed(0)} msg/s (${sample} sampled; 100,000 would take ${(100_000 / appendRate / 60).toFixed(0)} min)`);
  console.log(`load: maildir written in ${writeSeconds.toFixed(1)} s, doveadm import ${importSeconds.toFixed(1)} s = ${(N / importSeconds).toFixed(0)} msg/s`);

  // doveadm import puts the source's INBOX under the destination parent: find the folder it made.
  const check = await imapAs(env, USER);
  const folder = (await check.list()).map((f) => f.path).find((p) => p.startsWith(FOLDER) && p !== FOLDER) ?? FOLDER;
  const status = await check.status(folder, { messages: true });
  await check.logout();
  if (status.messages !== N) throw new Error(`expected ${N} messages in ${folder}, found ${status.messages}`);

  await env.app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(env.app.server.address() as AddressInfo).port}/webmail/api`;
  const login = await fetch(`${base}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: USER, password: PW }) });
  if (login.status !== 200) throw new Error(`login: ${login.status} ${await login.text()}`);
  const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const csrf = ((await login.json()) as { csrfToken: string }).csrfToken;
  const f = encodeURIComponent(folder);

  const call = async (url: string, init: RequestInit = {}) => {
    const t = performance.now();
    const res = await fetch(`${base}/${url}`, { ...init, headers: { cookie, 'x-csrf-token': csrf, ...(init.body ? { 'content-type': 'application/json' } : {}), ...(init.headers ?? {}) } });
    const body = await res.text();
    const ms = performance.now() - t;
    if (res.status !== 200 && res.status !== 204) throw new Error(`${url}: ${res.status} ${body.slice(0, 200)}`);
    return { ms, body };
  };
  const stats = (times: number[]) => {
    const s = [...times].sort((x, y) => x - y);
    const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
    return { p50: at(0.5), p95: at(0.95) };
  };
  const row = (what: string, times: number[], target?: number, cold?: number) => {
    const { p50, p95 } = stats(times);
    const verdict = target ? (p95 <= target ? `ok (target ≤ ${target} ms)` : `OVER target ≤ ${target} ms`) : '';
    const coldText = cold === undefined ? '' : `   cold ${cold.toFixed(0)} ms`;
    console.log(`${what.padEnd(44)} p50 ${p50.toFixed(1).padStart(7)} ms   p95 ${p95.toFixed(1).padStart(7)} ms   ${verdict}${coldText}`);
  };
  const repeat = async (make: (i: number) => Promise<{ ms: number }>) => {
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) times.push((await make(i)).ms);
    return times;
  };

  const coldFirst = (await call(`messages?folder=${f}&pageSize=50`)).ms;
  const firstPage = await repeat(() => call(`messages?folder=${f}&pageSize=50`));
  const page1000 = await repeat(() => call(`messages?folder=${f}&pageSize=50&page=1000`));
  const coldSubject = (await call(`messages?folder=${f}&pageSize=50&sort=subject&order=asc`)).ms;
  const bySubject = await repeat(() => call(`messages?folder=${f}&pageSize=50&sort=subject&order=asc&page=${1 + (Math.random() * 1999) | 0}`));

  // Opening: a different message each time (nothing cached), rendered by render.ts, marked read.
  const uids = JSON.parse((await call(`messages?folder=${f}&pageSize=200&page=${Math.max(1, Math.floor(N / 400))}`)).body).messages.map((m: { uid: number }) => m.uid) as number[];
  const open = await repeat((i) => call(`messages/${f}/${uids[i % uids.length]}`));
  // After a flag change the next page load asks Dovecot only what changed since its HIGHESTMODSEQ.
  const afterFlag = await repeat(async (i) => {
    await call(`messages/${f}/flags`, { method: 'POST', body: JSON.stringify({ uids: [uids[(i + 50) % uids.length]], add: ['\\Flagged'] }) });
    return call(`messages?folder=${f}&pageSize=50`);
  });
  // Search: a new subject each run (every run is a SEARCH inside SORT in Dovecot, no cache hit).
  const search = await repeat((i) => call(`messages?folder=${f}&pageSize=50&subject=${encodeURIComponent(`Công văn số ${(i * 3637) % N} `)}`));
  const repeatedSearch = await repeat(() => call(`messages?folder=${f}&pageSize=50&subject=${encodeURIComponent('Công văn số 4242 ')}`));
  const bodyRuns: number[] = [];
  for (let i = 0; i < 3; i++) bodyRuns.push((await call(`messages?folder=${f}&pageSize=50&body=${encodeURIComponent(`Nội dung số ${i * 31337 % N}.`)}`)).ms);

  console.log('');
  if (process.env.BENCH_VERBOSE) console.log(firstPage.map((x) => x.toFixed(0)).join(" "));
  row("list: first page of 50, newest first", firstPage, 150, coldFirst);
  row('list: page 1,000 of 2,000', page1000, 150);
  row('list: by subject, a random page', bySubject, 150, coldSubject);
  row('list: first page after a flag change', afterFlag, 150);
  row('open a message (fetch + render; 1 in 4 HTML)', open, 100);
  row('search: subject, a new query each run', search);
  row('search: the same subject query again', repeatedSearch);
  row('search: body (no full-text index; 3 runs)', bodyRuns);
} finally {
  await env.stop();
}
process.exit(0);
