import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { QueryTypes, type Sequelize } from 'sequelize';
import type { Migration } from '../core/db.js';
import { audit } from '../core/audit.js';
import { GovmailError, InvalidInputError, NotFoundError } from '../core/errors.js';
import type { Kek } from '../core/kek.js';
import { certificateStates, getProfile, issueCertificate, parseSubject, type Subject } from '../signer/index.js';
import { getAgency, LEVELS } from './agencies.js';
import { generatePassword, type Actor } from './directory.js';
import { scopeFilter } from './roles.js';

/**
 * The certificate lifecycle as the administration sees it: an agency admin requests a certificate
 * for the agency (organisation profile, held by its clerk's mailbox) or for a person; a superadmin
 * approves; the signer issues. The subject is built from our records, never typed in by hand.
 *
 * Decision: an approved certificate is delivered as a PKCS#12 with a generated password, returned
 * once to the approver (like an initial mailbox password), who hands both to the holder.
 */
export interface SignerContext {
  kek: Kek;
  pkiUrl: string;
  dataDir?: string;
}

export const certificateMigrations: Migration[] = [
  {
    name: 'admin-0007-certificate-requests',
    up: async (db) => {
      await db.query(`
        CREATE TABLE admin_cert_requests (
          id serial PRIMARY KEY,
          agency_id integer NOT NULL REFERENCES agencies(id),
          mailbox_id integer REFERENCES mailboxes(id),
          profile text NOT NULL CHECK (profile IN ('organisation','individual')),
          subject jsonb NOT NULL,
          status text NOT NULL DEFAULT 'requested' CHECK (status IN ('requested','rejected','issued')),
          renewal_of text,
          requested_by text NOT NULL,
          requested_at timestamptz NOT NULL DEFAULT now(),
          decided_by text,
          decided_at timestamptz,
          reason text,
          serial text UNIQUE
        );
        CREATE INDEX admin_cert_requests_agency ON admin_cert_requests (agency_id);
      `);
    },
  },
  {
    name: 'admin-0008-certificate-expiry-notices',
    up: async (db) => {
      await db.query(`
        CREATE TABLE admin_cert_notices (
          serial text NOT NULL,
          threshold_days integer NOT NULL,
          sent_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (serial, threshold_days)
        );
      `);
    },
  },
];

export interface CertificateRequestInput {
  agency: string;
  profile: 'organisation' | 'individual';
  /** the holder: the clerk's functional mailbox for an organisation, the person's mailbox otherwise */
  mailbox: string;
  renewalOf?: string;
}

/** The subject from our records: the agency (name, tax and budget codes) and the holder's mailbox. */
async function subjectFromRecords(db: Sequelize, agencyId: number, mailboxAddress: string, profile: 'organisation' | 'individual', dataDir?: string): Promise<{ subject: Subject; mailboxId: number }> {
  const [row] = await db.query<{ id: number; address: string; display_name: string; position: string | null; cccd: string | null; agency_id: number | null; agency_name: string; mst: string | null; mns: string | null }>(
    `SELECT m.id, m.address, m.display_name, m.position, m.cccd, m.agency_id, a.name AS agency_name, a.mst, a.mns
       FROM mailboxes m JOIN agencies a ON a.id = $2 WHERE m.address = $1`,
    { bind: [mailboxAddress.trim().toLowerCase(), agencyId], type: QueryTypes.SELECT },
  );
  if (!row) throw new NotFoundError('mailbox', 'hộp thư', mailboxAddress);
  if (row.agency_id !== agencyId) throw new InvalidInputError('mailbox', 'a mailbox of the requesting agency', 'hộp thư thuộc cơ quan đề nghị', mailboxAddress);
  const p = getProfile(profile, dataDir);
  const raw: Record<string, unknown> =
    profile === 'organisation'
      ? { commonName: row.agency_name, organization: row.agency_name, email: row.address, mst: row.mst ?? undefined, mns: row.mns ?? undefined }
      : { commonName: row.display_name, organization: row.agency_name, title: row.position ?? undefined, email: row.address, cccd: row.cccd ?? undefined };
  return { subject: parseSubject(Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)), p), mailboxId: row.id };
}

