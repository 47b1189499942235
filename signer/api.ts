// Signing with a server-held key: plain functions (the webmail calls them for its logged-in user) and
// the HTTP API for document-management systems (`POST /api/sign/pdf`, `POST /api/sign/smime`).
//
// Order of checks, so that nobody but the holder can spend the holder's PIN attempts: the input and the
// metadata, then the caller (token scope, agency) and that the certificate belongs to the holder, and
// only then the PIN. Every signature made is recorded (signer_signatures) before it is handed out.

import multipart from '@fastify/multipart';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { QueryTypes, type Sequelize } from 'sequelize';
import { GovmailError, InvalidInputError, NotFoundError } from '../core/errors.js';
import type { Kek } from '../core/kek.js';
import { caChain, listCas } from './ca.js';
import { signSmime } from './cms/index.js';
import {
  DOCUMENT_HEADERS, documentHeaders, documentMetadataFromHeaders, parseDocumentMetadata, recordSignature,
  type DocumentMetadata, type SignatureRecord,
} from './documents.js';
import { PIN_MAX_FAILURES, unlockServerKey } from './issue.js';
import { isPdf, signPdf, StampProfileError, type StampOptions } from './pdf/index.js';
import { FORM_NAMES, parseStampRequest, resolveServerStamp, type ServerStampRequest } from './api-stamp.js';
import { configuredTimestamper } from './tsa/choose.js';
import type { Timestamper } from './tsa/types.js';

/** The levels a server-held key signs at through the API (B-LT needs a revocation source; later). */
export const API_PADES_LEVELS = ['B-B', 'B-T'] as const;
export type ApiPadesLevel = (typeof API_PADES_LEVELS)[number];

const PIN_RE = /^\d{6,12}$/;

/** A PIN problem: what was wrong, and how many attempts are left or until when the key is locked. */
export class PinError extends GovmailError {
  constructor(
    code: 'PIN_WRONG' | 'PIN_LOCKED',
    message: string,
    messageVi: string,
    status: number,
    public readonly attemptsLeft: number,
    public readonly lockedUntil?: Date,
  ) {
    super(code, message, messageVi, status);
    this.name = 'PinError';
  }
}

/** HH:MM in Vietnam time (UTC+7, no daylight saving). */
export function vietnamClock(at: Date): string {
  return new Date(at.getTime() + 7 * 3_600_000).toISOString().slice(11, 16);
}

export const normaliseSerial = (serial: string) => serial.trim().toLowerCase().replace(/[:\s]/g, '').replace(/^0x/, '');

interface HolderRow {
  email: string | null;
  key_origin: string;
  profile: string;
  has_key: boolean;
  ca_id: number;
}

/**
 * The certificate's holder must be the mailbox asking. Checked before the PIN, so that someone else
 * cannot use up (and lock) the holder's attempts.
 */
async function holderCertificate(db: Sequelize, serial: string, holder: string): Promise<HolderRow & { email: string }> {
  const [row] = await db.query<HolderRow>(
    'SELECT email, key_origin, profile, key_sealed IS NOT NULL AS has_key, ca_id FROM signer_certificates WHERE serial = $1',
    { bind: [serial], type: QueryTypes.SELECT },
  );
  if (!row) throw new NotFoundError('certificate', 'chứng thư', serial);
  if (!row.has_key) throw new GovmailError('NO_SERVER_KEY', `certificate ${serial} has no key held by the server`, `chứng thư ${serial} không có khoá lưu trên máy chủ`, 409);
  if (!row.email || row.email.toLowerCase() !== holder.trim().toLowerCase()) {
    throw new GovmailError('NOT_HOLDER', `${holder} is not the holder of certificate ${serial}`, `${holder} không phải người giữ chứng thư ${serial}`, 403);
  }
  return { ...row, email: row.email.toLowerCase() };
}

/** A certificate whose key the server holds, as its holder may pick it for signing. */
export interface HolderSigningCertificate {
  serial: string;
  commonName: string;
  subject: string;
  notAfter: Date;
  /** individual | organisation: which visible stamps fit (a seal only on an organisation's). */
  profile: string;
}

