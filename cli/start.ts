import { loadConfig } from '../core/config.js';
import { connect, migrate, type Sequelize } from '../core/db.js';
import { logger } from '../core/log.js';
import { startEmbeddedPostgres } from '../core/embedded-postgres.js';
import { serviceIdentity, dropPrivileges, isRoot } from '../core/privileges.js';
import { startInOrder, stopInReverse, type RunningService } from '../core/service.js';
import { startDovecot, ensureSelfSignedCertificate, createLmtpClient, type DovecotHandle } from '../mailstore/index.js';
import { createMessageScanner, scannerEndpoints, startEmbeddedScanner, startSmtpServices, type ScannerHandle, type Submitter } from '../smtp/index.js';
import { loadKek } from '../core/kek.js';
import { refreshCrls } from '../signer/index.js';
import { sendCertificateExpiryNotices } from './notices.js';
import { usageSources } from './reports.js';
import { rollUpUsage } from '../admin/index.js';
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
  let db: Sequelize;
  let dovecot: DovecotHandle;
  let submit: Submitter | undefined;
  let scanner: ScannerHandle | undefined;
  const tls = ensureSelfSignedCertificate(config.dataDir, config.hostname, identity);
  const services = await startInOrder([
    async () => {
      if (dbUrl) return { name: 'postgres', listening: ['PostgreSQL (external, DATABASE_URL)'], stop: async () => undefined };
      const pg = await startEmbeddedPostgres(config.dataDir, config.embeddedPgPort, identity);
      dbUrl = pg.url;
      return { name: 'postgres', listening: [`PostgreSQL 127.0.0.1:${pg.port} (embedded)`], stop: pg.stop };
    },
    async () => {
      db = connect(dbUrl!);
      await migrate(db, allMigrations());
      return { name: 'database', listening: [], stop: () => db.close() };
    },
    async () => {
      // With scanning on, every IMAP client's Junk moves (the webmail's too) teach rspamd through imapsieve.
      dovecot = await startDovecot({ config, dbUrl: dbUrl!, identity, tls, learning: config.spamFilter === 'on' && (!config.rspamdUrl || !!config.rspamdControllerUrl) });
      return {
        name: 'dovecot',
        listening: [
          `IMAP ${config.listenHost}:${config.imapPort} (STARTTLS)`,
          `POP3 ${config.listenHost}:${config.pop3Port} (STARTTLS)`,
          `ManageSieve ${config.listenHost}:${config.managesievePort}`,
          `LMTP 127.0.0.1:${config.lmtpPort} (internal)`,
        ],
        stop: () => dovecot.stop(),
      };
    },
    async () => {
      if (config.spamFilter === 'off') return { name: 'scanner', listening: ['Lọc thư rác tắt / spam filter off (spamFilter)'], stop: async () => undefined };
      if (config.rspamdUrl) return { name: 'scanner', listening: [`rspamd ${config.rspamdUrl} (external)`], stop: async () => undefined };
      scanner = await startEmbeddedScanner({
        dataDir: config.dataDir, identity, scanPort: config.rspamdPort, controllerPort: config.rspamdControllerPort, clamdPort: config.clamdPort,
        clamavDatabaseDir: config.clamavDatabaseDir, dnsServers: config.dnsServers?.split(','), timeoutMs: config.scanTimeoutMs,
      });
      const clamav = scanner.health().clamav;
      return {
        name: 'scanner',
        listening: [`rspamd 127.0.0.1:${config.rspamdPort} (embedded; controller :${config.rspamdControllerPort})`, clamav === 'running' ? `ClamAV 127.0.0.1:${config.clamdPort}` : `ClamAV: ${clamav} (${config.clamavDatabaseDir})`],
        stop: () => scanner!.stop(),
      };
    },
    async () => {
      const lmtp = createLmtpClient({ host: dovecot.lmtp.host, port: dovecot.lmtp.port, hostname: config.hostname });
      const endpoints = scannerEndpoints(config, scanner?.endpoints);
      const messageScanner = endpoints && createMessageScanner(config, endpoints);
      const smtp = await startSmtpServices({ config, db, lmtp, kek: loadKek(config.dataDir), tls, scanner: messageScanner });
      submit = smtp.submit;
      return { ...smtp, stop: async () => { await smtp.stop(); lmtp.close(); } };
    },
    () => startHttp(config, db, { submit, dovecotHealth: () => dovecot.health(), scannerHealth: () => scanner?.health() }),
    async () => {
      // Hourly upkeep: CRLs stay fresh when nothing is revoked (every revocation re-issues them at
      // once), certificate holders are warned 60/30/7 days before expiry, and usage roll-ups stay
      // current so a report never has a backlog to roll up first.
      const kek = loadKek(config.dataDir);
      const tick = async () => {
        await refreshCrls(db, kek).catch((err) => log.error({ err: (err as Error).message }, 'CRL refresh failed'));
        await sendCertificateExpiryNotices(db, config).catch((err) => log.error({ err: (err as Error).message }, 'certificate expiry notices failed'));
        await rollUpUsage(db, usageSources(db)).catch((err) => log.error({ err: (err as Error).message }, 'usage roll-up failed'));
      };
      await tick();
      const timer = setInterval(tick, 3_600_000);
      timer.unref();
      return { name: 'upkeep', listening: [`PKI http://${config.listenHost}:${config.httpPort}/pki (CRL, OCSP, CA certificates)`], stop: async () => clearInterval(timer) };
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
