// Official-document metadata (số/ký hiệu, ngày, độ khẩn, độ mật), how it travels in mail headers, and
// the record of every signature the server makes with a key it holds.

import { createHash } from 'node:crypto';
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { z } from 'zod';
import { audit } from '../core/audit.js';
import { InvalidInputError } from '../core/errors.js';

/** Độ khẩn: thường, khẩn, thượng khẩn, hỏa tốc (ASCII codes; the UI shows the Vietnamese labels). */
export const URGENCIES = ['thuong', 'khan', 'thuong-khan', 'hoa-toc'] as const;
export type Urgency = (typeof URGENCIES)[number];
/** Độ mật: none, mật, tối mật, tuyệt mật. Anything but `none` may leave only for government domains. */
export const CLASSIFICATIONS = ['none', 'mat', 'toi-mat', 'tuyet-mat'] as const;
export type Classification = (typeof CLASSIFICATIONS)[number];
export const SIGNATURE_KINDS = ['pdf', 'smime', 'cms'] as const;
export type SignatureKind = (typeof SIGNATURE_KINDS)[number];

export const URGENCY_LABELS: Record<Urgency, { vi: string; en: string }> = {
  thuong: { vi: 'Thường', en: 'ordinary' },
  khan: { vi: 'Khẩn', en: 'urgent' },
  'thuong-khan': { vi: 'Thượng khẩn', en: 'very urgent' },
  'hoa-toc': { vi: 'Hỏa tốc', en: 'immediate' },
};
export const CLASSIFICATION_LABELS: Record<Classification, { vi: string; en: string }> = {
  none: { vi: 'Không mật', en: 'unclassified' },
  mat: { vi: 'Mật', en: 'confidential' },
  'toi-mat': { vi: 'Tối mật', en: 'secret' },
  'tuyet-mat': { vi: 'Tuyệt mật', en: 'top secret' },
};

/** Mail (and HTTP response) headers that carry the metadata. Values are ASCII. */
export const DOCUMENT_HEADERS = {
  number: 'X-GovMail-Doc-Number',
  date: 'X-GovMail-Doc-Date',
  urgency: 'X-GovMail-Urgency',
  classification: 'X-GovMail-Classification',
} as const;

export interface DocumentMetadata {
  /** Số, ký hiệu, e.g. `123/UBND-VP` or `05/2026/QĐ-UBND`. */
  number?: string;
  /** Ngày ban hành, `YYYY-MM-DD`. */
  date?: string;
  urgency: Urgency;
  classification: Classification;
}

/**
 * A code as a person may type it: `Thượng khẩn`, `thuong_khan`, `TỐI MẬT` all become the ASCII code
 * (diacritics dropped, đ → d, lower case, spaces and underscores → `-`).
 */
export function normaliseCode(value: string): string {
  return value
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'd')
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, '-');
}

/** The classification code a header value names, or undefined when it names none we know. */
export function classificationCode(value: string): Classification | undefined {
  const code = normaliseCode(value);
  return (CLASSIFICATIONS as readonly string[]).includes(code) ? (code as Classification) : undefined;
}

const NUMBER_RE = /^[\p{L}\p{N}][\p{L}\p{N} ./_()-]*$/u;

/** `2026-03-15`, or the Vietnamese order `15/03/2026`, checked against the calendar. */
function isoDate(value: string): string | undefined {
  const v = value.trim();
  let parts: string[] | undefined;
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  if (iso) parts = [iso[1]!, iso[2]!, iso[3]!];
  const vn = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(v);
  if (vn) parts = [vn[3]!, vn[2]!, vn[1]!];
  if (!parts) return undefined;
  const [y, mo, d] = parts.map(Number) as [number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || y < 1945 || y > 2999) return undefined;
  return date.toISOString().slice(0, 10);
}

/** What each field expects, in English and Vietnamese, for error messages that name the field. */
const EXPECTED: Record<keyof DocumentMetadata, { en: string; vi: string }> = {
  number: {
    en: 'the document number and symbol (số, ký hiệu), 1–100 letters, digits and . / - _ ( ), e.g. 123/UBND-VP',
    vi: 'số, ký hiệu văn bản, 1–100 ký tự gồm chữ, số và . / - _ ( ), ví dụ 123/UBND-VP',
  },
  date: { en: 'the document date as YYYY-MM-DD (or DD/MM/YYYY), a real calendar date', vi: 'ngày văn bản dạng YYYY-MM-DD (hoặc DD/MM/YYYY), là ngày có thật' },
  urgency: {
    en: `one of ${URGENCIES.join(', ')} (urgency: ${URGENCIES.map((u) => URGENCY_LABELS[u].en).join(', ')})`,
    vi: `một trong ${URGENCIES.join(', ')} (độ khẩn: ${URGENCIES.map((u) => URGENCY_LABELS[u].vi.toLowerCase()).join(', ')})`,
  },
  classification: {
    en: `one of ${CLASSIFICATIONS.join(', ')} (classification: ${CLASSIFICATIONS.map((c) => CLASSIFICATION_LABELS[c].en).join(', ')})`,
    vi: `một trong ${CLASSIFICATIONS.join(', ')} (độ mật: ${CLASSIFICATIONS.map((c) => CLASSIFICATION_LABELS[c].vi.toLowerCase()).join(', ')})`,
  },
};

