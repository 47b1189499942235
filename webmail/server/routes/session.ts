import type { FastifyInstance } from 'fastify';
import { GovmailError } from '../../../core/errors.js';
import { authenticate, changePassword, mustChangePassword } from '../../../admin/index.js';
import { tooManyAttempts, loginFailed } from '../errors.js';
import { createSession, deleteSession, deleteSessionOf, findSession, listSessions, passwordChanged } from '../sessions.js';
import { clearAccountFailures, loginThrottled, recordLoginFailure, WINDOW_MINUTES } from '../login-throttle.js';
import { disableTotp, enableTotp, setupTotp, totpEnabled, verifyLoginCode } from '../totp.js';
import { COOKIE, stringBody, type WebmailContext } from './context.js';

const loginBody = { type: 'object', properties: { username: { type: 'string', maxLength: 320 }, password: { type: 'string', maxLength: 1024 }, totp: { type: 'string', maxLength: 16 } } } as const;

/** Login (with the second step), the current session, logout and the password change. */
export function sessionRoutes(app: FastifyInstance, ctx: WebmailContext): void {
  const { db, kek, pool } = ctx;

  app.post('/login', { config: { webmailAuth: 'none' }, schema: { body: loginBody } }, async (req, reply) => {
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
      ctx.setCookie(req, reply, token);
      return { csrfToken: session.csrfToken, user: await ctx.userOf(address), totpRequired: true };
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
    ctx.setCookie(req, reply, token);
    return { csrfToken: session.csrfToken, user: await ctx.userOf(address), ...(mustChange ? { mustChangePassword: true } : {}) };
  });

  app.get('/session', { config: { webmailAuth: 'session' } }, async (req) => ({
    csrfToken: req.webmailSession!.csrfToken,
    user: await ctx.userOf(req.webmailSession!.mailbox),
    ...(req.webmailSession!.mustChangePassword ? { mustChangePassword: true } : {}),
  }));

  app.post('/logout', { config: { webmailAuth: 'session' } }, async (req, reply) => {
    await deleteSession(db, req.webmailSession!.id);
    pool?.drop(req.webmailSession!.id);
    ctx.clearCookie(req, reply);
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
}

/** The signed-in devices (and signing one out remotely) and the two-step login settings. */
export function securityRoutes(app: FastifyInstance, ctx: WebmailContext): void {
  const { db, kek, pool } = ctx;

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
    if (id === req.webmailSession!.id) ctx.clearCookie(req, reply);
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
}
