import { timingSafeEqual } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import multipart from '@fastify/multipart';
import type { Sequelize } from 'sequelize';
import type { Kek } from '../../core/kek.js';
import { GovmailError } from '../../core/errors.js';
import { logger } from '../../core/log.js';
import { authenticate, changePassword, getMailbox, listDomains, mustChangePassword, resolveMailbox, searchDirectory } from '../../admin/index.js';
import type { Submitter } from '../../smtp/index.js';
import { renderMessage, extractPart, partResponseHeaders } from './render.js';
import { wireError, unauthenticated, totpPending, csrfRefused, loginFailed, tooManyAttempts, badSignature, notConfigured, passwordChangeRequired } from './errors.js';
import { createSession, deleteSession, deleteSessionOf, findSession, findSessionById, listSessions, passwordChanged, type WebmailSession } from './sessions.js';
import { clearAccountFailures, loginThrottled, recordLoginFailure, WINDOW_MINUTES } from './login-throttle.js';
import { disableTotp, enableTotp, setupTotp, totpEnabled, verifyLoginCode } from './totp.js';
import { ImapPool, MailboxLoginRefused, type ImapTarget } from './imap-pool.js';
import { FolderCache } from './folder-cache.js';
import { deleteMessages, fetchMessage, listFolders, listMessages, markSpam, moveMessages, setFlags, type MailContext } from './messages.js';
import { identities, saveDraft, sendMessage, type OutgoingBody } from './send.js';
import { saveUpload, uploadsFromMessage } from './uploads.js';
import { linkKey, partSubject, signLink, verifyLink } from './links.js';
import { fetchRemoteImage } from './proxy.js';
import { streamMailEvents } from './events.js';
import { headerMessageIds } from './headers.js';
import { SignatureChecker } from './signatures.js';
import { getSieveSettings, putSieveSettings } from './sieve.js';
import { SIEVE_MODEL_SCHEMA } from './sieve-script.js';
import type { SieveTarget } from './managesieve.js';
import { holderSigningCertificates, PinError, reportHtml, reportJson, reportPdf, type Timestamper, type TrustMaterial } from '../../signer/index.js';

/**
 * The webmail HTTP API (webmail/API.md), mounted at /webmail/api. Routes stay thin: each names how it
 * is authenticated, and the work happens in the modules it calls.
 *
 * Authentication: the `gm_webmail` cookie (HttpOnly, SameSite=Strict, Secure behind TLS) names a
 * session in PostgreSQL; every request that changes something also carries the session's CSRF token
 * in `x-csrf-token`. What the sandboxed message frame loads (inline parts, proxied images) carries no
 * cookie, so those links are signed for their session instead (links.ts).
 */
export interface WebmailOptions {
  db: Sequelize;
  kek: Kek;
  /** Dovecot's IMAP on loopback and the master user; without it the mail routes answer 503. */
  imap?: ImapTarget;
  /** smtp's submission pipeline; without it /send answers 503. */
  submit?: Submitter;
  /** Our MX's host name, the authserv-id of the Authentication-Results it writes (sender warnings). */
  hostname?: string;
  secureCookies?: boolean;
  /** e.g. https://mail.tinh.gov.vn — the origin the message frame's links are made absolute on. */
  publicOrigin?: string;
  maxUploadBytes?: number;
  /** DATA: its trust/ folder adds trust anchors, intermediates and CRLs for the signature badges. */
  dataDir?: string;
  /** Overrides the trust material of the signature badges (tests). */
  signatureTrust?: () => Promise<TrustMaterial>;
  /** Dovecot's ManageSieve on loopback (same master user); without it /sieve answers 503. */
  sieve?: SieveTarget;
  /** Time-stamps PDF attachments signed at /send (B-T); without it they are signed B-B. */
  timestamper?: Timestamper;
}

type Auth = 'none' | 'session' | 'link';

declare module 'fastify' {
  interface FastifyRequest {
    webmailSession?: WebmailSession;
  }
  interface FastifyContextConfig {
    webmailAuth?: Auth;
  }
}

