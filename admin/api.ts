import type { FastifyInstance, FastifyRequest, FastifyReply, FastifyError } from 'fastify';
import cookie from '@fastify/cookie';
import { GovmailError, InvalidInputError } from '../core/errors.js';
import { can, scopeOf } from './roles.js';
import { sessionPrincipal, tokenPrincipal } from './auth.js';
import type { AdminRouteOptions } from './routes/context.js';
import { SESSION_COOKIE, sessionRoutes } from './routes/session.js';
import { agencyRoutes } from './routes/agencies.js';
import { mailboxRoutes } from './routes/mailboxes.js';
import { grantRoutes } from './routes/grants.js';
import { auditRoutes } from './routes/audit.js';
import { reportRoutes } from './routes/reports.js';
import { certificateRoutes } from './routes/certificates.js';
import { spamFilterRoutes } from './routes/spam-filter.js';

export type { Access, AdminRouteOptions } from './routes/context.js';
export type { SpamFilterStatus, SpamFilterHealth, ScanSettings } from './routes/spam-filter.js';

/**
 * The admin REST API. Authorisation lives in one place: every route under /api/admin declares
 * `config.access` — the action and how to find the agency it touches — and the preHandler below
 * checks it with `can`. A route that forgets to declare access is refused at start-up. The routes
 * themselves live in admin/routes/, a file per resource.
 */
export async function adminRoutes(app: FastifyInstance, opts: AdminRouteOptions): Promise<void> {
  await app.register(cookie);

  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/api/admin/') && !(route.config as any)?.access) {
      throw new Error(`admin route ${route.method} ${route.url} declares no access rule`);
    }
  });
  app.addHook('preHandler', (req, reply) => checkAccess(opts, req, reply));
  app.setErrorHandler((err: FastifyError | GovmailError, _req, reply) => sendError(app, err, reply));

  sessionRoutes(app, opts);
  agencyRoutes(app, opts);
  mailboxRoutes(app, opts);
  grantRoutes(app, opts);
  auditRoutes(app, opts);
  reportRoutes(app, opts);
  certificateRoutes(app, opts);
  spamFilterRoutes(app, opts);
}

/** Who is calling (API token or session cookie + CSRF token) and may they do the route's action there. */
async function checkAccess(opts: AdminRouteOptions, req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const { db } = opts;
  const access = req.routeOptions.config.access;
  if (!access) return;
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) {
    req.principal = await tokenPrincipal(db, auth.slice(7).trim());
  } else {
    const sid = req.cookies?.[SESSION_COOKIE];
    const session = sid ? await sessionPrincipal(db, sid) : undefined;
    if (session) {
      // Cookies ride along on cross-site requests; a state change must also carry the session's CSRF token.
      if (req.method !== 'GET' && req.headers['x-csrf-token'] !== session.csrfToken) {
        return reply.code(403).send({ error: { code: 'CSRF', message: 'missing or wrong X-CSRF-Token', messageVi: 'thiếu hoặc sai X-CSRF-Token' } });
      }
      req.principal = session.principal;
    }
  }
  if (!req.principal) {
    return reply.code(401).send({ error: { code: 'UNAUTHENTICATED', message: 'log in or send a valid API token', messageVi: 'cần đăng nhập hoặc mã truy cập API hợp lệ' } });
  }
  const targets = await access.targets(req, db);
  // No specific target (lists, "me"): the caller must hold the action somewhere; lists then filter by scope.
  const allowed = targets.length ? targets.every((t) => can(req.principal!, access.action, t)) : scopeOf(req.principal!, access.action).length > 0;
  if (!allowed) {
    return reply.code(403).send({ error: { code: 'FORBIDDEN', message: `not allowed: ${access.action} outside your scope`, messageVi: `không được phép: ${access.action} ngoài phạm vi quản lý` } });
  }
}

/** Our errors with their code and both messages; schema failures naming the field; anything else logged. */
function sendError(app: FastifyInstance, err: FastifyError | GovmailError, reply: FastifyReply) {
  if (err instanceof GovmailError) {
    const field = err instanceof InvalidInputError ? err.field : undefined;
    return reply.code(err.status).send({ error: { code: err.code, message: err.message, messageVi: err.messageVi, field } });
  }
  const validation = (err as FastifyError).validation?.[0];
  if (validation) {
    // Name the field so forms can show the error next to it.
    const field = (validation.params as any)?.missingProperty ?? validation.instancePath.replace(/^\//, '').split('/')[0] ?? undefined;
    return reply.code(400).send({ error: { code: 'INVALID_INPUT', message: err.message, messageVi: `dữ liệu không hợp lệ: ${err.message}`, field } });
  }
  app.log.error(err);
  return reply.code(500).send({ error: { code: 'INTERNAL', message: 'internal error', messageVi: 'lỗi hệ thống' } });
}
