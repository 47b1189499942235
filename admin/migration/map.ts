import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { GovmailError } from '../../core/errors.js';
import { normaliseAddress } from '../directory.js';

/**
 * The migration map: one row per mailbox, `source_address, source_password, target_address`, with
 * optional `full_name` and `agency_code` (used by --create-missing and --agency). CSV (Excel's "CSV
 * UTF-8" BOM included) or the first sheet of an .xlsx. The whole map is checked before anything is
 * copied: a bad line stops the run with every problem listed, rather than half a province migrated.
 */
export const MAP_COLUMNS = ['source_address', 'source_password', 'target_address', 'full_name', 'agency_code'] as const;

export interface MapRow {
  line: number;
  sourceAddress: string;
  /** Never logged, never stored: kept in memory for the length of the run. */
  sourcePassword: string;
  targetAddress: string;
  fullName: string;
  agencyCode: string;
}

function cellText(v: ExcelJS.CellValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object' && !(v instanceof Date)) {
    if ('text' in v && typeof v.text === 'string') return v.text;
    if ('richText' in v) return v.richText.map((r) => r.text).join('');
    if ('result' in v) return cellText(v.result as ExcelJS.CellValue);
  }
  return v instanceof Date ? v.toISOString() : String(v);
}

async function records(file: string, data: Buffer): Promise<Array<{ line: number; cells: string[] }>> {
  if (/\.xlsx$/i.test(file)) {
    const wb = new ExcelJS.Workbook();
    try {
      await wb.xlsx.load(data as any);
    } catch (err) {
      throw new GovmailError('MIGRATE_MAP_FORMAT', `${file} is not a readable .xlsx workbook: ${(err as Error).message}`, `không đọc được tệp .xlsx ${file}: ${(err as Error).message}`);
    }
    const out: Array<{ line: number; cells: string[] }> = [];
    wb.worksheets[0]?.eachRow({ includeEmpty: false }, (row, line) => {
      const cells: string[] = [];
      row.eachCell({ includeEmpty: true }, (cell, col) => (cells[col - 1] = cellText(cell.value)));
      out.push({ line, cells: Array.from(cells, (c) => c ?? '') });
    });
    return out;
  }
  if (!/\.csv$/i.test(file)) throw new GovmailError('MIGRATE_MAP_FORMAT', `--map: expected a .csv or .xlsx file (got ${file})`, `--map: cần tệp .csv hoặc .xlsx (nhận được ${file})`);
  const rows: string[][] = parse(data.toString('utf8').replace(/^\uFEFF/, ''), { relax_column_count: true, skip_empty_lines: true });
  return rows.map((cells, i) => ({ line: i + 1, cells }));
}

export async function parseMigrationMap(file: string, data: Buffer, o: { passwordOptional: boolean }): Promise<MapRow[]> {
  const recs = await records(file, data);
  if (!recs.length) throw new GovmailError('MIGRATE_MAP_EMPTY', `${file} has no header row (expected: ${MAP_COLUMNS.join(',')})`, `${file} không có dòng tiêu đề (cần: ${MAP_COLUMNS.join(',')})`);
  const header = recs[0].cells.map((h) => h.trim().toLowerCase());
  const missing = ['source_address', 'target_address'].filter((c) => !header.includes(c));
  if (!o.passwordOptional && !header.includes('source_password')) missing.push('source_password');
  if (missing.length) {
    throw new GovmailError('MIGRATE_MAP_COLUMNS', `${file}: missing column(s) ${missing.join(', ')} (expected header: ${MAP_COLUMNS.join(',')})`, `${file}: thiếu cột ${missing.join(', ')} (tiêu đề cần có: ${MAP_COLUMNS.join(',')})`);
  }
  const problems: string[] = [];
  const seen = new Map<string, number>();
  const rows: MapRow[] = [];
  for (const { line, cells } of recs.slice(1)) {
    const v = Object.fromEntries(header.map((h, j) => [h, (cells[j] ?? '').trim()]));
    if (!Object.values(v).some(Boolean)) continue;
    const address = (col: string): string | undefined => {
      try {
        return normaliseAddress(v[col] ?? '').address;
      } catch {
        problems.push(`line ${line} / dòng ${line}: ${col} "${v[col] ?? ''}" is not an e-mail address / không phải địa chỉ thư`);
        return undefined;
      }
    };
    const source = address('source_address');
    const target = address('target_address');
    // Passwords may contain spaces at either end: take the cell as written (CSV), not trimmed.
    const password = cells[header.indexOf('source_password')] ?? '';
    if (!o.passwordOptional && !password) problems.push(`line ${line} / dòng ${line}: source_password is empty (or give --master-user / --oauth-token-file) / source_password trống (hoặc dùng --master-user / --oauth-token-file)`);
    if (target && seen.has(`${source}>${target}`)) problems.push(`line ${line} / dòng ${line}: same mailbox pair as line ${seen.get(`${source}>${target}`)} / trùng với dòng ${seen.get(`${source}>${target}`)}`);
    if (!source || !target) continue;
    seen.set(`${source}>${target}`, line);
    rows.push({ line, sourceAddress: source, sourcePassword: password, targetAddress: target, fullName: v.full_name ?? '', agencyCode: v.agency_code ?? '' });
  }
  if (problems.length) {
    const list = problems.slice(0, 20).join('\n  ') + (problems.length > 20 ? `\n  … (+${problems.length - 20})` : '');
    throw new GovmailError('MIGRATE_MAP_INVALID', `${file} has ${problems.length} problem(s); nothing was copied:\n  ${list}`, `${file} có ${problems.length} lỗi, chưa sao chép gì`);
  }
  if (!rows.length) throw new GovmailError('MIGRATE_MAP_EMPTY', `${file} lists no mailbox`, `${file} không có hộp thư nào`);
  return rows;
}
