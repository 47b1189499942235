import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { hash as argon2Hash, verify as argon2Verify, Algorithm } from '@node-rs/argon2';
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import type { Migration } from '../core/db.js';
import { audit } from '../core/audit.js';
import { inTransaction } from '../core/sql.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../core/errors.js';
import { parseSize } from '../core/config.js';

/**
 * The mail directory: domains, mailboxes and aliases. Dovecot reads mailboxes only through the
 * `dovecot_users` view (its contract with us); other modules call the functions below.
 */
export const directoryMigrations: Migration[] = [
  {
    name: 'admin-0001-directory',
    up: async (db) => {
      await db.query(`
        CREATE TABLE domains (
          id serial PRIMARY KEY,
          name text NOT NULL UNIQUE CHECK (name = lower(name)),
          active boolean NOT NULL DEFAULT true,
          created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE mailboxes (
          id serial PRIMARY KEY,
          address text NOT NULL UNIQUE CHECK (address = lower(address)),
          domain_id integer NOT NULL REFERENCES domains(id),
          display_name text NOT NULL,
          password_hash text NOT NULL,
          quota_bytes bigint NOT NULL CHECK (quota_bytes >= 0),
          active boolean NOT NULL DEFAULT true,
          must_change_password boolean NOT NULL DEFAULT false,
          created_at timestamptz NOT NULL DEFAULT now(),
          last_login_at timestamptz
        );
        CREATE TABLE aliases (
          id serial PRIMARY KEY,
          address text NOT NULL UNIQUE CHECK (address = lower(address)),
          domain_id integer NOT NULL REFERENCES domains(id),
          mailbox_id integer NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
          expires_at timestamptz,
          created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX aliases_mailbox ON aliases (mailbox_id);
        -- Dovecot's only view of us: active mailboxes with their hash and quota.
        CREATE VIEW dovecot_users AS
          SELECT m.address AS username, m.password_hash AS password,
                 '*:bytes=' || m.quota_bytes AS quota_rule
          FROM mailboxes m JOIN domains d ON d.id = m.domain_id
          WHERE m.active AND d.active;
      `);
    },
  },
];

const DOMAIN_RE = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const LOCAL_RE = /^[a-z0-9]([a-z0-9._+-]{0,62}[a-z0-9])?$/;

export function normaliseDomain(name: string): string {
  const d = name.trim().toLowerCase().replace(/\.$/, '');
  if (!DOMAIN_RE.test(d)) throw new InvalidInputError('domain', 'a domain name such as sotttt.example.gov.vn', 'một tên miền như sotttt.example.gov.vn', name);
  return d;
}

export function normaliseAddress(address: string): { address: string; local: string; domain: string } {
  const a = address.trim().toLowerCase();
  const at = a.lastIndexOf('@');
  const local = a.slice(0, at);
  if (at < 1 || !LOCAL_RE.test(local) || local.includes('..')) {
    throw new InvalidInputError('address', 'an e-mail address such as nguyenvana@example.gov.vn (ASCII letters, digits, . _ + -)', 'một địa chỉ thư như nguyenvana@example.gov.vn (chữ cái không dấu, số, . _ + -)', address);
  }
  return { address: a, local, domain: normaliseDomain(a.slice(at + 1)) };
}

/** Dovecot 2.3 verifies {ARGON2ID} in the m,t,p order that @node-rs/argon2 writes. */
export async function hashPassword(password: string): Promise<string> {
  if (password.length < 10) throw new InvalidInputError('password', 'at least 10 characters', 'ít nhất 10 ký tự');
  const h = await argon2Hash(password, { algorithm: Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 });
  return `{ARGON2ID}${h}`;
}

/**
 * Hash for a password we generated ourselves (generatePassword: ~92 bits from a CSPRNG). A slow hash
 * exists to make guessing human-chosen passwords expensive; against 2^92 candidates one salted SHA-512
 * is already out of reach, and it costs microseconds instead of the ~10 ms of two cores' time that
 * argon2id takes — the difference between importing 10,000 mailboxes in minutes or in seconds. Such a
 * mailbox must change its password at first login, and every password a person chooses gets argon2id.
 * Dovecot's {SSHA512}: base64(SHA-512(password ‖ salt) ‖ salt).
 */
