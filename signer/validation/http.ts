// The public verification page: GET /verify (upload form), POST /verify (report as HTML, JSON or PDF).
//
// Anyone may use it, so: uploads are read into memory only (never written to disk or the
// database) and dropped after the answer; at most 25 MB per request (413 page beyond); a token
// bucket per client IP (in memory, per node: behind a load balancer each node counts its own);
// at most two validations at a time per node, a short queue, 503 beyond it; at most 50 certificates
// and 50 CRLs/OCSP answers per signature (400 beyond, signer/validation/limits.ts), and each path
// validation within its work budget (INDETERMINATE beyond, signer/pathvalidation/budget.ts).

import type { IncomingMessage } from 'node:http';
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Sequelize } from 'sequelize';
import type { Kek } from '../../core/kek.js';
import { ConcurrencyLimiter } from '../../core/limiter.js';
import { ourTrust, type TrustMaterial } from '../trust.js';
import { errorPageHtml, reportHtml, verifyPageHtml, VERIFY_CSS, VERIFY_ICON, type Lang } from './html.js';
import { TooMuchMaterialError } from './limits.js';
import { addDataDirTrust, UnsupportedFileError, validateSignatures } from './validate.js';
import { byteSize } from './messages.js';
import { reportPdf } from './pdf-report.js';
import { reportJson } from './text.js';
import type { Text } from './types.js';

export interface VerifyRoutesOptions {
  db: Sequelize;
  kek: Kek;
  /** DATA: its trust/ folder adds trust anchors, intermediates and CRLs. */
  dataDir?: string;
  /** Largest upload (both files together); default 25 MB. */
  maxBytes?: number;
  /** Token bucket per client IP: `burst` requests at once, then `perMinute`; default 20 and 20. */
  rate?: { burst: number; perMinute: number };
  /** Validations running at once on this node; default 2. */
  concurrency?: number;
  /** Overrides the trust material (tests). */
  trust?: () => Promise<TrustMaterial>;
}

const MB = 1024 * 1024;
const MULTIPART_SLACK = 256 * 1024;
const MAX_QUEUE = 16;
const TRUST_TTL_MS = 60_000;
const RAW_TYPES = ['application/pdf', 'application/octet-stream', 'application/pkcs7-signature', 'application/x-pkcs7-signature', 'application/pkcs7-mime', 'application/x-pkcs7-mime', 'message/rfc822'];

/** A token bucket per key, refilled continuously; idle buckets are forgotten. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(
    private readonly burst: number,
    private readonly perMinute: number,
  ) {}

  /** 0 when a request may go ahead (and is counted), otherwise the seconds to wait. */
  take(key: string, now = Date.now()): number {
    const rate = this.perMinute / 60_000;
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + (now - b.at) * rate);
    b.at = now;
    this.buckets.set(key, b);
    if (this.buckets.size > 10_000) this.prune(now);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - b.tokens) / rate / 1000);
  }

  private prune(now: number): void {
    const full = (this.burst / this.perMinute) * 60_000;
    for (const [k, b] of this.buckets) if (now - b.at > full) this.buckets.delete(k);
  }
}

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly text: Text,
  ) {
    super(text.en);
  }
}

const langOf = (v: unknown): Lang => (v === 'en' ? 'en' : 'vi');
const formatOf = (v: unknown): 'html' | 'json' | 'pdf' => (v === 'json' ? 'json' : v === 'pdf' ? 'pdf' : 'html');

/** Reads and discards what is left of a request body, so the client gets the answer. */
function drain(raw: IncomingMessage, limitBytes: number): Promise<void> {
  if (raw.readableEnded || raw.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let seen = 0;
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      raw.destroy();
      done();
    }, 30_000);
    raw.on('data', (c: Buffer) => {
      seen += c.length;
      if (seen > limitBytes) {
        raw.destroy();
        done();
      }
    });
    raw.once('end', done);
    raw.once('close', done);
    raw.once('error', done);
    raw.resume();
  });
}