/** `dataDir` selects the province's own profiles (DATA/profiles), as approval will. */
export async function requestCertificate(db: Sequelize, input: CertificateRequestInput, by: Actor, dataDir?: string): Promise<{ id: number; subject: Subject }> {
  if (input.profile !== 'organisation' && input.profile !== 'individual') throw new InvalidInputError('profile', 'organisation or individual', 'organisation hoặc individual', input.profile);
  const agency = await getAgency(db, input.agency);
  if (!agency) throw new NotFoundError('agency', 'cơ quan', input.agency);
  const { subject, mailboxId } = await subjectFromRecords(db, agency.id, input.mailbox, input.profile, dataDir);
  return db.transaction(async (t) => {
    const [row] = await db.query<{ id: number }>(
      `INSERT INTO admin_cert_requests (agency_id, mailbox_id, profile, subject, renewal_of, requested_by) VALUES ($1, $2, $3, $4::jsonb, $5, $6) RETURNING id`,
      { bind: [agency.id, mailboxId, input.profile, JSON.stringify(subject), input.renewalOf ?? null, by.actor], type: QueryTypes.SELECT, transaction: t },
    );
    await audit(db, { actor: by.actor, action: 'cert.request', target: String(row.id), after: { agency: agency.code, profile: input.profile, subject }, ip: by.ip }, t);
    return { id: row.id, subject };
  });
}

interface RequestRow { id: number; agency_id: number; profile: 'organisation' | 'individual'; subject: Subject; status: string; renewal_of: string | null; path: string }

async function lockedRequest(db: Sequelize, id: number, t: import('sequelize').Transaction): Promise<RequestRow> {
  const [row] = await db.query<RequestRow>(
    `SELECT r.id, r.agency_id, r.profile, r.subject, r.status, r.renewal_of, a.path FROM admin_cert_requests r JOIN agencies a ON a.id = r.agency_id WHERE r.id = $1 FOR UPDATE OF r`,
    { bind: [id], type: QueryTypes.SELECT, transaction: t },
  );
  if (!row) throw new NotFoundError('certificate request', 'đề nghị cấp chứng thư', String(id));
  if (row.status !== 'requested') throw new GovmailError('REQUEST_DECIDED', `request ${id} is already ${row.status}`, `đề nghị ${id} đã được xử lý (${row.status})`, 409);
  return row;
}

/** The agency path of a request, for the route's scope check. */
export async function certificateRequestPath(db: Sequelize, id: number): Promise<string | null> {
  const [row] = await db.query<{ path: string }>('SELECT a.path FROM admin_cert_requests r JOIN agencies a ON a.id = r.agency_id WHERE r.id = $1', { bind: [id], type: QueryTypes.SELECT });
  return row?.path ?? null;
}

/** The agency path of an issued certificate, for the route's scope check. */
export async function certificatePath(db: Sequelize, serial: string): Promise<string | null> {
  const [row] = await db.query<{ path: string }>('SELECT a.path FROM admin_cert_requests r JOIN agencies a ON a.id = r.agency_id WHERE r.serial = $1', { bind: [serial.toLowerCase()], type: QueryTypes.SELECT });
  return row?.path ?? null;
}

export async function approveCertificate(db: Sequelize, signer: SignerContext, id: number, by: Actor, o: { validityDays?: number; legacy?: boolean } = {}): Promise<{ serial: string; certificatePem: string; p12: Buffer; password: string }> {
  return db.transaction(async (t) => {
    const r = await lockedRequest(db, id, t);
    const password = generatePassword();
    const issued = await issueCertificate(db, signer.kek, {
      profile: getProfile(r.profile, signer.dataDir), subject: r.subject, key: { kind: 'p12', password, legacy: o.legacy }, validityDays: o.validityDays, renewalOf: r.renewal_of ?? undefined, pkiUrl: signer.pkiUrl, actor: by.actor,
      // The signer writes its rows in our transaction: a failure below leaves no certificate behind.
      transaction: t,
    });
    await db.query(`UPDATE admin_cert_requests SET status = 'issued', serial = $2, decided_by = $3, decided_at = now() WHERE id = $1`, { bind: [id, issued.serial, by.actor], transaction: t });
    await audit(db, { actor: by.actor, action: 'cert.approve', target: String(id), after: { serial: issued.serial }, ip: by.ip }, t);
    return { serial: issued.serial, certificatePem: issued.certificatePem, p12: issued.p12!, password };
  });
}

export async function rejectCertificate(db: Sequelize, id: number, reason: string, by: Actor): Promise<void> {
  await db.transaction(async (t) => {
    await lockedRequest(db, id, t);
    await db.query(`UPDATE admin_cert_requests SET status = 'rejected', reason = $2, decided_by = $3, decided_at = now() WHERE id = $1`, { bind: [id, reason, by.actor], transaction: t });
    await audit(db, { actor: by.actor, action: 'cert.reject', target: String(id), after: { reason }, ip: by.ip }, t);
  });
}

