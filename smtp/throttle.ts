import { QueryTypes, type Sequelize } from 'sequelize';

/**
 * Failed-login throttling shared by every GovMail node (kept in PostgreSQL): too many failures from
 * one address or against one account within the window → refuse further attempts for a while.
 */
export const AUTH_WINDOW_MINUTES = 15;
export const MAX_FAILURES_PER_IP = 10;
export const MAX_FAILURES_PER_ACCOUNT = 5;

export async function isThrottled(db: Sequelize, ip: string, username: string): Promise<boolean> {
  const [row] = await db.query<{ by_ip: number; by_user: number }>(
    `SELECT count(*) FILTER (WHERE ip = $1)::int AS by_ip, count(*) FILTER (WHERE username = $2)::int AS by_user
     FROM smtp_auth_failures WHERE at > now() - interval '${AUTH_WINDOW_MINUTES} minutes' AND (ip = $1 OR username = $2)`,
    { bind: [ip, username.toLowerCase()], type: QueryTypes.SELECT },
  );
  return row.by_ip >= MAX_FAILURES_PER_IP || row.by_user >= MAX_FAILURES_PER_ACCOUNT;
}

export async function recordAuthFailure(db: Sequelize, ip: string, username: string): Promise<void> {
  await db.query('INSERT INTO smtp_auth_failures (ip, username) VALUES ($1, $2)', { bind: [ip, username.toLowerCase().slice(0, 320)] });
  // Keep the table small; old rows no longer count.
  if (Math.random() < 0.01) await db.query(`DELETE FROM smtp_auth_failures WHERE at < now() - interval '1 day'`);
}
