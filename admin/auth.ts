import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { QueryTypes, type Sequelize } from 'sequelize';
import type { Migration } from '../core/db.js';
import { audit } from '../core/audit.js';
import { InvalidInputError, NotFoundError } from '../core/errors.js';
import { ROLES, isAction, type Action, type Grant, type Principal, type Role } from './roles.js';
import { authenticate, normaliseAddress, type Actor } from './directory.js';
import { getAgency } from './agencies.js';

/**
 * Who is calling: people log in with their mailbox and get a server-side session (only a hash of the
 * session id is stored); other systems use API tokens (`gm_<id>_<secret>`, only a hash stored), each
 * bound to one agency and a list of scopes.
 */
export const authMigrations: Migration[] = [
  {
    name: 'admin-0003-roles-sessions-tokens',
    up: async (db) => {
      await db.query(`
        CREATE TABLE role_grants (
          id serial PRIMARY KEY,
          mailbox_id integer NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
          role text NOT NULL CHECK (role IN ('superadmin','agency_admin','auditor','user')),
          agency_id integer REFERENCES agencies(id),
          created_at timestamptz NOT NULL DEFAULT now(),
          UNIQUE (mailbox_id, role, agency_id)
        );
        CREATE TABLE admin_sessions (
          id_hash text PRIMARY KEY,
          mailbox_id integer NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
          csrf_token text NOT NULL,
          ip text,
          created_at timestamptz NOT NULL DEFAULT now(),
          expires_at timestamptz NOT NULL
        );
        CREATE TABLE api_tokens (
          id serial PRIMARY KEY,
          name text NOT NULL,
          agency_id integer NOT NULL REFERENCES agencies(id),
          scopes text[] NOT NULL,
          secret_hash text NOT NULL,
          created_by text NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          expires_at timestamptz,
          revoked_at timestamptz
        );
      `);
    },
  },
];

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const SESSION_HOURS = 8;

export async function grantRole(db: Sequelize, address: string, role: Role, agencyCode: string | null, by: Actor = { actor: 'cli' }): Promise<void> {
  if (!ROLES.includes(role)) throw new InvalidInputError('role', ROLES.join('|'), ROLES.join('|'), role);
  if ((role === 'agency_admin' || role === 'user') && !agencyCode) throw new InvalidInputError('agency', `an agency code for role ${role}`, `mã cơ quan cho vai trò ${role}`);
  const a = normaliseAddress(address).address;
  await db.transaction(async (t) => {
    const [mb] = await db.query<{ id: number }>('SELECT id FROM mailboxes WHERE address = $1', { bind: [a], type: QueryTypes.SELECT, transaction: t });
    if (!mb) throw new NotFoundError('mailbox', 'hộp thư', a);
    let agencyId: number | null = null;
    if (agencyCode) {
      const ag = await getAgency(db, agencyCode, t);
      if (!ag) throw new NotFoundError('agency', 'cơ quan', agencyCode);
      agencyId = ag.id;
    }
    await db.query('INSERT INTO role_grants (mailbox_id, role, agency_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', { bind: [mb.id, role, agencyId], transaction: t });
    await audit(db, { ...by, action: 'role.grant', target: a, after: { role, agency: agencyCode } }, t);
  });
}

export async function grantsOf(db: Sequelize, address: string): Promise<Grant[]> {
  return db.query<Grant>(
    `SELECT g.role, ag.path AS "agencyPath" FROM role_grants g JOIN mailboxes m ON m.id = g.mailbox_id
     LEFT JOIN agencies ag ON ag.id = g.agency_id WHERE m.address = $1 AND m.active`,
    { bind: [address], type: QueryTypes.SELECT },
  );
}

export interface Session {
  sessionId: string;
  csrfToken: string;
  principal: Principal;
}

/** Checks the password; on success opens a session. Returns undefined on any failure (no hint which part was wrong). */
export async function login(db: Sequelize, username: string, password: string, ip?: string): Promise<Session | undefined> {
  const address = await authenticate(db, username, password);
  if (!address) return undefined;
  const sessionId = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(24).toString('base64url');
  await db.query(
    `INSERT INTO admin_sessions (id_hash, mailbox_id, csrf_token, ip, expires_at)
     SELECT $1, id, $2, $3, now() + interval '${SESSION_HOURS} hours' FROM mailboxes WHERE address = $4`,
    { bind: [sha256(sessionId), csrfToken, ip ?? null, address] },
  );
  await audit(db, { actor: address, action: 'session.login', ip });
  return { sessionId, csrfToken, principal: { kind: 'person', id: address, grants: await grantsOf(db, address) } };
}

export async function sessionPrincipal(db: Sequelize, sessionId: string): Promise<{ principal: Principal; csrfToken: string } | undefined> {
  const [row] = await db.query<{ address: string; csrf_token: string }>(
    `SELECT m.address, s.csrf_token FROM admin_sessions s JOIN mailboxes m ON m.id = s.mailbox_id
     WHERE s.id_hash = $1 AND s.expires_at > now() AND m.active`,
    { bind: [sha256(sessionId)], type: QueryTypes.SELECT },
  );
  if (!row) return undefined;
  return { principal: { kind: 'person', id: row.address, grants: await grantsOf(db, row.address) }, csrfToken: row.csrf_token };
}

export async function logout(db: Sequelize, sessionId: string): Promise<void> {
  await db.query('DELETE FROM admin_sessions WHERE id_hash = $1', { bind: [sha256(sessionId)] });
}

export async function createToken(db: Sequelize, input: { name: string; agencyCode: string; scopes: string[]; expiresAt?: Date }, by: Actor): Promise<{ id: number; token: string }> {
  const bad = input.scopes.filter((s) => !isAction(s));
  if (bad.length || !input.scopes.length) throw new InvalidInputError('scopes', 'one or more of the documented actions, e.g. mail.send', 'một hoặc nhiều quyền đã mô tả, ví dụ mail.send', bad.join(','));
  const agency = await getAgency(db, input.agencyCode);
  if (!agency) throw new NotFoundError('agency', 'cơ quan', input.agencyCode);
  const secret = randomBytes(32).toString('base64url');
  return db.transaction(async (t) => {
    const [row] = await db.query<{ id: number }>(
      'INSERT INTO api_tokens (name, agency_id, scopes, secret_hash, created_by, expires_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id',
      { bind: [input.name, agency.id, input.scopes, sha256(secret), by.actor, input.expiresAt ?? null], type: QueryTypes.SELECT, transaction: t },
    );
    await audit(db, { ...by, action: 'token.create', target: `token:${row.id}`, after: { name: input.name, agency: input.agencyCode, scopes: input.scopes } }, t);
    return { id: row.id, token: `gm_${row.id}_${secret}` };
  });
}

export async function tokenPrincipal(db: Sequelize, bearer: string): Promise<Principal | undefined> {
  const m = /^gm_(\d+)_([A-Za-z0-9_-]{43})$/.exec(bearer);
  if (!m) return undefined;
  const [row] = await db.query<{ secret_hash: string; scopes: string[]; path: string }>(
    `SELECT t.secret_hash, t.scopes, a.path FROM api_tokens t JOIN agencies a ON a.id = t.agency_id
     WHERE t.id = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())`,
    { bind: [Number(m[1])], type: QueryTypes.SELECT },
  );
  if (!row || !timingSafeEqual(Buffer.from(row.secret_hash), Buffer.from(sha256(m[2])))) return undefined;
  return { kind: 'token', id: `token:${m[1]}`, grants: [{ role: 'agency_admin', agencyPath: row.path }], scopes: row.scopes.filter(isAction) as Action[] };
}
