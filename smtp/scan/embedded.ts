import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { readOrCreateSecret } from '../../core/embedded-postgres.js';
import { logger } from '../../core/log.js';
import { chownTree, spawnAs, type Identity } from '../../core/privileges.js';
import { supervise, type Supervised } from '../../core/supervise.js';
import { clamdConf, rspamdLocalFiles, rspamdMainConf, SIGNATURE_FILE } from './rspamd-config.js';
import { rspamdClient, type RspamdEndpoints } from './rspamd-client.js';

const run = promisify(execFile);

export const RSPAMD_BIN = '/usr/bin/rspamd';
export const CLAMD_BIN = '/usr/sbin/clamd';

/**
 * The private rspamd (and clamd, when ClamAV is installed and has signatures) under DATA/rspamd and
 * DATA/clamav, on loopback ports, run as the service user and restarted when they die — the way the
 * embedded Dovecot is run.
 */
export interface ScannerHandle {
  endpoints: RspamdEndpoints;
  health(): ScannerHealth;
  stop(): Promise<void>;
}

export interface ScannerHealth {
  rspamd: 'running' | 'restarting';
  /** `absent`: ClamAV is not installed; `no-signatures`: installed, but its database folder has none. */
  clamav: 'running' | 'restarting' | 'absent' | 'no-signatures';
  clamavDatabaseDir: string;
  restarts: number;
}

export interface EmbeddedScannerOptions {
  dataDir: string;
  identity: Identity;
  scanPort: number;
  controllerPort: number;
  clamdPort: number;
  /** Where ClamAV's signatures are (freshclam writes /var/lib/clamav). */
  clamavDatabaseDir: string;
  dnsServers?: readonly string[];
  timeoutMs: number;
  /** rspamd's compiled-regex cache; share one between test runs to skip a compile of ≈ 10 s. */
  cacheDir?: string;
}

function hasSignatures(dir: string): boolean {
  try {
    return readdirSync(dir).some((f) => SIGNATURE_FILE.test(f));
  } catch {
    return false;
  }
}

/** The controller password's hash, made once (`rspamadm pw` is slow and the password never changes). */
async function passwordHash(dir: string, password: string): Promise<string> {
  const file = path.join(dir, 'controller-password.hash');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const { stdout } = await run('/usr/bin/rspamadm', ['pw', '--encrypt', '-p', password]);
  const hash = stdout.trim();
  if (!/^\$\d\$/.test(hash)) throw new Error(`rspamadm pw gave no hash: ${hash.slice(0, 40)}`);
  writeFileSync(file, `${hash}\n`, { mode: 0o600 });
  return hash;
}

function waitUntil(what: string, ready: () => Promise<boolean>, dead: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = async () => {
      if (dead()) return reject(new Error(`${what} exited while starting`));
      if (await ready()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`${what} not ready within ${timeoutMs} ms`));
      setTimeout(attempt, 200);
    };
    void attempt();
  });
}

function clamdAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    let buf = '';
    sock.setTimeout(2000, () => (sock.destroy(), resolve(false)));
    sock.on('error', () => resolve(false));
    sock.on('connect', () => sock.write('zPING\0'));
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      if (buf.includes('PONG')) {
        sock.destroy();
        resolve(true);
      }
    });
    sock.on('close', () => resolve(buf.includes('PONG')));
  });
}

function startClamd(o: EmbeddedScannerOptions): Supervised {
  const log = logger().child({ svc: 'clamd' });
  const dir = path.join(o.dataDir, 'clamav');
  mkdirSync(path.join(dir, 'tmp'), { recursive: true, mode: 0o700 });
  const confFile = path.join(dir, 'clamd.conf');
  writeFileSync(confFile, clamdConf({ port: o.clamdPort, databaseDir: o.clamavDatabaseDir, pidFile: path.join(dir, 'clamd.pid'), tempDir: path.join(dir, 'tmp') }), { mode: 0o600 });
  chownTree(dir, o.identity);
  return supervise({
    name: 'clamd',
    log,
    spawn: () => spawn(CLAMD_BIN, ['-c', confFile], { stdio: ['ignore', 'ignore', 'pipe'], ...spawnAs(o.identity) }),
    onLine: (line) => (/ERROR|FATAL/i.test(line) ? log.error(line) : log.debug(line)),
  });
}

