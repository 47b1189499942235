import Fastify from 'fastify';
import type { Sequelize } from '../core/db.js';
import type { Config } from '../core/config.js';
import type { RunningService } from '../core/service.js';

/** The one HTTP server: health now; signer (/pki), admin and webmail routes mount here. */
export async function startHttp(config: Config, db: Sequelize): Promise<RunningService> {
  const app = Fastify({ logger: false, bodyLimit: 30 * 1024 * 1024 });
  app.get('/healthz', async (_req, reply) => {
    try {
      await db.query('SELECT 1');
      return { status: 'ok' };
    } catch {
      return reply.code(503).send({ status: 'database unavailable' });
    }
  });
  await app.listen({ host: config.listenHost, port: config.httpPort });
  return { name: 'http', listening: [`HTTP ${config.listenHost}:${config.httpPort}`], stop: () => app.close() };
}
