import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidInputError } from '../../core/errors.js';
import { DerError } from '../pathvalidation/der.js';
import { Rfc3161FormatError, TSA_HASHES } from './asn1.js';
import { TsaBadResponseError, TsaRejectedError, TsaUnavailableError } from './errors.js';
import { ConcurrencyLimiter } from '../../core/limiter.js';
import { readToken } from './read-token.js';
import { encodeTimeStampReq, randomNonce } from './request.js';
import { PKI_STATUS, parseTimeStampResp } from './response.js';
import type { Timestamper, TimestampHash } from './types.js';

export interface RemoteTsaOptions {
  /** The TSA's HTTP(S) URL (RFC 3161 §3.4: POST application/timestamp-query). */
  url: string;
  /** Per attempt, until the whole answer is read. External TSAs can take minutes. */
  timeoutMs?: number;
  /** Requests in flight at once; the rest wait their turn. */
  maxConcurrent?: number;
  /** Further attempts after a network error, a timeout or an HTTP 5xx/429 (never after an RFC 3161 answer). */
  retries?: number;
  /** TSA policy OID to ask for (reqPolicy); the token must carry it. */
  policy?: string;
  /** Pause before the first retry; it doubles for each further one (at most 30 s), with ±20% jitter. */
  retryDelayMs?: number;
}

const MAX_DELAY_MS = 30_000;
const MAX_RESPONSE_BYTES = 1024 * 1024;

type Attempt = { body: Buffer; contentType: string } | { retry: string; retryVi: string };

/**
 * A Timestamper that asks an external TSA (e.g. the national one). The answer is checked before it is
 * used: granted, a token whose signature its own certificate verifies, the same imprint, the same
 * nonce, and the policy asked for.
 */
export function remoteTimestamper(o: RemoteTsaOptions): Timestamper {
  const url = o.url;
  if (!/^https?:\/\/[^\s]+$/.test(url ?? '')) throw new InvalidInputError('url', 'an http(s) URL of a time-stamping authority', 'địa chỉ http(s) của máy chủ dấu thời gian', url);
  const timeoutMs = o.timeoutMs ?? 120_000;
  const retries = o.retries ?? 3;
  const retryDelayMs = o.retryDelayMs ?? 1000;
  if (!Number.isInteger(retries) || retries < 0) throw new InvalidInputError('retries', 'a whole number ≥ 0', 'số nguyên ≥ 0', String(retries));
  if (!(timeoutMs > 0)) throw new InvalidInputError('timeoutMs', 'a positive number of milliseconds', 'số mili giây dương', String(timeoutMs));
  const limiter = new ConcurrencyLimiter(o.maxConcurrent ?? 4);

  async function attempt(request: Uint8Array): Promise<Attempt> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/timestamp-query', accept: 'application/timestamp-reply' },
        body: new Uint8Array(request), // a copy typed over a plain ArrayBuffer, as fetch wants
        signal: controller.signal,
      });
      if (Number(res.headers.get('content-length') ?? 0) > MAX_RESPONSE_BYTES) throw new TsaBadResponseError(url, `an answer of ${res.headers.get('content-length')} bytes`, `câu trả lời dài ${res.headers.get('content-length')} byte`);
      const body = Buffer.from(await res.arrayBuffer());
      if (res.status >= 500 || res.status === 429) return { retry: `HTTP ${res.status}`, retryVi: `HTTP ${res.status}` };
      if (res.status !== 200) throw new TsaBadResponseError(url, `HTTP ${res.status}`, `HTTP ${res.status}`);
      if (body.length > MAX_RESPONSE_BYTES) throw new TsaBadResponseError(url, `an answer of ${body.length} bytes`, `câu trả lời dài ${body.length} byte`);
      return { body, contentType: res.headers.get('content-type') ?? '' };
    } catch (e) {
      if (e instanceof TsaBadResponseError) throw e;
      if (controller.signal.aborted) return { retry: `no answer within ${timeoutMs} ms`, retryVi: `không có trả lời trong ${timeoutMs} ms` };
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      const detail = cause?.code ?? cause?.message ?? (e as Error).message;
      return { retry: `network error (${detail})`, retryVi: `lỗi mạng (${detail})` };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Keeps its concurrency slot through the pauses: a struggling TSA gets no more load from us meanwhile. */
  async function exchange(request: Uint8Array): Promise<{ body: Buffer; contentType: string }> {
    for (let n = 1; ; n++) {
      const result = await attempt(request);
      if ('body' in result) return result;
      if (n > retries) throw new TsaUnavailableError(url, n, result.retry, result.retryVi);
      const delay = Math.min(retryDelayMs * 2 ** (n - 1), MAX_DELAY_MS) * (0.8 + Math.random() * 0.4);
      await sleep(delay);
    }
  }

  async function stamp(digest: Buffer, hash: TimestampHash): Promise<Buffer> {
    const expected = TSA_HASHES[hash];
    if (!expected) throw new InvalidInputError('hash', 'sha256, sha384 or sha512', 'sha256, sha384 hoặc sha512', String(hash));
    if (!Buffer.isBuffer(digest) || digest.length !== expected.length) {
      throw new InvalidInputError('digest', `a ${hash} digest of ${expected.length} bytes`, `giá trị băm ${hash} dài ${expected.length} byte`, `${digest?.length} bytes`);
    }
    const nonce = randomNonce();
    const { body, contentType } = await exchange(encodeTimeStampReq({ hash, digest, policy: o.policy, nonce, certReq: true }));
    return checkAnswer(url, body, contentType, { hash, digest, nonce, policy: o.policy });
  }

  return (digest, hash) => limiter.run(() => stamp(digest, hash));
}