export const COOKIE = 'gm_webmail';
export const API_CSP = "default-src 'self'; frame-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const SECURITY_HEADERS: Record<string, string> = {
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};
/** Parts a browser may show in place (?inline=1); everything else is a download. SVG never: it is a document. */
const INLINE_TYPES = /^(image\/(png|jpeg|gif|webp|bmp|avif)|application\/pdf)$/;

/**
 * All a session may do while its mailbox must first replace an initial or reset password; every other
 * route, including any added later, answers PASSWORD_CHANGE_REQUIRED. Paths are relative to the prefix.
 */
const BEFORE_PASSWORD_CHANGE = new Set(['/session', '/logout', '/password', ...['/settings/totp', '/totp'].flatMap((p) => [p, `${p}/setup`, `${p}/enable`, `${p}/disable`])]);

const sameToken = (a: string | undefined, b: string) => typeof a === 'string' && a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

const stringBody = (required: string[], properties: Record<string, object>) => ({ type: 'object', required, properties }) as const;
const uidsBody = (extra: Record<string, object> = {}, required: string[] = []) =>
  stringBody(['uids', ...required], { uids: { type: 'array', minItems: 1, maxItems: 5000, items: { type: 'integer', minimum: 1 } }, ...extra });
const folderParams = { type: 'object', required: ['folder'], properties: { folder: { type: 'string', minLength: 1, maxLength: 500 } } } as const;
const messageParams = { type: 'object', required: ['folder', 'uid'], properties: { folder: { type: 'string', minLength: 1, maxLength: 500 }, uid: { type: 'integer', minimum: 1 } } } as const;

