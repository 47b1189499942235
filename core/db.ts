import { Sequelize, QueryTypes } from 'sequelize';
import { Umzug } from 'umzug';
import { logger } from './log.js';

/**
 * A migration belongs to one module and only touches that module's tables. Names are prefixed with
 * the module (`admin-0001-domains`) so the shared history table stays readable.
 */
export interface Migration {
  name: string;
  up: (db: Sequelize) => Promise<void>;
  down?: (db: Sequelize) => Promise<void>;
}

const urls = new WeakMap<Sequelize, string>();

export function connect(databaseUrl: string, opts: { poolMax?: number } = {}): Sequelize {
  const db = new Sequelize(databaseUrl, {
    dialect: 'postgres',
    logging: false,
    pool: { max: opts.poolMax ?? 10, min: 0, idle: 10_000, acquire: 15_000 },
    dialectOptions: { application_name: 'govmail' },
  });
  urls.set(db, databaseUrl);
  return db;
}

/** The URL `connect` was given, for a connection of its own outside the pool (LISTEN, see notify.ts). */
export function databaseUrlOf(db: Sequelize): string | undefined {
  return urls.get(db);
}

/**
 * A query PostgreSQL plans once per pooled connection (a named prepared statement) instead of on every
 * call: for the lookups the MX makes per recipient, planning costs several times the execution. Only
 * for fixed SQL with bind parameters; `name` must be unique to that SQL across the program.
 */
export async function preparedQuery<T>(db: Sequelize, name: string, text: string, values: unknown[]): Promise<T[]> {
  const manager = (db as unknown as { connectionManager: PgConnectionManager }).connectionManager;
  const client = await manager.getConnection({ type: 'read' });
  try {
    return (await client.query({ name, text, values })).rows as T[];
  } finally {
    manager.releaseConnection(client);
  }
}

interface PgConnectionManager {
  getConnection(o: { type: 'read' | 'write' }): Promise<{ query(q: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }> }>;
  releaseConnection(c: unknown): void;
}

/** Arbitrary but fixed: every GovMail node takes this lock so only one runs migrations at a time. */
const MIGRATION_LOCK = 4_711_002;

export async function migrate(db: Sequelize, migrations: Migration[]): Promise<string[]> {
  const seen = new Set<string>();
  for (const m of migrations) {
    if (seen.has(m.name)) throw new Error(`duplicate migration name ${m.name}`);
    seen.add(m.name);
  }
  const umzug = new Umzug({
    migrations: migrations.map((m) => ({
      name: m.name,
      up: async () => m.up(db),
      down: async () => m.down?.(db),
    })),
    context: db,
    storage: {
      async executed() {
        await db.query('CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, run_at timestamptz NOT NULL DEFAULT now())');
        const rows = await db.query<{ name: string }>('SELECT name FROM schema_migrations', { type: QueryTypes.SELECT });
        return rows.map((r) => r.name);
      },
      async logMigration({ name }) {
        await db.query('INSERT INTO schema_migrations (name) VALUES ($1)', { bind: [name] });
      },
      async unlogMigration({ name }) {
        await db.query('DELETE FROM schema_migrations WHERE name = $1', { bind: [name] });
      },
    },
    logger: undefined,
  });
  // Advisory locks are per connection: hold one connection for the whole run.
  const lockConn = await (db.connectionManager as any).getConnection();
  try {
    await lockConn.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK})`);
    const done = await umzug.up();
    if (done.length) logger().info({ migrations: done.map((d) => d.name) }, 'migrations applied');
    return done.map((d) => d.name);
  } finally {
    await lockConn.query(`SELECT pg_advisory_unlock(${MIGRATION_LOCK})`).catch(() => undefined);
    (db.connectionManager as any).releaseConnection(lockConn);
  }
}

/** Runs `fn` in one transaction; a thrown error rolls every write back. */
export async function inTransaction<T>(db: Sequelize, fn: (t: import('sequelize').Transaction) => Promise<T>): Promise<T> {
  return db.transaction(fn);
}

export { Sequelize, QueryTypes };
