import { randomBytes } from 'node:crypto';
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { selectOne } from '../core/sql.js';

/**
 * The durable outbound queue. A message is a committed row before anyone is told 250; workers take due
 * jobs with FOR UPDATE SKIP LOCKED and a lease (`locked_until`), so a worker that dies mid-delivery
 * (kill -9) simply lets its jobs fall due again for another worker.
 */
export interface QueueRecipient {
  address: string;
  local: boolean;
}

export interface NewJob {
  sender: string;
  recipients: QueueRecipient[];
  message: Buffer;
  originMailbox?: string | null;
  expiresInSeconds: number;
  /** Delay before the first attempt (0 = now). */
  delaySeconds?: number;
}

export async function enqueue(db: Sequelize, job: NewJob, transaction: Transaction): Promise<number> {
  const [row] = await db.query<{ id: string }>(
    `INSERT INTO smtp_queue (sender, message, size, expires_at, next_attempt_at, origin_mailbox)
     VALUES ($1, $2, $3, now() + make_interval(secs => $4), now() + make_interval(secs => $5), $6) RETURNING id`,
    { bind: [job.sender, job.message, job.message.length, job.expiresInSeconds, job.delaySeconds ?? 0, job.originMailbox ?? null], type: QueryTypes.SELECT, transaction },
  );
  const unique = [...new Map(job.recipients.map((r) => [r.address.toLowerCase(), r])).values()];
  for (const r of unique) {
    await db.query('INSERT INTO smtp_queue_recipients (queue_id, address, local) VALUES ($1, $2, $3)', { bind: [row.id, r.address.toLowerCase(), r.local], transaction });
  }
  return Number(row.id);
}

export interface ClaimedJob {
  id: number;
  sender: string;
  message: Buffer;
  attempts: number;
  expiresAt: Date;
  originMailbox: string | null;
  recipients: QueueRecipient[];
}

export const workerId = () => `w-${process.pid}-${randomBytes(3).toString('hex')}`;

export async function claimDue(db: Sequelize, worker: string, leaseSeconds: number, limit = 10): Promise<ClaimedJob[]> {
  const rows = await db.query<any>(
    `UPDATE smtp_queue SET locked_until = now() + make_interval(secs => $2), locked_by = $1, attempts = attempts + 1
     WHERE id IN (
       SELECT id FROM smtp_queue
       WHERE status = 'queued' AND next_attempt_at <= now() AND (locked_until IS NULL OR locked_until < now())
       ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED)
     RETURNING id, sender, message, attempts, expires_at, origin_mailbox`,
    { bind: [worker, leaseSeconds, limit], type: QueryTypes.SELECT },
  );
  if (!rows.length) return [];
  const rcpts = await db.query<{ queue_id: string; address: string; local: boolean }>(
    `SELECT queue_id, address, local FROM smtp_queue_recipients WHERE queue_id = ANY($1) AND status = 'pending'`,
    { bind: [rows.map((r) => r.id)], type: QueryTypes.SELECT },
  );
  return rows.map((r) => ({
    id: Number(r.id),
    sender: r.sender,
    message: r.message,
    attempts: r.attempts,
    expiresAt: new Date(r.expires_at),
    originMailbox: r.origin_mailbox,
    recipients: rcpts.filter((x) => Number(x.queue_id) === Number(r.id)).map((x) => ({ address: x.address, local: x.local })),
  }));
}

export async function markRecipient(db: Sequelize, jobId: number, address: string, status: 'pending' | 'delivered' | 'failed', code: number, response: string, t?: Transaction): Promise<void> {
  await db.query('UPDATE smtp_queue_recipients SET status = $3, last_code = $4, last_response = $5 WHERE queue_id = $1 AND address = $2', {
    bind: [jobId, address, status, code, response.slice(0, 1000)],
    transaction: t,
  });
}

/** After an attempt: done when no recipient is pending, otherwise released for a later retry. */
export async function finishAttempt(db: Sequelize, jobId: number, retryInSeconds: number, t?: Transaction): Promise<'done' | 'retry'> {
  const [{ pending }] = await db.query<{ pending: number }>(`SELECT count(*)::int AS pending FROM smtp_queue_recipients WHERE queue_id = $1 AND status = 'pending'`, { bind: [jobId], type: QueryTypes.SELECT, transaction: t });
  if (pending === 0) {
    // The bytes are no longer needed once every recipient has an outcome; the row stays for the record.
    await db.query(`UPDATE smtp_queue SET status = 'done', locked_until = NULL, message = ''::bytea WHERE id = $1`, { bind: [jobId], transaction: t });
    return 'done';
  }
  await db.query('UPDATE smtp_queue SET locked_until = NULL, locked_by = NULL, next_attempt_at = now() + make_interval(secs => $2) WHERE id = $1', { bind: [jobId, retryInSeconds], transaction: t });
  return 'retry';
}

export async function queueStats(db: Sequelize): Promise<{ queued: number; deferred: number; oldest: Date | null }> {
  const row = await selectOne<{ queued: number; deferred: number; oldest: Date | null }>(
    db,
    `SELECT count(*)::int AS queued, count(*) FILTER (WHERE attempts > 0)::int AS deferred, min(created_at) AS oldest FROM smtp_queue WHERE status = 'queued'`,
  );
  return row!;
}