export function hashGeneratedPassword(password: string): string {
  if (!GENERATED_RE.test(password)) throw new InvalidInputError('password', 'a password made by generatePassword()', 'mật khẩu do hệ thống sinh ra');
  const salt = randomBytes(16);
  return `{SSHA512}${Buffer.concat([sha512(password, salt), salt]).toString('base64')}`;
}

const sha512 = (password: string, salt: Buffer) => createHash('sha512').update(password, 'utf8').update(salt).digest();

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  if (stored.startsWith('{SSHA512}')) {
    const raw = Buffer.from(stored.slice('{SSHA512}'.length), 'base64');
    if (raw.length <= 64) return false;
    return timingSafeEqual(sha512(password, raw.subarray(64)), raw.subarray(0, 64));
  }
  if (!stored.startsWith('{ARGON2ID}')) return false;
  try {
    return await argon2Verify(stored.slice('{ARGON2ID}'.length), password);
  } catch {
    return false;
  }
}

const GENERATED_ALPHABET = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const GENERATED_RE = new RegExp(`^[${GENERATED_ALPHABET}]{16}$`);

export function generatePassword(): string {
  // 16 characters from an alphabet without look-alikes, read aloud over the phone by IT staff.
  // Rejection sampling keeps every character equally likely (the alphabet's 55 does not divide 256).
  const n = GENERATED_ALPHABET.length;
  const limit = 256 - (256 % n);
  const out: string[] = [];
  while (out.length < 16) {
    for (const b of randomBytes(24)) if (b < limit && out.length < 16) out.push(GENERATED_ALPHABET[b % n]);
  }
  return out.join('');
}

/** Mailboxes, aliases and lists share one address space. */
export async function addressTaken(db: Sequelize, address: string, transaction?: Transaction): Promise<boolean> {
  const rows = await db.query(
    'SELECT 1 FROM mailboxes WHERE address = $1 UNION ALL SELECT 1 FROM aliases WHERE address = $1 UNION ALL SELECT 1 FROM lists WHERE address = $1',
    { bind: [address], type: QueryTypes.SELECT, transaction },
  );
  return rows.length > 0;
}

export interface Actor {
  actor: string;
  ip?: string;
}
const SYSTEM: Actor = { actor: 'cli' };

export async function addDomain(db: Sequelize, name: string, by: Actor = SYSTEM): Promise<{ id: number; name: string }> {
  const domain = normaliseDomain(name);
  return db.transaction(async (t) => {
    const existing = await db.query('SELECT 1 FROM domains WHERE name = $1', { bind: [domain], type: QueryTypes.SELECT, transaction: t });
    if (existing.length) throw new ConflictError('domain', 'tên miền', domain);
    const [row] = await db.query<{ id: number }>('INSERT INTO domains (name) VALUES ($1) RETURNING id', { bind: [domain], type: QueryTypes.SELECT, transaction: t });
    await audit(db, { ...by, action: 'domain.create', target: domain, after: { name: domain } }, t);
    return { id: row.id, name: domain };
  });
}

export async function listDomains(db: Sequelize): Promise<Array<{ name: string; active: boolean; mailboxes: number }>> {
  return db.query(
    `SELECT d.name, d.active, count(m.id)::int AS mailboxes FROM domains d LEFT JOIN mailboxes m ON m.domain_id = d.id GROUP BY d.id ORDER BY d.name`,
    { type: QueryTypes.SELECT },
  );
}

export async function isLocalDomain(db: Sequelize, domain: string): Promise<boolean> {
  const rows = await db.query('SELECT 1 FROM domains WHERE name = $1 AND active', { bind: [domain.toLowerCase()], type: QueryTypes.SELECT });
  return rows.length > 0;
}

export interface NewMailbox {
  address: string;
  displayName: string;
  password?: string;
  quota?: string;
  agencyId?: number;
  kind?: 'personal' | 'functional';
  position?: string;
  phone?: string;
  cccd?: string;
}

/** NFC, single spaces, and no control, zero-width or bidi-override characters (they hide look-alikes). */
export function cleanText(field: string, text: string, max: number): string {
  const t = text.normalize('NFC').replace(/\s+/g, ' ').trim();
  if (/[\p{Cc}\p{Cf}]/u.test(t)) throw new InvalidInputError(field, 'plain text without control or invisible characters', 'văn bản thường, không có ký tự điều khiển hoặc ký tự ẩn', text);
  if (!t || t.length > max) throw new InvalidInputError(field, `1–${max} characters`, `từ 1 đến ${max} ký tự`, text);
  return t;
}

