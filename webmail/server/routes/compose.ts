import type { FastifyInstance } from 'fastify';
import { GovmailError } from '../../../core/errors.js';
import { searchDirectory } from '../../../admin/index.js';
import { fetchMessage } from '../messages.js';
import { identities, saveDraft, sendMessage, type OutgoingBody } from '../send.js';
import { saveUpload, uploadsFromMessage } from '../uploads.js';
import { messageParams, PART_ID_PATTERN, type WebmailContext } from './context.js';

const forwardSchema = {
  params: messageParams,
  body: { type: 'object', required: ['parts'], additionalProperties: false, properties: { parts: { type: 'array', minItems: 1, maxItems: 100, uniqueItems: true, items: { type: 'string', pattern: PART_ID_PATTERN } } } },
} as const;

/** Writing: attachments (uploaded or forwarded), send, drafts, the sender identities and the address book. */
export function composeRoutes(app: FastifyInstance, ctx: WebmailContext): void {
  const { db, kek, opts, mail } = ctx;

  app.post('/uploads', { config: { webmailAuth: 'session' } }, async (req) => {
    const file = await req.file();
    if (!file) throw new GovmailError('INVALID_INPUT', 'send one file as multipart/form-data', 'hãy gửi một tệp dạng multipart/form-data', 400);
    const data = await file.toBuffer();
    return saveUpload(db, req.webmailSession!.mailbox, { filename: file.filename, contentType: file.mimetype, data });
  });

  app.post('/messages/:folder/:uid/forward-attachments', { config: { webmailAuth: 'session' }, schema: forwardSchema }, async (req) => {
    const { folder, uid } = req.params as { folder: string; uid: number };
    const { raw } = await fetchMessage(mail(req), folder, uid, { markSeen: false });
    return uploadsFromMessage(db, req.webmailSession!.mailbox, raw, (req.body as { parts: string[] }).parts);
  });

  app.post('/send', { config: { webmailAuth: 'session' }, schema: { body: { type: 'object' } } }, async (req) =>
    sendMessage(mail(req), { db, kek, submit: opts.submit, clientIp: req.ip, ...(opts.timestamper ? { timestamper: opts.timestamper } : {}), ...(opts.dataDir ? { dataDir: opts.dataDir } : {}) }, req.body as OutgoingBody),
  );

  app.post('/drafts', { config: { webmailAuth: 'session' }, schema: { body: { type: 'object' } } }, async (req) => saveDraft(mail(req), { db }, req.body as OutgoingBody));

  app.get('/identities', { config: { webmailAuth: 'session' } }, async (req) => identities(db, req.webmailSession!.mailbox));

  app.get('/directory', { config: { webmailAuth: 'session' }, schema: { querystring: { type: 'object', properties: { q: { type: 'string', maxLength: 200 }, limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 } } } } }, async (req) => {
    const { q = '', limit } = req.query as { q?: string; limit: number };
    return searchDirectory(db, q, limit);
  });
}