export const CERTIFICATE_STATUSES = ['requested', 'rejected', 'issued', 'revoked', 'expired'] as const;
export type CertificateStatus = (typeof CERTIFICATE_STATUSES)[number];

export interface CertificateListItem {
  id: number;
  agency: string;
  profile: string;
  holder: string | null;
  commonName: string;
  status: CertificateStatus;
  serial: string | null;
  notAfter: Date | null;
  requestedAt: Date;
  /** the serial this request renews, if it is a renewal */
  renewalOf: string | null;
  /** why the request was rejected */
  reason: string | null;
}

export interface CertificateListOptions {
  /** exactly this agency (its code), not its subtree */
  agency?: string;
  status?: CertificateStatus;
  profile?: 'organisation' | 'individual';
  page?: number;
  pageSize?: number;
}

export interface CertificatePage {
  items: CertificateListItem[];
  total: number;
  page: number;
  pageSize: number;
}

/** The live status: an issued certificate may since have been revoked or have expired (the signer knows). */
function liveStatus(requestStatus: string, state: { status: 'good' | 'revoked'; notAfter: Date } | undefined, now: number): CertificateStatus {
  if (state?.status === 'revoked') return 'revoked';
  if (state && state.notAfter.getTime() < now) return 'expired';
  return requestStatus as CertificateStatus;
}

/**
 * Requests and certificates of the agencies in scope (null = all), newest first, a page at a time.
 * Revoked and expired are the signer's facts, read through its interface, so a filter on an issued
 * status is applied after asking it about every issued serial that matches the other filters (a few
 * thousand at a province's scale); the rows of the page are read only then.
 */
export async function listCertificates(db: Sequelize, scopes: Array<string | null>, o: CertificateListOptions = {}): Promise<CertificatePage> {
  const page = Math.max(1, Math.floor(o.page ?? 1));
  const pageSize = Math.min(200, Math.max(1, Math.floor(o.pageSize ?? 50)));
  const f = scopeFilter(scopes, 'a.path', 1);
  const n = f.bind.length;
  // requested and rejected are final in our table; issued, revoked and expired are all 'issued' here.
  const stored = o.status === undefined ? null : o.status === 'requested' || o.status === 'rejected' ? o.status : 'issued';
  const matching = await db.query<{ id: number; status: string; serial: string | null }>(
    `SELECT r.id, r.status, r.serial FROM admin_cert_requests r JOIN agencies a ON a.id = r.agency_id
      WHERE ${f.sql} AND ($${n + 1}::text IS NULL OR a.code = $${n + 1}) AND ($${n + 2}::text IS NULL OR r.profile = $${n + 2})
        AND ($${n + 3}::text IS NULL OR r.status = $${n + 3})
      ORDER BY r.id DESC`,
    { bind: [...f.bind, o.agency ?? null, o.profile ?? null, stored], type: QueryTypes.SELECT },
  );
  const now = Date.now();
  const derived = stored === 'issued';
  const states = new Map((await certificateStates(db, derived ? matching.flatMap((r) => (r.serial ? [r.serial] : [])) : [])).map((s) => [s.serial, s]));
  const kept = derived ? matching.filter((r) => liveStatus(r.status, r.serial ? states.get(r.serial) : undefined, now) === o.status) : matching;
  const ids = kept.slice((page - 1) * pageSize, page * pageSize).map((r) => r.id);
  if (!ids.length) return { items: [], total: kept.length, page, pageSize };
  const rows = await db.query<{ id: number; code: string; profile: string; holder: string | null; subject: Subject; status: string; serial: string | null; requested_at: Date; renewal_of: string | null; reason: string | null }>(
    `SELECT r.id, a.code, r.profile, m.address AS holder, r.subject, r.status, r.serial, r.requested_at, r.renewal_of, r.reason
       FROM admin_cert_requests r JOIN agencies a ON a.id = r.agency_id LEFT JOIN mailboxes m ON m.id = r.mailbox_id
      WHERE r.id = ANY ($1::int[]) ORDER BY r.id DESC`,
    { bind: [ids], type: QueryTypes.SELECT },
  );
  if (!derived) for (const s of await certificateStates(db, rows.flatMap((r) => (r.serial ? [r.serial] : [])))) states.set(s.serial, s);
  const items = rows.map((r) => {
    const s = r.serial ? states.get(r.serial) : undefined;
    return {
      id: r.id, agency: r.code, profile: r.profile, holder: r.holder, commonName: r.subject.commonName ?? '', status: liveStatus(r.status, s, now),
      serial: r.serial, notAfter: s?.notAfter ?? null, requestedAt: r.requested_at, renewalOf: r.renewal_of, reason: r.reason,
    };
  });
  return { items, total: kept.length, page, pageSize };
}

