import { rmSync } from 'node:fs';
import type { Sequelize } from 'sequelize';
import { loadConfig, type Config } from '../../core/config.js';
import { serviceIdentity, chownTree, type Identity } from '../../core/privileges.js';
import { allMigrations } from '../../cli/migrations.js';
import { startDovecot, createLmtpClient, ensureSelfSignedCertificate, type DovecotHandle, type LmtpClient } from '../../mailstore/index.js';
import { freshDatabase, freePort, testDataDir } from './postgres.js';
import { loadKek, type Kek } from '../../core/kek.js';
import type { RunningService } from '../../core/service.js';
import { createMessageScanner, startSmtpServices, type RspamdEndpoints, type ScannerHandle, type Submitter } from '../../smtp/index.js';
import { startTestScanner } from './scanner.js';

/**
 * A real mail store for integration tests: a fresh database on the shared private PostgreSQL with
 * every migration, the mail host certificate, and a real Dovecot on random free ports — the same
 * code path `govmail start` uses. Call stop() in after().
 */
export interface MailEnv {
  config: Config;
  db: Sequelize;
  dbUrl: string;
  dataDir: string;
  identity: Identity;
  dovecot: DovecotHandle;
  lmtp: LmtpClient;
  tls: { certFile: string; keyFile: string };
  stop(): Promise<void>;
}

/** The mail store plus our SMTP servers and queue worker, relaying outbound mail to `smarthost`. */
export interface SmtpEnv extends MailEnv {
  kek: Kek;
  smtp: RunningService & { submit: Submitter };
  /** The embedded rspamd/clamd, when started with `scan`. */
  scanner?: ScannerHandle;
}

export async function startSmtpEnv(
  smarthost: string,
  worker: { pollMs?: number; leaseSeconds?: number; retryBaseSeconds?: number } | false = { pollMs: 100, retryBaseSeconds: 1 },
  overrides: Partial<Record<keyof Config, unknown>> = {},
  /** `scan`: the embedded rspamd/clamd, or a scanner at these endpoints (a dead or stalled one, say). */
  o: { scan?: boolean | RspamdEndpoints; learning?: boolean } = {},
): Promise<SmtpEnv> {
  const env = await startMailEnv({ smarthost, ...overrides }, { learning: o.learning });
  const kek = loadKek(env.dataDir);
  const scanner = o.scan === true ? await startTestScanner(env.config, env.identity) : undefined;
  const endpoints = typeof o.scan === 'object' ? o.scan : scanner?.endpoints;
  const smtp = await startSmtpServices({ config: env.config, db: env.db, lmtp: env.lmtp, kek, tls: env.tls, worker, scanner: endpoints && createMessageScanner(env.config, endpoints) });
  const stopMail = env.stop;
  return Object.assign(env, {
    kek,
    smtp,
    scanner,
    async stop() {
      await smtp.stop();
      await scanner?.stop();
      await stopMail();
    },
  });
}

export async function startMailEnv(overrides: Partial<Record<keyof Config, unknown>> = {}, o: { learning?: boolean } = {}): Promise<MailEnv> {
  const dataDir = testDataDir('govmail-mail-');
  const ports: Record<string, number> = {};
  for (const k of ['smtpPort', 'submissionPort', 'submissionsPort', 'imapPort', 'pop3Port', 'managesievePort', 'lmtpPort', 'httpPort', 'rspamdPort', 'rspamdControllerPort', 'clamdPort']) ports[k] = await freePort();
  // Only 127.0.0.1 is exempt from the SMTP limits: tests of the limits connect from 127.0.0.2 and up.
  const config = loadConfig({ dataDir, hostname: 'mail.test.gov.vn', ...ports, limitsExemptNetworks: '127.0.0.1/32', ...overrides }, {});
  const identity = serviceIdentity(config.serviceUser);
  chownTree(dataDir, identity);
  const { db, url } = await freshDatabase(allMigrations());
  const tls = ensureSelfSignedCertificate(dataDir, config.hostname, identity);
  const dovecot = await startDovecot({ config, dbUrl: url, identity, tls, learning: o.learning });
  const lmtp = createLmtpClient({ host: dovecot.lmtp.host, port: dovecot.lmtp.port });
  return {
    config, db, dbUrl: url, dataDir, identity, dovecot, lmtp, tls,
    async stop() {
      lmtp.close();
      await dovecot.stop();
      await db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
