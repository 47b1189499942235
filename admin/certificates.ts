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

export async function approveCertificate(db: Sequelize, signer: SignerContext, id: number, by: Actor, o: { validityDays?: number } = {}): Promise<{ serial: string; certificatePem: string; p12: Buffer; password: string }> {
  return db.transaction(async (t) => {
    const r = await lockedRequest(db, id, t);
    const password = generatePassword();
    const issued = await issueCertificate(db, signer.kek, {
      profile: getProfile(r.profile, signer.dataDir), subject: r.subject, key: { kind: 'p12', password }, validityDays: o.validityDays, renewalOf: r.renewal_of ?? undefined, pkiUrl: signer.pkiUrl, actor: by.actor,
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

export interface CertificateListItem {
  id: number;
  agency: string;
  profile: string;
  holder: string | null;
  commonName: string;
  status: 'requested' | 'rejected' | 'issued' | 'revoked' | 'expired';
  serial: string | null;
  notAfter: Date | null;
  requestedAt: Date;
}

/** Requests and certificates of the agencies in scope (null = all), newest first. */
export async function listCertificates(db: Sequelize, scopes: Array<string | null>, o: { agency?: string; limit?: number } = {}): Promise<CertificateListItem[]> {
  const f = scopeFilter(scopes, 'a.path', 1);
  const n = f.bind.length;
  const rows = await db.query<{ id: number; code: string; profile: string; holder: string | null; subject: Subject; status: CertificateListItem['status']; serial: string | null; requested_at: Date }>(
    `SELECT r.id, a.code, r.profile, m.address AS holder, r.subject, r.status, r.serial, r.requested_at
       FROM admin_cert_requests r JOIN agencies a ON a.id = r.agency_id LEFT JOIN mailboxes m ON m.id = r.mailbox_id
      WHERE ${f.sql} AND ($${n + 1}::text IS NULL OR a.code = $${n + 1})
      ORDER BY r.id DESC LIMIT $${n + 2}`,
    { bind: [...f.bind, o.agency ?? null, o.limit ?? 200], type: QueryTypes.SELECT },
  );
  const states = new Map((await certificateStates(db, rows.flatMap((r) => (r.serial ? [r.serial] : [])))).map((s) => [s.serial, s]));
  return rows.map((r) => {
    const s = r.serial ? states.get(r.serial) : undefined;
    const status = s?.status === 'revoked' ? 'revoked' : s && s.notAfter < new Date() ? 'expired' : r.status;
    return { id: r.id, agency: r.code, profile: r.profile, holder: r.holder, commonName: r.subject.commonName ?? '', status, serial: r.serial, notAfter: s?.notAfter ?? null, requestedAt: r.requested_at };
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