export async function verifyRoutes(app: FastifyInstance, o: VerifyRoutesOptions): Promise<void> {
  const maxBytes = o.maxBytes ?? 25 * MB;
  const rate = new RateLimiter(o.rate?.burst ?? 20, o.rate?.perMinute ?? 20);
  const limiter = new ConcurrencyLimiter(o.concurrency ?? 2);
  let cached: { at: number; trust: Promise<TrustMaterial> } | undefined;
  const trust = (): Promise<TrustMaterial> => {
    if (o.trust) return o.trust();
    if (!cached || Date.now() - cached.at > TRUST_TTL_MS) {
      const p = ourTrust(o.db, o.kek).then((t) => addDataDirTrust(t, o.dataDir));
      p.catch(() => (cached = undefined));
      cached = { at: Date.now(), trust: p };
    }
    return cached.trust;
  };

  const limits = { fileSize: maxBytes, files: 2, fields: 8, fieldSize: 1024, parts: 12, headerPairs: 100 };
  if (!app.hasRequestDecorator('isMultipart')) await app.register(multipart, { limits, throwFileSizeLimit: true });
  for (const type of RAW_TYPES) {
    if (!app.hasContentTypeParser(type)) app.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: maxBytes }, (_req, body, done) => done(null, body));
  }

  const tooLarge: Text = { vi: `Tệp quá lớn: tối đa ${byteSize(maxBytes)} cho mỗi lần kiểm tra.`, en: `The file is too large: at most ${byteSize(maxBytes)} per check.` };

  const sendProblem = (reply: FastifyReply, p: HttpProblem, lang: Lang, format: string) => {
    reply.code(p.status).headers(SECURITY_HEADERS);
    if (format === 'json') return reply.type('application/json; charset=utf-8').send({ error: p.code, message: p.text.en, messageVi: p.text.vi });
    return reply.type('text/html; charset=utf-8').send(errorPageHtml(p.status, p.text, lang));
  };

  // Errors raised before the handler (a raw body over the limit, a malformed multipart body) get the same pages.
  app.setErrorHandler(async (err: Error & { statusCode?: number; code?: string }, req, reply) => {
    const q = req.query as Record<string, unknown>;
    const lang = langOf(q.lang);
    const format = formatOf(q.format);
    if (err.statusCode === 413 || err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || err.code === 'FST_REQ_FILE_TOO_LARGE') {
      await drain(req.raw, 4 * maxBytes);
      return sendProblem(reply, new HttpProblem(413, 'TOO_LARGE', tooLarge), lang, format);
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    const text: Text = status === 500 ? { vi: 'Lỗi máy chủ khi kiểm tra; vui lòng thử lại.', en: 'A server error occurred while checking; please try again.' } : { vi: `Yêu cầu không hợp lệ (${err.message}).`, en: `Bad request (${err.message}).` };
    if (status === 500) req.log.error({ err }, 'verify failed');
    return sendProblem(reply, new HttpProblem(status, status === 500 ? 'SERVER_ERROR' : 'BAD_REQUEST', text), lang, format);
  });

  app.get('/verify/verify.css', { schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').header('x-content-type-options', 'nosniff').send(VERIFY_CSS),
  );

  app.get('/verify/icon.svg', { schema: { hide: true } }, async (_req, reply) =>
    reply.type('image/svg+xml').header('cache-control', 'public, max-age=86400').header('x-content-type-options', 'nosniff').send(VERIFY_ICON),
  );

  app.get<{ Querystring: { lang?: string } }>('/verify', { schema: { hide: true } }, async (req, reply) =>
    reply.headers(SECURITY_HEADERS).type('text/html; charset=utf-8').send(verifyPageHtml(langOf(req.query.lang), { maxBytes })),
  );

  app.post<{ Querystring: { format?: string; lang?: string } }>(
    '/verify',
    {
      schema: { hide: true },
      // Before the body is read: the rate limit, and a declared size that cannot fit.
      onRequest: async (req, reply) => {
        const lang = langOf(req.query.lang);
        const format = formatOf(req.query.format);
        const wait = rate.take(req.ip);
        if (wait > 0) {
          await drain(req.raw, maxBytes + MULTIPART_SLACK);
          reply.header('retry-after', String(wait));
          return sendProblem(reply, new HttpProblem(429, 'RATE_LIMITED', { vi: `Quá nhiều yêu cầu kiểm tra từ địa chỉ này; hãy thử lại sau ${wait} giây.`, en: `Too many checks from this address; try again in ${wait} seconds.` }), lang, format);
        }
        const declared = Number(req.headers['content-length'] ?? 0);
        if (declared > maxBytes + MULTIPART_SLACK) {
          await drain(req.raw, 4 * maxBytes);
          return sendProblem(reply, new HttpProblem(413, 'TOO_LARGE', tooLarge), lang, format);
        }
      },
    },
    async (req, reply) => {
      let lang = langOf(req.query.lang);
      let format = formatOf(req.query.format);
      let file: Buffer | undefined;
      let fileName: string | undefined;
      let data: Buffer | undefined;
      try {
        if (req.isMultipart()) {
          let total = 0;
          for await (const part of req.parts({ limits })) {
            if (part.type === 'file') {
              const bytes = await part.toBuffer();
              total += bytes.length;
              if (total > maxBytes) throw new HttpProblem(413, 'TOO_LARGE', tooLarge);
              if (part.fieldname === 'file' && !file) {
                file = bytes;
                fileName = part.filename || undefined;
              } else if (part.fieldname === 'data' && !data && bytes.length) data = bytes;
            } else if (part.fieldname === 'format' && !req.query.format) format = formatOf(part.value);
            else if (part.fieldname === 'lang' && !req.query.lang) lang = langOf(part.value);
          }
        } else if (Buffer.isBuffer(req.body)) {
          file = req.body;
        }
        if (!file || file.length === 0) throw new HttpProblem(400, 'NO_FILE', { vi: 'Chưa chọn tệp cần kiểm tra.', en: 'No file was given to verify.' });
        if (limiter.queued >= MAX_QUEUE) throw new HttpProblem(503, 'BUSY', { vi: 'Máy chủ đang bận kiểm tra các tệp khác; hãy thử lại sau ít phút.', en: 'The server is busy checking other files; try again in a few minutes.' });
        const material = await trust();
        const upload = file;
        const report = await limiter.run(() => validateSignatures(upload, { trust: material, ...(fileName ? { fileName } : {}), ...(data ? { data } : {}) }));
        reply.headers(SECURITY_HEADERS);
        if (format === 'json') return reply.type('application/json; charset=utf-8').send(reportJson(report));
        if (format === 'pdf') {
          const pdf = Buffer.from(await reportPdf(report));
          return reply.type('application/pdf').header('content-disposition', 'inline; filename="bao-cao-kiem-tra-chu-ky.pdf"').send(pdf);
        }
        return reply.type('text/html; charset=utf-8').send(reportHtml(report, lang));
      } catch (e) {
        const err = e as Error & { code?: string; statusCode?: number };
        if (err.code === 'FST_REQ_FILE_TOO_LARGE' || (e instanceof HttpProblem && e.status === 413)) {
          await drain(req.raw, 4 * maxBytes);
          return sendProblem(reply, new HttpProblem(413, 'TOO_LARGE', tooLarge), lang, format);
        }
        if (e instanceof HttpProblem) return sendProblem(reply, e, lang, format);
        if (e instanceof UnsupportedFileError) return sendProblem(reply, new HttpProblem(422, e.code, { vi: `${e.messageVi}.`, en: `${e.message}.` }), lang, format);
        if (e instanceof TooMuchMaterialError) return sendProblem(reply, new HttpProblem(400, e.code, { vi: `${e.messageVi}.`, en: `${e.message}.` }), lang, format);
        if (err.code === 'FST_FILES_LIMIT' || err.code === 'FST_PARTS_LIMIT' || err.code === 'FST_FIELDS_LIMIT' || err.code === 'FST_INVALID_MULTIPART_CONTENT_TYPE') {
          return sendProblem(reply, new HttpProblem(400, 'BAD_FORM', { vi: 'Biểu mẫu tải lên không hợp lệ (tối đa hai tệp).', en: 'The upload form is not valid (at most two files).' }), lang, format);
        }
        throw e;
      } finally {
        // Nothing of the upload outlives the answer.
        file = undefined;
        data = undefined;
      }
    },
  );
}

