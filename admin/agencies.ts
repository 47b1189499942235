import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import type { Migration } from '../core/db.js';
import { audit } from '../core/audit.js';
import { ConflictError, GovmailError, InvalidInputError, NotFoundError } from '../core/errors.js';
import { parseSize } from '../core/config.js';
import { cleanText, normaliseDomain, type Actor } from './directory.js';

/**
 * The agency tree (cơ quan): province → department/district → commune → unit. `path` holds the ids
 * from the root down (`/1/5/12/`), so a subtree is one indexed prefix match and moving an agency is
 * one UPDATE of its subtree's paths.
 */
export const LEVELS = ['province', 'department', 'district', 'commune', 'unit'] as const;
export type Level = (typeof LEVELS)[number];
export const LEVEL_NAMES_VI: Record<Level, string> = {
  province: 'cấp tỉnh',
  department: 'sở, ban, ngành',
  district: 'cấp huyện',
  commune: 'cấp xã',
  unit: 'đơn vị trực thuộc',
};
const RANK: Record<Level, number> = { province: 0, department: 1, district: 1, commune: 2, unit: 3 };

export const agencyMigrations: Migration[] = [
  {
    name: 'admin-0002-agencies',
    up: async (db) => {
      await db.query(`
        CREATE TABLE agencies (
          id serial PRIMARY KEY,
          code text NOT NULL UNIQUE,
          name text NOT NULL,
          level text NOT NULL CHECK (level IN ('province','department','district','commune','unit')),
          parent_id integer REFERENCES agencies(id),
          path text NOT NULL,
          mst text,
          mns text,
          domain_id integer REFERENCES domains(id),
          default_quota_bytes bigint,
          quota_pool_bytes bigint,
          created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX agencies_path ON agencies (path text_pattern_ops);
        CREATE INDEX agencies_parent ON agencies (parent_id);
        ALTER TABLE mailboxes
          ADD COLUMN agency_id integer REFERENCES agencies(id),
          ADD COLUMN kind text NOT NULL DEFAULT 'personal' CHECK (kind IN ('personal','functional')),
          ADD COLUMN position text,
          ADD COLUMN phone text,
          ADD COLUMN cccd text;
        CREATE INDEX mailboxes_agency ON mailboxes (agency_id);
      `);
    },
  },
];

/** A child must sit below its parent: a commune under a district, not the other way round. */
export function levelMayHaveParent(child: Level, parent: Level): boolean {
  return RANK[child] > RANK[parent] || (child === 'unit' && parent === 'unit');
}

export function parseLevel(text: string): Level {
  const l = text.trim().toLowerCase() as Level;
  if (!LEVELS.includes(l)) throw new InvalidInputError('level', LEVELS.join('|'), LEVELS.join('|'), text);
  return l;
}

const CODE_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/;

export interface NewAgency {
  code: string;
  name: string;
  level: Level | string;
  parentCode?: string;
  domain?: string;
  mst?: string;
  mns?: string;
  defaultQuota?: string;
}

export interface Agency {
  id: number;
  code: string;
  name: string;
  level: Level;
  parentId: number | null;
  path: string;
  domain: string | null;
}

const SELECT_AGENCY = `SELECT a.id, a.code, a.name, a.level, a.parent_id AS "parentId", a.path, d.name AS domain
  FROM agencies a LEFT JOIN domains d ON d.id = a.domain_id`;

export async function getAgency(db: Sequelize, code: string, t?: Transaction): Promise<Agency | undefined> {
  const [row] = await db.query<Agency>(`${SELECT_AGENCY} WHERE a.code = $1`, { bind: [code.trim()], type: QueryTypes.SELECT, transaction: t });
  return row;
}

async function requireAgency(db: Sequelize, code: string, t?: Transaction): Promise<Agency> {
  const a = await getAgency(db, code, t);
  if (!a) throw new NotFoundError('agency', 'cơ quan', code);
  return a;
}

