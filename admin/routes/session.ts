import type { FastifyInstance } from 'fastify';
import { login, logout } from '../auth.js';
import type { AdminRouteOptions } from './context.js';

/** The admin session cookie; the API's preHandler reads it too. */
export const SESSION_COOKIE = 'gm_admin';

/** Log in, log out and "who am I". */
export function sessionRoutes(app: FastifyInstance, opts: AdminRouteOptions): void {
  const { db } = opts;

  app.post('/api/session', {
    schema: { body: { type: 'object', required: ['username', 'password'], properties: { username: { type: 'string', maxLength: 320 }, password: { type: 'string', maxLength: 1024 } } } },
  }, async (req, reply) => {
    const { username, password } = req.body as { username: string; password: string };
    const session = await login(db, username, password, req.ip);
    if (!session) return reply.code(401).send({ error: { code: 'LOGIN_FAILED', message: 'wrong address or password', messageVi: 'sai địa chỉ hoặc mật khẩu' } });
    reply.setCookie(SESSION_COOKIE, session.sessionId, { path: '/', httpOnly: true, sameSite: 'strict', secure: opts.secureCookies });
    return { user: session.principal.id, grants: session.principal.grants, csrfToken: session.csrfToken };
  });

  app.delete('/api/session', async (req, reply) => {
    const sid = req.cookies?.[SESSION_COOKIE];
    if (sid) await logout(db, sid);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return { ok: true };
  });

  app.get('/api/admin/me', { config: { access: { action: 'agency.read', targets: async () => [] } } }, async (req) => ({ user: req.principal!.id, grants: req.principal!.grants, kind: req.principal!.kind }));
}