export async function webmailRoutes(app: FastifyInstance, opts: WebmailOptions): Promise<void> {
  const { db, kek } = opts;
  const log = logger().child({ svc: 'webmail' });
  const pool = opts.imap ? new ImapPool(opts.imap) : undefined;
  const cache = new FolderCache();
  const key = linkKey(kek);
  const signatures = new SignatureChecker({ db, kek, ...(opts.dataDir ? { dataDir: opts.dataDir } : {}), ...(opts.signatureTrust ? { trust: opts.signatureTrust } : {}) });
  const base = app.prefix;
  const eventStreams = new Map<string, number>();
  const openStreams = new Set<() => void>();
  app.addHook('onClose', async () => pool?.closeAll());
  // An event stream never ends by itself; without this, closing the app would wait for every browser.
  app.addHook('preClose', async () => {
    for (const end of [...openStreams]) end();
  });

  await app.register(cookie);
  await app.register(multipart, { limits: { fileSize: opts.maxUploadBytes ?? 25 * 1024 * 1024, files: 1, fields: 5, parts: 6 } });

  let domains: { at: number; list: Promise<string[]> } | undefined;
  const localDomains = () => {
    if (!domains || Date.now() - domains.at > 60_000) domains = { at: Date.now(), list: listDomains(db).then((d) => d.filter((x) => x.active).map((x) => x.name)) };
    return domains.list;
  };
  // Secure whenever the browser reached us over TLS, directly or through a TLS proxy that says so.
  const secure = (req: FastifyRequest) => !!opts.secureCookies || req.protocol === 'https' || req.headers['x-forwarded-proto'] === 'https';
  const setCookie = (req: FastifyRequest, reply: FastifyReply, token: string) =>
    reply.setCookie(COOKIE, token, { path: base, httpOnly: true, sameSite: 'strict', secure: secure(req) });
  const clearCookie = (req: FastifyRequest, reply: FastifyReply) => reply.clearCookie(COOKIE, { path: base, httpOnly: true, sameSite: 'strict', secure: secure(req) });
  const mail = (req: FastifyRequest): MailContext => {
    if (!pool) throw notConfigured('the mail store (IMAP)', 'kho thư (IMAP)');
    return { pool, cache, session: req.webmailSession! };
  };
  const userOf = async (address: string) => ({ address, name: (await getMailbox(db, address))?.display_name ?? address });

  /**
   * A session lasts only as long as its mailbox: suspended, archived or moved to a new address (the old
   * one becomes an alias), it ends on the next request — an open IMAP connection would not notice.
   */
  const mailboxStillThere = async (session: WebmailSession) => {
    const box = await resolveMailbox(db, session.mailbox);
    if (box.kind === 'mailbox' && box.address === session.mailbox) return true;
    await deleteSession(db, session.id);
    pool?.drop(session.id);
    return false;
  };

  app.addHook('onRoute', (route) => {
    if (!(route.config as any)?.webmailAuth) throw new Error(`webmail route ${route.method} ${route.url} declares no webmailAuth`);
  });

  app.addHook('preHandler', async (req) => {
    const auth = req.routeOptions.config.webmailAuth;
    if (auth === 'none') return;
    const sig = (req.query as any)?.sig;
    if (auth === 'link' && typeof sig === 'string' && sig) {
      // Loaded by the message frame: the signed link names its session; the cookie is not there.
      const subject = req.routeOptions.url?.endsWith('/proxy')
        ? String((req.query as any).u ?? '')
        : partSubject((req.params as any).folder, Number((req.params as any).uid), (req.params as any).partId);
      const sid = verifyLink(key, req.routeOptions.url?.endsWith('/proxy') ? 'proxy' : 'part', sig, subject);
      const session = sid && (await findSessionById(db, sid));
      if (!session || !(await mailboxStillThere(session))) throw badSignature();
      if (session.mustChangePassword) throw passwordChangeRequired();
      req.webmailSession = session;
      return;
    }
    if (req.routeOptions.url?.endsWith('/proxy')) throw badSignature();
    const token = req.cookies[COOKIE];
    const session = token ? await findSession(db, token) : undefined;
    if (!session || !(await mailboxStillThere(session))) throw unauthenticated();
    if (!session.totpVerified) throw totpPending();
    // A cookie rides along with cross-site requests too; a change must also prove it comes from our page.
    if (req.method !== 'GET' && req.method !== 'HEAD' && !sameToken(req.headers['x-csrf-token'] as string | undefined, session.csrfToken)) throw csrfRefused();
    if (session.mustChangePassword && !BEFORE_PASSWORD_CHANGE.has(req.routeOptions.url?.slice(base.length) ?? '')) throw passwordChangeRequired();
    req.webmailSession = session;
  });

  app.addHook('onSend', async (_req, reply, payload) => {
    if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', API_CSP);
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });

  app.setErrorHandler(async (err: FastifyError | GovmailError, req, reply) => {
    if (err instanceof MailboxLoginRefused && req.webmailSession) {
      // The mailbox was suspended or archived since login: the session ends here.
      await deleteSession(db, req.webmailSession.id).catch(() => undefined);
      pool?.drop(req.webmailSession.id);
      clearCookie(req, reply);
      return reply.code(401).send(wireError(err));
    }
    if (err instanceof PinError) {
      const wire = wireError(err);
      return reply.code(err.status).send({ error: { ...wire.error, attemptsLeft: err.attemptsLeft, ...(err.lockedUntil ? { lockedUntil: err.lockedUntil.toISOString() } : {}) } });
    }
    if (err instanceof GovmailError) return reply.code(err.status).send(wireError(err));
    const fe = err as FastifyError;
    if (fe.validation) {
      const v = fe.validation[0];
      const field = (v?.params as any)?.missingProperty ?? v?.instancePath?.replace(/^\//, '').split('/')[0] ?? '';
      return reply.code(400).send({ error: { code: 'INVALID_INPUT', vi: `dữ liệu không hợp lệ: ${fe.message}`, en: `invalid input: ${fe.message}`, ...(field ? { field } : {}) } });
    }
    if (fe.statusCode && fe.statusCode < 500) {
      return reply.code(fe.statusCode).send({ error: { code: fe.code ?? 'BAD_REQUEST', vi: `yêu cầu không hợp lệ: ${fe.message}`, en: fe.message } });
    }
    log.error({ err: fe.message, stack: fe.stack, url: req.url }, 'webmail request failed');
    return reply.code(500).send({ error: { code: 'INTERNAL', vi: 'lỗi hệ thống', en: 'internal error' } });
  });

  const noSuchApi = async (req: FastifyRequest, reply: FastifyReply) =>
    reply.code(404).send(wireError(new GovmailError('NOT_FOUND', `no such API: ${req.method} ${req.url.split('?')[0]}`, `không có API này: ${req.method} ${req.url.split('?')[0]}`, 404)));
  app.setNotFoundHandler(noSuchApi);
  // The web client's catch-all (/webmail/*) would otherwise answer unknown API paths with its page.
  app.all('/*', { config: { webmailAuth: 'none' } }, noSuchApi);

  // ---- login, session, logout ----

  app.post(
    '/login',
    {
      config: { webmailAuth: 'none' },
      schema: { body: { type: 'object', properties: { username: { type: 'string', maxLength: 320 }, password: { type: 'string', maxLength: 1024 }, totp: { type: 'string', maxLength: 16 } } } },
    },
    async (req, reply) => {
      const { username = '', password = '', totp } = (req.body ?? {}) as { username?: string; password?: string; totp?: string };
      const ip = req.ip;
      const presented = req.cookies[COOKIE] ? await findSession(db, req.cookies[COOKIE]!) : undefined;
      // The second step of a two-step login may send only the code, on the session waiting for it.
      const pending = presented && !presented.totpVerified ? presented : undefined;
      const account = username || pending?.mailbox || '';
      if (await loginThrottled(db, ip, account)) throw tooManyAttempts(WINDOW_MINUTES);

      let address: string | undefined;
      if (!username && !password && pending && totp) address = pending.mailbox;
      else address = await authenticate(db, username, password);
      if (!address) {
        await recordLoginFailure(db, ip, account);
        throw loginFailed();
      }
      const needsCode = await totpEnabled(db, address);
      if (needsCode && !totp) {
        if (presented) await deleteSession(db, presented.id);
        const { token, session } = await createSession(db, { mailbox: address, ip, userAgent: req.headers['user-agent'], totpVerified: false });
        setCookie(req, reply, token);
        return { csrfToken: session.csrfToken, user: await userOf(address), totpRequired: true };
      }
      if (needsCode && !(await verifyLoginCode(db, kek, address, totp!))) {
        await recordLoginFailure(db, ip, address);
        throw loginFailed();
      }
      await clearAccountFailures(db, address);
      // Never adopt the session the browser came with: a new id at every login (no fixation).
      if (presented) {
        await deleteSession(db, presented.id);
        pool?.drop(presented.id);
      }
      const mustChange = await mustChangePassword(db, address);
      const { token, session } = await createSession(db, { mailbox: address, ip, userAgent: req.headers['user-agent'], totpVerified: true, mustChangePassword: mustChange });
      setCookie(req, reply, token);
      return { csrfToken: session.csrfToken, user: await userOf(address), ...(mustChange ? { mustChangePassword: true } : {}) };
    },
  );

  app.get('/session', { config: { webmailAuth: 'session' } }, async (req) => ({
    csrfToken: req.webmailSession!.csrfToken,
    user: await userOf(req.webmailSession!.mailbox),
    ...(req.webmailSession!.mustChangePassword ? { mustChangePassword: true } : {}),
  }));

  app.post('/logout', { config: { webmailAuth: 'session' } }, async (req, reply) => {
    await deleteSession(db, req.webmailSession!.id);
    pool?.drop(req.webmailSession!.id);
    clearCookie(req, reply);
    return reply.code(204).send();
  });

  app.post(
    '/password',
    {
      config: { webmailAuth: 'session' },
      // Lengths are changePassword's rules (with their own bilingual message); this only bounds the body.
      schema: { body: stringBody(['currentPassword', 'newPassword'], { currentPassword: { type: 'string', maxLength: 1024 }, newPassword: { type: 'string', maxLength: 4096 } }) },
    },
    async (req, reply) => {
      const session = req.webmailSession!;
      const { currentPassword, newPassword } = req.body as { currentPassword: string; newPassword: string };
      // Guessing the current password here is guessing a login: the same counter and the same limit.
      if (await loginThrottled(db, req.ip, session.mailbox)) throw tooManyAttempts(WINDOW_MINUTES);
      try {
        await changePassword(db, session.mailbox, currentPassword, newPassword, { actor: session.mailbox, ip: req.ip });
      } catch (err) {
        if (err instanceof GovmailError && err.code === 'PASSWORD_WRONG') await recordLoginFailure(db, req.ip, session.mailbox);
        throw err;
      }
      for (const id of await passwordChanged(db, session.mailbox, session.id)) pool?.drop(id);
      return reply.code(204).send();
    },
  );

  // ---- sessions and two-step login ----

  app.get('/sessions', { config: { webmailAuth: 'session' } }, async (req) =>
    (await listSessions(db, req.webmailSession!.mailbox)).map((s) => ({
      id: s.id,
      current: s.id === req.webmailSession!.id,
      createdAt: new Date(s.createdAt).toISOString(),
      lastSeenAt: new Date(s.lastSeenAt).toISOString(),
      ip: s.ip,
      userAgent: s.userAgent,
    })),
  );

  app.delete('/sessions/:id', { config: { webmailAuth: 'session' }, schema: { params: { type: 'object', properties: { id: { type: 'string', pattern: '^[0-9a-f]{64}$' } } } } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    if (!(await deleteSessionOf(db, req.webmailSession!.mailbox, id))) throw new GovmailError('NOT_FOUND', `no such session: ${id}`, `không có phiên này: ${id}`, 404);
    pool?.drop(id);
    if (id === req.webmailSession!.id) clearCookie(req, reply);
    return reply.code(204).send();
  });

  // The client's settings page uses /totp/…; /settings/totp/… is the same thing.
  for (const prefix of ['/settings/totp', '/totp']) {
    app.get(prefix, { config: { webmailAuth: 'session' } }, async (req) => ({ enabled: await totpEnabled(db, req.webmailSession!.mailbox) }));
    app.post(`${prefix}/setup`, { config: { webmailAuth: 'session' } }, async (req) => setupTotp(db, kek, req.webmailSession!.mailbox));
    const codeBody = { body: stringBody(['code'], { code: { type: 'string', maxLength: 16 } }) };
    app.post(`${prefix}/enable`, { config: { webmailAuth: 'session' }, schema: codeBody }, async (req, reply) => {
      await enableTotp(db, kek, req.webmailSession!.mailbox, (req.body as { code: string }).code);
      return reply.code(204).send();
    });
    app.post(`${prefix}/disable`, { config: { webmailAuth: 'session' }, schema: codeBody }, async (req, reply) => {
      await disableTotp(db, kek, req.webmailSession!.mailbox, (req.body as { code: string }).code);
      return reply.code(204).send();
    });
  }

  // ---- vacation reply and filters (Sieve) ----

  const sieveTarget = () => {
    if (!opts.sieve) throw notConfigured('the mail store (ManageSieve)', 'kho thư (ManageSieve)');
    return opts.sieve;
  };
  app.get('/sieve', { config: { webmailAuth: 'session' } }, async (req) => getSieveSettings(sieveTarget(), req.webmailSession!.mailbox));
  app.put(
    '/sieve',
    { config: { webmailAuth: 'session' }, schema: { body: SIEVE_MODEL_SCHEMA, querystring: { type: 'object', properties: { replaceCustom: { type: 'string', enum: ['0', '1'] } } } } },
    async (req) => putSieveSettings(sieveTarget(), req.webmailSession!.mailbox, req.body, { replaceCustom: (req.query as { replaceCustom?: string }).replaceCustom === '1' }),
  );

  // ---- reading ----

  app.get('/folders', { config: { webmailAuth: 'session' } }, async (req) => listFolders(mail(req)));

  app.get(
    '/messages',
    {
      config: { webmailAuth: 'session' },
      schema: {
        querystring: {
          type: 'object',
          properties: {
            folder: { type: 'string', minLength: 1, maxLength: 500, default: 'INBOX' },
            page: { type: 'integer', minimum: 1, maximum: 1_000_000, default: 1 },
            pageSize: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
            sort: { type: 'string', enum: ['date', 'from', 'subject', 'size'], default: 'date' },
            order: { type: 'string', enum: ['asc', 'desc'], default: 'desc' },
            q: { type: 'string', maxLength: 200 },
            from: { type: 'string', maxLength: 200 },
            to: { type: 'string', maxLength: 200 },
            subject: { type: 'string', maxLength: 200 },
            body: { type: 'string', maxLength: 200 },
            since: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
            before: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
            hasAttachment: { type: 'string', enum: ['1', 'true', '0', 'false', ''] },
            thread: { type: 'string', enum: ['1', 'true', '0', 'false', ''] },
          },
        },
      },
    },
    async (req) => {
      const q = req.query as any;
      const yes = (v: unknown) => v === '1' || v === 'true';
      return listMessages(mail(req), { ...q, hasAttachment: yes(q.hasAttachment), thread: yes(q.thread) });
    },
  );

  app.get(
    '/messages/:folder/:uid',
    { config: { webmailAuth: 'session' }, schema: { params: messageParams, querystring: { type: 'object', properties: { allowRemote: { type: 'string' } } } } },
    async (req) => {
      const { folder, uid } = req.params as { folder: string; uid: number };
      const allowRemote = ['1', 'true'].includes((req.query as any).allowRemote);
      const sid = req.webmailSession!.id;
      const { raw, flags, uidValidity } = await fetchMessage(mail(req), folder, uid, { markSeen: true });
      const partPath = `${base}/messages/${encodeURIComponent(folder)}/${uid}/parts/`;
      const rendered = await renderMessage(raw, {
        allowRemote,
        imageProxyUrl: (u) => `${base}/proxy?u=${encodeURIComponent(u)}&sig=${signLink(key, 'proxy', sid, u)}`,
        partUrl: (partId) => `${partPath}${encodeURIComponent(partId)}?inline=1&sig=${signLink(key, 'part', sid, partSubject(folder, uid, partId))}`,
        localDomains: await localDomains(),
        origin: opts.publicOrigin ?? originOf(req),
        ...(opts.hostname ? { authservId: opts.hostname } : {}),
      });
      const checked = await signatures.check({ mailbox: req.webmailSession!.mailbox, folder, uid, ...(uidValidity ? { uidValidity } : {}) }, raw);
      return { ...rendered, references: headerMessageIds(raw, 'references'), folder, uid, flags, signatures: checked.badges };
    },
  );

  app.get(
    '/messages/:folder/:uid/signatures/:part/report',
    {
      config: { webmailAuth: 'session' },
      schema: {
        params: { type: 'object', required: ['folder', 'uid', 'part'], properties: { ...messageParams.properties, part: { type: 'string', pattern: '^(message|\\d{1,4}(\\.\\d{1,4}){0,9})$' } } },
        querystring: { type: 'object', properties: { format: { type: 'string', enum: ['html', 'json', 'pdf'], default: 'html' }, lang: { type: 'string', enum: ['vi', 'en'], default: 'vi' } } },
      },
    },
    async (req, reply) => {
      const { folder, uid, part } = req.params as { folder: string; uid: number; part: string };
      const { format, lang } = req.query as { format: 'html' | 'json' | 'pdf'; lang: 'vi' | 'en' };
      const { raw, uidValidity } = await fetchMessage(mail(req), folder, uid, { markSeen: false });
      const checked = await signatures.check({ mailbox: req.webmailSession!.mailbox, folder, uid, ...(uidValidity ? { uidValidity } : {}) }, raw);
      const report = checked.reports.get(part);
      if (!report) throw new GovmailError('NOT_FOUND', `no signature report for part ${part} of message ${uid}`, `không có báo cáo chữ ký cho phần ${part} của thư ${uid}`, 404);
      reply.header('cache-control', 'private, no-store');
      if (format === 'json') return reply.type('application/json; charset=utf-8').send(reportJson(report));
      if (format === 'pdf') {
        const pdf = Buffer.from(await reportPdf(report));
        return reply.type('application/pdf').header('content-disposition', 'inline; filename="bao-cao-kiem-tra-chu-ky.pdf"').header('content-security-policy', "default-src 'none'; sandbox").send(pdf);
      }
      // The report is signer's own escaped HTML, served as a page of its own: no script may run in it.
      return reply
        .type('text/html; charset=utf-8')
        .header('content-security-policy', "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
        .send(reportHtml(report, lang));
    },
  );

  app.get(
    '/messages/:folder/:uid/parts/:partId',
    {
      config: { webmailAuth: 'link' },
      schema: {
        params: { type: 'object', required: ['folder', 'uid', 'partId'], properties: { ...messageParams.properties, partId: { type: 'string', pattern: '^\\d{1,4}(\\.\\d{1,4}){0,9}$' } } },
        querystring: { type: 'object', properties: { inline: { type: 'string' }, sig: { type: 'string', maxLength: 200 } } },
      },
    },
    async (req, reply) => {
      const { folder, uid, partId } = req.params as { folder: string; uid: number; partId: string };
      const { raw } = await fetchMessage(mail(req), folder, uid, { markSeen: false });
      const part = await extractPart(raw, partId);
      if (!part) throw new GovmailError('NOT_FOUND', `message ${uid} has no part ${partId}`, `thư ${uid} không có phần ${partId}`, 404);
      const headers = partResponseHeaders(part);
      const inline = ['1', 'true'].includes((req.query as any).inline) && INLINE_TYPES.test(headers['Content-Type']);
      if (inline) headers['Content-Disposition'] = headers['Content-Disposition'].replace(/^attachment/, 'inline');
      // Whatever partResponseHeaders says, these two always hold for a part.
      headers['X-Content-Type-Options'] = 'nosniff';
      if (!/\bsandbox\b/.test(headers['Content-Security-Policy'] ?? '')) headers['Content-Security-Policy'] = "default-src 'none'; style-src 'unsafe-inline'; sandbox";
      reply.headers(headers);
      return reply.send(part.content);
    },
  );

  app.get('/messages/:folder/:uid/raw', { config: { webmailAuth: 'session' }, schema: { params: messageParams } }, async (req, reply) => {
    const { folder, uid } = req.params as { folder: string; uid: number };
    const { raw } = await fetchMessage(mail(req), folder, uid, { markSeen: false });
    reply.headers({
      'content-type': 'message/rfc822',
      'content-disposition': `attachment; filename="${uid}.eml"`,
      'content-security-policy': "default-src 'none'; sandbox",
      'cache-control': 'private, no-store',
    });
    return reply.send(raw);
  });

  // ---- changing ----

  app.post('/messages/:folder/flags', { config: { webmailAuth: 'session' }, schema: { params: folderParams, body: uidsBody({ add: { type: 'array' }, remove: { type: 'array' } }) } }, async (req, reply) => {
    const b = req.body as { uids: number[]; add?: string[]; remove?: string[] };
    await setFlags(mail(req), (req.params as any).folder, b.uids, b.add, b.remove);
    return reply.code(204).send();
  });
  app.post('/messages/:folder/move', { config: { webmailAuth: 'session' }, schema: { params: folderParams, body: uidsBody({ to: { type: 'string', minLength: 1, maxLength: 500 } }, ['to']) } }, async (req, reply) => {
    const b = req.body as { uids: number[]; to: string };
    await moveMessages(mail(req), (req.params as any).folder, b.uids, b.to);
    return reply.code(204).send();
  });
  app.post('/messages/:folder/delete', { config: { webmailAuth: 'session' }, schema: { params: folderParams, body: uidsBody() } }, async (req, reply) => {
    await deleteMessages(mail(req), (req.params as any).folder, (req.body as { uids: number[] }).uids);
    return reply.code(204).send();
  });
  app.post('/messages/:folder/spam', { config: { webmailAuth: 'session' }, schema: { params: folderParams, body: uidsBody() } }, async (req, reply) => {
    await markSpam(mail(req), (req.params as any).folder, (req.body as { uids: number[] }).uids);
    return reply.code(204).send();
  });

  // ---- writing ----

  app.post('/uploads', { config: { webmailAuth: 'session' } }, async (req) => {
    const file = await req.file();
    if (!file) throw new GovmailError('INVALID_INPUT', 'send one file as multipart/form-data', 'hãy gửi một tệp dạng multipart/form-data', 400);
    const data = await file.toBuffer();
    return saveUpload(db, req.webmailSession!.mailbox, { filename: file.filename, contentType: file.mimetype, data });
  });

  app.post(
    '/messages/:folder/:uid/forward-attachments',
    {
      config: { webmailAuth: 'session' },
      schema: {
        params: messageParams,
        body: { type: 'object', required: ['parts'], additionalProperties: false, properties: { parts: { type: 'array', minItems: 1, maxItems: 100, uniqueItems: true, items: { type: 'string', pattern: '^\\d{1,4}(\\.\\d{1,4}){0,9}$' } } } },
      },
    },
    async (req) => {
      const { folder, uid } = req.params as { folder: string; uid: number };
      const { raw } = await fetchMessage(mail(req), folder, uid, { markSeen: false });
      return uploadsFromMessage(db, req.webmailSession!.mailbox, raw, (req.body as { parts: string[] }).parts);
    },
  );

  app.post('/send', { config: { webmailAuth: 'session' }, schema: { body: { type: 'object' } } }, async (req) =>
    sendMessage(mail(req), { db, kek, submit: opts.submit, clientIp: req.ip, ...(opts.timestamper ? { timestamper: opts.timestamper } : {}), ...(opts.dataDir ? { dataDir: opts.dataDir } : {}) }, req.body as OutgoingBody),
  );

  app.get('/certificates', { config: { webmailAuth: 'session' } }, async (req) =>
    (await holderSigningCertificates(db, req.webmailSession!.mailbox)).map((c) => ({ serial: c.serial, commonName: c.commonName, subject: c.subject, notAfter: c.notAfter.toISOString(), profile: c.profile })),
  );

  app.post('/drafts', { config: { webmailAuth: 'session' }, schema: { body: { type: 'object' } } }, async (req) => saveDraft(mail(req), { db }, req.body as OutgoingBody));

  app.get('/identities', { config: { webmailAuth: 'session' } }, async (req) => identities(db, req.webmailSession!.mailbox));

  app.get('/directory', { config: { webmailAuth: 'session' }, schema: { querystring: { type: 'object', properties: { q: { type: 'string', maxLength: 200 }, limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 } } } } }, async (req) => {
    const { q = '', limit } = req.query as { q?: string; limit: number };
    return searchDirectory(db, q, limit);
  });

  // ---- push and images ----

  app.get('/events', { config: { webmailAuth: 'session' } }, async (req, reply) => {
    if (!opts.imap) throw notConfigured('the mail store (IMAP)', 'kho thư (IMAP)');
    const session = req.webmailSession!;
    const open = eventStreams.get(session.id) ?? 0;
    // One per tab is plenty; a runaway page must not pin IMAP connections.
    if (open >= 5) throw new GovmailError('TOO_MANY_STREAMS', 'too many open event streams for this session', 'phiên này mở quá nhiều luồng sự kiện', 429);
    eventStreams.set(session.id, open + 1);
    let ending: (() => void) | undefined;
    reply.hijack();
    await streamMailEvents({
      target: opts.imap,
      mailbox: session.mailbox,
      res: reply.raw,
      headers: { 'content-security-policy': API_CSP, ...SECURITY_HEADERS },
      sessionAlive: async () => {
        const live = await findSessionById(db, session.id);
        return !!live && (await mailboxStillThere(live));
      },
      register: (end) => {
        ending = end;
        openStreams.add(end);
      },
      onClose: () => {
        if (ending) openStreams.delete(ending);
        const n = (eventStreams.get(session.id) ?? 1) - 1;
        if (n > 0) eventStreams.set(session.id, n);
        else eventStreams.delete(session.id);
      },
    });
  });

  app.get(
    '/proxy',
    { config: { webmailAuth: 'link' }, schema: { querystring: { type: 'object', required: ['u', 'sig'], properties: { u: { type: 'string', maxLength: 4000 }, sig: { type: 'string', maxLength: 200 } } } } },
    async (req, reply) => {
      const image = await fetchRemoteImage((req.query as { u: string }).u);
      reply.headers({
        'content-type': image.contentType,
        'content-security-policy': "default-src 'none'; sandbox",
        'cache-control': 'private, max-age=3600',
      });
      return reply.send(image.body);
    },
  );
}

/** The origin the browser used, for absolute links in the message frame (set publicOrigin behind a proxy). */
function originOf(req: FastifyRequest): string | undefined {
  const host = req.headers.host;
  if (!host || !/^[A-Za-z0-9.[\]:-]+$/.test(host)) return undefined;
  const proto = req.headers['x-forwarded-proto'] === 'https' ? 'https' : req.protocol;
  return `${proto}://${host}`;
}