/**
 * A renewal request: the subject and profile of an issued certificate, copied as they are, for the
 * same holder, marked as renewing it (approval then limits the validity to an extension's). Only a
 * certificate still in force is renewed — an expired or revoked one needs a new request — and only
 * once: a renewal waiting for a decision or already issued refuses another.
 */
export async function renewCertificate(db: Sequelize, serialInput: string, by: Actor): Promise<{ id: number; subject: Subject; renewalOf: string }> {
  const serial = serialInput.trim().toLowerCase().replace(/[:\s]/g, '').replace(/^0x/, '');
  return db.transaction(async (t) => {
    // Locking the renewed certificate's request serialises two renewals of it.
    const [prev] = await db.query<{ agency_id: number; mailbox_id: number | null; profile: string; subject: Subject; code: string }>(
      `SELECT r.agency_id, r.mailbox_id, r.profile, r.subject, a.code FROM admin_cert_requests r JOIN agencies a ON a.id = r.agency_id WHERE r.serial = $1 FOR UPDATE OF r`,
      { bind: [serial], type: QueryTypes.SELECT, transaction: t },
    );
    if (!prev) throw new NotFoundError('certificate', 'chứng thư', serial);
    const [state] = await certificateStates(db, [serial]);
    if (!state || state.status === 'revoked') {
      throw new GovmailError('CERTIFICATE_REVOKED', `certificate ${serial} is revoked: file a new request instead of a renewal`, `chứng thư ${serial} đã bị thu hồi: hãy gửi đề nghị cấp mới thay vì gia hạn`, 409);
    }
    if (state.notAfter.getTime() <= Date.now()) {
      throw new GovmailError('CERTIFICATE_EXPIRED', `certificate ${serial} has expired: file a new request instead of a renewal`, `chứng thư ${serial} đã hết hạn: hãy gửi đề nghị cấp mới thay vì gia hạn`, 409);
    }
    const [other] = await db.query<{ id: number; status: string }>(
      `SELECT id, status FROM admin_cert_requests WHERE renewal_of = $1 AND status IN ('requested', 'issued') ORDER BY id LIMIT 1`,
      { bind: [serial], type: QueryTypes.SELECT, transaction: t },
    );
    if (other) {
      throw new GovmailError(
        'ALREADY_RENEWED',
        other.status === 'requested' ? `renewal request ${other.id} for ${serial} is waiting for a decision` : `certificate ${serial} was already renewed (request ${other.id})`,
        other.status === 'requested' ? `đề nghị gia hạn ${other.id} cho chứng thư ${serial} đang chờ duyệt` : `chứng thư ${serial} đã được gia hạn (đề nghị ${other.id})`,
        409,
      );
    }
    const [row] = await db.query<{ id: number }>(
      `INSERT INTO admin_cert_requests (agency_id, mailbox_id, profile, subject, renewal_of, requested_by) VALUES ($1, $2, $3, $4::jsonb, $5, $6) RETURNING id`,
      { bind: [prev.agency_id, prev.mailbox_id, prev.profile, JSON.stringify(prev.subject), serial, by.actor], type: QueryTypes.SELECT, transaction: t },
    );
    await audit(db, { actor: by.actor, action: 'cert.request', target: String(row.id), after: { agency: prev.code, profile: prev.profile, subject: prev.subject, renewalOf: serial }, ip: by.ip }, t);
    return { id: row.id, subject: prev.subject, renewalOf: serial };
  });
}

export interface CertificateCount {
  level: string;
  profile: string;
  valid: number;
  revoked: number;
  expiringIn60Days: number;
}

