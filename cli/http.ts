import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import type { Sequelize } from '../core/db.js';
import type { Config } from '../core/config.js';
import type { RunningService } from '../core/service.js';
import { adminRoutes, mailboxAgency, tokenPrincipal } from '../admin/index.js';
import { serveSpa } from './ui.js';
import { usageSources } from './reports.js';
import { pkiRoutes, signingRoutes } from '../signer/index.js';
import { loadKek } from '../core/kek.js';
import { pkiBaseUrl } from '../core/config.js';

/** The one HTTP app: health, the admin API and its OpenAPI document; signer (/pki) and webmail mount here too. */
export async function buildHttpApp(config: Config, db: Sequelize): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: 30 * 1024 * 1024, trustProxy: false });
  await app.register(swagger, {
    openapi: {
      info: { title: 'GovMail API', version: '0.1.0', description: 'Thư công vụ và chữ ký số / official mail and digital signatures' },
      components: { securitySchemes: { token: { type: 'http', scheme: 'bearer' }, session: { type: 'apiKey', in: 'cookie', name: 'gm_admin' } } },
    },
  });
  app.get('/healthz', async (_req, reply) => {
    try {
      await db.query('SELECT 1');
      return { status: 'ok' };
    } catch {
      return reply.code(503).send({ status: 'database unavailable' });
    }
  });
  const kek = loadKek(config.dataDir);
  const signer = { kek, pkiUrl: pkiBaseUrl(config), dataDir: config.dataDir };
  await app.register(adminRoutes, { db, defaultQuota: config.defaultQuota, secureCookies: false, usage: usageSources(db), signer });
  await app.register(pkiRoutes, { db, kek, pkiUrl: signer.pkiUrl, dataDir: config.dataDir });
  await app.register(signingRoutes, { db, kek, pkiUrl: signer.pkiUrl, dataDir: config.dataDir, tsaUrl: config.tsaUrl, directory: { tokenPrincipal, mailboxAgency } });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await serveSpa(app, '/admin/', 'admin');
  app.get('/admin', async (_req, reply) => reply.redirect('/admin/'));
  return app;
}

export async function startHttp(config: Config, db: Sequelize): Promise<RunningService> {
  const app = await buildHttpApp(config, db);
  await app.listen({ host: config.listenHost, port: config.httpPort });
  return { name: 'http', listening: [`HTTP ${config.listenHost}:${config.httpPort}`], stop: () => app.close() };
}
