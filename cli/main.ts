import { Command } from 'commander';
import { openContext } from './context.js';
import { readStdin, reportFailure } from './io.js';
import { runStart } from './start.js';
import { writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  addDomain, listDomains, addMailbox, setMailboxActive, addAlias, countMailboxes,
  addAgency, listAgencies, moveAgency, importMailboxes, parseCsv, parseXlsx, passwordsCsv, LEVELS,
  transferMailbox, resetPassword, archiveMailbox, grantRole, ROLES, normaliseDomain, type Role,
} from '../admin/index.js';
import { verifyAuditChain } from '../core/audit.js';
import { execFileSync } from 'node:child_process';
import { loadConfig } from '../core/config.js';
import { generateDovecotConfig, govmailSendmailWrapper, JUNK_SIEVE } from '../mailstore/index.js';
import { createDkimKey, dnsRecords, queueStats } from '../smtp/index.js';
import { loadKek } from '../core/kek.js';
import { signerCommands } from './signer.js';
import { reportCommands } from './reports.js';
import { sendmailCommand } from './sendmail.js';
import { learnCommand } from './learn.js';
import { migrateCommand } from './migrate.js';

const program = new Command('govmail')
  .description('GovMail — thư công vụ và chữ ký số / official mail and digital signatures')
  .showHelpAfterError();

/** Every command may name the data folder; the environment and config file supply the rest. */
function dataOption(cmd: Command): Command {
  return cmd.option('--data <dir>', 'thư mục dữ liệu / data folder (default ./data or GOVMAIL_DATA_DIR)');
}

/** Runs `fn` with an open context and always closes it, mapping errors to a clear message. */
function withContext<A extends unknown[]>(fn: (ctx: Awaited<ReturnType<typeof openContext>>, ...args: A) => Promise<void>) {
  return async (...args: A) => {
    const opts = (args[args.length - 2] ?? {}) as { data?: string };
    let ctx: Awaited<ReturnType<typeof openContext>> | undefined;
    try {
      ctx = await openContext(opts);
      await fn(ctx, ...args);
    } catch (err) {
      reportFailure(err);
    } finally {
      await ctx?.close().catch(() => undefined);
    }
  };
}

dataOption(program.command('start').description('chạy toàn bộ hệ thống / run every service in the foreground')).action(
  async (opts: { data?: string }) => {
    try {
      await runStart(opts);
    } catch (err) {
      reportFailure(err);
      process.exit(process.exitCode ?? 1);
    }
  },
);

const domain = program.command('domain').description('tên miền / mail domains');
dataOption(domain.command('add <domain>').description('thêm tên miền / add a domain')).action(
  withContext(async (ctx, name: string) => {
    const d = await addDomain(ctx.db, name);
    await createDkimKey(ctx.db, loadKek(ctx.config.dataDir), d.name);
    process.stdout.write(`Đã thêm tên miền / domain added: ${d.name}\n`);
    process.stdout.write(`Bản ghi DNS cần khai báo / DNS records to publish: npx govmail domain dns ${d.name}\n`);
  }),
);
dataOption(domain.command('dns <domain>').description('bản ghi DNS cần khai báo / the DNS records to publish (MX, SPF, DKIM, DMARC, SRV, autoconfig)')).action(
  withContext(async (ctx, name: string) => {
    const c = ctx.config;
    const ports = { submission: c.submissionPort, submissions: c.submissionsPort, imap: c.imapPort, pop3: c.pop3Port };
    for (const r of await dnsRecords(ctx.db, normaliseDomain(name), c.hostname, ports)) process.stdout.write(`${r}\n`);
  }),
);
dataOption(domain.command('list').description('liệt kê tên miền / list domains')).action(
  withContext(async (ctx) => {
    for (const d of await listDomains(ctx.db)) process.stdout.write(`${d.name}\t${d.active ? 'active' : 'suspended'}\t${d.mailboxes} mailboxes\n`);
  }),
);

