import { parse } from 'csv-parse/sync';
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

export function parseCsv(text: string): { header: string[]; rows: Array<{ line: number; values: Record<string, string> }> } {
  const records: string[][] = parse(text.replace(/^\uFEFF/, ''), { relax_column_count: true, skip_empty_lines: true, bom: true, info: false });
  if (!records.length) throw new GovmailError('IMPORT_EMPTY', 'the file has no header row', 'tệp không có dòng tiêu đề');
  const header = records[0].map((h) => h.trim().toLowerCase());
  const missing = REQUIRED.filter((c) => !header.includes(c));
  if (missing.length) {
    throw new GovmailError('IMPORT_COLUMNS', `missing required column(s): ${missing.join(', ')} (expected header: ${IMPORT_COLUMNS.join(',')})`, `thiếu cột bắt buộc: ${missing.join(', ')} (tiêu đề cần có: ${IMPORT_COLUMNS.join(',')})`);
  }
  // Line numbers as a person sees them in the file: the header is line 1.
  const rows = records.slice(1).map((cells, i) => ({
    line: i + 2,
    values: Object.fromEntries(header.map((h, j) => [h, (cells[j] ?? '').trim()])),
  }));
  return { header, rows };
}

export async function importMailboxes(
  db: Sequelize,
  csvText: string,
  opts: { dryRun?: boolean; defaultQuota: string; by?: Actor; concurrency?: number; onProgress?: (done: number, total: number) => void },
): Promise<ImportReport> {
  const { header, rows } = parseCsv(csvText);
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
