import type { Sequelize } from 'sequelize';
import { simpleParser } from 'mailparser';
import type { Kek } from '../../core/kek.js';
import { logger } from '../../core/log.js';
import { ConcurrencyLimiter } from '../../core/limiter.js';
import { availableParallelism } from 'node:os';
import { addDataDirTrust, ourTrust, validateSignatures, type SignatureReport, type TrustMaterial, type ValidationReport } from '../../signer/index.js';
import { Lru } from './lru.js';
import { partFilename, partIdOf } from './render-parts.js';

/**
 * Signature badges for a message being read: the S/MIME signature of the message itself and the
 * signatures of its PDF attachments, judged by signer's validateSignatures against our CA and the
 * operator's DATA/trust. A badge says "valid" only when validateSignatures said TOTAL-PASSED for that
 * very signature; anything that could not be checked (too large, too many, an error) says so instead.
 */
export type BadgeStatus = 'valid' | 'invalid' | 'indeterminate' | 'not-checked';

export interface SignatureBadge {
  /** 'message' for the S/MIME signature of the message, otherwise the attachment's part id. */
  part: string;
  filename?: string;
  /** 1-based index of the signature within its part (a PDF may carry several). */
  index: number;
  status: BadgeStatus;
  indication: 'TOTAL-PASSED' | 'TOTAL-FAILED' | 'INDETERMINATE' | 'NOT-CHECKED';
  subIndication?: string;
  signer?: { name: string; title?: string; organisation?: string; email?: string };
  /** The proof of existence (a valid time-stamp) when there is one, otherwise the time the signer claims. */
  signedAt?: string;
  signedAtSource?: 'timestamp' | 'claimed';
  certificateStatus?: 'good' | 'revoked' | 'unknown' | 'not-checked';
  /** A full report can be fetched from /messages/:folder/:uid/signatures/:part/report. */
  report: boolean;
  vi: string;
  en: string;
}

export interface MessageSignatures {
  badges: SignatureBadge[];
  /** Full reports by part ('message' or a part id), for the report route. */
  reports: Map<string, ValidationReport>;
}

export const MAX_PDF_BYTES = 10 * 1024 * 1024;
export const MAX_PDFS = 5;
const CACHE_TTL_MS = 10 * 60_000;
const TRUST_TTL_MS = 60_000;

const SIGNED_TYPES = new Set(['application/pkcs7-signature', 'application/x-pkcs7-signature']);
const OPAQUE_TYPES = new Set(['application/pkcs7-mime', 'application/x-pkcs7-mime']);

/** The top-level Content-Type of a message: its type and parameters (lower-case names). */
function topContentType(raw: Buffer): { type: string; params: Record<string, string> } {
  const text = raw.subarray(0, 64 * 1024).toString('latin1');
  const m = /\r?\n\r?\n/.exec(text);
  const head = (m ? text.slice(0, m.index) : text).replace(/\r?\n(?=[ \t])/g, '');
  const line = head.split(/\r?\n/).find((l) => /^content-type\s*:/i.test(l));
  if (!line) return { type: 'text/plain', params: {} };
  const [type, ...rest] = line.slice(line.indexOf(':') + 1).split(';');
  const params: Record<string, string> = {};
  for (const p of rest) {
    const i = p.indexOf('=');
    if (i > 0) params[p.slice(0, i).trim().toLowerCase()] = p.slice(i + 1).trim().replace(/^"(.*)"$/, '$1');
  }
  return { type: type!.trim().toLowerCase(), params };
}

/** multipart/signed with a PKCS #7 signature, or application/pkcs7-mime carrying signed-data. */
export function isSmimeSigned(raw: Buffer): boolean {
  const ct = topContentType(raw);
  if (ct.type === 'multipart/signed') return SIGNED_TYPES.has((ct.params.protocol ?? '').toLowerCase());
  if (OPAQUE_TYPES.has(ct.type)) return (ct.params['smime-type'] ?? '').toLowerCase() === 'signed-data';
  return false;
}

const isPdfAttachment = (contentType: string, filename: string) => contentType.toLowerCase() === 'application/pdf' || /\.pdf$/i.test(filename);
/** A PDF signature always has a /ByteRange; a PDF without one is not signed and gets no badge. */
const looksSigned = (pdf: Buffer) => pdf.indexOf('/ByteRange') >= 0;