const mailbox = program.command('mailbox').description('hộp thư / mailboxes');
dataOption(
  mailbox
    .command('add <address>')
    .description('tạo hộp thư / create a mailbox')
    .requiredOption('--name <fullName>', 'họ và tên / full name')
    .option('--password-stdin', 'đọc mật khẩu từ stdin / read the password from standard input')
    .option('--quota <size>', 'hạn mức, ví dụ 2G / quota such as 2G'),
).action(
  withContext(async (ctx, address: string, opts: { name: string; passwordStdin?: boolean; quota?: string }) => {
    const password = opts.passwordStdin ? await readStdin() : undefined;
    const res = await addMailbox(ctx.db, { address, displayName: opts.name, password, quota: opts.quota }, { defaultQuota: ctx.config.defaultQuota });
    process.stdout.write(`Đã tạo hộp thư / mailbox created: ${res.address}\n`);
    if (res.password) process.stdout.write(`Mật khẩu tạm thời / initial password: ${res.password}\n`);
  }),
);
for (const [verb, active, vi] of [['suspend', false, 'tạm khóa'], ['resume', true, 'mở lại']] as const) {
  dataOption(mailbox.command(`${verb} <address>`).description(`${vi} hộp thư / ${verb} a mailbox`)).action(
    withContext(async (ctx, address: string) => {
      await setMailboxActive(ctx.db, address, active);
      process.stdout.write(`Đã ${vi} / ${verb}d: ${address}\n`);
    }),
  );
}

const agency = program.command('agency').description('cơ quan / agencies');
dataOption(
  agency
    .command('add <code>')
    .description('thêm cơ quan / add an agency')
    .requiredOption('--name <name>', 'tên cơ quan / agency name')
    .requiredOption('--level <level>', LEVELS.join('|'))
    .option('--parent <code>', 'mã cơ quan cấp trên / parent agency code')
    .option('--domain <domain>', 'tên miền / mail domain')
    .option('--mst <taxCode>', 'mã số thuế / tax code')
    .option('--mns <budgetCode>', 'mã ĐVQHNS / budget-unit code'),
).action(
  withContext(async (ctx, code: string, o: { name: string; level: string; parent?: string; domain?: string; mst?: string; mns?: string }) => {
    const a = await addAgency(ctx.db, { code, name: o.name, level: o.level, parentCode: o.parent, domain: o.domain, mst: o.mst, mns: o.mns });
    process.stdout.write(`Đã thêm cơ quan / agency added: ${a.code} — ${a.name} (${a.level})\n`);
  }),
);
dataOption(agency.command('move <code> <newParent>').description('chuyển cơ quan cùng cây con / move an agency and its subtree')).action(
  withContext(async (ctx, code: string, parent: string) => {
    await moveAgency(ctx.db, code, parent);
    process.stdout.write(`Đã chuyển / moved: ${code} → ${parent}\n`);
  }),
);
dataOption(agency.command('list').description('cây cơ quan / the agency tree')).action(
  withContext(async (ctx) => {
    for (const a of await listAgencies(ctx.db)) {
      const depth = a.path.split('/').filter(Boolean).length - 1;
      process.stdout.write(`${'  '.repeat(depth)}${a.code}\t${a.name}\t${a.level}${a.domain ? `\t${a.domain}` : ''}\n`);
    }
  }),
);

