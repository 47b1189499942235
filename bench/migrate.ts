/**
 * npm run bench:migrate — `govmail migrate`'s copy engine (runMigration: progress in PostgreSQL after
 * every APPEND, resume checks, folder mapping) next to a bare imapsync-style copy between the same two
 * real Dovecots in the same run: each mailbox FETCHes its folders' bodies, flags and dates and APPENDs
 * them one by one, with no bookkeeping at all. Both copy `BENCH_MAILBOXES` (default 4) mailboxes in
 * parallel, `BENCH_MESSAGES` (default 400) messages each in three folders, sizes 2–60 KB.
 * Each side runs twice (a, b, a, b) into fresh target mailboxes; the best round is reported.
 * Figures only: nothing asserts a timing. A copy that loses or adds a message exits non-zero.
 *
 * doveadm backup is not the baseline: with imapc it needs the target Dovecot's whole configuration in
 * doveadm, and it writes the store directly instead of over IMAP, which our migration never may.
 */
import { ImapFlow } from 'imapflow';
import { addDomain, addMailbox, runMigration, type MigrationMapRow } from '../admin/index.js';
import { startMailEnv, type MailEnv } from '../test/support/mailenv.js';
import { startSourceDovecot, type SourceDovecot } from '../test/support/source-dovecot.js';
import { fmt, ratio } from './measure.js';

process.env.GOVMAIL_LOG_LEVEL ??= 'warn';
const MAILBOXES = Number(process.env.BENCH_MAILBOXES ?? 4);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 400);
const FOLDERS = ['INBOX', 'Sent Items', 'Công văn đến'];
const SRC = 'old.tinh.vn';
const DOMAIN = 'tinh.gov.vn';
const PASSWORD = 'Mật-khẩu-đủ-dài-2026';

function message(n: number, user: string): Buffer {
  const size = 2_000 + ((n * 7919) % 58_000);
  const line = `Nội dung công văn số ${n} của ${user}, đủ dài để giống thư thật. `;
  const body = line.repeat(Math.ceil(size / Buffer.byteLength(line))).slice(0, size);
  return Buffer.from(
    [`Message-ID: <${n}.${user}@${SRC}>`, `From: ${user}@${SRC}`, `To: vanthu@${SRC}`, `Subject: Công văn ${n}`, 'Date: Mon, 4 Mar 2019 05:06:07 +0700', 'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '', ...body.match(/.{1,76}/gsu)!, ''].join('\r\n'),
  );
}

async function fill(src: SourceDovecot, user: string): Promise<number> {
  const c = await src.connect(`${user}@${SRC}`, `pw-${user}`);
  let bytes = 0;
  try {
    for (const f of FOLDERS) if (f !== 'INBOX') await c.mailboxCreate(f).catch(() => undefined);
    for (let n = 0; n < MESSAGES; n++) {
      const raw = message(n, user);
      bytes += raw.length;
      await c.append(FOLDERS[n % FOLDERS.length]!, raw, n % 3 ? ['\\Seen'] : [], new Date(Date.UTC(2018 + (n % 8), n % 12, 1 + (n % 27))));
    }
  } finally {
    await c.logout();
  }
  return bytes;
}

function targetClient(env: MailEnv, address: string): ImapFlow {
  const c = new ImapFlow({
    host: env.dovecot.imap.host, port: env.dovecot.imap.port, secure: false, doSTARTTLS: true, tls: { rejectUnauthorized: false },
    auth: { user: env.dovecot.master.user, pass: env.dovecot.master.password, authzid: address, loginMethod: 'AUTH=PLAIN' }, logger: false,
  } as ConstructorParameters<typeof ImapFlow>[0]);
  c.on('error', () => undefined);
  return c;
}

/** What imapsync does per mailbox: list, then per folder FETCH everything and APPEND it one by one. */
async function bareCopy(env: MailEnv, src: SourceDovecot, user: string, target: string): Promise<number> {
  const s = await src.connect(`${user}@${SRC}`, `pw-${user}`);
  const t = targetClient(env, target);
  await t.connect();
  let copied = 0;
  try {
    for (const f of FOLDERS) {
      const to = f === 'Sent Items' ? 'Sent' : f;
      if (to !== 'INBOX' && to !== 'Sent') await t.mailboxCreate(to).catch(() => undefined);
      await s.mailboxOpen(f, { readOnly: true });
      for (const m of await s.fetchAll('1:*', { uid: true, flags: true, internalDate: true, source: true })) {
        await t.append(to, m.source!, [...(m.flags ?? [])], m.internalDate as Date);
        copied++;
      }
    }
  } finally {
    await s.logout();
    await t.logout();
  }
  return copied;
}

async function targets(env: MailEnv, tag: string): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < MAILBOXES; i++) {
    const address = `${tag}${i}@${DOMAIN}`;
    await addMailbox(env.db, { address, displayName: address, password: PASSWORD }, { defaultQuota: '10G' });
    out.push(address);
  }
  return out;
}