/**
 * The holder's own certificates that can sign right now: key held by the server, not revoked, inside
 * their validity. Read-only; for the webmail's "Sign" switch (the PIN is asked for at signing time).
 */
export async function holderSigningCertificates(db: Sequelize, holder: string): Promise<HolderSigningCertificate[]> {
  const rows = await db.query<{ serial: string; subject: { commonName?: string } | null; subject_dn: string; not_after: Date; profile: string }>(
    `SELECT serial, subject, subject_dn, not_after, profile FROM signer_certificates
      WHERE lower(email) = lower($1) AND key_sealed IS NOT NULL AND status = 'good' AND not_before <= now() AND not_after > now()
      ORDER BY not_after DESC`,
    { bind: [holder.trim()], type: QueryTypes.SELECT },
  );
  return rows.map((r) => ({ serial: r.serial, commonName: r.subject?.commonName ?? r.subject_dn, subject: r.subject_dn, notAfter: new Date(r.not_after), profile: r.profile }));
}

/** unlockServerKey with errors that say how many attempts are left and until when the key is locked. */
async function unlockForSigning(db: Sequelize, kek: Kek, serial: string, pin: string, actor: string) {
  if (typeof pin !== 'string' || !PIN_RE.test(pin)) {
    // Not a PIN at all: refused without counting, so a typo in a form does not use up an attempt.
    throw new InvalidInputError('pin', 'the PIN of the key: 6 to 12 digits', 'mã PIN của khoá: 6 đến 12 chữ số');
  }
  try {
    return await unlockServerKey(db, kek, serial, pin, actor);
  } catch (err) {
    if (!(err instanceof GovmailError) || (err.code !== 'PIN_WRONG' && err.code !== 'PIN_LOCKED')) throw err;
    const [f] = await db.query<{ failures: number; locked_until: Date | null }>(
      'SELECT failures, locked_until FROM signer_pin_failures WHERE serial = $1',
      { bind: [serial], type: QueryTypes.SELECT },
    );
    const lockedUntil = f?.locked_until && new Date(f.locked_until) > new Date() ? new Date(f.locked_until) : undefined;
    const until = lockedUntil ? vietnamClock(lockedUntil) : '';
    if (err.code === 'PIN_LOCKED' && lockedUntil) {
      throw new PinError('PIN_LOCKED', `the key of certificate ${serial} is locked after ${PIN_MAX_FAILURES} wrong PINs until ${until} (Vietnam time)`,
        `khoá của chứng thư ${serial} bị khoá do nhập sai PIN ${PIN_MAX_FAILURES} lần, đến ${until} (giờ Việt Nam)`, 429, 0, lockedUntil);
    }
    if (err.code === 'PIN_LOCKED') throw err;
    const left = Math.max(0, PIN_MAX_FAILURES - (f?.failures ?? PIN_MAX_FAILURES));
    if (lockedUntil) {
      throw new PinError('PIN_WRONG', `wrong PIN: no attempts left, the key is locked until ${until} (Vietnam time)`,
        `sai mã PIN: đã hết lượt thử, khoá bị khoá đến ${until} (giờ Việt Nam)`, 403, 0, lockedUntil);
    }
    throw new PinError('PIN_WRONG', `wrong PIN: ${left} attempt${left === 1 ? '' : 's'} left before the key is locked`,
      `sai mã PIN: còn ${left} lần thử trước khi khoá bị khoá`, 403, left);
  }
}

/** The issuing chain of the certificate's own CA (not necessarily today's active one), root last. */
async function chainOf(db: Sequelize, caId: number) {
  const ca = (await listCas(db)).find((c) => c.id === caId);
  return ca ? caChain(db, ca) : [];
}

export interface ServerKeySigning {
  serial: string;
  pin: string;
  /** The mailbox asking to sign; it must be the certificate's holder (its e-mail address). */
  holder: string;
  /** Document metadata as given (codes or Vietnamese labels); see parseDocumentMetadata. */
  metadata?: unknown;
  /** For the record: who asked (default: the holder), the holder's agency code, the client address. */
  actor?: string;
  agencyCode?: string;
  ip?: string;
}