/** Empty form fields count as absent. */
const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const asCode = (v: unknown) => (typeof v === 'string' ? normaliseCode(v) : v);

/** The metadata as clients send it (API fields, form fields, headers); see `parseDocumentMetadata`. */
export const documentMetadataSchema = z
  .object({
    number: z.preprocess(
      blankToUndefined,
      z
        .string()
        .transform((s) => s.normalize('NFC').trim().replace(/\s+/g, ' '))
        .pipe(z.string().min(1).max(100).regex(NUMBER_RE))
        .optional(),
    ),
    date: z.preprocess(blankToUndefined, z.string().refine((s) => isoDate(s) !== undefined).transform((s) => isoDate(s)!).optional()),
    urgency: z.preprocess((v) => asCode(blankToUndefined(v)), z.enum(URGENCIES).default('thuong')),
    classification: z.preprocess((v) => asCode(blankToUndefined(v)), z.enum(CLASSIFICATIONS).default('none')),
  })
  .strict();

/**
 * Checks and normalises document metadata. Errors are `InvalidInputError`s naming the field, in
 * Vietnamese and English. Urgency defaults to `thuong`, classification to `none`; Vietnamese labels
 * (`Thượng khẩn`, `Tối mật`) are accepted for the codes.
 */
export function parseDocumentMetadata(input: unknown): DocumentMetadata {
  const parsed = documentMetadataSchema.safeParse(input ?? {});
  if (parsed.success) {
    const { number, date, urgency, classification } = parsed.data;
    return { ...(number ? { number } : {}), ...(date ? { date } : {}), urgency, classification };
  }
  const issue = parsed.error.issues[0]!;
  if (issue.code === z.ZodIssueCode.unrecognized_keys) {
    const known = Object.keys(EXPECTED).join(', ');
    throw new InvalidInputError(issue.keys.join(', '), `no such document field (known: ${known})`, `không có trường này trong thông tin văn bản (các trường: ${known})`);
  }
  const field = String(issue.path[0] ?? 'metadata') as keyof DocumentMetadata;
  const expected = EXPECTED[field] ?? { en: 'document metadata', vi: 'thông tin văn bản' };
  const got = input && typeof input === 'object' ? (input as Record<string, unknown>)[field] : undefined;
  throw new InvalidInputError(field, expected.en, expected.vi, got === undefined ? undefined : String(got));
}

// ───────────────────────────── headers ─────────────────────────────

