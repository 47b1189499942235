import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { GovmailError } from '../core/errors.js';
import { runMigration, parseMigrationMap, parseSourceUrl, passwordsCsv, type SourceAuth, type TargetServer, type MigrationMailboxReport, type MigrationMapRow } from '../admin/index.js';
import { MASTER_USER } from '../mailstore/index.js';
import { readStdin, reportFailure } from './io.js';
import type { Context } from './context.js';

type WithContext = <A extends unknown[]>(fn: (ctx: Context, ...args: A) => Promise<void>) => (...args: A) => Promise<void>;

/**
 * `govmail migrate`: copies a province's existing mailboxes into ours over IMAP (admin/migration).
 * Runs next to a running `govmail start` (it writes into that Dovecot through the master user).
 * Passwords come from the map, stdin or a token file; they are kept in memory only, never printed,
 * logged or stored.
 */
interface MigrateFlags {
  from: string;
  map: string;
  masterUser?: string;
  masterPasswordStdin?: boolean;
  masterSeparator?: string;
  oauthTokenFile?: string;
  agency?: string;
  since?: string;
  folders?: string;
  concurrency: string;
  dryRun?: boolean;
  json?: boolean;
  createMissing?: boolean;
  insecureTls?: boolean;
  passwords?: string;
}

function bad(flag: string, expectedEn: string, expectedVi: string, got: string): GovmailError {
  return new GovmailError('MIGRATE_OPTION', `${flag}: expected ${expectedEn} (got "${got}")`, `${flag}: cần ${expectedVi} (nhận được "${got}")`);
}

function parseSince(s: string | undefined): Date | undefined {
  if (s === undefined) return undefined;
  // Midnight in Việt Nam (UTC+7): "--since 2024-01-01" means what an officer there means by it.
  const d = new Date(`${s}T00:00:00+07:00`);
  const roundTrips = /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(d.getTime()) && new Date(d.getTime() + 7 * 3600_000).toISOString().slice(0, 10) === s;
  if (!roundTrips) throw bad('--since', 'a date YYYY-MM-DD', 'ngày dạng YYYY-MM-DD', s);
  return d;
}

async function sourceAuthOf(o: MigrateFlags): Promise<{ passwordOptional: boolean; authFor: (row: MigrationMapRow) => SourceAuth }> {
  if (o.masterUser && o.oauthTokenFile) throw new GovmailError('MIGRATE_OPTION', '--master-user and --oauth-token-file exclude each other', '--master-user và --oauth-token-file không dùng cùng nhau');
  if (o.masterPasswordStdin && !o.masterUser) throw new GovmailError('MIGRATE_OPTION', '--master-password-stdin needs --master-user', '--master-password-stdin cần --master-user');
  if (o.masterUser) {
    if (!o.masterPasswordStdin) throw new GovmailError('MIGRATE_OPTION', '--master-user needs --master-password-stdin (the password is never taken from the command line)', '--master-user cần --master-password-stdin (không nhận mật khẩu trên dòng lệnh)');
    const password = await readStdin();
    if (!password) throw new GovmailError('MIGRATE_OPTION', '--master-password-stdin: standard input was empty', '--master-password-stdin: không có mật khẩu trên stdin');
    const auth: SourceAuth = { kind: 'master', user: o.masterUser, password, separator: o.masterSeparator };
    return { passwordOptional: true, authFor: () => auth };
  }
  if (o.oauthTokenFile) {
    let token: string;
    try {
      token = readFileSync(o.oauthTokenFile, 'utf8').trim();
    } catch (err) {
      throw bad('--oauth-token-file', 'a readable file holding an OAuth2 access token', 'tệp đọc được chứa mã truy cập OAuth2', `${o.oauthTokenFile}: ${(err as NodeJS.ErrnoException).code}`);
    }
    if (!token) throw bad('--oauth-token-file', 'a non-empty token', 'mã không rỗng', o.oauthTokenFile);
    return { passwordOptional: true, authFor: () => ({ kind: 'oauth', token }) };
  }
  return { passwordOptional: false, authFor: (row) => ({ kind: 'password', password: row.sourcePassword }) };
}