export interface PdfServerSigning extends ServerKeySigning {
  pdf: Uint8Array;
  /** Default B-B. */
  level?: ApiPadesLevel;
  reason?: string;
  location?: string;
  /** Needed for B-T: configuredTimestamper(db, kek, { tsaUrl, pkiUrl, dataDir }). */
  timestamper?: Timestamper;
  /**
   * A visible stamp: `{ kind: 'person' | 'organisation' | 'copy', page?, box?, copyType? }`. The words
   * come from the certificate, the pictures from `dataDir` (stamp-images.ts); see api-stamp.ts.
   */
  stamp?: ServerStampRequest | { kind?: unknown; page?: unknown; box?: unknown; copyType?: unknown };
  /** DATA: where the holders' signature pictures and the agencies' seals are (DATA/stamps/). */
  dataDir?: string;
}

export interface ServerSigned {
  serial: string;
  holder: string;
  level: ApiPadesLevel;
  metadata: DocumentMetadata;
  /** The X-GovMail-* document headers for the metadata. */
  headers: Record<string, string>;
  signature: SignatureRecord;
}

function optionalText(field: string, value: string | undefined, max: number): string | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (value.length > max || [...value].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) throw new InvalidInputError(field, `at most ${max} characters, no control characters`, `tối đa ${max} ký tự, không có ký tự điều khiển`);
  return value.trim();
}

function parseLevel(level: unknown): ApiPadesLevel {
  const l = String(level ?? 'B-B').trim().toUpperCase();
  if (!(API_PADES_LEVELS as readonly string[]).includes(l)) throw new InvalidInputError('level', 'B-B or B-T (time-stamped)', 'B-B hoặc B-T (có dấu thời gian)', String(level));
  return l as ApiPadesLevel;
}

/**
 * Signs a PDF (PAdES, incremental update) with a key the server holds, after the holder's PIN, and
 * records the signature with the document's metadata. The webmail calls this for its logged-in user.
 */
export async function signPdfWithServerKey(db: Sequelize, kek: Kek, o: PdfServerSigning): Promise<ServerSigned & { pdf: Uint8Array }> {
  const serial = normaliseSerial(o.serial);
  const metadata = parseDocumentMetadata(o.metadata);
  const level = parseLevel(o.level);
  if (!(o.pdf instanceof Uint8Array) || !isPdf(o.pdf)) throw new InvalidInputError('file', 'a PDF document (%PDF-)', 'tệp PDF (%PDF-)');
  const reason = optionalText('reason', o.reason, 200);
  const location = optionalText('location', o.location, 200);
  const stampRequest = parseStampRequest(o.stamp);
  if (level !== 'B-B' && !o.timestamper) {
    throw new GovmailError('TSA_NOT_CONFIGURED', `level ${level} needs a time-stamping authority`, `mức ${level} cần máy chủ cấp dấu thời gian`, 500);
  }
  const cert = await holderCertificate(db, serial, o.holder);
  // The seal and the kind's fit with the certificate are settled before the PIN is spent.
  const stamp = stampRequest
    ? resolveServerStamp(stampRequest, { certificateProfile: cert.profile, holder: cert.email, agencyCode: o.agencyCode, dataDir: o.dataDir, documentNumber: metadata.number })
    : undefined;
  const actor = o.actor ?? cert.email;
  const { key, certificate } = await unlockForSigning(db, kek, serial, o.pin, actor);
  const chain = await chainOf(db, cert.ca_id);
  const sign = (visible?: StampOptions) => signPdf({
    pdf: o.pdf, certificate, privateKey: key, chain, level,
    ...(o.timestamper && level !== 'B-B' ? { timestamper: o.timestamper } : {}),
    ...(reason ? { reason } : {}), ...(location ? { location } : {}),
    ...(visible ? { stamp: visible } : {}),
  });
  let signed;
  try {
    signed = await sign(stamp?.stamp);
  } catch (err) {
    // A letter without "Nơi nhận:": the person stamp goes to the bottom right corner instead.
    if (!(stamp?.fallback && err instanceof StampProfileError && err.field === 'position.text')) throw err;
    signed = await sign(stamp.fallback);
  }
  const signature = await recordSignature(db, { serial, holder: cert.email, agencyCode: o.agencyCode, kind: 'pdf', level, metadata, output: signed.pdf, actor, ip: o.ip });
  return { pdf: signed.pdf, serial, holder: cert.email, level, metadata, headers: documentHeaders(metadata), signature };
}

