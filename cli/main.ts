import { Command } from 'commander';
import { openContext } from './context.js';
import { readStdin, reportFailure } from './io.js';
import { runStart } from './start.js';
import { addDomain, listDomains, addMailbox, setMailboxActive, addAlias, countMailboxes } from '../admin/index.js';
import { verifyAuditChain } from '../core/audit.js';

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
    process.stdout.write(`Đã thêm tên miền / domain added: ${d.name}\n`);
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
    const c = ctx.config;
    const lines = [
      `Thư mục dữ liệu / data folder: ${c.dataDir}`,
      `Cơ sở dữ liệu / database: ${c.databaseUrl ? 'external (DATABASE_URL)' : `embedded PostgreSQL 127.0.0.1:${c.embeddedPgPort}`} — ${ctx.embedded ? 'not running (started for this command)' : 'running'}`,
      `Tên miền / domains: ${domains.length}`,
      `Hộp thư / mailboxes: ${boxes.total} (${boxes.active} active)`,
      `Cổng / ports: MX ${c.smtpPort}, submission ${c.submissionPort} (STARTTLS), submissions ${c.submissionsPort} (TLS), IMAP ${c.imapPort}, HTTP ${c.httpPort}`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
  }),
);

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

await program.parseAsync(process.argv);
