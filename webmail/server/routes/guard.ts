import { timingSafeEqual } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GovmailError } from '../../../core/errors.js';
import { PinError } from '../../../signer/index.js';
import { wireError, unauthenticated, totpPending, csrfRefused, badSignature, passwordChangeRequired } from '../errors.js';
import { deleteSession, findSession, findSessionById } from '../sessions.js';
import { MailboxLoginRefused } from '../imap-pool.js';
import { partSubject, verifyLink } from '../links.js';
import { API_CSP, COOKIE, SECURITY_HEADERS, type WebmailContext } from './context.js';

/**
 * All a session may do while its mailbox must first replace an initial or reset password; every other
 * route, including any added later, answers PASSWORD_CHANGE_REQUIRED. Paths are relative to the prefix.
 */
const BEFORE_PASSWORD_CHANGE = new Set(['/session', '/logout', '/password', ...['/settings/totp', '/totp'].flatMap((p) => [p, `${p}/setup`, `${p}/enable`, `${p}/disable`])]);

const sameToken = (a: string | undefined, b: string) => typeof a === 'string' && a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * What holds for every webmail route, in one place: each declares how it is authenticated (refused at
 * start-up otherwise), the check itself, the security headers, and one error format.
 */
export function guardRoutes(app: FastifyInstance, ctx: WebmailContext): void {
  app.addHook('onClose', async () => ctx.pool?.closeAll());
  // An event stream never ends by itself; without this, closing the app would wait for every browser.
  app.addHook('preClose', async () => {
    for (const end of [...ctx.openStreams]) end();
  });
  app.addHook('onRoute', (route) => {
    if (!(route.config as any)?.webmailAuth) throw new Error(`webmail route ${route.method} ${route.url} declares no webmailAuth`);
  });
  app.addHook('preHandler', async (req) => authenticateRequest(ctx, req));
  app.addHook('onSend', async (_req, reply, payload) => {
    if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', API_CSP);
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });
  app.setErrorHandler(async (err: FastifyError | GovmailError, req, reply) => sendError(ctx, err, req, reply));

  const noSuchApi = async (req: FastifyRequest, reply: FastifyReply) =>
    reply.code(404).send(wireError(new GovmailError('NOT_FOUND', `no such API: ${req.method} ${req.url.split('?')[0]}`, `không có API này: ${req.method} ${req.url.split('?')[0]}`, 404)));
  app.setNotFoundHandler(noSuchApi);
  // The web client's catch-all (/webmail/*) would otherwise answer unknown API paths with its page.
  app.all('/*', { config: { webmailAuth: 'none' } }, noSuchApi);
}

async function authenticateRequest(ctx: WebmailContext, req: FastifyRequest): Promise<void> {
  const { db } = ctx;
  const auth = req.routeOptions.config.webmailAuth;
  if (auth === 'none') return;
  const sig = (req.query as any)?.sig;
  if (auth === 'link' && typeof sig === 'string' && sig) {
    // Loaded by the message frame: the signed link names its session; the cookie is not there.
    const subject = req.routeOptions.url?.endsWith('/proxy')
      ? String((req.query as any).u ?? '')
      : partSubject((req.params as any).folder, Number((req.params as any).uid), (req.params as any).partId);
    const sid = verifyLink(ctx.key, req.routeOptions.url?.endsWith('/proxy') ? 'proxy' : 'part', sig, subject);
    const session = sid && (await findSessionById(db, sid));
    if (!session || !(await ctx.mailboxStillThere(session))) throw badSignature();
    if (session.mustChangePassword) throw passwordChangeRequired();
    req.webmailSession = session;
    return;
  }
  if (req.routeOptions.url?.endsWith('/proxy')) throw badSignature();
  const token = req.cookies[COOKIE];
  const session = token ? await findSession(db, token) : undefined;
  if (!session || !(await ctx.mailboxStillThere(session))) throw unauthenticated();
  if (!session.totpVerified) throw totpPending();
  // A cookie rides along with cross-site requests too; a change must also prove it comes from our page.
  if (req.method !== 'GET' && req.method !== 'HEAD' && !sameToken(req.headers['x-csrf-token'] as string | undefined, session.csrfToken)) throw csrfRefused();
  if (session.mustChangePassword && !BEFORE_PASSWORD_CHANGE.has(req.routeOptions.url?.slice(ctx.base.length) ?? '')) throw passwordChangeRequired();
  req.webmailSession = session;
}

async function sendError(ctx: WebmailContext, err: FastifyError | GovmailError, req: FastifyRequest, reply: FastifyReply) {
  if (err instanceof MailboxLoginRefused && req.webmailSession) {
    // The mailbox was suspended or archived since login: the session ends here.
    await deleteSession(ctx.db, req.webmailSession.id).catch(() => undefined);
    ctx.pool?.drop(req.webmailSession.id);
    ctx.clearCookie(req, reply);
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
  ctx.log.error({ err: fe.message, stack: fe.stack, url: req.url }, 'webmail request failed');
  return reply.code(500).send({ error: { code: 'INTERNAL', vi: 'lỗi hệ thống', en: 'internal error' } });
}
