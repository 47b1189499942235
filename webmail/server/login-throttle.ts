import { QueryTypes, type Sequelize } from 'sequelize';

/**
 * Failed webmail logins (wrong password or wrong TOTP code), in PostgreSQL so every node counts the
 * same tries. 5 failures against one account within 15 minutes lock that account's webmail login;
 * an IP gets more room (20) because a whole agency often reaches us through one NAT address.
 */
export const WINDOW_MINUTES = 15;
export const MAX_PER_ACCOUNT = 5;
export const MAX_PER_IP = 20;

export async function loginThrottled(db: Sequelize, ip: string, username: string): Promise<boolean> {
  const [row] = await db.query<{ by_ip: number; by_user: number }>(
    `SELECT count(*) FILTER (WHERE ip = $1)::int AS by_ip, count(*) FILTER (WHERE username = $2)::int AS by_user
       FROM webmail_login_failures
      WHERE at > now() - interval '${WINDOW_MINUTES} minutes' AND (ip = $1 OR username = $2)`,
    { bind: [ip, username.trim().toLowerCase()], type: QueryTypes.SELECT },
  );
  return row.by_ip >= MAX_PER_IP || row.by_user >= MAX_PER_ACCOUNT;
}

export async function recordLoginFailure(db: Sequelize, ip: string, username: string): Promise<void> {
  await db.query('INSERT INTO webmail_login_failures (ip, username) VALUES ($1, $2)', { bind: [ip, username.trim().toLowerCase().slice(0, 320)] });
  await db.query(`DELETE FROM webmail_login_failures WHERE at < now() - interval '1 day'`);
}

/** A successful login forgets the account's earlier misses (the IP's stay: they may be someone else's). */
export async function clearAccountFailures(db: Sequelize, username: string): Promise<void> {
  await db.query('DELETE FROM webmail_login_failures WHERE username = $1', { bind: [username.trim().toLowerCase()] });
}