/** Our own Dovecot, as `govmail start` left it: its IMAP port and the master user's secret. */
function targetOf(ctx: Context): TargetServer {
  const secret = path.join(ctx.config.dataDir, 'secrets', 'dovecot-master-password');
  if (!existsSync(secret)) {
    throw new GovmailError('MIGRATE_TARGET_UNAVAILABLE', `no mail store in ${ctx.config.dataDir} (run govmail start with this --data first)`, `chưa có kho thư trong ${ctx.config.dataDir} (hãy chạy govmail start với --data này trước)`);
  }
  return { host: '127.0.0.1', port: ctx.config.imapPort, master: { user: MASTER_USER, password: readFileSync(secret, 'utf8').trim() } };
}

const MB = 1024 * 1024;

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** The live line on a terminal: mailboxes done/total, messages and MB per second, ETA, errors so far. */
function progressLine(total: number) {
  const started = Date.now();
  const s = { done: 0, failed: 0, messages: 0, bytes: 0 };
  const draw = () => {
    const secs = Math.max(0.001, (Date.now() - started) / 1000);
    const eta = s.done ? ((total - s.done) * secs) / s.done : Infinity;
    const width = 20;
    const filled = Math.round((s.done / Math.max(1, total)) * width);
    process.stderr.write(
      `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${s.done}/${total} hộp thư/mailboxes  ${(s.messages / secs).toFixed(1)} thư/msg/s  ${(s.bytes / MB / secs).toFixed(2)} MB/s  ETA ${duration(eta)}  lỗi/errors ${s.failed}   `,
    );
  };
  return { s, draw };
}

function reportLine(r: MigrationMailboxReport): string {
  const head = `${r.sourceAddress} → ${r.targetAddress}`;
  if (r.status === 'failed' && !r.folders.length) return `${head}: LỖI / FAILED — ${r.error?.message}`;
  const verb = r.status === 'dry-run' ? 'sẽ chép / would copy' : 'đã chép / copied';
  const counts = r.status === 'dry-run' ? `${r.toCopy} (${(r.toCopyBytes / MB).toFixed(1)} MB)` : `${r.copied} (${(r.bytes / MB).toFixed(1)} MB), đã có sẵn / already there ${r.alreadyPresent}`;
  const lines = [`${head}: ${r.folders.length} thư mục/folders, ${r.sourceMessages} thư trong nguồn/messages in source, ${verb} ${counts}, bỏ qua/skipped ${r.skipped}`];
  for (const f of r.folders) for (const sk of f.skipped) lines.push(`    ${f.source} UID ${sk.uid}: ${sk.reason}`);
  if (r.status === 'failed') lines.push(`    LỖI / FAILED — ${r.error?.message}`);
  return lines.join('\n');
}