/** RFC 2047 encoded words (UTF-8, base64) of at most 75 characters each, cut on character boundaries. */
function encodeWords(text: string): string {
  const words: string[] = [];
  let chunk = '';
  for (const ch of text) {
    if (Buffer.byteLength(chunk + ch) > 45) {
      words.push(chunk);
      chunk = '';
    }
    chunk += ch;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w).toString('base64')}?=`).join(' ');
}

/** Decodes RFC 2047 encoded words (B and Q, UTF-8 or Latin-1); other text is left as it is. */
function decodeWords(value: string): string {
  return value
    .replace(/(=\?[^?]+\?[bq]\?[^?]*\?=)\s+(?==\?[^?]+\?[bq]\?[^?]*\?=)/gi, '$1')
    .replace(/=\?([^?]+)\?([bq])\?([^?]*)\?=/gi, (_all, charset: string, enc: string, data: string) => {
      const bytes = enc.toLowerCase() === 'b' ? Buffer.from(data, 'base64') : Buffer.from(data.replace(/_/g, ' ').replace(/=([0-9a-f]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
      return bytes.toString(/^utf-?8$/i.test(charset) ? 'utf8' : 'latin1');
    });
}

/** The four headers for a document; the number is RFC 2047-encoded when it is not plain ASCII. */
export function documentHeaders(metadata: DocumentMetadata): Record<string, string> {
  const m = parseDocumentMetadata(metadata);
  const out: Record<string, string> = {};
  if (m.number) out[DOCUMENT_HEADERS.number] = /^[\x20-\x7e]*$/.test(m.number) && !m.number.includes('=?') ? m.number : encodeWords(m.number);
  if (m.date) out[DOCUMENT_HEADERS.date] = m.date;
  out[DOCUMENT_HEADERS.urgency] = m.urgency;
  out[DOCUMENT_HEADERS.classification] = m.classification;
  return out;
}

/** Header lines of a message or header block (up to the first empty line), unfolded: [name, value]. */
export function headerFields(raw: string | Uint8Array): Array<[string, string]> {
  let text: string;
  if (typeof raw === 'string') text = raw;
  else {
    // Decode only the header block: the body may be megabytes.
    const bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    const ends = [bytes.indexOf('\r\n\r\n'), bytes.indexOf('\n\n')].filter((i) => i >= 0);
    text = bytes.subarray(0, ends.length ? Math.min(...ends) + 2 : bytes.length).toString('utf8');
  }
  const end = text.search(/\r?\n\r?\n/);
  const head = (end < 0 ? text : text.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  const out: Array<[string, string]> = [];
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) out.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return out;
}

export type HeaderSource =
  | string
  | Uint8Array
  | { get(name: string): unknown }
  | Record<string, unknown>;

/** Every value of a header, whatever holds the headers (raw text, a Map or fetch Headers, a plain object). */
function headerValues(headers: HeaderSource, name: string): string[] {
  const lower = name.toLowerCase();
  const flat = (v: unknown): string[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v.flatMap(flat) : [String(v)]);
  if (typeof headers === 'string' || headers instanceof Uint8Array) {
    return headerFields(headers).filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
  }
  if (typeof (headers as { get?: unknown }).get === 'function') {
    const h = headers as { get(name: string): unknown };
    return flat(h.get(lower) ?? h.get(name));
  }
  return Object.entries(headers).filter(([k]) => k.toLowerCase() === lower).flatMap(([, v]) => flat(v));
}

/**
 * The document metadata a message (or an HTTP response) carries, or undefined when it carries none of
 * the four headers. A value we cannot read is an `InvalidInputError` naming the header.
 */
export function documentMetadataFromHeaders(headers: HeaderSource): DocumentMetadata | undefined {
  const raw: Record<string, string> = {};
  for (const [field, header] of Object.entries(DOCUMENT_HEADERS)) {
    const [value] = headerValues(headers, header);
    if (value !== undefined) raw[field] = decodeWords(value).trim();
  }
  if (!Object.keys(raw).length) return undefined;
  try {
    return parseDocumentMetadata(raw);
  } catch (err) {
    if (!(err instanceof InvalidInputError)) throw err;
    const header = DOCUMENT_HEADERS[err.field as keyof DocumentMetadata] ?? err.field;
    const got = raw[err.field];
    const expected = EXPECTED[err.field as keyof DocumentMetadata] ?? { en: 'document metadata', vi: 'thông tin văn bản' };
    throw new InvalidInputError(header, expected.en, expected.vi, got);
  }
}

// ───────────────────────────── signature records (table signer_signatures, signer/migrations.ts) ─────────────────────────────

export interface SignatureRecordInput {
  serial: string;
  holder: string;
  agencyCode?: string;
  kind: SignatureKind;
  level?: string;
  metadata: DocumentMetadata;
  /** The signed output exactly as handed out (the PDF, the S/MIME message, the CMS). */
  output: Uint8Array | string;
  actor: string;
  ip?: string;
}

export interface SignatureRecord {
  id: number;
  sha256: string;
  signedAt: Date;
}

export const sha256Hex = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');

/** Records one signature (and an audit entry naming it) in one transaction. */
export async function recordSignature(db: Sequelize, r: SignatureRecordInput, transaction?: Transaction): Promise<SignatureRecord> {
  const m = parseDocumentMetadata(r.metadata);
  const sha256 = sha256Hex(r.output);
  const run = async (t: Transaction) => {
    const [row] = await db.query<{ id: string; signed_at: Date }>(
      `INSERT INTO signer_signatures (serial, holder, agency_code, kind, level, doc_number, doc_date, urgency, classification, output_sha256, actor)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id, signed_at`,
      { bind: [r.serial, r.holder.toLowerCase(), r.agencyCode ?? null, r.kind, r.level ?? null, m.number ?? null, m.date ?? null, m.urgency, m.classification, sha256, r.actor], type: QueryTypes.SELECT, transaction: t },
    );
    await audit(db, { actor: r.actor, action: `sign.${r.kind}`, target: r.serial, after: { signature: Number(row.id), level: r.level, ...m, sha256 }, ip: r.ip }, t);
    return { id: Number(row.id), sha256, signedAt: new Date(row.signed_at) };
  };
  return transaction ? run(transaction) : db.transaction(run);
}

export interface SignatureCount {
  mailbox: string;
  kind: SignatureKind;
  signatures: number;
}

/** Signatures made in [from, to), per holder mailbox and kind — for the admin usage report. */
export async function signatureCounts(db: Sequelize, from: Date, to: Date): Promise<SignatureCount[]> {
  return db.query<SignatureCount>(
    `SELECT holder AS mailbox, kind, count(*)::int AS signatures FROM signer_signatures
      WHERE signed_at >= $1 AND signed_at < $2 GROUP BY holder, kind ORDER BY holder, kind`,
    { bind: [from, to], type: QueryTypes.SELECT },
  );
}
