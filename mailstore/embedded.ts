import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync, existsSync, chmodSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { hash, Algorithm } from '@node-rs/argon2';
import pg from 'pg';
import type { Config } from '../core/config.js';
import { logger } from '../core/log.js';
import { counter } from '../core/metrics.js';
import { readOrCreateSecret, stopChild } from '../core/embedded-postgres.js';
import { chownTree, spawnAs, type Identity } from '../core/privileges.js';
import { fileURLToPath } from 'node:url';
import { generateDovecotConfig, sqlConf, dictSqlConf, runtimeDirFor, sendmailWrapper, MASTER_USER, MASTER_SEPARATOR, JUNK_SIEVE, REPORT_HAM_SIEVE, REPORT_SPAM_SIEVE } from './config.js';

/**
 * The embedded Dovecot: writes its config under DATA/dovecot, makes sure its read-only database role
 * exists, runs `dovecot -F` as the service user, waits for the IMAP and LMTP greetings, and restarts
 * it if it dies.
 */
export interface DovecotHandle {
  imap: { host: string; port: number };
  lmtp: { host: string; port: number };
  master: { user: string; password: string; separator: string };
  confFile: string;
  /** Panics and fatal errors Dovecot has logged since start: each one lost a session's work. */
  health(): DovecotHealth;
  reload(): Promise<void>;
  stop(): Promise<void>;
}

export interface DovecotHealth {
  panics: number;
  fatals: number;
  lastProblem?: { at: Date; line: string };
}

/** Sorts one line of Dovecot's log: panics and fatal errors are counted and logged as errors, logins counted. */
export function classifyDovecotLine(line: string): 'panic' | 'fatal' | 'error' | 'login' | 'login-failed' | 'info' {
  if (/: Panic: /.test(line)) return 'panic';
  if (/: Fatal: /.test(line)) return 'fatal';
  if (/-login: (?:Info: )?Login: /.test(line)) return 'login';
  if (/-login: (?:Info: )?(?:Aborted login|Disconnected)[^(]*\(auth failed/.test(line)) return 'login-failed';
  return /Error/i.test(line) ? 'error' : 'info';
}

const problems = counter('govmail_dovecot_problems_total', 'Dovecot panics and fatal errors (each one cost a session its work)', ['kind']);
const logins = counter('govmail_mail_logins_total', 'Logins to Dovecot, by protocol (imap, pop3, managesieve) and outcome', ['protocol', 'outcome']);

function countLogin(line: string, outcome: 'ok' | 'failed'): void {
  logins.inc({ protocol: /(imap|pop3|managesieve)-login/.exec(line)?.[1] ?? 'other', outcome });
}

/** One role per database (`govmail_dovecot` for the database `govmail`), so test databases never share one. */
export function dovecotRoleFor(dbUrl: string): string {
  return `${new URL(dbUrl).pathname.slice(1)}_dovecot`;
}

/** The database role Dovecot uses: SELECT on the users view, write on its usage table, nothing else. */
export async function ensureDovecotRole(dbUrl: string, password: string): Promise<void> {
  const client = new pg.Client({ connectionString: dbUrl });
  const role = client.escapeIdentifier(dovecotRoleFor(dbUrl));
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [dovecotRoleFor(dbUrl)]);
    const pw = client.escapeLiteral(password);
    await client.query(exists.rowCount ? `ALTER ROLE ${role} LOGIN PASSWORD ${pw}` : `CREATE ROLE ${role} LOGIN PASSWORD ${pw}`);
    const dbname = client.escapeIdentifier((await client.query('SELECT current_database() AS d')).rows[0].d);
    await client.query(`GRANT CONNECT ON DATABASE ${dbname} TO ${role}`);
    await client.query(`GRANT USAGE ON SCHEMA public TO ${role}`);
    await client.query(`GRANT SELECT ON dovecot_users TO ${role}`);
    await client.query(`GRANT SELECT, INSERT, UPDATE ON mailstore_usage TO ${role}`);
  } finally {
    await client.end();
  }
}

/** Resolves once `port` sends a greeting matching `pattern` (a listening socket alone is not readiness). */
export function waitForGreeting(port: number, pattern: RegExp, timeoutMs: number, isDead: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (isDead()) return reject(new Error('dovecot exited while starting'));
      if (Date.now() > deadline) return reject(new Error(`no greeting matching ${pattern} on port ${port} within ${timeoutMs} ms`));
      const sock = net.connect({ host: '127.0.0.1', port });
      let buf = '';
      const retry = () => {
        sock.destroy();
        setTimeout(attempt, 50);
      };
      sock.setTimeout(2000, retry);
      sock.on('error', retry);
      sock.on('data', (d) => {
        buf += d.toString('latin1');
        if (!buf.includes('\n')) return;
        sock.end(pattern.source.startsWith('^\\* OK') ? 'a LOGOUT\r\n' : 'QUIT\r\n');
        sock.removeAllListeners('error');
        sock.on('error', () => undefined);
        if (pattern.test(buf)) resolve();
        else retry();
      });
    };
    attempt();
  });
}