export interface SmimeServerSigning extends ServerKeySigning {
  /** A whole RFC 5322 message (UTF-8 or 7-bit). */
  message: string | Uint8Array;
}

const DOC_HEADER_RE = new RegExp(`^(${Object.values(DOCUMENT_HEADERS).join('|')}):`, 'i');

/**
 * Splits a message into the header fields that stay outside the signature and the MIME entity that is
 * signed (Content-* fields and the body). A message without Content-Type is plain text: it is signed
 * as UTF-8 text in base64 so that no relay can change a byte of it.
 */
export function splitForSigning(message: string): { outer: string[]; entity: string } {
  const text = message.replace(/\r\n|\r|\n/g, '\r\n');
  const blank = text.indexOf('\r\n\r\n');
  const head = blank < 0 ? text.replace(/\r\n$/, '') : text.slice(0, blank);
  const body = blank < 0 ? '' : text.slice(blank + 4);
  const fields = head.split(/\r\n(?![ \t])/).filter((f) => f.length > 0);
  const bad = fields.find((f) => !/^[\x21-\x39\x3b-\x7e]+:/.test(f));
  if (bad !== undefined) throw new InvalidInputError('message', 'an RFC 5322 message: header fields, an empty line, the body', 'thư theo RFC 5322: các trường tiêu đề, một dòng trống, nội dung', bad.slice(0, 60));
  const isContent = (f: string) => /^content-/i.test(f);
  const outer = fields.filter((f) => !isContent(f) && !/^mime-version:/i.test(f));
  const content = fields.filter(isContent);
  if (!content.some((f) => /^content-type:/i.test(f))) {
    const lines = Buffer.from(body, 'utf8').toString('base64').match(/.{1,76}/g) ?? [];
    return { outer, entity: ['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: base64', '', ...lines, ''].join('\r\n') };
  }
  return { outer, entity: `${content.join('\r\n')}\r\n\r\n${body}` };
}

/** Explicit fields win; fields the request leaves out come from the message's own X-GovMail headers. */
function mergeMetadata(fromMessage: DocumentMetadata | undefined, given: unknown): DocumentMetadata {
  const explicit = given && typeof given === 'object' ? Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined && !(typeof v === 'string' && v.trim() === ''))) : {};
  return parseDocumentMetadata({ ...(fromMessage ?? {}), ...explicit });
}

/**
 * Signs a message as S/MIME (multipart/signed, CAdES-BES) with a key the server holds, after the
 * holder's PIN. The document headers go into the outer header (where the send policy and the webmail
 * read them); the signature record binds them to the signed message's hash.
 */
export async function signSmimeWithServerKey(db: Sequelize, kek: Kek, o: SmimeServerSigning): Promise<ServerSigned & { message: string }> {
  const serial = normaliseSerial(o.serial);
  let text: string;
  try {
    text = typeof o.message === 'string' ? o.message : new TextDecoder('utf-8', { fatal: true }).decode(o.message);
  } catch {
    throw new InvalidInputError('message', 'a message in UTF-8 or 7-bit ASCII', 'thư mã hoá UTF-8 hoặc ASCII 7 bit');
  }
  if (!text.trim()) throw new InvalidInputError('message', 'an RFC 5322 message', 'thư theo RFC 5322');
  const { outer, entity } = splitForSigning(text);
  const metadata = mergeMetadata(documentMetadataFromHeaders(`${outer.join('\r\n')}\r\n\r\n`), o.metadata);
  const cert = await holderCertificate(db, serial, o.holder);
  const actor = o.actor ?? cert.email;
  const { key, certificate } = await unlockForSigning(db, kek, serial, o.pin, actor);
  const signed = await signSmime({ mime: entity, certificate, privateKey: key, chain: await chainOf(db, cert.ca_id) });
  const headers = documentHeaders(metadata);
  const message = [...outer.filter((f) => !DOC_HEADER_RE.test(f)), ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), 'MIME-Version: 1.0', signed].join('\r\n');
  const signature = await recordSignature(db, { serial, holder: cert.email, agencyCode: o.agencyCode, kind: 'smime', level: 'B-B', metadata, output: message, actor, ip: o.ip });
  return { message, serial, holder: cert.email, level: 'B-B', metadata, headers, signature };
}

