import type { ImapFlow } from 'imapflow';
import type { Sequelize } from 'sequelize';
import { GovmailError } from '../../core/errors.js';
import { connectSource, connectTarget, sourceServerKey, type SourceAuth, type SourceServer, type TargetServer } from './connect.js';
import { copyFolder, TargetOverQuota, type CopyOptions, type FolderResult } from './copy.js';
import { planFolder, folderFilter, type FolderPlan } from './folders.js';
import { startMailboxRow, finishMailboxRow, lockTargetMailbox, type MailboxPair } from './progress.js';

/** One source mailbox into one of ours: every selected folder in turn, parents before children. */
export interface MailboxReport {
  sourceAddress: string;
  targetAddress: string;
  status: 'done' | 'failed' | 'dry-run';
  error?: { code: string; message: string };
  folders: FolderResult[];
  sourceMessages: number;
  toCopy: number;
  toCopyBytes: number;
  copied: number;
  alreadyPresent: number;
  skipped: number;
  bytes: number;
  seconds: number;
}

export interface MailboxOptions extends CopyOptions {
  folders?: string;
}

export function emptyReport(sourceAddress: string, targetAddress: string): MailboxReport {
  return { sourceAddress, targetAddress, status: 'done', folders: [], sourceMessages: 0, toCopy: 0, toCopyBytes: 0, copied: 0, alreadyPresent: 0, skipped: 0, bytes: 0, seconds: 0 };
}

export function failureOf(err: unknown): { code: string; message: string } {
  if (err instanceof GovmailError) return { code: err.code, message: err.bilingual };
  const e = err as any;
  return { code: 'MIGRATE_FAILED', message: `sao chép bị gián đoạn / copy interrupted: ${e?.responseText ?? e?.message ?? String(err)}` };
}

async function plannedFolders(source: ImapFlow, spec: string | undefined): Promise<FolderPlan[]> {
  const keep = folderFilter(spec);
  const prefix = (source as ImapFlow & { namespace?: { prefix?: string } }).namespace?.prefix ?? '';
  const plans = (await source.list())
    .map((entry) => planFolder(entry, prefix))
    .filter((p): p is FolderPlan => !!p && keep(p.display));
  return plans.sort((a, b) => (a.display === 'INBOX' ? -1 : b.display === 'INBOX' ? 1 : a.display < b.display ? -1 : a.display > b.display ? 1 : 0));
}

function add(report: MailboxReport, f: FolderResult): void {
  report.folders.push(f);
  report.sourceMessages += f.sourceMessages;
  report.toCopy += f.toCopy;
  report.toCopyBytes += f.toCopyBytes;
  report.copied += f.copied;
  report.alreadyPresent += f.alreadyPresent;
  report.skipped += f.skipped.length;
  report.bytes += f.bytes;
}

/** A connection that broke mid-folder, or a full target: the mailbox cannot go on. Other folder errors can. */
function endsMailbox(err: unknown, source: ImapFlow, target?: ImapFlow): boolean {
  return err instanceof TargetOverQuota || !source.usable || (!!target && !target.usable);
}

export async function migrateMailbox(
  db: Sequelize,
  server: SourceServer,
  targetServer: TargetServer,
  job: { sourceAddress: string; targetAddress: string; auth: SourceAuth },
  opts: MailboxOptions,
): Promise<MailboxReport> {
  const started = Date.now();
  const report = emptyReport(job.sourceAddress, job.targetAddress);
  const pair = { sourceServer: sourceServerKey(server), sourceAddress: job.sourceAddress, targetAddress: job.targetAddress };
  let unlock: (() => Promise<void>) | undefined;
  if (!opts.dryRun) {
    try {
      unlock = await lockTargetMailbox(db, job.targetAddress);
    } catch (err) {
      return { ...report, status: 'failed', error: failureOf(err), seconds: (Date.now() - started) / 1000 };
    }
  }
  try {
    return await copyMailbox(db, server, targetServer, job, opts, report, pair, started);
  } finally {
    await unlock?.();
  }
}

async function copyMailbox(
  db: Sequelize,
  server: SourceServer,
  targetServer: TargetServer,
  job: { sourceAddress: string; targetAddress: string; auth: SourceAuth },
  opts: MailboxOptions,
  report: MailboxReport,
  pair: MailboxPair,
  started: number,
): Promise<MailboxReport> {
  const mailboxId = opts.dryRun ? 0 : await startMailboxRow(db, pair);
  let source: ImapFlow | undefined;
  let target: ImapFlow | undefined;
  try {
    source = await connectSource(server, job.sourceAddress, job.auth);
    if (!opts.dryRun) target = await connectTarget(targetServer, job.targetAddress);
    for (const plan of await plannedFolders(source, opts.folders)) {
      if (opts.shouldStop?.()) break;
      try {
        add(report, await copyFolder({ db, mailboxId, targetAddress: job.targetAddress, source, target: target! }, plan, opts));
      } catch (err) {
        if (endsMailbox(err, source, target)) throw err;
        add(report, { source: plan.display, target: plan.target, sourceMessages: 0, toCopy: 0, toCopyBytes: 0, copied: 0, alreadyPresent: 0, bytes: 0, skipped: [], error: failureOf(err).message });
      }
    }
    report.status = opts.dryRun ? 'dry-run' : 'done';
  } catch (err) {
    report.status = 'failed';
    report.error = failureOf(err);
  } finally {
    await Promise.all([source, target].map((c) => c?.logout().catch(() => c?.close())));
  }
  const folderErrors = report.folders.filter((f) => f.error);
  if (report.status === 'done' && folderErrors.length) {
    report.status = 'failed';
    report.error = { code: 'MIGRATE_FOLDERS_FAILED', message: `${folderErrors.length} thư mục lỗi / folder(s) failed: ${folderErrors.map((f) => `${f.source}: ${f.error}`).join('; ')}` };
  }
  report.seconds = (Date.now() - started) / 1000;
  if (!opts.dryRun) await finishMailboxRow(db, mailboxId, { failed: report.status === 'failed' ? report.error : undefined, folders: report.folders.length, sourceMessages: report.sourceMessages });
  return report;
}
