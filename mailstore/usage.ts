import type { Sequelize } from 'sequelize';
import { preparedQuery } from '../core/db.js';
import { selectRows } from '../core/sql.js';

/**
 * The NOTIFY channel on which a mailbox whose stored bytes cross its quota, either way, is announced
 * (payload: the mailbox address). Only crossings: Dovecot updates the usage row on every delivery, and
 * a cache of "is it full?" needs to hear only when the answer changes. A change of the quota itself is
 * the directory's change (admin's DIRECTORY_CHANGES).
 */
export const QUOTA_CROSSINGS = 'govmail_quota';

/**
 * What Dovecot reports back through dict-sql: bytes and messages stored, last login. A mailbox whose
 * stored bytes already reach its quota takes no more mail (452 at RCPT, before any data is sent).
 */
export async function mailboxOverQuota(db: Sequelize, address: string): Promise<boolean> {
  // The view gives the quota as Dovecot reads it ("*:bytes=N"). Asked per recipient: planned once per connection.
  const [row] = await preparedQuery<{ full: boolean }>(
    db,
    'mailstore_over_quota',
    `SELECT u.bytes >= substring(m.quota_rule from 'bytes=([0-9]+)')::bigint AS full
     FROM mailstore_usage u JOIN dovecot_users m ON m.username = u.username WHERE u.username = $1`,
    [address.toLowerCase()],
  );
  return row?.full === true;
}

export async function mailboxUsage(db: Sequelize): Promise<Array<{ username: string; bytes: number; messages: number; lastLogin: Date | null }>> {
  const rows = await selectRows<{ username: string; bytes: string; messages: string; last_login: string | null }>(db, 'SELECT username, bytes, messages, last_login FROM mailstore_usage');
  return rows.map((r) => ({ username: r.username, bytes: Number(r.bytes), messages: Number(r.messages), lastLogin: r.last_login ? new Date(Number(r.last_login) * 1000) : null }));
}