// ───────────────────────────── HTTP ─────────────────────────────

/** What the signing API needs to know about a caller (admin's Principal fits). */
export interface ApiCaller {
  kind: 'person' | 'token';
  id: string;
  grants: ReadonlyArray<{ role: string; agencyPath: string | null }>;
  scopes?: readonly string[];
}

/** Admin's read-only answers, handed in by the composition root (the signer reads no admin table). */
export interface SigningDirectory {
  tokenPrincipal(db: Sequelize, bearer: string): Promise<ApiCaller | undefined>;
  mailboxAgency(db: Sequelize, address: string): Promise<{ code: string; path: string } | undefined>;
}

export interface SigningApiOptions {
  db: Sequelize;
  kek: Kek;
  pkiUrl: string;
  dataDir?: string;
  /** GOVMAIL_TSA_URL; without it our own TSA stamps B-T signatures in-process. */
  tsaUrl?: string;
  directory: SigningDirectory;
  /** Overrides the configured TSA (tests). */
  timestamper?: Timestamper;
  /** Largest PDF or message accepted, bytes; default 25 MiB. */
  maxBytes?: number;
}

export const SIGN_SCOPE = 'sign';

const METADATA_FIELDS = ['number', 'date', 'urgency', 'classification'] as const;

function apiError(reply: FastifyReply, status: number, code: string, message: string, messageVi: string, extra: Record<string, unknown> = {}) {
  return reply.code(status).send({ error: { code, message, messageVi, ...extra } });
}

/**
 * The caller must bring a bearer API token with the `sign` scope, issued to the holder's agency or to
 * one above it. Returns the holder's agency code for the record.
 */
async function authorise(o: SigningApiOptions, req: FastifyRequest, serial: string): Promise<{ caller: ApiCaller; holder: string; agencyCode: string }> {
  const auth = req.headers.authorization;
  const caller = auth?.startsWith('Bearer ') ? await o.directory.tokenPrincipal(o.db, auth.slice(7).trim()) : undefined;
  if (!caller) throw new GovmailError('UNAUTHENTICATED', 'send a valid API token (Authorization: Bearer gm_…)', 'cần mã truy cập API hợp lệ (Authorization: Bearer gm_…)', 401);
  if (!caller.scopes?.includes(SIGN_SCOPE)) {
    throw new GovmailError('FORBIDDEN', `this token lacks the "${SIGN_SCOPE}" scope`, `mã truy cập này không có quyền "${SIGN_SCOPE}"`, 403);
  }
  const [row] = await o.db.query<{ email: string | null }>('SELECT email FROM signer_certificates WHERE serial = $1', { bind: [serial], type: QueryTypes.SELECT });
  if (!row) throw new NotFoundError('certificate', 'chứng thư', serial);
  if (!row.email) throw new GovmailError('NOT_HOLDER', `certificate ${serial} names no holder mailbox`, `chứng thư ${serial} không ghi hộp thư người giữ`, 403);
  const holder = row.email.toLowerCase();
  const agency = await o.directory.mailboxAgency(o.db, holder);
  const inside = agency && caller.grants.some((g) => g.agencyPath === null || agency.path.startsWith(g.agencyPath));
  if (!agency || !inside) {
    throw new GovmailError('FORBIDDEN', `the holder of certificate ${serial} (${holder}) is outside this token's agency`, `người giữ chứng thư ${serial} (${holder}) không thuộc cơ quan của mã truy cập này`, 403);
  }
  return { caller, holder, agencyCode: agency.code };
}

