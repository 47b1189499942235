import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { ImapFlow } from 'imapflow';
import { startMailEnv, type MailEnv } from './mailenv.js';
import { buildHttpApp } from '../../cli/http.js';
import { loadKek, type Kek } from '../../core/kek.js';
import { createSubmitter, rspamdClient, type ScannerHandle, type Submitter } from '../../smtp/index.js';
import { startTestScanner } from './scanner.js';

/**
 * The webmail against real services: PostgreSQL and Dovecot from mailenv, smtp's submission pipeline
 * (LMTP for local recipients, the queue for remote ones — no worker runs), and the one Fastify app
 * exactly as `govmail start` builds it.
 */
export interface WebmailEnv extends MailEnv {
  app: FastifyInstance;
  kek: Kek;
  submit: Submitter;
  /** The embedded rspamd the webmail's "spam" / "not spam" teach, when started with `scan`. */
  scanner?: ScannerHandle;
}

export async function startWebmailEnv(o: { scan?: boolean } = {}): Promise<WebmailEnv> {
  const env = await startMailEnv();
  const scanner = o.scan ? await startTestScanner(env.config, env.identity, { clamav: false }) : undefined;
  const learner = scanner && rspamdClient(scanner.endpoints);
  const kek = loadKek(env.dataDir);
  const submit = createSubmitter({
    db: env.db,
    lmtp: env.lmtp,
    kek,
    hostname: env.config.hostname,
    queueRetryMaxSeconds: env.config.queueRetryMaxSeconds,
    maxMessageSize: env.config.maxMessageSize,
  });
  const app = await buildHttpApp(env.config, env.db, { submit, learn: learner && ((kind, raw) => learner.learn(kind, raw)) });
  await app.ready();
  const stopMail = env.stop;
  return Object.assign(env, {
    app,
    kek,
    submit,
    scanner,
    async stop() {
      await app.close();
      await scanner?.stop();
      await stopMail();
    },
  });
}

/** A browser as far as the API can tell: a cookie jar, the CSRF token from login, one client address. */
export class Browser {
  cookies = new Map<string, string>();
  csrf = '';

  constructor(
    private readonly app: FastifyInstance,
    readonly ip = '127.0.0.1',
  ) {}

  get cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async request(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown, o: { csrf?: boolean; headers?: Record<string, string>; payload?: Buffer | string } = {}): Promise<LightMyRequestResponse> {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    if (this.cookies.size) headers.cookie = this.cookieHeader;
    if (method !== 'GET' && o.csrf !== false && this.csrf) headers['x-csrf-token'] = this.csrf;
    const res = await this.app.inject({
      method,
      url: url.startsWith('/') ? url : `/webmail/api/${url}`,
      headers,
      remoteAddress: this.ip,
      ...(o.payload !== undefined ? { payload: o.payload } : body !== undefined ? { payload: body as any } : {}),
    });
    for (const c of res.cookies as Array<{ name: string; value: string; maxAge?: number; expires?: Date }>) {
      if (!c.value || (c.expires && c.expires.getTime() < Date.now())) this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    return res;
  }

  get = (url: string, o?: { headers?: Record<string, string> }) => this.request('GET', url, undefined, o);
  post = (url: string, body?: unknown, o?: { csrf?: boolean }) => this.request('POST', url, body ?? {}, o);
  del = (url: string, o?: { csrf?: boolean }) => this.request('DELETE', url, undefined, o);

  async login(username: string, password: string, totp?: string): Promise<LightMyRequestResponse> {
    const res = await this.post('login', { username, password, ...(totp ? { totp } : {}) });
    if (res.statusCode === 200) this.csrf = res.json().csrfToken;
    return res;
  }
}

/** A direct IMAP login as a mailbox (through the master user), to check what the webmail did. */
export async function imapAs(env: MailEnv, mailbox: string): Promise<ImapFlow> {
  const m = env.dovecot.master;
  const client = new ImapFlow({
    host: '127.0.0.1',
    port: env.dovecot.imap.port,
    secure: false,
    doSTARTTLS: true,
    tls: { rejectUnauthorized: false },
    auth: { user: m.user, pass: m.password, authzid: mailbox },
    logger: false,
  } as any);
  await client.connect();
  return client;
}

/** Every message of one folder of a mailbox: subject and full source. */
export async function folderMessages(env: MailEnv, mailbox: string, folder: string): Promise<Array<{ subject: string; source: string }>> {
  const client = await imapAs(env, mailbox);
  const lock = await client.getMailboxLock(folder);
  try {
    const out: Array<{ subject: string; source: string }> = [];
    if (client.mailbox && client.mailbox.exists === 0) return out;
    for await (const m of client.fetch('1:*', { envelope: true, source: true })) out.push({ subject: m.envelope?.subject ?? '', source: m.source!.toString() });
    return out;
  } finally {
    lock.release();
    await client.logout();
  }
}

/** A plain message, CRLF line ends. */
export function rawMessage(o: { from: string; to: string; subject: string; body?: string; date?: Date; headers?: string[]; contentType?: string; messageId?: string }): Buffer {
  const subject = /^[\x20-\x7e]*$/.test(o.subject) ? o.subject : `=?UTF-8?B?${Buffer.from(o.subject).toString('base64')}?=`;
  return Buffer.from(
    [
      `From: ${o.from}`,
      `To: ${o.to}`,
      `Subject: ${subject}`,
      `Date: ${(o.date ?? new Date()).toUTCString()}`,
      `Message-ID: ${o.messageId ?? `<${Math.random().toString(36).slice(2)}@test.gov.vn>`}`,
      'MIME-Version: 1.0',
      ...(o.headers ?? []),
      `Content-Type: ${o.contentType ?? 'text/plain; charset=utf-8'}`,
      'Content-Transfer-Encoding: 8bit',
      '',
      o.body ?? 'Nội dung thư.',
      '',
    ].join('\r\n'),
  );
}

/** A message with a PDF attachment. */
export function messageWithPdf(o: { from: string; to: string; subject: string; date?: Date }): Buffer {
  const pdf = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
  return Buffer.from(
    [
      `From: ${o.from}`,
      `To: ${o.to}`,
      `Subject: ${o.subject}`,
      `Date: ${(o.date ?? new Date()).toUTCString()}`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Xem tệp đính kèm.',
      '--b1',
      'Content-Type: application/pdf; name="cong-van.pdf"',
      'Content-Disposition: attachment; filename="cong-van.pdf"',
      'Content-Transfer-Encoding: base64',
      '',
      pdf.toString('base64'),
      '--b1',
      'Content-Type: text/html; name="trang.html"',
      'Content-Disposition: attachment; filename="trang.html"',
      '',
      '<script>alert(1)</script>',
      '--b1--',
      '',
    ].join('\r\n'),
  );
}
