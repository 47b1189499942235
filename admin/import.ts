import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import type { Sequelize } from 'sequelize';
import { QueryTypes } from 'sequelize';
import { GovmailError } from '../core/errors.js';
import { addMailbox, normaliseAddress, type Actor } from './directory.js';
import { getAgency } from './agencies.js';

/**
 * Bulk provisioning from a CSV export (Excel's "CSV UTF-8" included: its BOM is stripped). Every line
 * is its own transaction, so one bad line never blocks or half-writes another, and a re-run skips
 * the mailboxes that already exist instead of changing them.
 */
export const IMPORT_COLUMNS = ['email', 'full_name', 'agency_code', 'position', 'phone', 'cccd', 'quota'] as const;
const REQUIRED = ['email', 'full_name', 'agency_code'] as const;

export interface ImportProblem {
  line: number;
  field: string;
  reason: string;
}

export interface ImportReport {
  total: number;
  created: number;
  unchanged: number;
  failed: number;
  dryRun: boolean;
  problems: ImportProblem[];
  ignoredColumns: string[];
  /** Initial passwords of the created mailboxes: write them to a protected file, never to a screen or log. */
  passwords: Array<{ email: string; fullName: string; password: string }>;
}

export interface ImportTable {
  header: string[];
  rows: Array<{ line: number; values: Record<string, string> }>;
}

export function parseCsv(text: string): ImportTable {
  const records: string[][] = parse(text.replace(/^\uFEFF/, ''), { relax_column_count: true, skip_empty_lines: true, bom: true, info: false });
  return toTable(records.map((cells, i) => ({ line: i + 1, cells })));
}

/** The first worksheet of an .xlsx workbook; line numbers are the sheet's row numbers. */
export async function parseXlsx(data: Buffer): Promise<ImportTable> {
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.load(data as any);
  } catch (err) {
    throw new GovmailError('IMPORT_FORMAT', `not a readable .xlsx workbook: ${(err as Error).message}`, `không đọc được tệp .xlsx: ${(err as Error).message}`);
  }
  const sheet = workbook.worksheets[0];
  if (!sheet) throw new GovmailError('IMPORT_EMPTY', 'the workbook has no sheet', 'tệp không có trang tính nào');
  const records: Array<{ line: number; cells: string[] }> = [];
  let cccdColumn = -1;
  sheet.eachRow({ includeEmpty: false }, (row, rowNumber) => {
    const cells: string[] = [];
    row.eachCell({ includeEmpty: true }, (cell, col) => {
      cells[col - 1] = cellText(cell.value);
      // A citizen id typed into Excel becomes a number and loses its leading zeros (001…, Hà Nội).
      if (col - 1 === cccdColumn && typeof cell.value === 'number') cells[col - 1] = cells[col - 1].padStart(12, '0');
    });
    if (!records.length) cccdColumn = cells.findIndex((c) => c?.trim().toLowerCase() === 'cccd');
    if (cells.some((c) => c && c.trim())) records.push({ line: rowNumber, cells: Array.from(cells, (c) => c ?? '') });
  });
  return toTable(records);
}

/** Excel stores citizen ids as numbers, links as objects, rich text as runs: read what a person sees. */
function cellText(v: ExcelJS.CellValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? v.toFixed(0) : String(v);
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  if (typeof v === 'object') {
    if ('text' in v && typeof v.text === 'string') return v.text;
    if ('richText' in v) return v.richText.map((r) => r.text).join('');
    if ('result' in v) return cellText(v.result as ExcelJS.CellValue);
  }
  return String(v);
}

function toTable(records: Array<{ line: number; cells: string[] }>): ImportTable {
  if (!records.length) throw new GovmailError('IMPORT_EMPTY', 'the file has no header row', 'tệp không có dòng tiêu đề');
  const header = records[0].cells.map((h) => h.trim().toLowerCase());
  const missing = REQUIRED.filter((c) => !header.includes(c));
  if (missing.length) {
    throw new GovmailError('IMPORT_COLUMNS', `missing required column(s): ${missing.join(', ')} (expected header: ${IMPORT_COLUMNS.join(',')})`, `thiếu cột bắt buộc: ${missing.join(', ')} (tiêu đề cần có: ${IMPORT_COLUMNS.join(',')})`);
  }
  const rows = records.slice(1).map(({ line, cells }) => ({
    line,
    values: Object.fromEntries(header.map((h, j) => [h, (cells[j] ?? '').trim()])),
  }));
  return { header, rows };
}

