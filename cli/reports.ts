import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Sequelize } from '../core/db.js';
import { InvalidInputError } from '../core/errors.js';
import { checkReportOptions, localDay, reportCsv, reportXlsx, usageReport, type UsageSources } from '../admin/index.js';
import { mailboxUsage } from '../mailstore/index.js';
import { dailyUsage, firstUsageDay } from '../smtp/index.js';
import { signatureCounts } from '../signer/index.js';
import type { Context } from './context.js';

type WithContext = <A extends unknown[]>(fn: (ctx: Context, ...args: A) => Promise<void>) => (...args: A) => Promise<void>;

/** admin's reports read smtp's, mailstore's and signer's figures through these (admin cannot import them). */
export function usageSources(db: Sequelize): UsageSources {
  return {
    dailyUsage: (from, to, timeZone) => dailyUsage(db, from, to, timeZone),
    mailboxUsage: () => mailboxUsage(db),
    firstUsageDay: (timeZone) => firstUsageDay(db, timeZone),
    signatureCounts: (from, to) => signatureCounts(db, from, to),
  };
}

export function reportCommands(program: Command, dataOption: (c: Command) => Command, withContext: WithContext): void {
  const report = program.command('report').description('báo cáo / reports');
  const today = localDay(new Date());
  dataOption(report.command('usage').description('báo cáo sử dụng thư / mail usage by level or agency'))
    .option('--by <grouping>', 'level|agency', 'level')
    .option('--from <date>', 'từ ngày / first day (YYYY-MM-DD)', `${today.slice(0, 8)}01`)
    .option('--to <date>', 'đến ngày / last day (YYYY-MM-DD)', today)
    .option('--format <format>', 'csv|xlsx|json', 'csv')
    .option('--out <file>', 'ghi ra tệp / write to a file (required for xlsx)')
    .action(
      withContext(async (ctx, o: { by: string; from: string; to: string; format: string; out?: string }) => {
        if (!['csv', 'xlsx', 'json'].includes(o.format)) throw new InvalidInputError('--format', 'csv, xlsx or json', 'csv, xlsx hoặc json', o.format);
        if (o.format === 'xlsx' && !o.out) throw new InvalidInputError('--out', 'a file name for the XLSX workbook', 'tên tệp cho bảng tính XLSX');
        const rows = await usageReport(ctx.db, usageSources(ctx.db), checkReportOptions(o));
        const output = o.format === 'json' ? `${JSON.stringify(rows, null, 2)}\n` : o.format === 'csv' ? reportCsv(rows) : await reportXlsx(rows);
        if (o.out) writeFileSync(o.out, output);
        else process.stdout.write(output);
      }),
    );
}
