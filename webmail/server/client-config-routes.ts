import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Sequelize } from 'sequelize';
import { isLocalDomain } from '../../admin/index.js';
import { autodiscoverAddress, outlookAutodiscover, thunderbirdConfig, type MailEndpoints } from './client-config.js';

/**
 * The public autoconfiguration URLs, at the root of the HTTP service (clients find them from the address
 * alone: Thunderbird at autoconfig.<domain> or <domain>/.well-known, Outlook at autodiscover.<domain>).
 * They answer only for our own domains and say nothing about whether a mailbox exists.
 */
export async function clientConfigRoutes(app: FastifyInstance, opts: { db: Sequelize; endpoints: MailEndpoints }): Promise<void> {
  const notOurs = (reply: FastifyReply, domain: string) =>
    reply.code(404).type('text/plain; charset=utf-8').send(`Tên miền "${domain}" không do máy chủ này phục vụ / "${domain}" is not a mail domain of this server\n`);

  const thunderbird = async (req: { query: unknown; headers: Record<string, unknown> }, reply: FastifyReply) => {
    const email = String((req.query as { emailaddress?: string }).emailaddress ?? '');
    const host = String(req.headers.host ?? '').replace(/:\d+$/, '').replace(/^autoconfig\./i, '');
    const domain = (email.includes('@') ? email.slice(email.lastIndexOf('@') + 1) : host).toLowerCase();
    if (!domain || !(await isLocalDomain(opts.db, domain))) return notOurs(reply, domain);
    return reply.type('application/xml; charset=utf-8').send(thunderbirdConfig(opts.endpoints, domain));
  };
  app.get('/.well-known/autoconfig/mail/config-v1.1.xml', thunderbird);
  app.get('/mail/config-v1.1.xml', thunderbird);

  app.addContentTypeParser(['text/xml', 'application/xml'], { parseAs: 'string', bodyLimit: 16 * 1024 }, (_req, body, done) => done(null, body));
  const outlook = async (req: { body: unknown }, reply: FastifyReply) => {
    const email = autodiscoverAddress(typeof req.body === 'string' ? req.body : '');
    if (!email) {
      return reply.code(400).type('text/plain; charset=utf-8').send('Cần yêu cầu autodiscover có <EMailAddress> / expected an autodiscover request with <EMailAddress>\n');
    }
    const domain = email.slice(email.lastIndexOf('@') + 1);
    if (!(await isLocalDomain(opts.db, domain))) return notOurs(reply, domain);
    return reply.type('application/xml; charset=utf-8').send(outlookAutodiscover(opts.endpoints, email));
  };
  for (const url of ['/autodiscover/autodiscover.xml', '/Autodiscover/Autodiscover.xml']) app.post(url, outlook);
}
