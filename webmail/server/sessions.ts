import { createHash, randomBytes } from 'node:crypto';
import { QueryTypes, type Sequelize } from 'sequelize';
import { selectOne, selectRows } from '../../core/sql.js';

/**
 * Webmail sessions in PostgreSQL, so every node sees a sign-out at once. The cookie carries a random
 * token; the row's id is its SHA-256, so a database dump yields no usable cookie. A session ends after
 * 30 idle minutes or 12 hours in all; one waiting for its TOTP code lasts 5 minutes.
 */
export const IDLE_MINUTES = 30;
export const ABSOLUTE_HOURS = 12;
export const PENDING_TOTP_MINUTES = 5;
/** last_seen_at is written at most once a minute: a read-mostly session table stays cheap. */
const TOUCH_SECONDS = 60;

export interface WebmailSession {
  id: string;
  mailbox: string;
  csrfToken: string;
  totpVerified: boolean;
  /** Opened for a mailbox that must replace its initial or reset password: mail stays closed until it does. */
  mustChangePassword: boolean;
  createdAt: Date;
  lastSeenAt: Date;
  ip: string | null;
  userAgent: string | null;
}

export const sessionIdOf = (token: string) => createHash('sha256').update(token).digest('hex');

const COLUMNS = `id, mailbox, csrf_token AS "csrfToken", totp_verified AS "totpVerified", must_change_password AS "mustChangePassword", created_at AS "createdAt", last_seen_at AS "lastSeenAt", ip, user_agent AS "userAgent"`;
const ALIVE = `last_seen_at > now() - interval '${IDLE_MINUTES} minutes' AND created_at > now() - interval '${ABSOLUTE_HOURS} hours'
  AND (totp_verified OR created_at > now() - interval '${PENDING_TOTP_MINUTES} minutes')`;

/** A new session with a fresh token: an id the browser brought along is never adopted (no fixation). */
export async function createSession(
  db: Sequelize,
  o: { mailbox: string; ip?: string; userAgent?: string; totpVerified: boolean; mustChangePassword?: boolean },
): Promise<{ token: string; session: WebmailSession }> {
  const token = randomBytes(32).toString('base64url');
  const [session] = await db.query<WebmailSession>(
    `INSERT INTO webmail_sessions (id, mailbox, csrf_token, ip, user_agent, totp_verified, must_change_password) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
    {
      bind: [sessionIdOf(token), o.mailbox, randomBytes(24).toString('base64url'), o.ip ?? null, (o.userAgent ?? '').slice(0, 300) || null, o.totpVerified, o.mustChangePassword ?? false],
      type: QueryTypes.SELECT,
    },
  );
  // Dead rows go whenever someone logs in: no timer is needed and the table stays small.
  await db.query(`DELETE FROM webmail_sessions WHERE NOT (${ALIVE})`);
  return { token, session };
}

async function aliveById(db: Sequelize, id: string): Promise<WebmailSession | undefined> {
  return selectOne<WebmailSession>(db, `SELECT ${COLUMNS} FROM webmail_sessions WHERE id = $1 AND ${ALIVE}`, [id]);
}

/** The live session for a cookie token, its idle clock restarted; undefined when unknown or expired. */
export async function findSession(db: Sequelize, token: string): Promise<WebmailSession | undefined> {
  const session = await aliveById(db, sessionIdOf(token));
  if (session && Date.now() - new Date(session.lastSeenAt).getTime() > TOUCH_SECONDS * 1000) {
    await db.query('UPDATE webmail_sessions SET last_seen_at = now() WHERE id = $1', { bind: [session.id] });
  }
  return session;
}

/** For signed links (images in the sandboxed message frame carry no cookie): the session by its id, without touching it. */
export async function findSessionById(db: Sequelize, id: string): Promise<WebmailSession | undefined> {
  const session = await aliveById(db, id);
  return session?.totpVerified ? session : undefined;
}

export async function deleteSession(db: Sequelize, id: string): Promise<void> {
  await db.query('DELETE FROM webmail_sessions WHERE id = $1', { bind: [id] });
}

/** Remote sign-out: only a session of the same mailbox can be ended. */
export async function deleteSessionOf(db: Sequelize, mailbox: string, id: string): Promise<boolean> {
  const [, meta] = await db.query('DELETE FROM webmail_sessions WHERE id = $1 AND mailbox = $2', { bind: [id, mailbox] });
  return ((meta as any)?.rowCount ?? 0) > 0;
}

export async function listSessions(db: Sequelize, mailbox: string): Promise<WebmailSession[]> {
  return selectRows<WebmailSession>(db, `SELECT ${COLUMNS} FROM webmail_sessions WHERE mailbox = $1 AND totp_verified AND ${ALIVE} ORDER BY last_seen_at DESC`, [mailbox]);
}

/**
 * After a password change: every other session of the mailbox ends (including one still waiting for its
 * TOTP code, opened with the old password), and this one may read mail again. Returns the ended ids.
 */
export async function passwordChanged(db: Sequelize, mailbox: string, keepId: string): Promise<string[]> {
  const ended = await selectRows<{ id: string }>(db, 'DELETE FROM webmail_sessions WHERE mailbox = $1 AND id <> $2 RETURNING id', [mailbox, keepId]);
  await db.query('UPDATE webmail_sessions SET must_change_password = false WHERE id = $1', { bind: [keepId] });
  return ended.map((r) => r.id);
}