/** bin/govmail.js of this installation, and whether we run from the TypeScript sources (tests, a checkout). */
function govmailEntry(): { root: string; entry: string; fromSource: boolean } {
  const here = fileURLToPath(import.meta.url);
  let dir = path.dirname(here);
  while (!existsSync(path.join(dir, 'bin', 'govmail.js')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return { root: dir, entry: path.join(dir, 'bin', 'govmail.js'), fromSource: here.endsWith('.ts') };
}

/** Writes the sendmail_path wrapper (see sendmailWrapper) and returns its path. */
function writeSendmailWrapper(config: Config, dbUrl: string, confDir: string): string {
  // Dovecot splits sendmail_path at spaces; a data folder with a space gets it in the short runtime dir.
  const dir = /\s/.test(confDir) ? runtimeDirFor(config.dataDir) : confDir;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, 'sendmail');
  writeFileSync(file, govmailSendmailWrapper(config, dbUrl), { mode: 0o700 });
  chmodSync(file, 0o700);
  return file;
}

/** The wrapper for this installation and config; `govmail dovecot-config --sendmail-wrapper` prints it for production. */
export function govmailSendmailWrapper(config: Config, dbUrl: string | undefined, command: 'sendmail' | 'learn' = 'sendmail'): string {
  const { root, entry, fromSource } = govmailEntry();
  return sendmailWrapper({
    node: process.execPath,
    entry,
    cwd: root,
    command,
    env: {
      GOVMAIL_DATA_DIR: config.dataDir,
      DATABASE_URL: dbUrl,
      GOVMAIL_HOSTNAME: config.hostname,
      GOVMAIL_LMTP_PORT: config.lmtpPort,
      GOVMAIL_MAX_MESSAGE_SIZE: config.maxMessageSize,
      GOVMAIL_QUEUE_RETRY_MAX_SECONDS: config.queueRetryMaxSeconds,
      GOVMAIL_RSPAMD_PORT: command === 'learn' ? config.rspamdPort : undefined,
      GOVMAIL_RSPAMD_CONTROLLER_PORT: command === 'learn' ? config.rspamdControllerPort : undefined,
      GOVMAIL_LOG_LEVEL: 'warn',
      // glibc reserves 64 MB of address space per malloc arena and thread; two keep node well inside vsz_limit.
      MALLOC_ARENA_MAX: 2,
      GOVMAIL_FROM_SOURCE: fromSource ? '1' : undefined,
      PATH: '/usr/local/bin:/usr/bin:/bin',
    },
  });
}

/** imapsieve's pipe folder with the `govmail-learn` wrapper, and its two scripts; returns the folder. */
function writeLearning(config: Config, dbUrl: string, confDir: string): string {
  const dir = path.join(confDir, 'sieve-pipe');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(path.join(dir, 'govmail-learn'), govmailSendmailWrapper(config, dbUrl, 'learn'), { mode: 0o700 });
  chmodSync(path.join(dir, 'govmail-learn'), 0o700);
  writeFileSync(path.join(confDir, 'report-spam.sieve'), REPORT_SPAM_SIEVE, { mode: 0o644 });
  writeFileSync(path.join(confDir, 'report-ham.sieve'), REPORT_HAM_SIEVE, { mode: 0o644 });
  return dir;
}

function dbParams(dbUrl: string, password: string) {
  const u = new URL(dbUrl);
  return { host: u.hostname, port: Number(u.port || 5432), dbname: u.pathname.slice(1), user: dovecotRoleFor(dbUrl), password };
}

export async function startDovecot(opts: {
  config: Config;
  dbUrl: string;
  identity: Identity;
  tls: { certFile: string; keyFile: string };
  /** IMAP clients moving mail into or out of Junk teach the spam filter (`govmail learn`). */
  learning?: boolean;
}): Promise<DovecotHandle> {
  const { config, identity } = opts;
  const log = logger().child({ svc: 'dovecot' });
  const confDir = path.join(config.dataDir, 'dovecot');
  const stateDir = path.join(confDir, 'state');
  const mailRoot = path.join(config.dataDir, 'mail');
  for (const d of [confDir, stateDir, mailRoot]) mkdirSync(d, { recursive: true, mode: 0o700 });

  const dbPassword = readOrCreateSecret(path.join(config.dataDir, 'secrets', 'dovecot-db-password'));
  const masterPassword = readOrCreateSecret(path.join(config.dataDir, 'secrets', 'dovecot-master-password'));
  await ensureDovecotRole(opts.dbUrl, dbPassword);

  const db = dbParams(opts.dbUrl, dbPassword);
  writeFileSync(path.join(confDir, 'sql.conf.ext'), sqlConf(db, mailRoot), { mode: 0o600 });
  writeFileSync(path.join(confDir, 'dict-sql.conf.ext'), dictSqlConf(db), { mode: 0o600 });
  const masterHash = await hash(masterPassword, { algorithm: Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 });
  // passwd-file extra fields: the master login is accepted from loopback only.
  writeFileSync(path.join(confDir, 'master-users'), `${MASTER_USER}:{ARGON2ID}${masterHash}::::::allow_nets=127.0.0.1/32,::1/128\n`, { mode: 0o600 });
  const sendmailPath = writeSendmailWrapper(config, opts.dbUrl, confDir);
  writeFileSync(path.join(confDir, 'junk.sieve'), JUNK_SIEVE, { mode: 0o644 });
  const learnPipeDir = opts.learning ? writeLearning(config, opts.dbUrl, confDir) : undefined;
  const confFile = path.join(confDir, 'dovecot.conf');
  writeFileSync(
    confFile,
    generateDovecotConfig({
      mode: 'embedded',
      confDir,
      stateDir,
      baseDir: runtimeDirFor(config.dataDir),
      mailRoot,
      listen: config.listenHost,
      ports: { imap: config.imapPort, pop3: config.pop3Port, managesieve: config.managesievePort, lmtp: config.lmtpPort },
      tls: opts.tls,
      user: { name: identity.user, uid: identity.uid, gid: identity.gid },
      hostname: config.hostname,
      sendmailPath,
      learnPipeDir,
    }),
    { mode: 0o600 },
  );
  chownTree(confDir, identity);
  chownTree(mailRoot, identity);
  if (existsSync(runtimeDirFor(config.dataDir))) chownTree(runtimeDirFor(config.dataDir), identity);

  let child: ChildProcess;
  const health: DovecotHealth = { panics: 0, fatals: 0 };
  let stopping = false;
  let restarts = 0;
  const spawnDovecot = () => {
    child = spawn('/usr/sbin/dovecot', ['-F', '-c', confFile], { stdio: ['ignore', 'ignore', 'pipe'], ...spawnAs(identity) });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      for (const raw of chunk.split('\n')) {
        const line = raw.trim();
        if (!line) continue;
        const kind = classifyDovecotLine(line);
        if (kind === 'login' || kind === 'login-failed') countLogin(line, kind === 'login' ? 'ok' : 'failed');
        if (kind === 'panic' || kind === 'fatal') {
          problems.inc({ kind });
          health[kind === 'panic' ? 'panics' : 'fatals']++;
          health.lastProblem = { at: new Date(), line };
          log.error(line);
        } else if (kind === 'error') log.warn(line);
        else log.debug(line);
      }
    });
    child.once('exit', (code, signal) => {
      if (stopping) return;
      // Supervision: a crashed Dovecot comes back, with a growing pause so a broken config does not spin.
      const delay = Math.min(30_000, 500 * 2 ** Math.min(restarts++, 6));
      log.error({ code, signal, delay }, 'dovecot exited; restarting');
      setTimeout(() => !stopping && spawnDovecot(), delay);
    });
  };
  spawnDovecot();
  const dead = () => child.exitCode !== null || child.signalCode !== null;
  try {
    await Promise.all([
      waitForGreeting(config.imapPort, /^\* OK/, 30_000, dead),
      waitForGreeting(config.lmtpPort, /^220 /, 30_000, dead),
    ]);
  } catch (err) {
    stopping = true;
    child!.kill('SIGKILL');
    throw err;
  }
  restarts = 0;

  return {
    imap: { host: '127.0.0.1', port: config.imapPort },
    lmtp: { host: '127.0.0.1', port: config.lmtpPort },
    master: { user: MASTER_USER, password: masterPassword, separator: MASTER_SEPARATOR },
    confFile,
    health: () => ({ ...health }),
    reload: () =>
      new Promise((resolve, reject) =>
        execFile('/usr/bin/doveadm', ['-c', confFile, 'reload'], { ...spawnAs(identity) }, (err, _o, stderr) => (err ? reject(new Error(`doveadm reload: ${stderr || err.message}`)) : resolve())),
      ),
    stop: async () => {
      stopping = true;
      await stopChild(child, 'SIGTERM', 15_000);
    },
  };
}
