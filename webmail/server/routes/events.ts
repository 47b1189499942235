import type { FastifyInstance } from 'fastify';
import { GovmailError } from '../../../core/errors.js';
import { notConfigured } from '../errors.js';
import { findSessionById } from '../sessions.js';
import { streamMailEvents } from '../events.js';
import { API_CSP, SECURITY_HEADERS, type WebmailContext } from './context.js';

/** New-mail events (server-sent), at most 5 open streams per session. */
export function eventRoutes(app: FastifyInstance, ctx: WebmailContext): void {
  const { db, opts, eventStreams, openStreams } = ctx;

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
        return !!live && (await ctx.mailboxStillThere(live));
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
}
