import { createHash } from 'node:crypto';
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import type { Migration } from './db.js';
import { selectPage, selectRows, type Page } from './sql.js';

/**
 * Append-only audit log shared by every module (admin and signer both write here, so it lives below
 * them). Each entry carries the SHA-256 of the previous entry's hash and its own canonical content,
 * so editing or deleting any row breaks the chain from that row on.
 */
export interface AuditInput {
  actor: string;
  action: string;
  target?: string;
  before?: unknown;
  after?: unknown;
  ip?: string;
}

export interface AuditEntry extends Required<Pick<AuditInput, 'actor' | 'action'>> {
  id: number;
  at: string;
  target: string | null;
  before: unknown;
  after: unknown;
  ip: string | null;
  prevHash: string;
  hash: string;
}

export const auditMigrations: Migration[] = [
  {
    name: 'core-0001-audit',
    up: async (db) => {
      await db.query(`
        CREATE TABLE audit_entries (
          id bigserial PRIMARY KEY,
          at timestamptz NOT NULL DEFAULT now(),
          actor text NOT NULL,
          action text NOT NULL,
          target text,
          before jsonb,
          after jsonb,
          ip text,
          prev_hash text NOT NULL,
          hash text NOT NULL
        );
        CREATE INDEX audit_entries_action ON audit_entries (action, at);
        CREATE INDEX audit_entries_target ON audit_entries (target);
      `);
    },
  },
  {
    name: 'core-0002-audit-append-only',
    up: async (db) => {
      // The chain detects edits; the trigger stops them through the application's own role, and the
      // head row lets verification notice entries removed from the end (which a chain alone cannot).
      await db.query(`
        CREATE TABLE audit_head (one boolean PRIMARY KEY DEFAULT true CHECK (one), last_id bigint NOT NULL, last_hash text NOT NULL);
        INSERT INTO audit_head (last_id, last_hash)
          SELECT id, hash FROM audit_entries ORDER BY id DESC LIMIT 1;
        CREATE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          RAISE EXCEPTION 'audit_entries is append-only (% refused)', TG_OP;
        END $$;
        CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_entries
          FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_append_only();
      `);
    },
  },
];

const GENESIS = '0'.repeat(64);
const AUDIT_LOCK = 4_711_003;

/** Key order must not depend on how JSON came back from jsonb, so sort keys recursively. */
function canonical(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export function entryHash(prevHash: string, e: { at: string; actor: string; action: string; target: string | null; before: unknown; after: unknown; ip: string | null }): string {
  const body = canonical({ at: e.at, actor: e.actor, action: e.action, target: e.target, before: e.before, after: e.after, ip: e.ip });
  return createHash('sha256').update(prevHash).update('\n').update(body).digest('hex');
}

/** Appends one entry. Pass the caller's transaction so the entry commits (or rolls back) with the action. */
export async function audit(db: Sequelize, input: AuditInput, transaction?: Transaction): Promise<void> {
  const run = async (t: Transaction) => {
    // Serialise writers so two entries never chain to the same predecessor.
    await db.query(`SELECT pg_advisory_xact_lock(${AUDIT_LOCK})`, { transaction: t });
    const [last] = await db.query<{ hash: string }>('SELECT last_hash AS hash FROM audit_head', { type: QueryTypes.SELECT, transaction: t });
    const prevHash = last?.hash ?? GENESIS;
    const at = new Date().toISOString();
    const row = {
      at,
      actor: input.actor,
      action: input.action,
      target: input.target ?? null,
      before: input.before ?? null,
      after: input.after ?? null,
      ip: input.ip ?? null,
    };
    const hash = entryHash(prevHash, row);
    const [inserted] = await db.query<{ id: string }>(
      `INSERT INTO audit_entries (at, actor, action, target, before, after, ip, prev_hash, hash)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7, $8, $9) RETURNING id`,
      { bind: [at, row.actor, row.action, row.target, JSON.stringify(row.before), JSON.stringify(row.after), row.ip, prevHash, hash], type: QueryTypes.SELECT, transaction: t },
    );
    await db.query(
      `INSERT INTO audit_head (last_id, last_hash) VALUES ($1, $2) ON CONFLICT (one) DO UPDATE SET last_id = EXCLUDED.last_id, last_hash = EXCLUDED.last_hash`,
      { bind: [inserted.id, hash], transaction: t },
    );
  };
  if (transaction) await run(transaction);
  else await db.transaction(run);
}

export interface AuditVerification {
  ok: boolean;
  checked: number;
  firstBadId?: number;
  problem?: string;
}

/** Walks the whole chain; reports the first entry that was edited, inserted or follows a deletion. */
export async function verifyAuditChain(db: Sequelize): Promise<AuditVerification> {
  const rows = await db.query<any>(
    `SELECT id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at, actor, action, target, before, after, ip, prev_hash, hash
     FROM audit_entries ORDER BY id`,
    { type: QueryTypes.SELECT },
  );
  let prev = GENESIS;
  for (const [i, r] of rows.entries()) {
    if (r.prev_hash !== prev) return { ok: false, checked: i, firstBadId: Number(r.id), problem: 'chain broken: an entry before this one was deleted or changed' };
    if (entryHash(prev, r) !== r.hash) return { ok: false, checked: i, firstBadId: Number(r.id), problem: 'entry content does not match its hash: edited' };
    prev = r.hash;
  }
  const [head] = await db.query<{ last_id: string; last_hash: string }>('SELECT last_id, last_hash FROM audit_head', { type: QueryTypes.SELECT });
  if ((head?.last_hash ?? GENESIS) !== prev) {
    return { ok: false, checked: rows.length, firstBadId: head ? Number(head.last_id) : undefined, problem: 'entries at the end of the log were deleted (the chain head does not match the last entry)' };
  }
  return { ok: true, checked: rows.length };
}

/** An audit search: exact actor and action, target prefix, time range [from, to). Empty values match everything. */
export interface AuditFilter {
  actor?: string;
  action?: string;
  target?: string;
  from?: string;
  to?: string;
}

export type AuditRow = { id: number; at: string; actor: string; action: string; target: string | null; before: unknown; after: unknown; ip: string | null };

function auditWhere(f: AuditFilter): { sql: string; bind: string[] } {
  const clauses: string[] = [];
  const bind: string[] = [];
  const add = (sql: string, v: string | undefined) => {
    if (v === undefined || v === '') return;
    bind.push(v);
    clauses.push(sql.replace('?', `$${bind.length}`));
  };
  add('actor = ?', f.actor);
  add('action = ?', f.action);
  add(`target LIKE ? || '%'`, f.target);
  add('at >= ?::timestamptz', f.from);
  add('at < ?::timestamptz', f.to);
  return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', bind };
}

/** One page of matching entries, newest first (the admin audit screen). */
export async function pageAuditEntries(db: Sequelize, filter: AuditFilter, page: number, pageSize: number): Promise<Page<AuditRow>> {
  const w = auditWhere(filter);
  return selectPage<AuditRow>(db, { columns: 'id, at, actor, action, target, before, after, ip', from: `FROM audit_entries ${w.sql}`, orderBy: 'id DESC', bind: w.bind, page, pageSize });
}

/** Every matching entry in chain order with its hashes, so an export can be checked against the chain. */
export async function exportAuditEntries(db: Sequelize, filter: AuditFilter): Promise<Array<AuditRow & { prev_hash: string; hash: string }>> {
  const w = auditWhere(filter);
  return selectRows(db, `SELECT id, at, actor, action, target, before, after, ip, prev_hash, hash FROM audit_entries ${w.sql} ORDER BY id`, w.bind);
}
