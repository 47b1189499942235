/**
 * smtp/scan: spam, malware and attachment checks for the MX and for what our users send. The MX asks a
 * `MessageScanner` (`scan()`) once DATA is complete; it answers with a refusal (5xx), a temporary refusal (4xx) or
 * the header lines to write on the message, Junk mark included. The private rspamd and clamd are
 * started by `startEmbeddedScanner` (govmail start); an external rspamd is reached by URL.
 */
import { simpleParser } from 'mailparser';
import type { Config } from '../../core/config.js';
import { counter } from '../../core/metrics.js';
import { JUNK_HEADER } from '../../mailstore/index.js';
import { domainOf } from '../rules.js';
import { attachmentReply, judgeAttachments, type AttachmentFile } from './attachments.js';
import { domainScanPolicy, strictestPolicy, type DomainScanPolicy } from './policy.js';
import { ScannerUnavailableError, rspamdClient, type RspamdClient, type RspamdEndpoints } from './rspamd-client.js';
import { decide, removeScanHeaders, SCANNER_UNAVAILABLE, settingsHeader, unscannedHeader, type ScanDecision } from './verdict.js';

export { startEmbeddedScanner, type ScannerHandle, type ScannerHealth, RSPAMD_BIN, CLAMD_BIN } from './embedded.js';
export { rspamdClient, ScannerUnavailableError, type RspamdClient, type RspamdEndpoints } from './rspamd-client.js';
export { removeScanHeaders, type ScanDecision } from './verdict.js';
export { domainScanPolicy, type DomainScanPolicy } from './policy.js';

const scanned = counter('govmail_scan_results_total', 'Messages scanned, by direction and outcome (deliver, junk, refuse, tempfail, unscanned)', ['direction', 'outcome']);
const refusedBy = counter('govmail_scan_refusals_total', 'Messages refused by the scan, by category (spam, virus, attachment)', ['category']);

export interface ScanContext {
  ip?: string;
  helo?: string;
  sender: string;
  recipients: readonly string[];
  /** The authenticated sender, for mail our users send. */
  user?: string;
}

export interface MessageScanner {
  scan(message: Buffer, ctx: ScanContext): Promise<ScanDecision & { message: Buffer }>;
  client: RspamdClient;
}

/** The rspamd to use: the external one from the config, or the embedded one's endpoints. */
export function scannerEndpoints(config: Config, embedded?: RspamdEndpoints): RspamdEndpoints | undefined {
  if (config.spamFilter === 'off') return undefined;
  if (config.rspamdUrl) return { scanUrl: config.rspamdUrl, controllerUrl: config.rspamdControllerUrl, password: config.rspamdPassword, timeoutMs: config.scanTimeoutMs };
  return embedded && { ...embedded, timeoutMs: config.scanTimeoutMs };
}

// A message whose head names no multipart body and no file has no attachment to judge: skip the parse.
function mayHaveAttachments(message: Buffer): boolean {
  const end = message.indexOf('\r\n\r\n');
  const head = message.subarray(0, end < 0 ? message.length : end).toString('latin1');
  return /^content-type:\s*(?!text\/)/im.test(head) || /^content-disposition:/im.test(head);
}

async function attachmentsOf(message: Buffer): Promise<AttachmentFile[]> {
  if (!mayHaveAttachments(message)) return [];
  const parsed = await simpleParser(message, { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true });
  return parsed.attachments.map((a) => ({ filename: a.filename, content: a.content }));
}

export function createMessageScanner(config: Config, endpoints: RspamdEndpoints): MessageScanner {
  const client = rspamdClient(endpoints);
  // The config does not change while the MX runs: each domain's policy is read once.
  const policies = new Map<string, DomainScanPolicy>();
  const domainPolicy = (domain: string) => policies.get(domain) ?? policies.set(domain, domainScanPolicy(config, domain)).get(domain)!;
  const fallback = domainPolicy('');
  const policyFor = (recipients: readonly string[]): DomainScanPolicy => strictestPolicy([...new Set(recipients.map(domainOf))].map(domainPolicy), fallback);
  return {
    client,
    async scan(raw, ctx) {
      const direction = ctx.user ? 'out' : 'in';
      const message = removeScanHeaders(raw);
      const policy = policyFor(ctx.user ? [ctx.user] : ctx.recipients);
      const finding = await judgeAttachments(await attachmentsOf(message), policy.attachments);
      if (finding.verdict === 'refuse') {
        scanned.inc({ direction, outcome: 'refuse' });
        refusedBy.inc({ category: 'attachment' });
        return { kind: 'refuse', category: 'attachment', reason: `${finding.why.kind}: ${finding.file}`, reply: attachmentReply(finding), message };
      }
      let decision: ScanDecision;
      let unscanned = false;
      try {
        const result = await client.check(message, { ip: ctx.ip, helo: ctx.helo, from: ctx.sender, rcpt: ctx.recipients, user: ctx.user, settings: settingsHeader(policy.thresholds) });
        decision = decide(result, policy.thresholds);
      } catch (err) {
        if (!(err instanceof ScannerUnavailableError) && !(err instanceof SyntaxError)) throw err;
        const reason = err instanceof ScannerUnavailableError ? err.detail : 'unreadable answer';
        scanned.inc({ direction, outcome: config.scanUnavailable === 'accept' ? 'unscanned' : 'tempfail' });
        if (config.scanUnavailable === 'tempfail') return { kind: 'tempfail', reason, reply: SCANNER_UNAVAILABLE, message };
        decision = { kind: 'deliver', headers: unscannedHeader(reason) };
        unscanned = true;
      }
      if (decision.kind !== 'deliver') {
        scanned.inc({ direction, outcome: decision.kind });
        if (decision.kind === 'refuse') refusedBy.inc({ category: decision.category });
        return { ...decision, message };
      }
      const reasons = [finding.verdict === 'junk' ? `${finding.why} file=${finding.file.replace(/[^\x21-\x7e]/g, '_').slice(0, 80)}` : undefined, decision.junk].filter(Boolean);
      const junk = reasons.length ? reasons.join('; ') : undefined;
      if (!unscanned) scanned.inc({ direction, outcome: junk ? 'junk' : 'deliver' });
      const headers = decision.headers + (junk && !ctx.user ? `${JUNK_HEADER}: ${junk}\r\n` : '');
      return { kind: 'deliver', headers, junk, message };
    },
  };
}