const STATUS: Record<SignatureReport['indication'], BadgeStatus> = { 'TOTAL-PASSED': 'valid', 'TOTAL-FAILED': 'invalid', INDETERMINATE: 'indeterminate' };

function badgeOf(part: string, filename: string | undefined, s: SignatureReport): SignatureBadge {
  const signedAt = s.poeTime ?? s.claimedSigningTime;
  const name = s.signer?.commonName ?? s.signer?.subject;
  return {
    part,
    ...(filename ? { filename } : {}),
    index: s.index,
    // Only TOTAL-PASSED for this very signature is "valid".
    status: STATUS[s.indication] ?? 'indeterminate',
    indication: s.indication,
    ...(s.subIndication ? { subIndication: s.subIndication } : {}),
    ...(name
      ? {
          signer: {
            name,
            ...(s.signer?.title ? { title: s.signer.title } : {}),
            ...(s.signer?.organization ? { organisation: s.signer.organization } : {}),
            ...(s.signer?.email ? { email: s.signer.email } : {}),
          },
        }
      : {}),
    ...(signedAt ? { signedAt: signedAt.toISOString(), signedAtSource: s.poeTime ? ('timestamp' as const) : ('claimed' as const) } : {}),
    certificateStatus: s.revocation.status,
    report: true,
    vi: s.summary.vi,
    en: s.summary.en,
  };
}

function badgesOf(part: string, filename: string | undefined, report: ValidationReport): SignatureBadge[] {
  const sigs = report.signatures.filter((s) => s.kind === 'signature');
  if (sigs.length) return sigs.map((s) => badgeOf(part, filename, s));
  // Signed (we only validate what looks signed) but no signature could be read: never "valid".
  return [{ part, ...(filename ? { filename } : {}), index: 1, status: report.overall === 'TOTAL-FAILED' ? 'invalid' : 'indeterminate', indication: report.overall === 'TOTAL-FAILED' ? 'TOTAL-FAILED' : 'INDETERMINATE', ...(report.overallSubIndication ? { subIndication: report.overallSubIndication } : {}), report: true, vi: report.summary.vi, en: report.summary.en }];
}

function failedBadge(part: string, filename: string | undefined, err: unknown): SignatureBadge {
  const m = (err as Error)?.message ?? String(err);
  return {
    part, ...(filename ? { filename } : {}), index: 1, status: 'indeterminate', indication: 'INDETERMINATE', report: false,
    vi: `Không kiểm tra được chữ ký (${m}).`, en: `The signature could not be checked (${m}).`,
  };
}

const BUSY = {
  vi: 'Máy chủ đang kiểm tra nhiều chữ ký cùng lúc nên chưa kiểm tra được chữ ký này; hãy mở lại thư sau ít phút.',
  en: 'The server is checking many signatures at once, so this one was not checked yet; open the message again in a few minutes.',
};

function notChecked(part: string, filename: string, why: { vi: string; en: string }): SignatureBadge {
  return { part, filename, index: 1, status: 'not-checked', indication: 'NOT-CHECKED', report: false, ...why };
}

export interface SignatureCheckerOptions {
  db: Sequelize;
  kek: Kek;
  dataDir?: string;
  /** Overrides the trust material (tests). */
  trust?: () => Promise<TrustMaterial>;
  /** Validations at once across all sessions (default: the number of cores) and how many may wait. */
  maxConcurrent?: number;
  maxQueued?: number;
}

/** Validates and caches per (mailbox, folder, uidvalidity, uid); a message's bytes never change under one uid. */
export class SignatureChecker {
  private readonly cache = new Lru<string, { at: number; result: MessageSignatures }>(300);
  private trustCache?: { at: number; trust: Promise<TrustMaterial> };
  private readonly log = logger().child({ svc: 'webmail' });
  private readonly inFlight = new Map<string, Promise<MessageSignatures>>();
  /** Results with a part skipped because the server was busy. */
  private readonly retryLater = new WeakSet<MessageSignatures>();
  private readonly limiter: ConcurrencyLimiter;
  private readonly maxQueued: number;

  constructor(private readonly o: SignatureCheckerOptions) {
    this.limiter = new ConcurrencyLimiter(o.maxConcurrent ?? Math.max(1, availableParallelism()));
    this.maxQueued = o.maxQueued ?? 16;
  }

