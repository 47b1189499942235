import { mkdirSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { loadConfig, type Config } from '../core/config.js';
import { connect, migrate, type Sequelize } from '../core/db.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../core/embedded-postgres.js';
import { serviceIdentity, chownTree, type Identity } from '../core/privileges.js';
import { allMigrations } from './migrations.js';

export interface Context {
  config: Config;
  db: Sequelize;
  dbUrl: string;
  identity: Identity;
  /** Set when this process started the private cluster (and so must stop it). */
  embedded?: EmbeddedPostgres;
  close(): Promise<void>;
}

export function prepareDataDir(config: Config, identity: Identity): void {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o750 });
  chownTree(config.dataDir, identity);
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Opens the system of record for a command. With DATABASE_URL that is the external database. In
 * the embedded default a running `govmail start` already owns the private cluster, so connect to it;
 * otherwise start the cluster for the length of this command.
 */
export async function openContext(opts: { data?: string } = {}): Promise<Context> {
  const config = loadConfig({ dataDir: opts.data });
  const identity = serviceIdentity(config.serviceUser);
  prepareDataDir(config, identity);
  let embedded: EmbeddedPostgres | undefined;
  let dbUrl = config.databaseUrl;
  if (!dbUrl) {
    const pwFile = path.join(config.dataDir, 'secrets', 'postgres-password');
    const running =
      existsSync(pwFile) &&
      `postgres://govmail:${encodeURIComponent(readFileSync(pwFile, 'utf8').trim())}@127.0.0.1:${config.embeddedPgPort}/govmail`;
    if (running && (await canConnect(running))) dbUrl = running;
    else {
      embedded = await startEmbeddedPostgres(config.dataDir, config.embeddedPgPort, identity);
      dbUrl = embedded.url;
    }
  }
  const db = connect(dbUrl);
  await migrate(db, allMigrations());
  return {
    config,
    db,
    dbUrl,
    identity,
    embedded,
    async close() {
      await db.close();
      await embedded?.stop();
    },
  };
}
