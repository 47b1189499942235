import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync, appendFileSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { logger } from './log.js';
import { type Identity, spawnAs, chownTree, isRoot } from './privileges.js';

/**
 * A private PostgreSQL cluster under the data folder, for the embedded default and for tests.
 * It listens on loopback TCP only (no Unix socket, so long data paths never hit the 108-byte limit)
 * and requires a password that lives in the data folder with mode 0600.
 */
export interface EmbeddedPostgres {
  url: string;
  port: number;
  stop(): Promise<void>;
  child: ChildProcess;
}

export function postgresBinDir(): string {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) throw new Error('PostgreSQL server binaries not found in /usr/lib/postgresql: apt-get install postgresql');
  const versions = readdirSync(base).filter((v) => existsSync(path.join(base, v, 'bin', 'postgres'))).sort((a, b) => Number(b) - Number(a));
  if (!versions.length) throw new Error('no PostgreSQL server in /usr/lib/postgresql/*/bin: apt-get install postgresql');
  return path.join(base, versions[0], 'bin');
}

const SUPERUSER = 'govmail';
const DATABASE = 'govmail';

function passwordFile(dataDir: string): string {
  return path.join(dataDir, 'secrets', 'postgres-password');
}

export function readOrCreateSecret(file: string, bytes = 24): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const secret = randomBytes(bytes).toString('base64url');
  writeFileSync(file, secret + '\n', { mode: 0o600 });
  return secret;
}

function initCluster(pgDir: string, dataDir: string, port: number, id: Identity): void {
  const bin = postgresBinDir();
  const password = readOrCreateSecret(passwordFile(dataDir));
  const pwfile = path.join(dataDir, 'secrets', 'initdb-pw');
  writeFileSync(pwfile, password + '\n', { mode: 0o600 });
  mkdirSync(pgDir, { recursive: true, mode: 0o700 });
  chownTree(dataDir, id);
  try {
    execFileSync(
      path.join(bin, 'initdb'),
      ['-D', pgDir, '-U', SUPERUSER, '--auth=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--locale=C.UTF-8', '--no-instructions'],
      { stdio: ['ignore', 'ignore', 'pipe'], ...spawnAs(id) },
    );
  } finally {
    writeFileSync(pwfile, '');
  }
  appendFileSync(
    path.join(pgDir, 'postgresql.conf'),
    [
      '',
      '# GovMail embedded cluster',
      "listen_addresses = '127.0.0.1'",
      `port = ${port}`,
      "unix_socket_directories = ''",
      'max_connections = 200',
      'shared_buffers = 128MB',
      "log_destination = 'stderr'",
      'logging_collector = off',
      '',
    ].join('\n'),
  );
}

async function waitReady(url: string, child: ChildProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`postgres exited with code ${child.exitCode} while starting`);
    const client = new pg.Client({ connectionString: url.replace(/\/[^/]*$/, '/postgres') });
    try {
      await client.connect();
      await client.end();
      return;
    } catch (err) {
      lastError = err;
      await client.end().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`postgres did not accept connections within ${timeoutMs} ms: ${(lastError as Error)?.message}`);
}

export async function startEmbeddedPostgres(dataDir: string, port: number, id: Identity): Promise<EmbeddedPostgres> {
  const pgDir = path.join(dataDir, 'pg');
  if (!existsSync(path.join(pgDir, 'PG_VERSION'))) initCluster(pgDir, dataDir, port, id);
  else if (isRoot()) chownTree(pgDir, id);
  // A previous crash can leave a pid file behind; postgres itself checks whether that pid is alive.
  const password = readOrCreateSecret(passwordFile(dataDir));
  const child = spawn(path.join(postgresBinDir(), 'postgres'), ['-D', pgDir, '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    ...spawnAs(id),
  });
  const log = logger().child({ svc: 'postgres' });
  let tail = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    tail = (tail + chunk).slice(-4000);
    // Statement errors (a unique violation, a refused audit edit) are answered to the caller; only
    // server-level trouble belongs in our log.
    for (const line of chunk.split('\n')) if (/FATAL|PANIC/.test(line)) log.warn(line.trim());
  });
  const url = `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE}`;
  try {
    await waitReady(url, child);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${tail}`);
  }
  await ensureDatabase(url);
  return {
    url,
    port,
    child,
    stop: () => stopChild(child, 'SIGINT', 20_000),
  };
}

async function ensureDatabase(url: string): Promise<void> {
  const admin = new pg.Client({ connectionString: url.replace(/\/[^/]*$/, '/postgres') });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (!rowCount) await admin.query(`CREATE DATABASE ${DATABASE} ENCODING 'UTF8' TEMPLATE template0`);
  } finally {
    await admin.end();
  }
}

/** Sends `signal`, then SIGKILL after `graceMs`; resolves when the child has exited. */
export function stopChild(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

