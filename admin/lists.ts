import { QueryTypes, type Sequelize } from 'sequelize';
import type { Migration } from '../core/db.js';
import { audit } from '../core/audit.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../core/errors.js';
import { addressTaken, cleanText, normaliseAddress, type Actor } from './directory.js';
import { getAgency, parseLevel, type Level } from './agencies.js';

/**
 * Distribution lists, expanded at delivery so they always follow the directory:
 * - `static`: named members;
 * - `agency`: every active mailbox of an agency (optionally its whole subtree);
 * - `level`: the functional mailboxes (the clerks' vanthu@) of every agency at one level —
 *   "all commune People's Committees".
 * Who may post: `internal` (default: mail from our own domains, so a list of 300 agencies is no spam
 * cannon), `members`, or `anyone`.
 */
export const listMigrations: Migration[] = [
  {
    name: 'admin-0005-lists',
    up: async (db) => {
      await db.query(`
        CREATE TABLE lists (
          id serial PRIMARY KEY,
          address text NOT NULL UNIQUE CHECK (address = lower(address)),
          domain_id integer NOT NULL REFERENCES domains(id),
          name text NOT NULL,
          kind text NOT NULL CHECK (kind IN ('static','agency','level')),
          agency_id integer REFERENCES agencies(id),
          include_subtree boolean NOT NULL DEFAULT false,
          level text,
          post_policy text NOT NULL DEFAULT 'internal' CHECK (post_policy IN ('internal','members','anyone')),
          created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE list_members (
          list_id integer NOT NULL REFERENCES lists(id) ON DELETE CASCADE,
          mailbox_id integer NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
          PRIMARY KEY (list_id, mailbox_id)
        );
      `);
    },
  },
];

export type PostPolicy = 'internal' | 'members' | 'anyone';
export type NewList =
  | { address: string; name: string; kind: 'static'; members?: string[]; postPolicy?: PostPolicy }
  | { address: string; name: string; kind: 'agency'; agencyCode: string; includeSubtree?: boolean; postPolicy?: PostPolicy }
  | { address: string; name: string; kind: 'level'; level: Level | string; postPolicy?: PostPolicy };

export async function createList(db: Sequelize, input: NewList, by: Actor = { actor: 'cli' }): Promise<void> {
  const { address, domain } = normaliseAddress(input.address);
  const name = cleanText('name', input.name, 200);
  const policy = input.postPolicy ?? 'internal';
  if (!['internal', 'members', 'anyone'].includes(policy)) throw new InvalidInputError('postPolicy', 'internal|members|anyone', 'internal|members|anyone', policy);
  await db.transaction(async (t) => {
    const [dom] = await db.query<{ id: number }>('SELECT id FROM domains WHERE name = $1', { bind: [domain], type: QueryTypes.SELECT, transaction: t });
    if (!dom) throw new NotFoundError('domain', 'tên miền', domain);
    if (await addressTaken(db, address, t)) throw new ConflictError('address', 'địa chỉ', address);
    let agencyId: number | null = null;
    let level: string | null = null;
    if (input.kind === 'agency') {
      const a = await getAgency(db, input.agencyCode, t);
      if (!a) throw new NotFoundError('agency', 'cơ quan', input.agencyCode);
      agencyId = a.id;
    }
    if (input.kind === 'level') level = parseLevel(String(input.level));
    const [row] = await db.query<{ id: number }>(
      `INSERT INTO lists (address, domain_id, name, kind, agency_id, include_subtree, level, post_policy) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id`,
      { bind: [address, dom.id, name, input.kind, agencyId, input.kind === 'agency' && !!input.includeSubtree, level, policy], type: QueryTypes.SELECT, transaction: t },
    );
    for (const m of input.kind === 'static' ? (input.members ?? []) : []) {
      const member = normaliseAddress(m).address;
      const [mb] = await db.query<{ id: number }>('SELECT id FROM mailboxes WHERE address = $1', { bind: [member], type: QueryTypes.SELECT, transaction: t });
      if (!mb) throw new NotFoundError('mailbox', 'hộp thư', member);
      await db.query('INSERT INTO list_members (list_id, mailbox_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', { bind: [row.id, mb.id], transaction: t });
    }
    await audit(db, { ...by, action: 'list.create', target: address, after: { ...input, address } }, t);
  });
}

export interface ListInfo {
  address: string;
  name: string;
  postPolicy: PostPolicy;
  /** Active, unarchived mailboxes the list reaches now. */
  members: string[];
}

/** The list at `address` with its current members, or undefined when it is not a list. */
export async function expandList(db: Sequelize, address: string): Promise<ListInfo | undefined> {
  const [list] = await db.query<{ id: number; name: string; kind: string; post_policy: PostPolicy; level: string | null; include_subtree: boolean; path: string | null; agency_id: number | null }>(
    `SELECT l.id, l.name, l.kind, l.post_policy, l.level, l.include_subtree, a.path, l.agency_id
     FROM lists l LEFT JOIN agencies a ON a.id = l.agency_id WHERE l.address = $1`,
    { bind: [address.trim().toLowerCase()], type: QueryTypes.SELECT },
  );
  if (!list) return undefined;
  const live = 'm.active AND m.archived_at IS NULL';
  let rows: Array<{ address: string }>;
  if (list.kind === 'static') {
    rows = await db.query(`SELECT m.address FROM list_members lm JOIN mailboxes m ON m.id = lm.mailbox_id WHERE lm.list_id = $1 AND ${live} ORDER BY m.address`, { bind: [list.id], type: QueryTypes.SELECT });
  } else if (list.kind === 'agency') {
    rows = list.include_subtree
      ? await db.query(`SELECT m.address FROM mailboxes m JOIN agencies a ON a.id = m.agency_id WHERE a.path LIKE $1 || '%' AND ${live} ORDER BY m.address`, { bind: [list.path], type: QueryTypes.SELECT })
      : await db.query(`SELECT m.address FROM mailboxes m WHERE m.agency_id = $1 AND ${live} ORDER BY m.address`, { bind: [list.agency_id], type: QueryTypes.SELECT });
  } else {
    rows = await db.query(
      `SELECT m.address FROM mailboxes m JOIN agencies a ON a.id = m.agency_id WHERE a.level = $1 AND m.kind = 'functional' AND ${live} ORDER BY m.address`,
      { bind: [list.level], type: QueryTypes.SELECT },
    );
  }
  return { address: address.trim().toLowerCase(), name: list.name, postPolicy: list.post_policy, members: rows.map((r) => r.address) };
}

/** Whether `sender` may post to `list` under its policy; `senderIsLocal` = the sender's domain is one of ours and it authenticated. */
export function mayPost(list: ListInfo, sender: string, senderIsLocal: boolean): boolean {
  if (list.postPolicy === 'anyone') return true;
  if (list.postPolicy === 'internal') return senderIsLocal;
  return senderIsLocal && list.members.includes(sender.toLowerCase());
}
