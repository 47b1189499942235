import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import type { Sequelize } from '../core/db.js';
import type { Config } from '../core/config.js';
import type { RunningService } from '../core/service.js';
import { adminRoutes, mailboxAgency, tokenPrincipal, type SpamFilterHealth, type SpamFilterStatus } from '../admin/index.js';
import { serveSpa, WEBMAIL_CSP } from './ui.js';
import { usageSources } from './reports.js';
import { configuredTimestamper, pkiRoutes, signingRoutes } from '../signer/index.js';
import { loadKek } from '../core/kek.js';
import { counter, histogram, renderMetrics } from '../core/metrics.js';
import { networkMatcher } from '../core/networks.js';
import { pkiBaseUrl } from '../core/config.js';
import { clientConfigRoutes, webmailRoutes } from '../webmail/index.js';
import { MASTER_USER, type DovecotHealth } from '../mailstore/index.js';
import { domainScanPolicy, type Submitter } from '../smtp/index.js';

/** What the HTTP app gets from services started before it; tests build the app without them. */
export interface HttpServices {
  /** smtp's submission pipeline, for the webmail's /send. */
  submit?: Submitter;
  /** Dovecot's panics and fatal errors since start, shown on /healthz. */
  dovecotHealth?: () => DovecotHealth;
  /** The spam filter's learning, for the webmail's "spam" / "not spam", where Dovecot's imapsieve does not teach it (govmail start: it does). */
  learn?: (kind: 'spam' | 'ham', raw: Buffer) => Promise<unknown>;
  /** The embedded rspamd's and clamd's state (govmail start, when it runs them), for the admin console's spam filter page. */
  scannerHealth?: () => SpamFilterHealth | undefined;
}

/** The spam filter as the admin console shows it: the config's thresholds and overrides, and the embedded scanner's health. */
export function spamFilterStatus(config: Config, health?: () => SpamFilterHealth | undefined): SpamFilterStatus {
  const enabled = config.spamFilter === 'on';
  const scanner = !enabled ? 'off' : config.rspamdUrl ? 'external' : 'embedded';
  // The MX's own reading of the settings (smtp's domainScanPolicy), so the console never disagrees with it.
  const base = domainScanPolicy(config, '');
  const current = scanner === 'embedded' ? health?.() : undefined;
  return {
    enabled,
    scanner,
    ...(scanner === 'external' ? { externalHost: new URL(config.rspamdUrl!).host } : {}),
    ...(current ? { health: { rspamd: current.rspamd, clamav: current.clamav, clamavDatabaseDir: current.clamavDatabaseDir, restarts: current.restarts } } : {}),
    defaults: {
      junkScore: base.thresholds.junk,
      rejectScore: base.thresholds.reject,
      blockedExtensions: [...base.attachments.blockedExtensions],
      builtInExtensions: config.blockedExtensions === undefined,
      maxAttachmentSize: config.maxAttachmentSize,
      encryptedArchives: config.encryptedArchives,
      unavailable: config.scanUnavailable,
      timeoutMs: config.scanTimeoutMs,
    },
    domains: Object.entries(config.scanDomains ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([domain, o]) => ({
        domain,
        ...(o.spamJunkScore !== undefined ? { junkScore: o.spamJunkScore } : {}),
        ...(o.spamRejectScore !== undefined ? { rejectScore: o.spamRejectScore } : {}),
        ...(o.blockedExtensions !== undefined ? { blockedExtensions: [...domainScanPolicy(config, domain).attachments.blockedExtensions] } : {}),
        ...(o.maxAttachmentSize !== undefined ? { maxAttachmentSize: o.maxAttachmentSize } : {}),
        ...(o.encryptedArchives !== undefined ? { encryptedArchives: o.encryptedArchives } : {}),
      })),
  };
}

/** Dovecot's IMAP on loopback with the master user, when this data folder has its password. */
function webmailImap(config: Config) {
  const file = path.join(config.dataDir, 'secrets', 'dovecot-master-password');
  if (!existsSync(file)) return undefined;
  return { host: '127.0.0.1', port: config.imapPort, master: { user: MASTER_USER, password: readFileSync(file, 'utf8').trim() } };
}

