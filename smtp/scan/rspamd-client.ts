import http from 'node:http';
import https from 'node:https';
import type { RspamdResult } from './verdict.js';

/**
 * rspamd's HTTP protocol: `/checkv2` on the normal worker (or the proxy), `/learnspam`, `/learnham` and
 * `/stat` on the controller. Connections are kept alive; every request has a deadline, so a stalled
 * rspamd costs an SMTP session at most `timeoutMs`.
 */
export interface RspamdEndpoints {
  /** Base URL of the scanning worker, e.g. http://127.0.0.1:21333 */
  scanUrl: string;
  /** Base URL of the controller (learning, statistics); absent: learning is not available. */
  controllerUrl?: string;
  /** The controller's password (sent as the `Password` header). */
  password?: string;
  timeoutMs: number;
}

export class ScannerUnavailableError extends Error {
  constructor(readonly detail: string) {
    super(`rspamd unavailable: ${detail}`);
    this.name = 'ScannerUnavailableError';
  }
}

export interface ScanRequest {
  ip?: string;
  helo?: string;
  from?: string;
  rcpt: readonly string[];
  /** The authenticated user, for mail our users send (rspamd then skips checks meant for strangers). */
  user?: string;
  settings?: string;
  queueId?: string;
}

const agents = { http: new http.Agent({ keepAlive: true, maxSockets: 64 }), https: new https.Agent({ keepAlive: true, maxSockets: 64 }) };

function request(url: URL, headers: Record<string, string | string[]>, body: Buffer | undefined, timeoutMs: number): Promise<{ status: number; body: string }> {
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(url, { method: body ? 'POST' : 'GET', headers: { ...headers, ...(body ? { 'Content-Length': String(body.length) } : {}) }, agent: url.protocol === 'https:' ? agents.https : agents.http }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (e) => reject(new ScannerUnavailableError(e.message)));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new ScannerUnavailableError(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => reject(e instanceof ScannerUnavailableError ? e : new ScannerUnavailableError(e.message)));
    req.end(body);
  });
}

function headersFor(r: ScanRequest): Record<string, string | string[]> {
  const h: Record<string, string | string[]> = {};
  if (r.ip) h.IP = r.ip;
  if (r.helo) h.Helo = r.helo;
  if (r.from !== undefined) h.From = r.from || '<>';
  if (r.rcpt.length) h.Rcpt = [...r.rcpt];
  if (r.user) h.User = r.user;
  if (r.settings) h.Settings = r.settings;
  if (r.queueId) h['Queue-Id'] = r.queueId;
  return h;
}

export function rspamdClient(e: RspamdEndpoints) {
  const controller = () => {
    if (!e.controllerUrl) throw new ScannerUnavailableError('no rspamd controller configured (learning needs one)');
    return e.controllerUrl;
  };
  const auth = (): Record<string, string> => (e.password ? { Password: e.password } : {});
  return {
    async check(message: Buffer, r: ScanRequest): Promise<RspamdResult> {
      const res = await request(new URL('/checkv2', e.scanUrl), headersFor(r), message, e.timeoutMs);
      if (res.status !== 200) throw new ScannerUnavailableError(`HTTP ${res.status}: ${res.body.slice(0, 200)}`);
      const parsed = JSON.parse(res.body) as RspamdResult & { error?: string };
      if (parsed.error || typeof parsed.action !== 'string') throw new ScannerUnavailableError(parsed.error ?? 'answer without an action');
      return parsed;
    },
    /** Teaches rspamd's Bayes classifier; `false` when rspamd had already learnt this message so. */
    async learn(kind: 'spam' | 'ham', message: Buffer): Promise<boolean> {
      const res = await request(new URL(kind === 'spam' ? '/learnspam' : '/learnham', controller()), auth(), message, Math.max(e.timeoutMs, 10_000));
      if (res.status === 208 || /already learn/i.test(res.body)) return false;
      if (res.status !== 200) throw new ScannerUnavailableError(`learn ${kind}: HTTP ${res.status}: ${res.body.slice(0, 200)}`);
      return true;
    },
    /** How many messages the classifier has learnt, per class. */
    async learned(): Promise<{ spam: number; ham: number }> {
      const res = await request(new URL('/stat', controller()), auth(), undefined, e.timeoutMs);
      if (res.status !== 200) throw new ScannerUnavailableError(`stat: HTTP ${res.status}`);
      const stat = JSON.parse(res.body) as { statfiles?: Array<{ symbol: string; revision: number }> };
      const of = (symbol: string) => stat.statfiles?.filter((f) => f.symbol === symbol).reduce((n, f) => n + f.revision, 0) ?? 0;
      return { spam: of('BAYES_SPAM'), ham: of('BAYES_HAM') };
    },
    async ping(): Promise<boolean> {
      try {
        const res = await request(new URL('/ping', e.scanUrl), {}, undefined, Math.min(e.timeoutMs, 2000));
        return res.status === 200 && /pong/.test(res.body);
      } catch {
        return false;
      }
    },
  };
}

export type RspamdClient = ReturnType<typeof rspamdClient>;