export async function startEmbeddedScanner(o: EmbeddedScannerOptions): Promise<ScannerHandle> {
  const log = logger().child({ svc: 'rspamd' });
  const dir = path.join(o.dataDir, 'rspamd');
  const dbDir = path.join(dir, 'db');
  const runDir = path.join(dir, 'run');
  for (const d of [path.join(dir, 'local.d'), dbDir, runDir]) mkdirSync(d, { recursive: true, mode: 0o700 });
  const password = readOrCreateSecret(path.join(o.dataDir, 'secrets', 'rspamd-controller-password'));
  // `govmail learn`, run by Dovecot as the service user, reads it.
  chownTree(path.join(o.dataDir, 'secrets'), o.identity);

  const clamavState: ScannerHealth['clamav'] = !existsSync(CLAMD_BIN) ? 'absent' : hasSignatures(o.clamavDatabaseDir) ? 'running' : 'no-signatures';
  const clamd = clamavState === 'running' ? startClamd(o) : undefined;

  const options = { scanPort: o.scanPort, controllerPort: o.controllerPort, passwordHash: await passwordHash(dir, password), clamdPort: clamd ? o.clamdPort : undefined, dnsServers: o.dnsServers, cacheDir: o.cacheDir };
  const confFile = path.join(dir, 'rspamd.conf');
  writeFileSync(confFile, rspamdMainConf(options), { mode: 0o600 });
  for (const [name, text] of Object.entries(rspamdLocalFiles(options))) writeFileSync(path.join(dir, 'local.d', name), text, { mode: 0o600 });
  if (o.cacheDir) mkdirSync(o.cacheDir, { recursive: true });
  chownTree(dir, o.identity);
  if (o.cacheDir) chownTree(o.cacheDir, o.identity);

  const vars = [`LOCAL_CONFDIR=${dir}`, `DBDIR=${dbDir}`, `RUNDIR=${runDir}`];
  const rspamd = supervise({
    name: 'rspamd',
    log,
    spawn: () =>
      spawn(RSPAMD_BIN, ['-f', '-c', confFile, ...vars.flatMap((v) => ['--var', v])], {
        stdio: ['ignore', 'ignore', 'pipe'],
        ...spawnAs(o.identity),
      }),
    // rspamd complains at every start about what a closed network lacks (fuzzy servers, map downloads).
    onLine: (line) => (/\b(error|crit|fatal)\b/i.test(line) && !/resolv|resolution|maps\.rspamd|fuzzy/i.test(line) ? log.warn(line) : log.debug(line)),
  });

  const endpoints: RspamdEndpoints = { scanUrl: `http://127.0.0.1:${o.scanPort}`, controllerUrl: `http://127.0.0.1:${o.controllerPort}`, password, timeoutMs: o.timeoutMs };
  const client = rspamdClient(endpoints);
  try {
    await Promise.all([
      waitUntil('rspamd', () => client.ping(), () => rspamd.dead(), 90_000),
      clamd ? waitUntil('clamd', () => clamdAnswers(o.clamdPort), () => clamd.dead(), 90_000) : Promise.resolve(),
    ]);
  } catch (err) {
    await Promise.all([rspamd.stop(1000), clamd?.stop(1000)]);
    throw err;
  }
  return {
    endpoints,
    health: () => ({
      rspamd: rspamd.dead() ? 'restarting' : 'running',
      clamav: clamd ? (clamd.dead() ? 'restarting' : 'running') : clamavState,
      clamavDatabaseDir: o.clamavDatabaseDir,
      restarts: rspamd.restarts() + (clamd?.restarts() ?? 0),
    }),
    async stop() {
      await Promise.all([rspamd.stop(), clamd?.stop()]);
    },
  };
}