export async function addMailbox(
  db: Sequelize,
  input: NewMailbox,
  opts: { defaultQuota: string; by?: Actor; transaction?: Transaction },
): Promise<{ address: string; password?: string }> {
  const { address, domain } = normaliseAddress(input.address);
  const displayName = cleanText('full_name', input.displayName, 200);
  const position = input.position ? cleanText('position', input.position, 200) : null;
  if (input.phone && !/^\+?[0-9 .()-]{6,20}$/.test(input.phone)) throw new InvalidInputError('phone', 'a phone number such as 0912 345 678 or +84912345678', 'số điện thoại như 0912 345 678 hoặc +84912345678', input.phone);
  if (input.cccd && !/^\d{12}$/.test(input.cccd)) throw new InvalidInputError('cccd', 'a citizen id of 12 digits', 'số CCCD gồm 12 chữ số', input.cccd);
  if (input.quota !== undefined && !/^\d+[KMGT]?$/i.test(input.quota)) throw new InvalidInputError('quota', 'a size such as 2G or 500M', 'dung lượng như 2G hoặc 500M', input.quota);
  const quotaBytes = parseSize(input.quota ?? opts.defaultQuota);
  const generated = input.password === undefined ? generatePassword() : undefined;
  const passwordHash = generated === undefined ? await hashPassword(input.password!) : hashGeneratedPassword(generated);
  const run = async (t: Transaction) => {
    const [dom] = await db.query<{ id: number }>('SELECT id FROM domains WHERE name = $1', { bind: [domain], type: QueryTypes.SELECT, transaction: t });
    if (!dom) throw new NotFoundError('domain', 'tên miền', `${domain} (add it first: govmail domain add ${domain})`);
    if (await addressTaken(db, address, t)) throw new ConflictError('address', 'địa chỉ', address);
    await db.query(
      `INSERT INTO mailboxes (address, domain_id, display_name, password_hash, quota_bytes, must_change_password, agency_id, kind, position, phone, cccd)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      {
        bind: [address, dom.id, displayName, passwordHash, quotaBytes, generated !== undefined, input.agencyId ?? null, input.kind ?? 'personal', position, input.phone ?? null, input.cccd ?? null],
        transaction: t,
      },
    );
    await audit(db, { ...(opts.by ?? SYSTEM), action: 'mailbox.create', target: address, after: { displayName, quotaBytes } }, t);
  };
  await inTransaction(db, run, opts.transaction);
  return { address, password: generated };
}

export async function setMailboxActive(db: Sequelize, address: string, active: boolean, by: Actor = SYSTEM): Promise<void> {
  const a = normaliseAddress(address).address;
  await db.transaction(async (t) => {
    const [, meta] = await db.query('UPDATE mailboxes SET active = $2 WHERE address = $1', { bind: [a, active], transaction: t });
    if (!(meta as any).rowCount) throw new NotFoundError('mailbox', 'hộp thư', a);
    await audit(db, { ...by, action: active ? 'mailbox.resume' : 'mailbox.suspend', target: a }, t);
  });
}

export async function addAlias(db: Sequelize, alias: string, target: string, by: Actor = SYSTEM, expiresAt?: Date): Promise<void> {
  const { address, domain } = normaliseAddress(alias);
  const to = normaliseAddress(target).address;
  await db.transaction(async (t) => {
    const [dom] = await db.query<{ id: number }>('SELECT id FROM domains WHERE name = $1', { bind: [domain], type: QueryTypes.SELECT, transaction: t });
    if (!dom) throw new NotFoundError('domain', 'tên miền', domain);
    const [mb] = await db.query<{ id: number }>('SELECT id FROM mailboxes WHERE address = $1', { bind: [to], type: QueryTypes.SELECT, transaction: t });
    if (!mb) throw new NotFoundError('mailbox', 'hộp thư', to);
    if (await addressTaken(db, address, t)) throw new ConflictError('address', 'địa chỉ', address);
    await db.query('INSERT INTO aliases (address, domain_id, mailbox_id, expires_at) VALUES ($1, $2, $3, $4)', { bind: [address, dom.id, mb.id, expiresAt ?? null], transaction: t });
    await audit(db, { ...by, action: 'alias.create', target: address, after: { target: to, expiresAt } }, t);
  });
}

export type MailboxLookup =
  | { kind: 'mailbox'; address: string; quotaBytes: number }
  | { kind: 'suspended'; address: string }
  | { kind: 'unknown' };

/**
 * The mailbox behind an address (a mailbox's own or an alias's), or no row; `$1` is the lower-cased
 * address. Shared with recipients.ts so that the RCPT check stays one round trip.
 */
export const MAILBOX_BY_ADDRESS_SQL = `SELECT m.address, m.active, d.active AS domain_active, m.quota_bytes, NULL::timestamptz AS expires_at
       FROM mailboxes m JOIN domains d ON d.id = m.domain_id WHERE m.address = $1
     UNION ALL
     SELECT m.address, m.active, d.active, m.quota_bytes, al.expires_at
       FROM aliases al JOIN mailboxes m ON m.id = al.mailbox_id JOIN domains d ON d.id = m.domain_id
      WHERE al.address = $1 AND (al.expires_at IS NULL OR al.expires_at > now())
     LIMIT 1`;

export interface MailboxRow {
  address: string | null;
  active: boolean | null;
  domain_active: boolean | null;
  quota_bytes: string | null;
}

export function mailboxLookupOf(r: MailboxRow | undefined): MailboxLookup {
  if (!r?.address) return { kind: 'unknown' };
  if (!r.active || !r.domain_active) return { kind: 'suspended', address: r.address };
  return { kind: 'mailbox', address: r.address, quotaBytes: Number(r.quota_bytes) };
}

/** Where mail for a mailbox or alias address goes (lists are resolved in recipients.ts). */
export async function resolveMailbox(db: Sequelize, address: string): Promise<MailboxLookup> {
  const rows = await db.query<MailboxRow>(MAILBOX_BY_ADDRESS_SQL, { bind: [address.trim().toLowerCase()], type: QueryTypes.SELECT });
  return mailboxLookupOf(rows[0]);
}

let timingDummy: Promise<string> | undefined;

/** Checks a login for SMTP AUTH; returns the canonical address or undefined. Suspended mailboxes fail. */
export async function authenticate(db: Sequelize, username: string, password: string): Promise<string | undefined> {
  const [row] = await db.query<{ username: string; password: string }>('SELECT username, password FROM dovecot_users WHERE username = $1', {
    bind: [username.trim().toLowerCase()],
    type: QueryTypes.SELECT,
  });
  if (!row) {
    // Spend the same time as a real check so response timing does not reveal which addresses exist.
    timingDummy ??= hashPassword(generatePassword());
    await verifyPassword(await timingDummy, password);
    return undefined;
  }
  return (await verifyPassword(row.password, password)) ? row.username : undefined;
}

/** Addresses a mailbox may send as: itself and its unexpired aliases. */
export async function senderAddresses(db: Sequelize, mailbox: string): Promise<string[]> {
  const rows = await db.query<{ address: string }>(
    `SELECT m.address FROM mailboxes m WHERE m.address = $1
     UNION ALL
     SELECT al.address FROM aliases al JOIN mailboxes m ON m.id = al.mailbox_id
      WHERE m.address = $1 AND (al.expires_at IS NULL OR al.expires_at > now())`,
    { bind: [mailbox.toLowerCase()], type: QueryTypes.SELECT },
  );
  return rows.map((r) => r.address);
}

export async function getMailbox(db: Sequelize, address: string) {
  const [row] = await db.query<{ address: string; display_name: string; quota_bytes: string; active: boolean; created_at: Date; last_login_at: Date | null }>(
    'SELECT address, display_name, quota_bytes, active, created_at, last_login_at FROM mailboxes WHERE address = $1',
    { bind: [address.toLowerCase()], type: QueryTypes.SELECT },
  );
  return row;
}

export async function countMailboxes(db: Sequelize): Promise<{ total: number; active: number }> {
  const [row] = await db.query<{ total: number; active: number }>('SELECT count(*)::int AS total, count(*) FILTER (WHERE active)::int AS active FROM mailboxes', { type: QueryTypes.SELECT });
  return row;
}
