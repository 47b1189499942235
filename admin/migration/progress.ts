import type { Sequelize } from 'sequelize';
import { QueryTypes } from 'sequelize';
import pg from 'pg';
import { GovmailError } from '../../core/errors.js';
import { databaseUrlOf } from '../../core/db.js';

/** Progress rows of the migration (tables in migrations.ts); only this module's files use them. */
export interface MailboxPair {
  sourceServer: string;
  sourceAddress: string;
  targetAddress: string;
}

export interface FolderProgress {
  id: number;
  sourceUidValidity: bigint;
  lastUid: number;
  targetUidValidity: bigint | null;
  targetLastUid: number;
}

/** Another run (another terminal, the server's job) is copying into this mailbox right now. */
export class TargetBusy extends GovmailError {
  constructor(targetAddress: string) {
    super('MIGRATE_BUSY', `another migration run is copying into ${targetAddress} now; run it again when that one ends`, `một lượt chuyển dữ liệu khác đang chép vào ${targetAddress}; hãy chạy lại khi lượt đó xong`, 409);
  }
}

/**
 * One run per target mailbox at a time: two runs would both read the same last UID and both APPEND
 * what follows it. A PostgreSQL session advisory lock on a connection of its own, outside the pool (a
 * run of 64 mailboxes at once must not hold the pool's 10 connections while its copies wait for one),
 * so a run killed even with SIGKILL leaves no lock behind: its connection closes. Returns the release.
 */
export async function lockTargetMailbox(db: Sequelize, targetAddress: string): Promise<() => Promise<void>> {
  const conn = new pg.Client({ connectionString: databaseUrlOf(db), application_name: 'govmail-migrate-lock' });
  conn.on('error', () => undefined);
  await conn.connect();
  const key = ['govmail.migrate', targetAddress.toLowerCase()];
  try {
    const { rows } = await conn.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtext($1), hashtext($2)) AS locked', key);
    if (!rows[0]?.locked) throw new TargetBusy(targetAddress);
  } catch (err) {
    await conn.end().catch(() => undefined);
    throw err;
  }
  // Closing the session releases its advisory locks.
  return () => conn.end().catch(() => undefined);
}

export async function startMailboxRow(db: Sequelize, pair: MailboxPair): Promise<number> {
  const [row] = await db.query<{ id: number }>(
    `INSERT INTO migration_mailboxes (source_server, source_address, target_address, status, started_at, error_code, error)
     VALUES ($1, $2, $3, 'running', now(), NULL, NULL)
     ON CONFLICT (source_server, source_address, target_address)
     DO UPDATE SET status = 'running', started_at = now(), finished_at = NULL, error_code = NULL, error = NULL
     RETURNING id`,
    { bind: [pair.sourceServer, pair.sourceAddress, pair.targetAddress], type: QueryTypes.SELECT },
  );
  return row.id;
}

export async function finishMailboxRow(
  db: Sequelize,
  id: number,
  r: { failed?: { code: string; message: string }; folders: number; sourceMessages: number },
): Promise<void> {
  await db.query(
    `UPDATE migration_mailboxes m SET status = $2, error_code = $3, error = $4, folders = $5, source_messages = $6, finished_at = now(),
       copied = COALESCE((SELECT sum(copied) FROM migration_folders WHERE mailbox_id = m.id), 0),
       skipped = COALESCE((SELECT sum(skipped) FROM migration_folders WHERE mailbox_id = m.id), 0),
       bytes = COALESCE((SELECT sum(bytes) FROM migration_folders WHERE mailbox_id = m.id), 0)
     WHERE id = $1`,
    { bind: [id, r.failed ? 'failed' : 'done', r.failed?.code ?? null, r.failed?.message ?? null, r.folders, r.sourceMessages] },
  );
}

/**
 * The folder's progress, created on first sight. A changed source UIDVALIDITY means the source UIDs
 * now name other messages: start again from UID 0 and forget the target UID mark, so copy.ts checks
 * the whole target folder for what is already there instead of trusting any number.
 */
