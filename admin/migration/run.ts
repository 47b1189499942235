import type { Sequelize } from 'sequelize';
import { GovmailError } from '../../core/errors.js';
import { getMailbox, addMailbox, type Actor } from '../directory.js';
import { getAgency, isWithin, mailboxAgency } from '../agencies.js';
import { migrateMailbox, emptyReport, failureOf, type MailboxOptions, type MailboxReport } from './mailbox.js';
import type { SourceAuth, SourceServer, TargetServer } from './connect.js';
import type { MapRow } from './map.js';

/**
 * A whole migration run: the map's mailboxes, `concurrency` at a time (each has its own source and
 * target connection), every mailbox reported whatever happens to the others. Targets must exist
 * unless `createMissing` (then created as the bulk import does, with a generated initial password).
 */
export interface RunOptions extends MailboxOptions {
  concurrency: number;
  agency?: string;
  createMissing?: boolean;
  defaultQuota: string;
  by?: Actor;
  /** The source login of a row: its own password, or the run's master user / OAuth token. */
  authFor: (row: MapRow) => SourceAuth;
  onMailboxStart?: (row: MapRow) => void;
  onMailboxDone?: (report: MailboxReport) => void;
}

export interface RunReport {
  mailboxes: MailboxReport[];
  /** Initial passwords of mailboxes --create-missing made: for a protected file, never a screen or log. */
  created: Array<{ address: string; fullName: string; password: string }>;
  failed: number;
}

async function selectRows(db: Sequelize, rows: MapRow[], agency: string | undefined): Promise<MapRow[]> {
  if (!agency) return rows;
  if (!(await getAgency(db, agency))) throw new GovmailError('MIGRATE_AGENCY', `--agency: no agency with code ${agency}`, `--agency: không có cơ quan mã ${agency}`);
  const kept: MapRow[] = [];
  for (const row of rows) {
    // The map's agency_code when given, otherwise the agency of the existing target mailbox.
    const code = row.agencyCode || (await mailboxAgency(db, row.targetAddress))?.code;
    if (code && (await isWithin(db, code, agency))) kept.push(row);
  }
  return kept;
}

/** Makes sure the target exists; a missing one is created (createMissing) or reported. */
async function ensureTarget(db: Sequelize, row: MapRow, opts: RunOptions, created: RunReport['created']): Promise<void> {
  if (await getMailbox(db, row.targetAddress)) return;
  if (!opts.createMissing) {
    throw new GovmailError('MIGRATE_TARGET_MISSING', `the GovMail mailbox ${row.targetAddress} does not exist (create it with govmail mailbox import, or run with --create-missing)`, `hộp thư GovMail ${row.targetAddress} chưa tồn tại (tạo bằng govmail mailbox import, hoặc chạy với --create-missing)`);
  }
  const agencyId = row.agencyCode ? (await getAgency(db, row.agencyCode))?.id : undefined;
  if (row.agencyCode && agencyId === undefined) throw new GovmailError('MIGRATE_AGENCY', `line ${row.line}: no agency with code ${row.agencyCode}`, `dòng ${row.line}: không có cơ quan mã ${row.agencyCode}`);
  if (opts.dryRun) return;
  const fullName = row.fullName || row.targetAddress.split('@')[0];
  const res = await addMailbox(db, { address: row.targetAddress, displayName: fullName, agencyId }, { defaultQuota: opts.defaultQuota, by: opts.by });
  if (res.password) created.push({ address: res.address, fullName, password: res.password });
}

export async function runMigration(db: Sequelize, server: SourceServer, target: TargetServer, rows: MapRow[], opts: RunOptions): Promise<RunReport> {
  const selected = await selectRows(db, rows, opts.agency);
  const report: RunReport = { mailboxes: new Array(selected.length), created: [], failed: 0 };
  let next = 0;
  const worker = async () => {
    while (next < selected.length && !opts.shouldStop?.()) {
      const i = next++;
      const row = selected[i];
      opts.onMailboxStart?.(row);
      let r: MailboxReport;
      try {
        await ensureTarget(db, row, opts, report.created);
        r = await migrateMailbox(db, server, target, { sourceAddress: row.sourceAddress, targetAddress: row.targetAddress, auth: opts.authFor(row) }, opts);
      } catch (err) {
        r = { ...emptyReport(row.sourceAddress, row.targetAddress), status: 'failed', error: failureOf(err) };
      }
      if (r.status === 'failed') report.failed++;
      report.mailboxes[i] = r;
      opts.onMailboxDone?.(r);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency, selected.length)) }, worker));
  report.mailboxes = report.mailboxes.filter(Boolean);
  return report;
}