  /** Our CAs (with their CRLs) and DATA/trust, the same material the public /verify page uses; kept a minute. */
  trust(): Promise<TrustMaterial> {
    if (this.o.trust) return this.o.trust();
    if (!this.trustCache || Date.now() - this.trustCache.at > TRUST_TTL_MS) {
      const p = ourTrust(this.o.db, this.o.kek).then((t) => addDataDirTrust(t, this.o.dataDir));
      p.catch(() => (this.trustCache = undefined));
      this.trustCache = { at: Date.now(), trust: p };
    }
    return this.trustCache.trust;
  }

  async check(key: { mailbox: string; folder: string; uid: number; uidValidity?: string }, raw: Buffer): Promise<MessageSignatures> {
    const k = [key.mailbox, key.folder, key.uidValidity ?? '', key.uid].join('\u0000');
    const hit = this.cache.get(k);
    if (hit && Date.now() - hit.at < CACHE_TTL_MS) return hit.result;
    // The same message opened twice at once (two tabs, a double click) is validated once.
    const running = this.inFlight.get(k);
    if (running) return running;
    const p = this.validate(raw).then((result) => {
      // Nothing cached when the check itself failed (trust not readable…) or was skipped: the next open tries again.
      if (!this.retryLater.has(result) && !result.badges.some((b) => b.status === 'indeterminate' && !b.report)) this.cache.set(k, { at: Date.now(), result });
      return result;
    });
    this.inFlight.set(k, p);
    try {
      return await p;
    } finally {
      this.inFlight.delete(k);
    }
  }

  /**
   * One validation runs per core at a time for the whole server, so a few messages full of signed
   * PDFs cannot take the event loop from everyone's list and open requests; when too many wait, the
   * badge says "not checked, try again" rather than making the reader wait.
   */
  private async limited<T>(task: () => Promise<T>): Promise<T | undefined> {
    if (this.limiter.queued >= this.maxQueued) return undefined;
    return this.limiter.run(task);
  }

  private async validate(raw: Buffer): Promise<MessageSignatures> {
    const badges: SignatureBadge[] = [];
    const reports = new Map<string, ValidationReport>();
    let busy = false;
    const run = async (part: string, filename: string | undefined, bytes: Buffer, fileName: string) => {
      try {
        const trust = await this.trust();
        const report = await this.limited(() => validateSignatures(bytes, { trust, fileName }));
        if (!report) {
          busy = true;
          return void badges.push(notChecked(part, filename ?? '', BUSY));
        }
        reports.set(part, report);
        badges.push(...badgesOf(part, filename, report));
      } catch (err) {
        this.log.warn({ err: (err as Error).message, part }, 'signature check failed');
        badges.push(failedBadge(part, filename, err));
      }
    };

    if (isSmimeSigned(raw)) await run('message', undefined, raw, 'message.eml');

    let attachments: Array<{ partId: string; filename: string; content: Buffer }> = [];
    try {
      const parsed = await simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true });
      attachments = parsed.attachments
        .filter((a) => isPdfAttachment(a.contentType ?? '', partFilename(a)))
        .map((a) => ({ partId: partIdOf(a), filename: partFilename(a), content: a.content }));
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'message not parsed for signed attachments');
    }
    let checked = 0;
    for (const a of attachments) {
      if (!looksSigned(a.content)) continue;
      if (a.content.length > MAX_PDF_BYTES) {
        badges.push(notChecked(a.partId, a.filename, { vi: 'Tệp PDF lớn hơn 10 MB nên không được kiểm tra chữ ký tự động; hãy tải về và kiểm tra tại trang /verify.', en: 'The PDF is larger than 10 MB, so its signature was not checked automatically; download it and check it on the /verify page.' }));
        continue;
      }
      if (checked >= MAX_PDFS) {
        badges.push(notChecked(a.partId, a.filename, { vi: `Thư có hơn ${MAX_PDFS} tệp PDF được ký; tệp này không được kiểm tra tự động.`, en: `The message has more than ${MAX_PDFS} signed PDFs; this one was not checked automatically.` }));
        continue;
      }
      checked++;
      await run(a.partId, a.filename, a.content, a.filename.toLowerCase().endsWith('.pdf') ? a.filename : `${a.filename}.pdf`);
    }
    const result = { badges, reports };
    if (busy) this.retryLater.add(result);
    return result;
  }
}