export async function importMailboxes(
  db: Sequelize,
  table: ImportTable,
  opts: { dryRun?: boolean; defaultQuota: string; by?: Actor; concurrency?: number; onProgress?: (done: number, total: number) => void },
): Promise<ImportReport> {
  const { header, rows } = table;
  const report: ImportReport = {
    total: rows.length,
    created: 0,
    unchanged: 0,
    failed: 0,
    dryRun: !!opts.dryRun,
    problems: [],
    ignoredColumns: header.filter((h) => !(IMPORT_COLUMNS as readonly string[]).includes(h)),
    passwords: [],
  };
  const agencyIds = new Map<string, number | undefined>();
  const seenInFile = new Map<string, number>();
  let done = 0;

  const importRow = async ({ line, values }: (typeof rows)[number]) => {
    const fail = (field: string, reason: string) => {
      report.failed++;
      report.problems.push({ line, field, reason });
    };
    for (const field of REQUIRED) if (!values[field]) return fail(field, `required / bắt buộc`);
    let email: string;
    try {
      email = normaliseAddress(values.email).address;
    } catch (err) {
      return fail('email', (err as GovmailError).bilingual);
    }
    const earlier = seenInFile.get(email);
    if (earlier !== undefined) return fail('email', `duplicate of line ${earlier} / trùng với dòng ${earlier}`);
    seenInFile.set(email, line);

    const code = values.agency_code;
    if (!agencyIds.has(code)) agencyIds.set(code, (await getAgency(db, code))?.id);
    const agencyId = agencyIds.get(code);
    if (agencyId === undefined) return fail('agency_code', `unknown agency ${code} / không có cơ quan mã ${code}`);

    const [existing] = await db.query('SELECT 1 FROM mailboxes WHERE address = $1', { bind: [email], type: QueryTypes.SELECT });
    if (existing) {
      report.unchanged++;
      return;
    }
    try {
      const input = {
        address: email,
        displayName: values.full_name,
        quota: values.quota || undefined,
        agencyId,
        position: values.position || undefined,
        phone: values.phone || undefined,
        cccd: values.cccd || undefined,
      };
      if (opts.dryRun) {
        // Validate everything addMailbox would, inside a transaction that is always rolled back.
        await db.transaction(async (t) => {
          await addMailbox(db, { ...input, password: 'dry-run-password-0000' }, { defaultQuota: opts.defaultQuota, by: opts.by, transaction: t });
          throw new DryRunRollback();
        }).catch((err) => {
          if (!(err instanceof DryRunRollback)) throw err;
        });
      } else {
        const res = await addMailbox(db, input, { defaultQuota: opts.defaultQuota, by: opts.by });
        report.passwords.push({ email, fullName: values.full_name.normalize('NFC'), password: res.password! });
      }
      report.created++;
    } catch (err) {
      if (err instanceof GovmailError) {
        // Errors name their field first ("cccd: expected ..."); address and domain problems belong to the email column.
        const named = /^(\w+):/.exec(err.message)?.[1] ?? 'email';
        return fail(['address', 'domain'].includes(named) ? 'email' : named, err.bilingual);
      }
      throw err;
    }
  };

  // Hashing dominates: keep several lines in flight so the argon2 thread pool stays busy.
  const queue = [...rows];
  const workers = Array.from({ length: opts.concurrency ?? 8 }, async () => {
    for (let row = queue.shift(); row; row = queue.shift()) {
      await importRow(row);
      done++;
      if (opts.onProgress && (done % 250 === 0 || done === rows.length)) opts.onProgress(done, rows.length);
    }
  });
  await Promise.all(workers);
  report.problems.sort((a, b) => a.line - b.line);
  return report;
}

class DryRunRollback extends Error {}

/** The password sheet as CSV (UTF-8 with BOM so Excel shows the diacritics). */
export function passwordsCsv(passwords: ImportReport['passwords']): string {
  const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;
  return '\uFEFF' + ['email,full_name,initial_password', ...passwords.map((p) => [p.email, p.fullName, p.password].map(quote).join(','))].join('\r\n') + '\r\n';
}
