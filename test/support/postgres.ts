import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../core/embedded-postgres.js';
import { serviceIdentity } from '../../core/privileges.js';
import { connect, migrate, type Migration, type Sequelize } from '../../core/db.js';

/**
 * One private PostgreSQL cluster per test process (started on first use, stopped at exit), the same
 * code path as the embedded default. Each caller gets its own database so suites never share rows.
 */
let cluster: Promise<{ pg: EmbeddedPostgres; dir: string }> | undefined;

const handedOut = new Set<number>();

/** A port free now and never handed out before in this process (the OS may offer the same one twice). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.listen(0, '127.0.0.1', () => {
        const { port } = srv.address() as net.AddressInfo;
        srv.close(() => resolve(port));
      });
      srv.on('error', reject);
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

export function testDataDir(prefix = 'govmail-test-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

async function startCluster() {
  const dir = testDataDir('govmail-pg-');
  const pg = await startEmbeddedPostgres(dir, await freePort(), serviceIdentity('govmail'));
  process.once('exit', () => {
    pg.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  return { pg, dir };
}

export async function sharedCluster(): Promise<EmbeddedPostgres> {
  cluster ??= startCluster();
  return (await cluster).pg;
}

let dbCounter = 0;

/** A fresh, empty database on the shared cluster with the given migrations applied. */
export async function freshDatabase(migrations: Migration[] = []): Promise<{ db: Sequelize; url: string }> {
  const pg = await sharedCluster();
  const name = `t${process.pid}_${++dbCounter}`;
  const admin = connect(pg.url, { poolMax: 1 });
  await admin.query(`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8'`);
  await admin.close();
  const url = pg.url.replace(/\/[^/]*$/, `/${name}`);
  const db = connect(url);
  await migrate(db, migrations);
  return { db, url };
}
