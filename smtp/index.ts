/** smtp/ entry module: the MX and submission servers, the outbound queue and its workers, DKIM, usage events. */
import type { Sequelize } from 'sequelize';
import type { Config } from '../core/config.js';
import type { Kek } from '../core/kek.js';
import type { RunningService } from '../core/service.js';
import { QUOTA_CROSSINGS, type LmtpClient } from '../mailstore/index.js';
import { DIRECTORY_CHANGES } from '../admin/index.js';
import { createChangeFeed } from '../core/notify.js';
import { cachedLookups, directLookups } from './recipient-cache.js';
import { createMxServer } from './inbound.js';
import { createSubmissionServer } from './submission.js';
import { limitsExempt } from './session.js';
import { registerQueueGauges } from './metrics.js';
import { startQueueWorker } from './worker.js';
import { createSubmitter, type Submitter } from './submit.js';
import type { SMTPServer } from 'smtp-server';
import type { MessageScanner } from './scan/index.js';

export { smtpMigrations } from './migrations.js';
export { createDkimKey, dnsRecords } from './dkim.js';
export { queueStats } from './queue.js';
export { directLookups, cachedLookups, type RecipientLookups } from './recipient-cache.js';
import { usageWritten } from './usage.js';
export { usageCounts, recordUsage, dailyUsage, firstUsageDay, type UsageEvent, type Direction, type DailyUsageRow } from './usage.js';
export { startQueueWorker, processJob } from './worker.js';
export { submitMessage, createSubmitter, SenderNotAllowedError, RecipientRefusedError, type Submitter, type SubmitInput, type SubmitResult, type SubmitDeps } from './submit.js';
export { injectMessage, InjectError, EX, type InjectInput } from './inject.js';
export { createMessageScanner, scannerEndpoints, startEmbeddedScanner, rspamdClient, ScannerUnavailableError, domainScanPolicy, type MessageScanner, type ScannerHandle, type ScannerHealth, type RspamdClient, type RspamdEndpoints } from './scan/index.js';

function listen(server: SMTPServer, host: string, port: number): Promise<void> {
  // Replies are small writes; without TCP_NODELAY each can wait for a delayed ACK.
  (server as any).server?.on('connection', (socket: import('node:net').Socket) => socket.setNoDelay(true));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.removeListener('error', reject);
      // Connection-level errors (a client resetting) must not take the server down.
      server.on('error', () => undefined);
      resolve();
    });
  });
}

export async function startSmtpServices(o: {
  config: Config;
  db: Sequelize;
  lmtp: LmtpClient;
  kek: Kek;
  tls: { certFile: string; keyFile: string };
  worker?: { pollMs?: number; leaseSeconds?: number; retryBaseSeconds?: number } | false;
  /** Spam, malware and attachment checks at the MX and on what our users send; absent: none (`spamFilter: off`). */
  scanner?: MessageScanner;
}): Promise<RunningService & { submit: Submitter }> {
  const { config, db } = o;
  const worker = o.worker === false ? undefined : startQueueWorker({ db, lmtp: o.lmtp, hostname: config.hostname, smarthost: config.smarthost, queueRetryMaxSeconds: config.queueRetryMaxSeconds, ...(o.worker ?? {}) });
  const sendRate = { limits: { messagesPerHour: config.sendMessagesPerHour, externalRecipientsPerHour: config.sendExternalRecipientsPerHour }, exempt: limitsExempt(config) };
  const deps = { db, lmtp: o.lmtp, kek: o.kek, hostname: config.hostname, queueRetryMaxSeconds: config.queueRetryMaxSeconds, onQueued: () => worker?.kick(), sendRate, scanner: o.scanner };
  registerQueueGauges(db);
  const changes = createChangeFeed(db, [DIRECTORY_CHANGES, QUOTA_CROSSINGS]);
  const lookups = cachedLookups(directLookups(db), changes);
  const servers: Array<[SMTPServer, number, string]> = [
    [createMxServer(config, deps, o.tls, lookups, o.scanner), config.smtpPort, 'MX (SMTP, STARTTLS)'],
    [createSubmissionServer(config, deps, o.tls, false, lookups), config.submissionPort, 'submission (STARTTLS, AUTH)'],
    [createSubmissionServer(config, deps, o.tls, true, lookups), config.submissionsPort, 'submissions (TLS, AUTH)'],
  ];
  const started: SMTPServer[] = [];
  try {
    for (const [server, port] of servers) {
      await listen(server, config.listenHost, port);
      started.push(server);
    }
  } catch (err) {
    for (const s of started) s.close();
    await worker?.stop();
    await changes.close();
    throw err;
  }
  return {
    name: 'smtp',
    // The webmail submits through the same pipeline and wakes the same worker.
    submit: createSubmitter({ ...deps, maxMessageSize: config.maxMessageSize, lookups }),
    listening: servers.map(([, port, what]) => `${what} ${config.listenHost}:${port}`),
    async stop() {
      await Promise.all(started.map((s) => new Promise<void>((r) => s.close(() => r()))));
      await worker?.stop();
      await changes.close();
      // The MX writes usage rows after its replies: let the last ones reach the database.
      await usageWritten(db);
    },
  };
}
export { enqueue, type NewJob } from './queue.js';