interface FormInput {
  fields: Record<string, string>;
  file?: { name: string; filename: string; data: Buffer };
}

/** Reads a multipart form (one file) or a JSON object into the same shape. */
async function readForm(req: FastifyRequest, fileField: string): Promise<FormInput> {
  if (req.isMultipart()) {
    const out: FormInput = { fields: {} };
    for await (const part of req.parts()) {
      if (part.type === 'file') {
        const data = await part.toBuffer();
        if (part.fieldname !== fileField) throw new InvalidInputError(part.fieldname, `no file here: the file goes in "${fileField}"`, `không nhận tệp ở trường này: tệp đặt trong "${fileField}"`);
        out.file = { name: part.fieldname, filename: part.filename, data };
      } else {
        out.fields[part.fieldname] = String(part.value);
      }
    }
    return out;
  }
  const body = req.body;
  if (!body || typeof body !== 'object') throw new InvalidInputError('body', 'multipart/form-data or a JSON object', 'multipart/form-data hoặc đối tượng JSON');
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) if (v !== undefined && v !== null) fields[k] = String(v);
  return { fields };
}

function required(fields: Record<string, string>, name: string, en: string, vi: string): string {
  const v = fields[name];
  if (v === undefined || v.trim() === '') throw new InvalidInputError(name, en, vi);
  return v.trim();
}

const metadataOf = (fields: Record<string, string>) => Object.fromEntries(METADATA_FIELDS.filter((f) => fields[f] !== undefined).map((f) => [f, fields[f]]));

/** `cong van.pdf` → `cong van.signed.pdf`, as a Content-Disposition with an ASCII fallback. */
function disposition(filename: string | undefined): string {
  const base = (filename ?? 'document.pdf').split(/[\\/]/).pop()!.replace(/\.pdf$/i, '') || 'document';
  const name = `${base}.signed.pdf`;
  const ascii = name.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[đĐ]/g, 'd').replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

function signedHeaders(reply: FastifyReply, r: ServerSigned): void {
  for (const [k, v] of Object.entries(r.headers)) reply.header(k, v);
  reply.header('X-GovMail-Signature-Id', String(r.signature.id));
  reply.header('X-GovMail-Signature-SHA256', r.signature.sha256);
  reply.header('X-GovMail-Signature-Level', r.level);
  reply.header('X-GovMail-Certificate-Serial', r.serial);
  reply.header('Cache-Control', 'no-store');
}

/**
 * `POST /api/sign/pdf` (multipart: file, serial, pin, level, reason, location, number, date, urgency,
 * classification, stamp, stampPage, stampBox, copyType) → the signed PDF; `POST /api/sign/smime` (JSON or multipart with `message`) → the
 * signed message. Bearer token with the `sign` scope, of the holder's agency or above, and the PIN.
 */