const httpRequests = counter('govmail_http_requests_total', 'HTTP requests, by method, route pattern and status', ['method', 'route', 'status']);
const httpSeconds = histogram('govmail_http_request_seconds', 'HTTP request duration, by route pattern', ['route'], [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);

/** Every answer counted by its route pattern (never the raw URL: message UIDs would make endless series). */
function observeHttp(app: FastifyInstance): void {
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    httpRequests.inc({ method: req.method, route, status: String(reply.statusCode) });
    httpSeconds.observe({ route }, reply.elapsedTime / 1000);
  });
}

/** The endpoints mail clients are told to use: those this configuration listens on. */
export function mailEndpoints(config: Config) {
  return { hostname: config.hostname, imapPort: config.imapPort, pop3Port: config.pop3Port, submissionPort: config.submissionPort, submissionsPort: config.submissionsPort };
}

/** The one HTTP app: health, the admin API and its OpenAPI document; signer (/pki) and webmail mount here too. */
export async function buildHttpApp(config: Config, db: Sequelize, services: HttpServices = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: 30 * 1024 * 1024, trustProxy: false });
  await app.register(swagger, {
    openapi: {
      info: { title: 'GovMail API', version: '0.1.0', description: 'Thư công vụ và chữ ký số / official mail and digital signatures' },
      components: { securitySchemes: { token: { type: 'http', scheme: 'bearer' }, session: { type: 'apiKey', in: 'cookie', name: 'gm_admin' } } },
    },
  });
  app.get('/healthz', async (_req, reply) => {
    try {
      await db.query('SELECT 1');
      // A Dovecot panic ends one session, not the service: reported here, not turned into a 503.
      return { status: 'ok', ...(services.dovecotHealth ? { dovecot: services.dovecotHealth() } : {}) };
    } catch {
      return reply.code(503).send({ status: 'database unavailable' });
    }
  });
  observeHttp(app);
  const metricsAllowed = networkMatcher(config.metricsAllow.split(','));
  app.get('/metrics', { schema: { hide: true } }, async (req, reply) => {
    const token = config.metricsToken && req.headers.authorization === `Bearer ${config.metricsToken}`;
    if (!token && !metricsAllowed(req.ip)) {
      return reply.code(403).type('text/plain; charset=utf-8').send('Chỉ đọc được từ địa chỉ trong metricsAllow hoặc với mã metricsToken / allowed only from metricsAllow networks or with the metricsToken bearer token\n');
    }
    const m = await renderMetrics();
    return reply.type(m.contentType).send(m.body);
  });
  const kek = loadKek(config.dataDir);
  const signer = { kek, pkiUrl: pkiBaseUrl(config), dataDir: config.dataDir };
  await app.register(adminRoutes, { db, defaultQuota: config.defaultQuota, secureCookies: false, usage: usageSources(db), signer, spamFilter: () => spamFilterStatus(config, services.scannerHealth) });
  await app.register(pkiRoutes, { db, kek, pkiUrl: signer.pkiUrl, dataDir: config.dataDir });
  await app.register(signingRoutes, { db, kek, pkiUrl: signer.pkiUrl, dataDir: config.dataDir, tsaUrl: config.tsaUrl, directory: { tokenPrincipal, mailboxAgency } });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await serveSpa(app, '/admin/', 'admin');
  app.get('/admin', async (_req, reply) => reply.redirect('/admin/'));
  const imap = webmailImap(config);
  await app.register(webmailRoutes, { prefix: '/webmail/api', db, kek, imap, sieve: imap && { ...imap, port: config.managesievePort }, submit: services.submit, hostname: config.hostname, maxUploadBytes: config.maxMessageSize, dataDir: config.dataDir,
    timestamper: configuredTimestamper(db, kek, { tsaUrl: config.tsaUrl, pkiUrl: signer.pkiUrl, dataDir: config.dataDir }), endpoints: mailEndpoints(config), learn: services.learn });
  await serveSpa(app, '/webmail/', 'webmail', { apiPrefix: '/webmail/api/', csp: WEBMAIL_CSP });
  app.get('/webmail', async (_req, reply) => reply.redirect('/webmail/'));
  app.get('/', async (_req, reply) => reply.redirect('/webmail/'));
  await app.register(clientConfigRoutes, { db, endpoints: mailEndpoints(config) });
  return app;
}

export async function startHttp(config: Config, db: Sequelize, services: HttpServices = {}): Promise<RunningService> {
  const app = await buildHttpApp(config, db, services);
  await app.listen({ host: config.listenHost, port: config.httpPort });
  return { name: 'http', listening: [`HTTP ${config.listenHost}:${config.httpPort}`], stop: () => app.close() };
}