export async function addAgency(db: Sequelize, input: NewAgency, by: Actor = { actor: 'cli' }): Promise<Agency> {
  const code = input.code.trim();
  if (!CODE_RE.test(code)) throw new InvalidInputError('code', 'letters, digits, . _ - (1–40), e.g. the budget-unit code 1234567', 'chữ, số, . _ - (1–40 ký tự), ví dụ mã ĐVQHNS 1234567', input.code);
  const name = cleanText('name', input.name, 300);
  const level = parseLevel(String(input.level));
  if (input.mst && !/^\d{10}(-\d{3})?$/.test(input.mst)) throw new InvalidInputError('mst', 'a tax code of 10 digits, or 10-3', 'mã số thuế 10 chữ số hoặc 10-3', input.mst);
  if (input.mns && !/^\d{7}$/.test(input.mns)) throw new InvalidInputError('mns', 'a budget-unit code of 7 digits', 'mã ĐVQHNS gồm 7 chữ số', input.mns);
  const quota = input.defaultQuota ? parseSize(input.defaultQuota) : null;

  return db.transaction(async (t) => {
    if (await getAgency(db, code, t)) throw new ConflictError('agency', 'cơ quan', code);
    let parent: Agency | undefined;
    if (input.parentCode) {
      parent = await requireAgency(db, input.parentCode, t);
      if (!levelMayHaveParent(level, parent.level)) {
        throw new GovmailError('LEVEL_ORDER', `a ${level} agency cannot sit under a ${parent.level} agency`, `cơ quan ${LEVEL_NAMES_VI[level]} không thể trực thuộc cơ quan ${LEVEL_NAMES_VI[parent.level]}`);
      }
    } else if (level !== 'province') {
      // Several roots are allowed (a province may run two trees), but only provinces stand alone.
      throw new InvalidInputError('parent', `a parent agency for a ${level} (--parent CODE)`, `cơ quan cấp trên cho ${LEVEL_NAMES_VI[level]} (--parent MÃ)`);
    }
    let domainId: number | null = null;
    if (input.domain) {
      const [d] = await db.query<{ id: number }>('SELECT id FROM domains WHERE name = $1', { bind: [normaliseDomain(input.domain)], type: QueryTypes.SELECT, transaction: t });
      if (!d) throw new NotFoundError('domain', 'tên miền', input.domain);
      domainId = d.id;
    }
    const [row] = await db.query<{ id: number }>(
      `INSERT INTO agencies (code, name, level, parent_id, path, mst, mns, domain_id, default_quota_bytes)
       VALUES ($1, $2, $3, $4, '', $5, $6, $7, $8) RETURNING id`,
      { bind: [code, name, level, parent?.id ?? null, input.mst ?? null, input.mns ?? null, domainId, quota], type: QueryTypes.SELECT, transaction: t },
    );
    const path = `${parent?.path ?? '/'}${row.id}/`;
    await db.query('UPDATE agencies SET path = $2 WHERE id = $1', { bind: [row.id, path], transaction: t });
    await audit(db, { ...by, action: 'agency.create', target: code, after: { name, level, parent: input.parentCode ?? null, domain: input.domain ?? null } }, t);
    return (await getAgency(db, code, t))!;
  });
}

/** Moves an agency and its whole subtree under a new parent. */
export async function moveAgency(db: Sequelize, code: string, newParentCode: string, by: Actor = { actor: 'cli' }): Promise<void> {
  await db.transaction(async (t) => {
    const agency = await requireAgency(db, code, t);
    const parent = await requireAgency(db, newParentCode, t);
    if (parent.path.startsWith(agency.path)) {
      throw new GovmailError('MOVE_INTO_SELF', `cannot move ${code} under its own subtree (${newParentCode})`, `không thể chuyển ${code} vào cây con của chính nó (${newParentCode})`);
    }
    if (!levelMayHaveParent(agency.level, parent.level)) {
      throw new GovmailError('LEVEL_ORDER', `a ${agency.level} agency cannot sit under a ${parent.level} agency`, `cơ quan ${LEVEL_NAMES_VI[agency.level]} không thể trực thuộc cơ quan ${LEVEL_NAMES_VI[parent.level]}`);
    }
    const newPath = `${parent.path}${agency.id}/`;
    await db.query('UPDATE agencies SET parent_id = $2 WHERE id = $1', { bind: [agency.id, parent.id], transaction: t });
    await db.query(`UPDATE agencies SET path = $2 || substr(path, length($1) + 1) WHERE path LIKE $1 || '%'`, { bind: [agency.path, newPath], transaction: t });
    await audit(db, { ...by, action: 'agency.move', target: code, before: { parentId: agency.parentId }, after: { parent: newParentCode } }, t);
  });
}

/** The agency and everything below it. */
export async function subtree(db: Sequelize, code: string): Promise<Agency[]> {
  const root = await requireAgency(db, code);
  return db.query<Agency>(`${SELECT_AGENCY} WHERE a.path LIKE $1 || '%' ORDER BY a.path`, { bind: [root.path], type: QueryTypes.SELECT });
}

/** True when `code` is `ancestorCode` itself or lies below it — the scope rule for agency admins. */
export async function isWithin(db: Sequelize, code: string, ancestorCode: string): Promise<boolean> {
  const [row] = await db.query<{ inside: boolean }>(
    `SELECT a.path LIKE b.path || '%' AS inside FROM agencies a, agencies b WHERE a.code = $1 AND b.code = $2`,
    { bind: [code, ancestorCode], type: QueryTypes.SELECT },
  );
  return row?.inside === true;
}

export async function listAgencies(db: Sequelize): Promise<Agency[]> {
  return db.query<Agency>(`${SELECT_AGENCY} ORDER BY a.path`, { type: QueryTypes.SELECT });
}

/**
 * The agency a mailbox belongs to (code and subtree path), or undefined when the mailbox is unknown or
 * attached to no agency. Read-only; other modules (the signing API) use it for scope checks.
 */
export async function mailboxAgency(db: Sequelize, address: string): Promise<{ code: string; path: string } | undefined> {
  const [row] = await db.query<{ code: string; path: string }>(
    'SELECT a.code, a.path FROM mailboxes m JOIN agencies a ON a.id = m.agency_id WHERE m.address = $1',
    { bind: [address.trim().toLowerCase()], type: QueryTypes.SELECT },
  );
  return row;
}