dataOption(
  mailbox
    .command('import <file>')
    .description('tạo hàng loạt từ CSV hoặc XLSX / bulk-create from CSV or XLSX (columns: email, full_name, agency_code, position, phone, cccd, quota)')
    .option('--dry-run', 'chỉ kiểm tra / check only, write nothing')
    .option('--passwords <file>', 'nơi ghi mật khẩu ban đầu / where to write initial passwords (default DATA/import-passwords-<time>.csv)'),
).action(
  withContext(async (ctx, file: string, o: { dryRun?: boolean; passwords?: string }) => {
    const table = /\.xlsx$/i.test(file) ? await parseXlsx(readFileSync(file)) : parseCsv(readFileSync(file, 'utf8'));
    const report = await importMailboxes(ctx.db, table, {
      dryRun: o.dryRun,
      defaultQuota: ctx.config.defaultQuota,
      onProgress: (done, total) => process.stderr.write(`\r${done}/${total}`),
    });
    process.stderr.write('\n');
    for (const p of report.problems) process.stdout.write(`dòng/line ${p.line}\t${p.field}\t${p.reason}\n`);
    if (report.ignoredColumns.length) process.stdout.write(`Bỏ qua cột / ignored columns: ${report.ignoredColumns.join(', ')}\n`);
    const verb = report.dryRun ? 'sẽ tạo / would create' : 'đã tạo / created';
    process.stdout.write(`${report.total} dòng/lines: ${verb} ${report.created}, không đổi / unchanged ${report.unchanged}, lỗi / failed ${report.failed}\n`);
    if (report.passwords.length) {
      const out = o.passwords ?? path.join(ctx.config.dataDir, `import-passwords-${new Date().toISOString().replace(/[:.]/g, '-')}.csv`);
      writeFileSync(out, passwordsCsv(report.passwords), { mode: 0o600 });
      process.stdout.write(`Mật khẩu ban đầu / initial passwords: ${out} (mode 0600)\n`);
    }
    if (report.failed) process.exitCode = 3;
  }),
);

dataOption(
  mailbox
    .command('transfer <address>')
    .description('chuyển công tác / move a person to another agency')
    .requiredOption('--agency <code>', 'cơ quan mới / new agency')
    .option('--new-address <address>', 'địa chỉ mới / new address (the old one stays as an alias)')
    .option('--keep-days <days>', 'giữ địa chỉ cũ bao nhiêu ngày / days to keep the old address', '180'),
).action(
  withContext(async (ctx, address: string, o: { agency: string; newAddress?: string; keepDays: string }) => {
    const res = await transferMailbox(ctx.db, address, { agencyCode: o.agency, newAddress: o.newAddress, keepOldAddressDays: Number(o.keepDays) });
    process.stdout.write(`Đã chuyển / transferred: ${address} → ${res.address} (${o.agency})${res.aliasUntil ? `, old address kept until ${res.aliasUntil.toISOString().slice(0, 10)}` : ''}\n`);
  }),
);
dataOption(mailbox.command('reset-password <address>').description('đặt lại mật khẩu / reset the password (must be changed at next login)')).action(
  withContext(async (ctx, address: string) => {
    const pw = await resetPassword(ctx.db, address);
    process.stdout.write(`Mật khẩu mới / new password: ${pw}\n`);
  }),
);
dataOption(mailbox.command('archive <address>').description('lưu trữ khi nghỉ việc / archive on offboarding (mail is kept)')).action(
  withContext(async (ctx, address: string) => {
    await archiveMailbox(ctx.db, address);
    process.stdout.write(`Đã lưu trữ / archived: ${address}\n`);
  }),
);

dataOption(
  program
    .command('role')
    .command('grant <address> <role>')
    .description(`cấp vai trò / grant a role (${ROLES.join('|')})`)
    .option('--agency <code>', 'phạm vi / the agency whose subtree the role covers'),
).action(
  withContext(async (ctx, address: string, role: string, o: { agency?: string }) => {
    await grantRole(ctx.db, address, role as Role, o.agency ?? null);
    process.stdout.write(`Đã cấp / granted: ${role} → ${address}${o.agency ? ` (${o.agency})` : ''}\n`);
  }),
);

dataOption(program.command('alias').command('add <alias> <mailbox>').description('thêm bí danh / add an alias')).action(
  withContext(async (ctx, alias: string, target: string) => {
    await addAlias(ctx.db, alias, target);
    process.stdout.write(`Đã thêm bí danh / alias added: ${alias} → ${target}\n`);
  }),
);