function checkAnswer(url: string, body: Buffer, contentType: string, asked: { hash: TimestampHash; digest: Buffer; nonce: Buffer; policy?: string }): Buffer {
  const bad = (en: string, vi: string) => new TsaBadResponseError(url, en, vi);
  let response;
  try {
    response = parseTimeStampResp(body);
  } catch (e) {
    if (!(e instanceof Rfc3161FormatError)) throw e;
    throw bad(`not an RFC 3161 TimeStampResp (content type "${contentType}", ${e.message})`, `không phải TimeStampResp theo RFC 3161 (kiểu nội dung "${contentType}", ${e.message})`);
  }
  if (response.status !== PKI_STATUS.granted && response.status !== PKI_STATUS.grantedWithMods) {
    throw new TsaRejectedError(url, response.status, response.failures, response.statusText);
  }
  if (!response.token) throw bad('status granted but no token', 'trạng thái chấp thuận nhưng không có dấu thời gian');
  let token;
  try {
    token = readToken(response.token);
  } catch (e) {
    if (!(e instanceof Rfc3161FormatError) && !(e instanceof DerError)) throw e;
    throw bad(`the token is not valid (${(e as Error).message})`, `dấu thời gian không hợp lệ (${(e as Error).message})`);
  }
  const info = token.tstInfo;
  if (info.hashOid !== TSA_HASHES[asked.hash].oid || !info.digest.equals(asked.digest)) {
    throw bad('the token stamps a different message imprint than the one sent', 'dấu thời gian gắn với giá trị băm khác với giá trị đã gửi');
  }
  if (info.nonce !== BigInt(`0x${asked.nonce.toString('hex')}`)) {
    throw bad('the token does not carry the nonce of the request (a replayed or misrouted answer)', 'dấu thời gian không mang nonce của yêu cầu (câu trả lời bị phát lại hoặc nhầm)');
  }
  if (asked.policy && info.policy !== asked.policy) {
    throw bad(`the token is under policy ${info.policy}, not ${asked.policy}`, `dấu thời gian theo chính sách ${info.policy}, không phải ${asked.policy}`);
  }
  return Buffer.from(response.token);
}
