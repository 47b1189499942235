import type { FastifyInstance, FastifyRequest } from 'fastify';
import { renderMessage } from '../render.js';
import { deleteMessages, fetchMessage, listFolders, listMessages, markNotSpam, markSpam, moveMessages, setFlags } from '../messages.js';
import { partSubject, signLink } from '../links.js';
import { headerMessageIds } from '../headers.js';
import { folderParams, messageParams, uidsBody, type WebmailContext } from './context.js';

const listQuery = {
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
} as const;

/** Folders, the message list, one message (rendered for the sandboxed frame) and its raw source. */
export function readingRoutes(app: FastifyInstance, ctx: WebmailContext): void {
  const { base, key, mail } = ctx;

  app.get('/folders', { config: { webmailAuth: 'session' } }, async (req) => listFolders(mail(req)));

  app.get('/messages', { config: { webmailAuth: 'session' }, schema: { querystring: listQuery } }, async (req) => {
    const q = req.query as any;
    const yes = (v: unknown) => v === '1' || v === 'true';
    return listMessages(mail(req), { ...q, hasAttachment: yes(q.hasAttachment), thread: yes(q.thread) });
  });

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
        localDomains: await ctx.localDomains(),
        origin: ctx.opts.publicOrigin ?? originOf(req),
        ...(ctx.opts.hostname ? { authservId: ctx.opts.hostname } : {}),
      });
      const checked = await ctx.signatures.check({ mailbox: req.webmailSession!.mailbox, folder, uid, ...(uidValidity ? { uidValidity } : {}) }, raw);
      return { ...rendered, references: headerMessageIds(raw, 'references'), folder, uid, flags, signatures: checked.badges };
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
}

/** Flags, move, delete (to Trash), spam (to Junk) and not spam (back to INBOX) on a set of messages in one folder. */
export function changingRoutes(app: FastifyInstance, ctx: WebmailContext): void {
  const { mail } = ctx;

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
  app.post('/messages/:folder/not-spam', { config: { webmailAuth: 'session' }, schema: { params: folderParams, body: uidsBody() } }, async (req, reply) => {
    await markNotSpam(mail(req), (req.params as any).folder, (req.body as { uids: number[] }).uids);
    return reply.code(204).send();
  });
}

/** The origin the browser used, for absolute links in the message frame (set publicOrigin behind a proxy). */
function originOf(req: FastifyRequest): string | undefined {
  const host = req.headers.host;
  if (!host || !/^[A-Za-z0-9.[\]:-]+$/.test(host)) return undefined;
  const proto = req.headers['x-forwarded-proto'] === 'https' ? 'https' : req.protocol;
  return `${proto}://${host}`;
}