/** Certificates per level and profile ("province 150, district 177, commune 92"). */
export async function certificateCounts(db: Sequelize, scopes: Array<string | null> = [null]): Promise<CertificateCount[]> {
  const f = scopeFilter(scopes, 'a.path', 1);
  const rows = await db.query<{ level: string; profile: string; serial: string }>(
    `SELECT a.level, r.profile, r.serial FROM admin_cert_requests r JOIN agencies a ON a.id = r.agency_id
      WHERE r.serial IS NOT NULL AND ${f.sql}`,
    { bind: f.bind, type: QueryTypes.SELECT },
  );
  const states = new Map((await certificateStates(db, rows.map((r) => r.serial))).map((s) => [s.serial, s]));
  const now = Date.now();
  const counts = new Map<string, CertificateCount>();
  for (const r of rows) {
    const key = `${r.level}\u0000${r.profile}`;
    const c = counts.get(key) ?? { level: r.level, profile: r.profile, valid: 0, revoked: 0, expiringIn60Days: 0 };
    const s = states.get(r.serial);
    if (s?.status === 'revoked') c.revoked += 1;
    else if (s && s.notAfter.getTime() > now) {
      c.valid += 1;
      if (s.notAfter.getTime() - now < 60 * 86_400_000) c.expiringIn60Days += 1;
    }
    counts.set(key, c);
  }
  return [...counts.values()].sort((a, b) => LEVELS.indexOf(a.level as (typeof LEVELS)[number]) - LEVELS.indexOf(b.level as (typeof LEVELS)[number]) || a.profile.localeCompare(b.profile));
}

/** Warnings go out when 60, 30 and 7 days are left; each threshold once per certificate. */
export const EXPIRY_THRESHOLDS_DAYS = [60, 30, 7] as const;

export interface ExpiryNotice {
  serial: string;
  holder: string;
  commonName: string;
  agency: string;
  notAfter: Date;
  daysLeft: number;
  /** the threshold this notice is for, and every larger one it makes redundant */
  thresholds: number[];
}

/** Valid certificates that crossed a warning threshold not yet notified (only the nearest one is sent). */
export async function dueExpiryNotices(db: Sequelize, now = new Date()): Promise<ExpiryNotice[]> {
  const rows = await db.query<{ serial: string; holder: string; subject: Subject; agency: string; sent: number[] | null }>(
    `SELECT r.serial, m.address AS holder, r.subject, a.name AS agency,
            (SELECT array_agg(n.threshold_days) FROM admin_cert_notices n WHERE n.serial = r.serial) AS sent
       FROM admin_cert_requests r JOIN agencies a ON a.id = r.agency_id JOIN mailboxes m ON m.id = r.mailbox_id
      WHERE r.serial IS NOT NULL AND m.active`,
    { type: QueryTypes.SELECT },
  );
  const states = new Map((await certificateStates(db, rows.map((r) => r.serial))).map((s) => [s.serial, s]));
  const notices: ExpiryNotice[] = [];
  for (const r of rows) {
    const s = states.get(r.serial);
    if (!s || s.status !== 'good' || s.notAfter <= now) continue;
    const daysLeft = Math.ceil((s.notAfter.getTime() - now.getTime()) / 86_400_000);
    const crossed = EXPIRY_THRESHOLDS_DAYS.filter((t) => daysLeft <= t && !(r.sent ?? []).includes(t));
    if (crossed.length) notices.push({ serial: r.serial, holder: r.holder, commonName: r.subject.commonName ?? '', agency: r.agency, notAfter: s.notAfter, daysLeft, thresholds: crossed });
  }
  return notices;
}

export async function recordExpiryNotice(db: Sequelize, notice: ExpiryNotice, transaction: import('sequelize').Transaction): Promise<void> {
  for (const t of notice.thresholds) {
    await db.query('INSERT INTO admin_cert_notices (serial, threshold_days) VALUES ($1, $2) ON CONFLICT DO NOTHING', { bind: [notice.serial, t], transaction });
  }
}

/** The warning mail, Vietnamese first, as an RFC 5322 message. */
export async function expiryNoticeMessage(notice: ExpiryNotice, from: string): Promise<Buffer> {
  const date = new Intl.DateTimeFormat('vi-VN', { timeZone: 'Asia/Ho_Chi_Minh', dateStyle: 'long' }).format(notice.notAfter);
  const text = [
    `Chứng thư số của ${notice.commonName} (${notice.agency}) sẽ hết hạn sau ${notice.daysLeft} ngày, vào ${date}.`,
    `Số hiệu: ${notice.serial}`,
    'Đề nghị quản trị viên của cơ quan gửi đề nghị gia hạn trên trang quản trị GovMail.',
    '',
    `The certificate of ${notice.commonName} (${notice.agency}) expires in ${notice.daysLeft} days, on ${notice.notAfter.toISOString().slice(0, 10)}.`,
    `Serial: ${notice.serial}`,
    "Please ask your agency's administrator to request a renewal in the GovMail administration.",
  ].join('\n');
  return new MailComposer({
    from,
    to: notice.holder,
    subject: `Chứng thư số sắp hết hạn (${notice.daysLeft} ngày) / Certificate expires in ${notice.daysLeft} days`,
    text,
    headers: { 'Auto-Submitted': 'auto-generated' },
  })
    .compile()
    .build();
}