export async function signingRoutes(app: FastifyInstance, o: SigningApiOptions): Promise<void> {
  const maxBytes = o.maxBytes ?? 25 * 1024 * 1024;
  await app.register(multipart, { limits: { fileSize: maxBytes, files: 1, fields: 20, fieldSize: 64 * 1024, parts: 24 }, throwFileSizeLimit: true });
  const timestamper = o.timestamper ?? configuredTimestamper(o.db, o.kek, { tsaUrl: o.tsaUrl, pkiUrl: o.pkiUrl, dataDir: o.dataDir });

  app.setErrorHandler((err: FastifyError | GovmailError, _req, reply) => {
    if (err instanceof PinError) {
      if (err.lockedUntil) reply.header('Retry-After', String(Math.max(1, Math.ceil((err.lockedUntil.getTime() - Date.now()) / 1000))));
      return apiError(reply, err.status, err.code, err.message, err.messageVi, { attemptsLeft: err.attemptsLeft, ...(err.lockedUntil ? { lockedUntil: err.lockedUntil.toISOString() } : {}) });
    }
    if (err instanceof GovmailError) return apiError(reply, err.status, err.code, err.message, err.messageVi, err instanceof InvalidInputError ? { field: err.field } : {});
    const status = (err as FastifyError).statusCode;
    if (status && status >= 400 && status < 500) {
      return apiError(reply, status, (err as FastifyError).code ?? 'BAD_REQUEST', err.message, `yêu cầu không hợp lệ: ${err.message}`);
    }
    app.log.error(err);
    return apiError(reply, 500, 'INTERNAL', 'internal error', 'lỗi hệ thống');
  });

  const fields = ['serial', 'pin', ...METADATA_FIELDS].join(', ');

  app.post('/api/sign/pdf', {
    schema: {
      tags: ['signer'],
      summary: 'Ký PDF bằng khoá lưu trên máy chủ / sign a PDF with a server-held key (PAdES B-B or B-T)',
      description: `multipart/form-data: file (the PDF), ${fields}, level (B-B|B-T), reason, location; a visible stamp: stamp (person|organisation|copy), stampPage (first|last|N), stampBox (x,y[,width,height] in points), copyType. Answers the signed PDF; the metadata also in the X-GovMail-* headers.`,
      consumes: ['multipart/form-data'],
      security: [{ token: [] }],
    },
  }, async (req, reply) => {
    if (!req.isMultipart()) throw new InvalidInputError('body', 'multipart/form-data with the PDF in "file"', 'multipart/form-data, tệp PDF trong trường "file"');
    const form = await readForm(req, 'file');
    const serial = normaliseSerial(required(form.fields, 'serial', 'the certificate serial (hex)', 'số hiệu chứng thư (hex)'));
    if (!form.file) throw new InvalidInputError('file', 'the PDF to sign', 'tệp PDF cần ký');
    const metadata = parseDocumentMetadata(metadataOf(form.fields)); // bad metadata fails before anything else
    const level = parseLevel(form.fields.level);
    const stamp = parseStampRequest({ kind: form.fields.stamp, page: form.fields.stampPage, box: form.fields.stampBox, copyType: form.fields.copyType }, FORM_NAMES);
    const { caller, holder, agencyCode } = await authorise(o, req, serial);
    const r = await signPdfWithServerKey(o.db, o.kek, {
      serial, pin: form.fields.pin ?? '', holder, metadata, level, pdf: new Uint8Array(form.file.data), reason: form.fields.reason, location: form.fields.location,
      timestamper, actor: caller.id, agencyCode, ip: req.ip, ...(stamp ? { stamp } : {}), ...(o.dataDir ? { dataDir: o.dataDir } : {}),
    });
    signedHeaders(reply, r);
    return reply.type('application/pdf').header('Content-Disposition', disposition(form.file.filename)).send(Buffer.from(r.pdf));
  });

  app.post('/api/sign/smime', {
    schema: {
      tags: ['signer'],
      summary: 'Ký thư S/MIME bằng khoá lưu trên máy chủ / sign a message (S/MIME) with a server-held key',
      description: `JSON or multipart/form-data: message (the RFC 5322 message; a file in multipart), ${fields}. Answers the signed message (message/rfc822).`,
      security: [{ token: [] }],
    },
  }, async (req, reply) => {
    const form = await readForm(req, 'message');
    const serial = normaliseSerial(required(form.fields, 'serial', 'the certificate serial (hex)', 'số hiệu chứng thư (hex)'));
    const message = form.file?.data ?? form.fields.message;
    if (!message || !message.length) throw new InvalidInputError('message', 'the RFC 5322 message to sign', 'thư RFC 5322 cần ký');
    if (message.length > maxBytes) throw new GovmailError('TOO_LARGE', `message larger than ${maxBytes} bytes`, `thư vượt quá ${maxBytes} byte`, 413);
    const given = metadataOf(form.fields);
    parseDocumentMetadata(given); // bad metadata fails before anything else
    const { caller, holder, agencyCode } = await authorise(o, req, serial);
    const r = await signSmimeWithServerKey(o.db, o.kek, {
      serial, pin: form.fields.pin ?? '', holder, metadata: given, message: typeof message === 'string' ? message : new Uint8Array(message), actor: caller.id, agencyCode, ip: req.ip,
    });
    signedHeaders(reply, r);
    return reply.type('message/rfc822').send(Buffer.from(r.message, 'utf8'));
  });
}
