import type { FastifyInstance } from 'fastify';
import { GovmailError } from '../../../core/errors.js';
import { extractPart, partResponseHeaders } from '../render.js';
import { fetchMessage } from '../messages.js';
import { fetchRemoteImage } from '../proxy.js';
import { messageParams, PART_ID_PATTERN, type WebmailContext } from './context.js';

/** Parts a browser may show in place (?inline=1); everything else is a download. SVG never: it is a document. */
const INLINE_TYPES = /^(image\/(png|jpeg|gif|webp|bmp|avif)|application\/pdf)$/;

/** What the sandboxed message frame loads by signed link: a message's parts and proxied remote images. */
export function frameRoutes(app: FastifyInstance, ctx: WebmailContext): void {
  app.get(
    '/messages/:folder/:uid/parts/:partId',
    {
      config: { webmailAuth: 'link' },
      schema: {
        params: { type: 'object', required: ['folder', 'uid', 'partId'], properties: { ...messageParams.properties, partId: { type: 'string', pattern: PART_ID_PATTERN } } },
        querystring: { type: 'object', properties: { inline: { type: 'string' }, sig: { type: 'string', maxLength: 200 } } },
      },
    },
    async (req, reply) => {
      const { folder, uid, partId } = req.params as { folder: string; uid: number; partId: string };
      const { raw } = await fetchMessage(ctx.mail(req), folder, uid, { markSeen: false });
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