export function migrateCommand(program: Command, dataOption: (c: Command) => Command, withContext: WithContext): void {
  dataOption(
    program
      .command('migrate')
      .description('chuyển thư từ máy chủ cũ qua IMAP / copy existing mailboxes from another server over IMAP (resumable)')
      .requiredOption('--from <url>', 'imap://HOST[:PORT] hoặc/or imaps://HOST[:PORT]')
      .requiredOption('--map <file>', `tệp CSV/XLSX / CSV or XLSX map (source_address,source_password,target_address[,full_name,agency_code])`)
      .option('--master-user <user>', 'tài khoản quản trị nguồn / source master user (SASL authzid, or user<sep>master with --master-separator)')
      .option('--master-password-stdin', 'đọc mật khẩu quản trị từ stdin / read the master password from standard input')
      .option('--master-separator <char>', 'đăng nhập dạng user*master / log in as user<char>master (Dovecot "*")')
      .option('--oauth-token-file <file>', 'mã OAuth2 / an OAuth2 access token (XOAUTH2) for every row')
      .option('--agency <code>', 'chỉ cơ quan này và cấp dưới / only this agency and below')
      .option('--since <date>', 'chỉ thư từ ngày / only messages received since YYYY-MM-DD')
      .option('--folders <patterns>', 'thư mục chọn/loại / folder patterns, e.g. "INBOX,Công văn*,!Trash"')
      .option('--concurrency <n>', 'số hộp thư cùng lúc / mailboxes at once', '4')
      .option('--dry-run', 'chỉ đếm / count messages and sizes only')
      .option('--json', 'mỗi hộp thư một dòng JSON / one JSON line per mailbox')
      .option('--create-missing', 'tạo hộp thư đích còn thiếu / create missing target mailboxes')
      .option('--insecure-tls', 'chấp nhận chứng thư nguồn không hợp lệ / accept a source certificate that does not verify')
      .option('--passwords <file>', 'nơi ghi mật khẩu hộp thư mới / where to write new mailboxes\' passwords (default DATA/migrate-passwords-<time>.csv)'),
  ).action(
    withContext(async (ctx, o: MigrateFlags) => {
      try {
        await migrate(ctx, o);
      } catch (err) {
        reportFailure(err);
        process.exitCode = 1;
      }
    }),
  );
}

async function migrate(ctx: Context, o: MigrateFlags): Promise<void> {
  const server = { ...parseSourceUrl(o.from), insecureTls: !!o.insecureTls };
  const concurrency = Number(o.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw bad('--concurrency', 'a whole number from 1 to 64', 'số nguyên từ 1 đến 64', o.concurrency);
  const since = parseSince(o.since);
  let data: Buffer;
  try {
    data = readFileSync(o.map);
  } catch (err) {
    throw bad('--map', 'a readable .csv or .xlsx file', 'tệp .csv hoặc .xlsx đọc được', `${o.map}: ${(err as NodeJS.ErrnoException).code}`);
  }
  const { passwordOptional, authFor } = await sourceAuthOf(o);
  const rows = await parseMigrationMap(o.map, data, { passwordOptional });
  const target = targetOf(ctx);
  const tty = !o.json && process.stderr.isTTY;
  const bar = progressLine(rows.length);
  const timer = tty ? setInterval(bar.draw, 500) : undefined;
  const report = await runMigration(ctx.db, server, target, rows, {
    concurrency,
    since,
    folders: o.folders,
    dryRun: o.dryRun,
    agency: o.agency,
    createMissing: o.createMissing,
    defaultQuota: ctx.config.defaultQuota,
    maxMessageBytes: ctx.config.maxMessageSize,
    authFor,
    onMessage: (bytes) => {
      bar.s.messages++;
      bar.s.bytes += bytes;
    },
    onMailboxDone: (r) => {
      bar.s.done++;
      if (r.status === 'failed') bar.s.failed++;
      if (o.json) process.stdout.write(`${JSON.stringify(r)}\n`);
      else if (!tty) process.stderr.write(`${bar.s.done}/${rows.length} ${r.sourceAddress}: ${r.status}\n`);
    },
  }).finally(() => clearInterval(timer));
  if (tty) {
    bar.draw();
    process.stderr.write('\n');
  }
  if (!o.json) {
    process.stdout.write(`${report.mailboxes.map(reportLine).join('\n')}\n`);
    process.stdout.write(`${report.mailboxes.length} hộp thư/mailboxes, lỗi/failed ${report.failed}\n`);
  }
  if (report.created.length) {
    const out = o.passwords ?? path.join(ctx.config.dataDir, `migrate-passwords-${new Date().toISOString().replace(/[:.]/g, '-')}.csv`);
    writeFileSync(out, passwordsCsv(report.created.map((c) => ({ email: c.address, fullName: c.fullName, password: c.password }))), { mode: 0o600 });
    process.stderr.write(`Mật khẩu hộp thư mới / new mailboxes' initial passwords: ${out} (mode 0600)\n`);
  }
  if (report.failed) process.exitCode = 1;
}