export async function folderProgress(db: Sequelize, mailboxId: number, sourceFolder: string, targetFolder: string, uidValidity: bigint): Promise<FolderProgress & { reset: boolean }> {
  const [old] = await db.query<{ source_uidvalidity: string }>('SELECT source_uidvalidity FROM migration_folders WHERE mailbox_id = $1 AND source_folder = $2', {
    bind: [mailboxId, sourceFolder],
    type: QueryTypes.SELECT,
  });
  const reset = !!old && BigInt(old.source_uidvalidity) !== uidValidity;
  const [row] = await db.query<{ id: number; source_uidvalidity: string; last_uid: string; target_uidvalidity: string | null; target_last_uid: string }>(
    `INSERT INTO migration_folders (mailbox_id, source_folder, target_folder, source_uidvalidity) VALUES ($1, $2, $3, $4)
     ON CONFLICT (mailbox_id, source_folder) DO UPDATE SET target_folder = EXCLUDED.target_folder,
       source_uidvalidity = EXCLUDED.source_uidvalidity,
       last_uid = CASE WHEN migration_folders.source_uidvalidity = EXCLUDED.source_uidvalidity THEN migration_folders.last_uid ELSE 0 END,
       target_last_uid = CASE WHEN migration_folders.source_uidvalidity = EXCLUDED.source_uidvalidity THEN migration_folders.target_last_uid ELSE 0 END,
       target_uidvalidity = CASE WHEN migration_folders.source_uidvalidity = EXCLUDED.source_uidvalidity THEN migration_folders.target_uidvalidity ELSE NULL END
     RETURNING id, source_uidvalidity, last_uid, target_uidvalidity, target_last_uid`,
    { bind: [mailboxId, sourceFolder, targetFolder, uidValidity.toString()], type: QueryTypes.SELECT },
  );
  return {
    id: row.id,
    sourceUidValidity: BigInt(row.source_uidvalidity),
    lastUid: Number(row.last_uid),
    targetUidValidity: row.target_uidvalidity === null ? null : BigInt(row.target_uidvalidity),
    targetLastUid: Number(row.target_last_uid),
    reset,
  };
}

/** Written after the target acknowledged the APPEND (or after a resume found the copy already there). */
export async function recordCopied(db: Sequelize, folderId: number, uid: number, target: { uid?: number; uidValidity?: bigint }, bytes: number): Promise<void> {
  await db.query(
    `UPDATE migration_folders SET last_uid = GREATEST(last_uid, $2), target_last_uid = GREATEST(target_last_uid, COALESCE($3, 0)),
       target_uidvalidity = COALESCE($4, target_uidvalidity), copied = copied + 1, bytes = bytes + $5, updated_at = now() WHERE id = $1`,
    { bind: [folderId, uid, target.uid ?? null, target.uidValidity?.toString() ?? null, bytes] },
  );
}

/** A message that could not be copied: recorded with its reason, and the folder moves past it. */
export async function recordSkip(db: Sequelize, folderId: number, uidValidity: bigint, uid: number, size: number, reason: string): Promise<void> {
  await db.query(
    `WITH s AS (INSERT INTO migration_skips (folder_id, source_uidvalidity, uid, size, reason) VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (folder_id, source_uidvalidity, uid) DO UPDATE SET reason = EXCLUDED.reason, at = now() RETURNING 1)
     UPDATE migration_folders SET last_uid = GREATEST(last_uid, $3), skipped = skipped + 1, updated_at = now() WHERE id = $1`,
    { bind: [folderId, uidValidity.toString(), uid, size, reason] },
  );
}

/** The target folder was found with another UIDVALIDITY (recreated): our UID mark means nothing there. */
export async function setTargetValidity(db: Sequelize, folderId: number, uidValidity: bigint): Promise<void> {
  await db.query('UPDATE migration_folders SET target_uidvalidity = $2, target_last_uid = 0 WHERE id = $1', { bind: [folderId, uidValidity.toString()] });
}

export interface MailboxStatusRow {
  source_address: string;
  target_address: string;
  status: string;
  error: string | null;
  folders: number;
  source_messages: number;
  copied: number;
  skipped: number;
  bytes: string;
  finished_at: Date | null;
}

export async function mailboxStatuses(db: Sequelize, sourceServer?: string): Promise<MailboxStatusRow[]> {
  return db.query<MailboxStatusRow>(
    `SELECT source_address, target_address, status, error, folders, source_messages, copied, skipped, bytes, finished_at
     FROM migration_mailboxes WHERE $1::text IS NULL OR source_server = $1 ORDER BY source_address`,
    { bind: [sourceServer ?? null], type: QueryTypes.SELECT },
  );
}

export async function skipsOf(db: Sequelize, pair: MailboxPair): Promise<Array<{ folder: string; uid: number; reason: string }>> {
  const rows = await db.query<{ folder: string; uid: string; reason: string }>(
    `SELECT f.source_folder AS folder, s.uid, s.reason FROM migration_skips s JOIN migration_folders f ON f.id = s.folder_id
     JOIN migration_mailboxes m ON m.id = f.mailbox_id WHERE m.source_server = $1 AND m.source_address = $2 AND m.target_address = $3 ORDER BY 1, 2`,
    { bind: [pair.sourceServer, pair.sourceAddress, pair.targetAddress], type: QueryTypes.SELECT },
  );
  return rows.map((r) => ({ ...r, uid: Number(r.uid) }));
}
