import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { z } from 'zod';
import { ConfigError } from './errors.js';

/**
 * One validated schema for every setting. Precedence: defaults < config file < environment.
 * The config file is `<dataDir>/govmail.json` or the file named by GOVMAIL_CONFIG.
 */
const port = z.coerce.number().int().min(1).max(65535);

export const configSchema = z
  .object({
    dataDir: z.string().min(1).default('./data'),
    databaseUrl: z.string().url().optional(),
    hostname: z
      .string()
      .regex(/^[a-z0-9.-]+$/i, 'a host name such as mail.example.gov.vn')
      .default('mail.govmail.local'),
    listenHost: z.string().default('127.0.0.1'),
    smtpPort: port.default(2525),
    submissionPort: port.default(2587),
    submissionsPort: port.default(2465),
    imapPort: port.default(2143),
    pop3Port: port.default(2110),
    managesievePort: port.default(2419),
    lmtpPort: port.default(2424),
    httpPort: port.default(8080),
    embeddedPgPort: port.default(25432),
    smarthost: z
      .string()
      .regex(/^smtps?:\/\/[^\s/]+(:\d+)?\/?$/, 'smtp://host:port or smtps://host:port')
      .optional(),
    maxMessageSize: z.coerce.number().int().min(1024).default(25 * 1024 * 1024),
    defaultQuota: z.string().regex(/^\d+[KMGT]?$/i, 'a size such as 2G or 500M').default('2G'),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    queueRetryMaxSeconds: z.coerce.number().int().min(60).default(5 * 24 * 3600),
    serviceUser: z.string().default('govmail'),
    /** Base URL written into certificates for CRLs, OCSP and CA certificates; default http://<hostname>:<httpPort>/pki. */
    pkiUrl: z.string().regex(/^https?:\/\/[^\s]+[^/]$/, 'a URL without a trailing slash, such as http://ca.tinh.gov.vn/pki').optional(),
    /** An external RFC 3161 time-stamping authority (e.g. the national one); absent: GovMail's own TSA stamps. */
    tsaUrl: z.string().regex(/^https?:\/\/[^\s]+$/, 'an http(s) URL such as https://tsa.example.gov.vn/tsa').optional(),
    /** SPF/DKIM/DMARC at the MX: enforce (refuse p=reject failures, Junk the rest), report (header only) or off. */
    senderChecks: z.enum(['enforce', 'report', 'off']).default('enforce'),
    /** DNS servers for those checks (ip or ip:port, comma-separated); absent: the system's resolv.conf. */
    dnsServers: z.string().regex(/^[0-9a-f.:[\]]+(,[0-9a-f.:[\]]+)*$/i, 'addresses such as 10.0.0.53,10.0.0.54:53').optional(),
    /** Networks whose connections to the MX are not checked (our own relays); CIDR, comma-separated. */
    trustedNetworks: z.string().regex(/^$|^[0-9a-f.:]+\/\d{1,3}(,[0-9a-f.:]+\/\d{1,3})*$/i, 'CIDR blocks such as 127.0.0.0/8,::1/128').default('127.0.0.0/8,::1/128'),
    /** MX: recipients per transaction (RFC 5321 asks at least 100); RCPT beyond gets 452. */
    smtpMaxRecipients: z.coerce.number().int().min(100).default(100),
    /** Submission: recipients per message. */
    submissionMaxRecipients: z.coerce.number().int().min(1).default(500),
    /** Open SMTP connections per client address (IPv6 by /64), and in total per server. */
    smtpConnectionsPerAddress: z.coerce.number().int().min(1).default(20),
    smtpMaxConnections: z.coerce.number().int().min(1).default(500),
    /** A client silent this long, in a command or between commands, is disconnected with 421. */
    smtpIdleTimeoutSeconds: z.coerce.number().int().min(5).default(120),
    /** Unknown recipients before each further 550 waits smtpErrorDelayMs; at the hard limit 421 and close. */
    smtpUnknownRecipientSoftLimit: z.coerce.number().int().min(0).default(5),
    smtpUnknownRecipientHardLimit: z.coerce.number().int().min(1).default(20),
    smtpErrorDelayMs: z.coerce.number().int().min(0).max(30000).default(1000),
    /** Our users' sending per mailbox and hour: messages, and recipients outside our domains. */
    sendMessagesPerHour: z.coerce.number().int().min(1).default(500),
    sendExternalRecipientsPerHour: z.coerce.number().int().min(1).default(1000),
    /** Client networks exempt from the connection, recipient and rate limits (the province's own systems). */
    limitsExemptNetworks: z.string().regex(/^$|^[0-9a-f.:]+\/\d{1,3}(,[0-9a-f.:]+\/\d{1,3})*$/i, 'CIDR blocks such as 10.20.0.0/16,2001:db8::/32').default(''),
    /** Spam and malware scanning at the MX (rspamd, with ClamAV when installed): on, or off. */
    spamFilter: z.enum(['on', 'off']).default('on'),
    /** An external rspamd's scanning worker (or proxy), e.g. http://rspamd.tinh.gov.vn:11333; absent: the embedded one. */
    rspamdUrl: z.string().regex(/^https?:\/\/[^\s/]+(:\d+)?\/?$/, 'a URL such as http://10.0.0.20:11333').optional(),
    /** That rspamd's controller (learning), e.g. http://10.0.0.20:11334, and its password. */
    rspamdControllerUrl: z.string().regex(/^https?:\/\/[^\s/]+(:\d+)?\/?$/, 'a URL such as http://10.0.0.20:11334').optional(),
    rspamdPassword: z.string().min(1).optional(),
    /** The embedded rspamd's ports (scanning worker, controller) and clamd's, all on loopback. */
    rspamdPort: port.default(21333),
    rspamdControllerPort: port.default(21334),
    clamdPort: port.default(23310),
    /** ClamAV's signature folder (freshclam writes it); without signatures there is no antivirus. */
    clamavDatabaseDir: z.string().min(1).default('/var/lib/clamav'),
    /** How long the MX waits for the scanner before treating it as down. */
    scanTimeoutMs: z.coerce.number().int().min(500).max(30000).default(5000),
    /** Scanner down: answer 451 (the sender retries), or accept and mark the message unscanned. */
    scanUnavailable: z.enum(['tempfail', 'accept']).default('tempfail'),
    /** rspamd score from which a message goes to Junk, and from which it is refused at DATA. */
    spamJunkScore: z.coerce.number().min(0).max(1000).default(6),
    spamRejectScore: z.coerce.number().min(0).max(1000).default(15),
    /** Attachment name extensions refused (comma-separated); absent: the built-in list. */
    blockedExtensions: z.string().regex(/^[a-z0-9.,\s]*$/i, 'extensions such as exe,scr,js').optional(),
    /** Largest single attachment (0 = only the message size limit), e.g. 10M. */
    maxAttachmentSize: z.string().regex(/^\d+[KMGT]?$/i, 'a size such as 10M, or 0').default('0'),
    /** Password-protected archives: refuse, file in Junk, or allow. */
    encryptedArchives: z.enum(['refuse', 'junk', 'allow']).default('junk'),
    /** Per recipient domain, any of the five settings above (config file only). */
    scanDomains: z
      .record(
        z.string().regex(/^[a-z0-9.-]+$/, 'a lower-case domain name'),
        z
          .object({
            spamJunkScore: z.number().min(0).max(1000).optional(),
            spamRejectScore: z.number().min(0).max(1000).optional(),
            blockedExtensions: z.string().regex(/^[a-z0-9.,\s]*$/i, 'extensions such as exe,scr,js').optional(),
            maxAttachmentSize: z.string().regex(/^\d+[KMGT]?$/i, 'a size such as 10M, or 0').optional(),
            encryptedArchives: z.enum(['refuse', 'junk', 'allow']).optional(),
          })
          .strict(),
      )
      .optional(),
    /** Who may read /metrics without a token: CIDR blocks (default loopback). */
    metricsAllow: z.string().regex(/^$|^[0-9a-f.:]+\/\d{1,3}(,[0-9a-f.:]+\/\d{1,3})*$/i, 'CIDR blocks such as 127.0.0.0/8,10.0.5.0/24').default('127.0.0.0/8,::1/128'),
    /** A bearer token that also opens /metrics (for a Prometheus elsewhere); at least 24 characters. */
    metricsToken: z.string().min(24, 'a random token of at least 24 characters').optional(),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;

const envKeys: Record<string, keyof Config> = {
  GOVMAIL_DATA_DIR: 'dataDir',
  DATABASE_URL: 'databaseUrl',
  GOVMAIL_HOSTNAME: 'hostname',
  GOVMAIL_LISTEN_HOST: 'listenHost',
  GOVMAIL_SMTP_PORT: 'smtpPort',
  GOVMAIL_SUBMISSION_PORT: 'submissionPort',
  GOVMAIL_SUBMISSIONS_PORT: 'submissionsPort',
  GOVMAIL_IMAP_PORT: 'imapPort',
  GOVMAIL_POP3_PORT: 'pop3Port',
  GOVMAIL_MANAGESIEVE_PORT: 'managesievePort',
  GOVMAIL_LMTP_PORT: 'lmtpPort',
  GOVMAIL_HTTP_PORT: 'httpPort',
  GOVMAIL_EMBEDDED_PG_PORT: 'embeddedPgPort',
  GOVMAIL_SMARTHOST: 'smarthost',
  GOVMAIL_MAX_MESSAGE_SIZE: 'maxMessageSize',
  GOVMAIL_DEFAULT_QUOTA: 'defaultQuota',
  GOVMAIL_LOG_LEVEL: 'logLevel',
  GOVMAIL_QUEUE_RETRY_MAX_SECONDS: 'queueRetryMaxSeconds',
  GOVMAIL_SERVICE_USER: 'serviceUser',
  GOVMAIL_PKI_URL: 'pkiUrl',
  GOVMAIL_TSA_URL: 'tsaUrl',
  GOVMAIL_SENDER_CHECKS: 'senderChecks',
  GOVMAIL_DNS_SERVERS: 'dnsServers',
  GOVMAIL_TRUSTED_NETWORKS: 'trustedNetworks',
  GOVMAIL_SMTP_MAX_RECIPIENTS: 'smtpMaxRecipients',
  GOVMAIL_SUBMISSION_MAX_RECIPIENTS: 'submissionMaxRecipients',
  GOVMAIL_SMTP_CONNECTIONS_PER_ADDRESS: 'smtpConnectionsPerAddress',
  GOVMAIL_SMTP_MAX_CONNECTIONS: 'smtpMaxConnections',
  GOVMAIL_SMTP_IDLE_TIMEOUT_SECONDS: 'smtpIdleTimeoutSeconds',
  GOVMAIL_SMTP_UNKNOWN_RECIPIENT_SOFT_LIMIT: 'smtpUnknownRecipientSoftLimit',
  GOVMAIL_SMTP_UNKNOWN_RECIPIENT_HARD_LIMIT: 'smtpUnknownRecipientHardLimit',
  GOVMAIL_SMTP_ERROR_DELAY_MS: 'smtpErrorDelayMs',
  GOVMAIL_SEND_MESSAGES_PER_HOUR: 'sendMessagesPerHour',
  GOVMAIL_SEND_EXTERNAL_RECIPIENTS_PER_HOUR: 'sendExternalRecipientsPerHour',
  GOVMAIL_LIMITS_EXEMPT_NETWORKS: 'limitsExemptNetworks',
  GOVMAIL_SPAM_FILTER: 'spamFilter',
  GOVMAIL_RSPAMD_URL: 'rspamdUrl',
  GOVMAIL_RSPAMD_CONTROLLER_URL: 'rspamdControllerUrl',
  GOVMAIL_RSPAMD_PASSWORD: 'rspamdPassword',
  GOVMAIL_RSPAMD_PORT: 'rspamdPort',
  GOVMAIL_RSPAMD_CONTROLLER_PORT: 'rspamdControllerPort',
  GOVMAIL_CLAMD_PORT: 'clamdPort',
  GOVMAIL_CLAMAV_DATABASE_DIR: 'clamavDatabaseDir',
  GOVMAIL_SCAN_TIMEOUT_MS: 'scanTimeoutMs',
  GOVMAIL_SCAN_UNAVAILABLE: 'scanUnavailable',
  GOVMAIL_SPAM_JUNK_SCORE: 'spamJunkScore',
  GOVMAIL_SPAM_REJECT_SCORE: 'spamRejectScore',
  GOVMAIL_BLOCKED_EXTENSIONS: 'blockedExtensions',
  GOVMAIL_MAX_ATTACHMENT_SIZE: 'maxAttachmentSize',
  GOVMAIL_ENCRYPTED_ARCHIVES: 'encryptedArchives',
  GOVMAIL_METRICS_ALLOW: 'metricsAllow',
  GOVMAIL_METRICS_TOKEN: 'metricsToken',
};

export function loadConfig(
  overrides: Partial<Record<keyof Config, unknown>> = {},
  env: NodeJS.ProcessEnv = process.env,
): Config {
  const fromEnv: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(envKeys)) {
    if (env[name] !== undefined && env[name] !== '') fromEnv[key] = env[name];
  }
  const dataDir = String(overrides.dataDir ?? fromEnv.dataDir ?? './data');
  const file = env.GOVMAIL_CONFIG ?? path.join(dataDir, 'govmail.json');
  let fromFile: Record<string, unknown> = {};
  if (existsSync(file)) {
    try {
      fromFile = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new ConfigError(`config file ${file}`, 'valid JSON', (err as Error).message);
    }
  }
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const parsed = configSchema.safeParse({ ...fromFile, ...fromEnv, ...defined });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue.path.join('.') || '(root)';
    const envName = Object.entries(envKeys).find(([, k]) => k === key)?.[0];
    throw new ConfigError(envName ? `${key} (${envName})` : key, issue.message, 'invalid value');
  }
  return { ...parsed.data, dataDir: path.resolve(parsed.data.dataDir) };
}

/** Parses "2G", "500M", "1024" into bytes. */
export function parseSize(text: string): number {
  const m = /^(\d+)([KMGT]?)$/i.exec(text.trim());
  if (!m) throw new ConfigError('size', 'a number with optional K/M/G/T suffix such as 2G', text);
  const power = ' KMGT'.indexOf((m[2] || ' ').toUpperCase());
  return Number(m[1]) * 1024 ** power;
}

export function pkiBaseUrl(config: Config): string {
  return config.pkiUrl ?? `http://${config.hostname}:${config.httpPort}/pki`;
}

export function defaultHostname(): string {
  return os.hostname();
}
