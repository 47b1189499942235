import type { FastifyInstance } from 'fastify';
import type { TimeStampAuthority } from './authority.js';

/** A TimeStampReq is about 100 bytes; anything near this limit is not one. */
export const MAX_TSA_REQUEST_BYTES = 16 * 1024;

/**
 * POST /pki/tsa (RFC 3161 §3.4). Registered as its own plugin so its catch-all body parser (any type
 * read as bytes, then checked here to answer 415 in both languages) does not reach the other routes.
 */
export async function tsaRoutes(app: FastifyInstance, o: { authority: TimeStampAuthority }): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_TSA_REQUEST_BYTES }, (_req, body, done) => done(null, body));
  app.post('/pki/tsa', { schema: { hide: true } }, async (req, reply) => {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/timestamp-query') {
      return reply.code(415).type('text/plain; charset=utf-8').send(`Cần Content-Type application/timestamp-query / expected Content-Type application/timestamp-query (got "${type}")\n`);
    }
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    return reply.type('application/timestamp-reply').header('cache-control', 'no-store').send(await o.authority.respond(body));
  });
}
