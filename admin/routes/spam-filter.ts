import type { FastifyInstance } from 'fastify';
import { GovmailError } from '../../core/errors.js';
import type { AdminRouteOptions } from './context.js';

/** What an attachment and spam policy sets: the config's defaults, or a domain's overrides of them (`scanDomains`). */
export interface ScanSettings {
  /** rspamd score from which a message goes to Junk, and from which it is refused at DATA. */
  junkScore: number;
  rejectScore: number;
  /** Attachment name extensions refused (lower case, no dot). */
  blockedExtensions: string[];
  /** Largest single attachment as configured (`10M`; `0` = only the message size limit). */
  maxAttachmentSize: string;
  encryptedArchives: 'refuse' | 'junk' | 'allow';
}

/** The embedded scanner's processes (smtp's ScannerHealth, handed in by the composition root). */
export interface SpamFilterHealth {
  rspamd: 'running' | 'restarting';
  /** `absent`: ClamAV is not installed; `no-signatures`: installed, but its database folder has none. */
  clamav: 'running' | 'restarting' | 'absent' | 'no-signatures';
  clamavDatabaseDir: string;
  restarts: number;
}

/** The spam filter as the admin console shows it (read-only: the settings live in the config file). */
export interface SpamFilterStatus {
  enabled: boolean;
  /** `embedded`: govmail start runs rspamd (and clamd); `external`: an rspamd at `rspamdUrl`; `off`: no scanning. */
  scanner: 'embedded' | 'external' | 'off';
  /** The external rspamd's host and port (never its user or password). */
  externalHost?: string;
  /** Embedded scanner only, and only when this process runs it. */
  health?: SpamFilterHealth;
  defaults: ScanSettings & {
    /** Scanner down: 451 (tempfail) or accept unscanned. */
    unavailable: 'tempfail' | 'accept';
    timeoutMs: number;
    /** The extensions are the built-in list (the config sets none). */
    builtInExtensions: boolean;
  };
  /** Per recipient domain, only the settings that domain overrides. */
  domains: Array<{ domain: string } & Partial<ScanSettings>>;
}

const settings = {
  junkScore: { type: 'number' },
  rejectScore: { type: 'number' },
  blockedExtensions: { type: 'array', items: { type: 'string' } },
  maxAttachmentSize: { type: 'string' },
  encryptedArchives: { type: 'string', enum: ['refuse', 'junk', 'allow'] },
} as const;

const statusSchema = {
  type: 'object',
  required: ['enabled', 'scanner', 'defaults', 'domains'],
  properties: {
    enabled: { type: 'boolean' },
    scanner: { type: 'string', enum: ['embedded', 'external', 'off'] },
    externalHost: { type: 'string' },
    health: {
      type: 'object',
      properties: {
        rspamd: { type: 'string', enum: ['running', 'restarting'] },
        clamav: { type: 'string', enum: ['running', 'restarting', 'absent', 'no-signatures'] },
        clamavDatabaseDir: { type: 'string' },
        restarts: { type: 'integer' },
      },
    },
    defaults: {
      type: 'object',
      properties: { ...settings, unavailable: { type: 'string', enum: ['tempfail', 'accept'] }, timeoutMs: { type: 'integer' }, builtInExtensions: { type: 'boolean' } },
    },
    domains: { type: 'array', items: { type: 'object', required: ['domain'], properties: { domain: { type: 'string' }, ...settings } } },
  },
} as const;

/** The spam and malware filter's state and thresholds, province-wide (superadmin, auditor): no agency owns the MX. */
export function spamFilterRoutes(app: FastifyInstance, opts: AdminRouteOptions): void {
  app.get('/api/admin/spam-filter', {
    schema: { summary: 'Lọc thư rác: trạng thái và ngưỡng / spam filter: status and thresholds', response: { 200: statusSchema } },
    config: { access: { action: 'report.read', targets: async () => [null] } },
  }, async () => {
    if (!opts.spamFilter) throw new GovmailError('SPAM_FILTER_UNAVAILABLE', 'the spam filter status is not wired in this server', 'máy chủ này chưa có thông tin lọc thư rác', 503);
    return opts.spamFilter();
  });
}
