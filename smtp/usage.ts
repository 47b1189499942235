import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { logger } from '../core/log.js';

/**
 * Usage events: one row for every message accepted, delivered locally, sent out, deferred or bounced,
 * and per recipient for a message the scan refused.
 * `mailbox` is ours (the sender for out, the recipient for in); reports (issue #4) read them here.
 */
export type UsageEvent = 'accepted' | 'delivered' | 'sent' | 'deferred' | 'bounced' | 'refused';
export type Direction = 'in' | 'out' | 'internal';

export interface UsageRow {
  event: UsageEvent;
  mailbox: string | null;
  direction: Direction;
  size: number;
  queueId?: number | null;
  /** When it happened; default the time of the INSERT. */
  at?: Date;
}

/** `INSERT … VALUES` for the rows, values escaped so one string serves both ways of recording. */
function insertUsage(db: Sequelize, rows: UsageRow[]): string {
  const esc = (v: string | number | null) => (v === null ? 'NULL' : db.escape(v));
  const values = rows.map((r) => `(${[r.event, r.mailbox, domainOfMailbox(r.mailbox), r.direction, r.size, r.queueId ?? null].map(esc).join(', ')}, ${r.at ? db.escape(r.at) : 'now()'})`);
  return `INSERT INTO usage_events (event, mailbox, domain, direction, size, queue_id, at) VALUES ${values.join(', ')}`;
}

function domainOfMailbox(mailbox: string | null): string | null {
  return mailbox ? mailbox.slice(mailbox.lastIndexOf('@') + 1) : null;
}

/** Records usage rows inside the caller's transaction (they commit or roll back with it). */
export async function recordUsage(db: Sequelize, rows: UsageRow[], transaction?: Transaction): Promise<void> {
  if (rows.length) await db.query(insertUsage(db, rows), { transaction });
}

/**
 * Records usage rows on their own, without waiting for the WAL flush: they are counters, not mail, and
 * a second fsync on every delivery would halve the MX's throughput on slow disks. A PostgreSQL crash
 * can lose the last fraction of a second of counters (never a message: the queue commits durably).
 * One round trip: a multi-statement string runs as one implicit transaction, so an error leaves no
 * open transaction on the pooled connection.
 */
export async function recordUsageAsync(db: Sequelize, rows: UsageRow[]): Promise<void> {
  if (rows.length) await db.query(`SET LOCAL synchronous_commit TO OFF; ${insertUsage(db, rows)}`);
}

/**
 * Usage rows written after the reply instead of before it, for the MX: the mail is already safe, and
 * the sender should not wait for a counter. Rows are gathered for up to `USAGE_BATCH_MS` and written in
 * one INSERT, one at a time per database: on a busy MX that is one statement for dozens of messages
 * instead of one each, which is PostgreSQL and MX CPU that Dovecot gets instead. The cost is the same
 * kind as `synchronous_commit` off: a crash can lose the last fraction of a second of counters, never
 * mail. A failed write is logged and its rows dropped. Only for long-running servers; their stop()
 * calls usageWritten(). A process that exits once it has its answer (the sendmail command) awaits
 * recordUsageAsync instead.
 */
export const USAGE_BATCH_MS = 100;

interface UsageBacklog {
  rows: UsageRow[];
  timer: NodeJS.Timeout | undefined;
  running: Promise<void> | undefined;
}
const backlogs = new WeakMap<Sequelize, UsageBacklog>();

export function recordUsageLater(db: Sequelize, rows: UsageRow[]): void {
  if (!rows.length) return;
  let b = backlogs.get(db);
  if (!b) backlogs.set(db, (b = { rows: [], timer: undefined, running: undefined }));
  // Stamped now, so that a row written a little later still counts on the right day in the reports.
  const at = new Date();
  for (const r of rows) b.rows.push(r.at ? r : { ...r, at });
  if (!b.timer && !b.running) b.timer = setTimeout(() => void flushUsage(db, b), USAGE_BATCH_MS);
}

function flushUsage(db: Sequelize, b: UsageBacklog): Promise<void> {
  clearTimeout(b.timer);
  b.timer = undefined;
  if (b.running || !b.rows.length) return b.running ?? Promise.resolve();
  const batch = b.rows.splice(0, 2000);
  b.running = recordUsageAsync(db, batch)
    .catch((err: Error) => logger().warn({ svc: 'smtp', err: err.message, rows: batch.length }, 'usage events not recorded'))
    .then(() => {
      b.running = undefined;
      if (b.rows.length) b.timer = setTimeout(() => void flushUsage(db, b), USAGE_BATCH_MS);
    });
  return b.running;
}

/** A message the MX's scan refused: one `refused` row per local recipient, written after the reply like the MX's others. */
export function recordRefusal(db: Sequelize, mailboxes: readonly string[], size: number): void {
  recordUsageLater(db, [...new Set(mailboxes)].map((mailbox) => ({ event: 'refused', mailbox, direction: 'in', size })));
}

/** Writes what recordUsageLater holds now, and resolves once all of it is written (or its failure logged). */
export async function usageWritten(db: Sequelize): Promise<void> {
  const b = backlogs.get(db);
  while (b && (b.rows.length || b.running)) await flushUsage(db, b);
}

/** Counts per event and direction in [from, to), optionally for one mailbox. */
export async function usageCounts(db: Sequelize, from: Date, to: Date, mailbox?: string): Promise<Array<{ event: UsageEvent; direction: Direction; messages: number; bytes: number }>> {
  return db.query(
    `SELECT event, direction, count(*)::int AS messages, coalesce(sum(size), 0)::bigint AS bytes FROM usage_events
     WHERE at >= $1 AND at < $2 ${mailbox ? 'AND mailbox = $3' : ''} GROUP BY event, direction ORDER BY event, direction`,
    { bind: mailbox ? [from, to, mailbox] : [from, to], type: QueryTypes.SELECT },
  );
}

export interface DailyUsageRow {
  day: string;
  mailbox: string;
  event: UsageEvent;
  direction: Direction;
  messages: number;
  bytes: number;
}

/** Messages and bytes per local day (YYYY-MM-DD in `timeZone`), mailbox, event and direction, days fromDay..toDay inclusive. */
export async function dailyUsage(db: Sequelize, fromDay: string, toDay: string, timeZone: string): Promise<DailyUsageRow[]> {
  const rows = await db.query<DailyUsageRow & { bytes: string }>(
    `SELECT (at AT TIME ZONE $3)::date::text AS day, mailbox, event, direction, count(*)::int AS messages, coalesce(sum(size), 0)::bigint AS bytes
       FROM usage_events
      WHERE mailbox IS NOT NULL AND at >= ($1::date::timestamp AT TIME ZONE $3) AND at < (($2::date + 1)::timestamp AT TIME ZONE $3)
      GROUP BY 1, 2, 3, 4`,
    { bind: [fromDay, toDay, timeZone], type: QueryTypes.SELECT },
  );
  return rows.map((r) => ({ ...r, bytes: Number(r.bytes) }));
}

/** The local day of the first usage event, or undefined when there is none yet. */
export async function firstUsageDay(db: Sequelize, timeZone: string): Promise<string | undefined> {
  const [row] = await db.query<{ day: string | null }>('SELECT (min(at) AT TIME ZONE $1)::date::text AS day FROM usage_events', { bind: [timeZone], type: QueryTypes.SELECT });
  return row?.day ?? undefined;
}