function expectAll(what: string, copied: number): void {
  if (copied !== MAILBOXES * MESSAGES) {
    console.error(`${what}: copied ${copied} messages, expected ${MAILBOXES * MESSAGES}`);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  const [env, src] = await Promise.all([startMailEnv(), startSourceDovecot()]);
  try {
    await addDomain(env.db, DOMAIN);
    const users = Array.from({ length: MAILBOXES }, (_, i) => `u${i}`);
    for (const u of users) src.addUser(`${u}@${SRC}`, `pw-${u}`);
    const bytes = (await Promise.all(users.map((u) => fill(src, u)))).reduce((a, b) => a + b, 0);
    const total = MAILBOXES * MESSAGES;
    console.log(`GovMail bench:migrate — ${MAILBOXES} mailboxes in parallel, ${total} messages, ${(bytes / 1e6).toFixed(1)} MB, source and target real Dovecots on this machine`);

    const best = { ours: 0, bare: 0 };
    for (let round = 1; round <= 2; round++) {
      const ourTargets = await targets(env, `ours${round}-`);
      let t0 = performance.now();
      const report = await runMigration(env.db, { host: src.host, port: src.port, secure: false }, { host: env.dovecot.imap.host, port: env.dovecot.imap.port, master: env.dovecot.master },
        users.map((u, i): MigrationMapRow => ({ line: i + 2, sourceAddress: `${u}@${SRC}`, sourcePassword: `pw-${u}`, targetAddress: ourTargets[i]!, fullName: '', agencyCode: '' })),
        { concurrency: MAILBOXES, defaultQuota: '10G', maxMessageBytes: 25 * 1024 * 1024, authFor: (r) => ({ kind: 'password', password: r.sourcePassword }) });
      const oursRate = total / ((performance.now() - t0) / 1000);
      expectAll('govmail migrate', report.mailboxes.reduce((s, m) => s + m.copied, 0));

      const bareTargets = await targets(env, `bare${round}-`);
      t0 = performance.now();
      const copied = (await Promise.all(users.map((u, i) => bareCopy(env, src, u, bareTargets[i]!)))).reduce((a, b) => a + b, 0);
      const bareRate = total / ((performance.now() - t0) / 1000);
      expectAll('bare copy', copied);
      console.log(`  round ${round}: govmail migrate ${fmt(oursRate)} msg/s   bare imapsync-style copy ${fmt(bareRate)} msg/s`);
      best.ours = Math.max(best.ours, oursRate);
      best.bare = Math.max(best.bare, bareRate);
    }
    const mb = bytes / 1e6 / total;
    console.log('');
    console.log(`govmail migrate : ${fmt(best.ours).padStart(6)} msg/s (${fmt(best.ours * mb)} MB/s)   bare copy ${fmt(best.bare).padStart(6)} msg/s (${fmt(best.bare * mb)} MB/s)   ratio ${ratio(best.ours / best.bare)} (target ≥ 0.8)`);
  } finally {
    await Promise.all([env.stop(), src.stop()]);
  }
}

main().then(() => process.exit(0), (err) => {
  console.error(err);
  process.exit(1);
});
