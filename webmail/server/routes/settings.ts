import type { FastifyInstance } from 'fastify';
import { notConfigured } from '../errors.js';
import { getSieveSettings, putSieveSettings } from '../sieve.js';
import { SIEVE_MODEL_SCHEMA } from '../sieve-script.js';
import { appleMobileconfig } from '../client-config.js';
import { getMailbox } from '../../../admin/index.js';
import type { WebmailContext } from './context.js';

/** The vacation reply and the filters (Sieve, over ManageSieve); the Apple Mail profile for one's own mailbox. */
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
  // iPhone, iPad and Mac Mail: a profile with this mailbox's IMAP and submission; the password is asked on the device.
  app.get('/client-config.mobileconfig', { config: { webmailAuth: 'session' } }, async (req, reply) => {
    if (!ctx.opts.endpoints) throw notConfigured('the mail endpoints', 'địa chỉ máy chủ thư');
    const address = req.webmailSession!.mailbox;
    const name = (await getMailbox(ctx.opts.db, address))?.display_name || address;
    return reply
      .type('application/x-apple-aspen-config; charset=utf-8')
      .header('content-disposition', `attachment; filename="${address.replace(/[^A-Za-z0-9._-]/g, '_')}.mobileconfig"`)
      .send(appleMobileconfig(ctx.opts.endpoints, address, name));
  });
}
