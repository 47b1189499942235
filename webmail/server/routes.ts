import type { FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import multipart from '@fastify/multipart';
import { webmailContext, type WebmailOptions } from './routes/context.js';
import { guardRoutes } from './routes/guard.js';
import { securityRoutes, sessionRoutes } from './routes/session.js';
import { settingsRoutes } from './routes/settings.js';
import { changingRoutes, readingRoutes } from './routes/messages.js';
import { signatureRoutes } from './routes/signatures.js';
import { frameRoutes } from './routes/frame.js';
import { composeRoutes } from './routes/compose.js';
import { eventRoutes } from './routes/events.js';

export { COOKIE, API_CSP, type WebmailOptions } from './routes/context.js';

/**
 * The webmail HTTP API (webmail/API.md), mounted at /webmail/api. Routes stay thin: each names how it
 * is authenticated, and the work happens in the modules it calls. The routes live in routes/, a file
 * per resource; routes/guard.ts holds what every route shares (authentication, headers, errors).
 *
 * Authentication: the `gm_webmail` cookie (HttpOnly, SameSite=Strict, Secure behind TLS) names a
 * session in PostgreSQL; every request that changes something also carries the session's CSRF token
 * in `x-csrf-token`. What the sandboxed message frame loads (inline parts, proxied images) carries no
 * cookie, so those links are signed for their session instead (links.ts).
 */
export async function webmailRoutes(app: FastifyInstance, opts: WebmailOptions): Promise<void> {
  const ctx = webmailContext(opts, app.prefix);
  await app.register(cookie);
  await app.register(multipart, { limits: { fileSize: opts.maxUploadBytes ?? 25 * 1024 * 1024, files: 1, fields: 5, parts: 6 } });
  guardRoutes(app, ctx);

  sessionRoutes(app, ctx);
  securityRoutes(app, ctx);
  settingsRoutes(app, ctx);
  readingRoutes(app, ctx);
  signatureRoutes(app, ctx);
  frameRoutes(app, ctx);
  changingRoutes(app, ctx);
  composeRoutes(app, ctx);
  eventRoutes(app, ctx);
}
