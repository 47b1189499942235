import { loadConfig } from '../core/config.js';
import { connect, migrate } from '../core/db.js';
import { logger } from '../core/log.js';
import { startEmbeddedPostgres } from '../core/embedded-postgres.js';
import { serviceIdentity, dropPrivileges, isRoot } from '../core/privileges.js';
import { startInOrder, stopInReverse, type RunningService } from '../core/service.js';
import { ensureDebianPackages } from './packages.js';
import { prepareDataDir } from './context.js';
import { allMigrations } from './migrations.js';
import { startHttp } from './http.js';

/**
 * `govmail start`: everything in one process tree, in the foreground. As root it installs what is
 * missing, hands the data folder to the service user and then drops to that user for good.
 */
export async function runStart(opts: { data?: string }): Promise<void> {
  const config = loadConfig({ dataDir: opts.data });
  const identity = serviceIdentity(config.serviceUser);
  if (isRoot()) ensureDebianPackages();
  prepareDataDir(config, identity);
  dropPrivileges(identity);
  const log = logger();

  let dbUrl = config.databaseUrl;
  const services = await startInOrder([
    async () => {
      if (dbUrl) return { name: 'postgres', listening: ['PostgreSQL (external, DATABASE_URL)'], stop: async () => undefined };
      const pg = await startEmbeddedPostgres(config.dataDir, config.embeddedPgPort, identity);
      dbUrl = pg.url;
      return { name: 'postgres', listening: [`PostgreSQL 127.0.0.1:${pg.port} (embedded)`], stop: pg.stop };
    },
    async () => {
      const db = connect(dbUrl!);
      await migrate(db, allMigrations());
      const http = await startHttp(config, db);
      return { ...http, stop: async () => { await http.stop(); await db.close(); } };
    },
  ]);

  for (const s of services) for (const line of s.listening) process.stdout.write(`  ${line}\n`);
  process.stdout.write('govmail ready\n');

  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      log.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  });
  await stopInReverse(services as RunningService[]);
  process.stdout.write('govmail stopped\n');
}
