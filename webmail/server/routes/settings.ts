import type { FastifyInstance } from 'fastify';
import { notConfigured } from '../errors.js';
import { getSieveSettings, putSieveSettings } from '../sieve.js';
import { SIEVE_MODEL_SCHEMA } from '../sieve-script.js';
import type { WebmailContext } from './context.js';

/** The vacation reply and the filters (Sieve, over ManageSieve). */
export function settingsRoutes(app: FastifyInstance, ctx: WebmailContext): void {
  const sieveTarget = () => {
    if (!ctx.opts.sieve) throw notConfigured('the mail store (ManageSieve)', 'kho thư (ManageSieve)');
    return ctx.opts.sieve;
  };
  app.get('/sieve', { config: { webmailAuth: 'session' } }, async (req) => getSieveSettings(sieveTarget(), req.webmailSession!.mailbox));
  app.put(
    '/sieve',
    { config: { webmailAuth: 'session' }, schema: { body: SIEVE_MODEL_SCHEMA, querystring: { type: 'object', properties: { replaceCustom: { type: 'string', enum: ['0', '1'] } } } } },
    async (req) => putSieveSettings(sieveTarget(), req.webmailSession!.mailbox, req.body, { replaceCustom: (req.query as { replaceCustom?: string }).replaceCustom === '1' }),
  );
}