dataOption(program.command('status').description('trạng thái / status')).action(
  withContext(async (ctx) => {
    const domains = await listDomains(ctx.db);
    const boxes = await countMailboxes(ctx.db);
    const queue = await queueStats(ctx.db);
    const c = ctx.config;
    const lines = [
      `Thư mục dữ liệu / data folder: ${c.dataDir}`,
      `Cơ sở dữ liệu / database: ${c.databaseUrl ? 'external (DATABASE_URL)' : `embedded PostgreSQL 127.0.0.1:${c.embeddedPgPort}`} — ${ctx.embedded ? 'not running (started for this command)' : 'running'}`,
      `Tên miền / domains: ${domains.length}`,
      `Hộp thư / mailboxes: ${boxes.total} (${boxes.active} active)`,
      `Hàng đợi gửi / outbound queue: ${queue.queued} waiting (${queue.deferred} deferred)${queue.oldest ? `, oldest since ${new Date(queue.oldest).toISOString()}` : ''}`,
      `Cổng / ports: MX ${c.smtpPort}, submission ${c.submissionPort} (STARTTLS), submissions ${c.submissionsPort} (TLS), IMAP ${c.imapPort}, HTTP ${c.httpPort}`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
  }),
);

program
  .command('dovecot-config')
  .description('cấu hình cho Dovecot hệ thống / print the config for a system Dovecot in production')
  .option('--vmail-user <user>', 'the user owning the mail store', 'vmail')
  .option('--mail-root <dir>', 'where mail is kept', '/var/vmail')
  .option('--conf-dir <dir>', 'where the generated files go', '/etc/dovecot/govmail')
  .option('--sendmail-wrapper', 'in ra tệp <conf-dir>/sendmail thay cho cấu hình / print the <conf-dir>/sendmail wrapper instead (mailstore/README.md)')
  .option('--junk-sieve', 'in ra tệp <conf-dir>/junk.sieve thay cho cấu hình / print the <conf-dir>/junk.sieve script instead')
  .action(async (o: { vmailUser: string; mailRoot: string; confDir: string; sendmailWrapper?: boolean; junkSieve?: boolean }) => {
    try {
      const config = loadConfig({});
      if (o.sendmailWrapper) return void process.stdout.write(govmailSendmailWrapper(config, config.databaseUrl));
      if (o.junkSieve) return void process.stdout.write(JUNK_SIEVE);
      const id = execFileSync('id', ['-u', o.vmailUser], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      const gid = execFileSync('id', ['-g', o.vmailUser], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      process.stdout.write(
        generateDovecotConfig({
          mode: 'production',
          confDir: o.confDir,
          stateDir: '/var/lib/dovecot',
          baseDir: '/run/dovecot',
          mailRoot: o.mailRoot,
          listen: '*, ::',
          ports: { imap: 143, pop3: 110, managesieve: 4190, lmtp: config.lmtpPort },
          tls: { certFile: '/etc/govmail/tls/mail.crt', keyFile: '/etc/govmail/tls/mail.key' },
          user: { name: o.vmailUser, uid: Number(id), gid: Number(gid) },
          hostname: config.hostname,
        }),
      );
      process.stderr.write(`# Also write ${o.confDir}/sql.conf.ext, dict-sql.conf.ext, master-users, sendmail (--sendmail-wrapper) and junk.sieve (--junk-sieve): see mailstore/README.md\n`);
    } catch (err) {
      reportFailure(err);
    }
  });

const auditCmd = program.command('audit').description('nhật ký kiểm toán / audit log');
dataOption(auditCmd.command('verify').description('kiểm tra chuỗi băm / verify the hash chain')).action(
  withContext(async (ctx) => {
    const res = await verifyAuditChain(ctx.db);
    if (res.ok) process.stdout.write(`Nhật ký toàn vẹn / audit log intact: ${res.checked} entries\n`);
    else {
      process.stdout.write(`Nhật ký bị sửa đổi / audit log TAMPERED at entry ${res.firstBadId}: ${res.problem}\n`);
      process.exitCode = 1;
    }
  }),
);

signerCommands(program, dataOption, withContext);
reportCommands(program, dataOption, withContext);
sendmailCommand(program);
learnCommand(program);
migrateCommand(program, dataOption, withContext);

await program.parseAsync(process.argv);
