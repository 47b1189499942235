import { randomBytes } from 'node:crypto';
import type { Sequelize } from 'sequelize';
import type { Kek } from '../core/kek.js';
import { isLocalDomain } from '../admin/index.js';
import { LmtpUnavailableError, type LmtpClient } from '../mailstore/index.js';
import { enqueue } from './queue.js';
import { buildDsn } from './dsn.js';
import { recordUsage, recordUsageAsync, recordUsageLater, type UsageRow } from './usage.js';
import { logger } from '../core/log.js';
import { signIfPossible } from './dkim.js';
import { domainOf, outcomeOf, transactionReply, type Reply } from './rules.js';
import { classifiedPolicy } from './policy.js';
import { removeForgedHeaders } from './sender-auth.js';
import { audit } from '../core/audit.js';
import { takeSendAllowance, type SendRateLimits } from './send-rate.js';
import { lmtpSeconds } from './metrics.js';
import type { MessageScanner } from './scan/index.js';

/**
 * What happens to a message once DATA is complete, for MX and submission alike. The rule: we answer 250
 * only when every recipient has the message in Dovecot or in the durable queue. Local recipients go
 * straight to Dovecot over LMTP; a temporary refusal or an unreachable Dovecot puts them in the queue;
 * remote recipients are queued (DKIM-signed once, here).
 */
export interface PipelineDeps {
  db: Sequelize;
  lmtp: LmtpClient;
  kek: Kek;
  hostname: string;
  queueRetryMaxSeconds: number;
  onQueued?: () => void;
  /** Government domain suffixes for the classified-document policy (policy.ts); default gov.vn. */
  governmentSuffixes?: readonly string[];
  /** Our users' send-rate limits (send-rate.ts), and the client addresses exempt from them; absent: none. */
  sendRate?: { limits: SendRateLimits; exempt: (ip: string) => boolean };
  /** Scans what our users send (a compromised account sending spam or malware is stopped); absent: none. */
  scanner?: MessageScanner;
}

export interface Accepted {
  sender: string;
  /** Final local mailboxes (aliases and lists already expanded), each with the RCPT it came from. */
  local: string[];
  remote: string[];
  message: Buffer;
  /** The authenticated sender, for submission; undefined for mail from the outside. */
  authUser?: string;
  /** The submitting client's address (send-rate exemptions). */
  clientIp?: string;
  /**
   * Write the usage rows after answering when nothing is queued (the MX: a long-running server). Never
   * for a process that exits once it has its answer.
   */
  usageAfterReply?: boolean;
}

/** The reply plus what became of each final recipient (the webmail reports delivered vs queued). */
export interface AcceptResult extends Reply {
  recipients: Array<{ address: string; outcome: 'delivered' | 'queued' | 'permanent'; response: string }>;
}

// A random prefix per process and a counter: unique like a random id, without a CSPRNG call per message.
const idPrefix = randomBytes(4).toString('hex');
let idCounter = 0;

export function receivedHeader(o: { helo: string; ip: string; hostname: string; protocol: string; rcpt?: string }): string {
  const id = idPrefix + (idCounter++).toString(16).padStart(4, '0');
  const forClause = o.rcpt ? `\r\n\tfor <${o.rcpt}>` : '';
  return `Received: from ${o.helo || 'unknown'} ([${o.ip}])\r\n\tby ${o.hostname} (GovMail) with ${o.protocol} id ${id}${forClause};\r\n\t${new Date().toUTCString()}\r\n`;
}

/**
 * Our own user's message through the scan. Spam or malware from an account is the sign of a stolen
 * password: the message goes nowhere and the account is flagged in the audit log for its admins.
 */
async function scanOutgoing(deps: PipelineDeps, msg: Accepted, local: string[]): Promise<AcceptResult | undefined> {
  const scan = await deps.scanner!.scan(msg.message, { ip: msg.clientIp, sender: msg.sender, recipients: [...local, ...msg.remote], user: msg.authUser });
  if (scan.kind === 'deliver') return undefined;
  if (scan.kind === 'refuse') {
    logger().warn({ svc: 'smtp', mailbox: msg.authUser, category: scan.category, reason: scan.reason }, 'outgoing message refused by the scan; account flagged');
    await audit(deps.db, { actor: msg.authUser!, action: 'mail.outbound_refused', target: msg.authUser, after: { category: scan.category, reason: scan.reason, recipients: local.length + msg.remote.length } }).catch(() => undefined);
  }
  const response = `${scan.reply.code} ${scan.reply.message}`;
  return { ...scan.reply, recipients: scan.kind === 'refuse' ? [...local, ...msg.remote].map((address) => ({ address, outcome: 'permanent' as const, response })) : [] };
}

export async function acceptMessage(deps: PipelineDeps, accepted: Accepted): Promise<AcceptResult> {
  const { db } = deps;
  // Our own users cannot write what only the MX may say (Authentication-Results of ours, the junk mark).
  const msg = accepted.authUser ? { ...accepted, message: removeForgedHeaders(accepted.message, deps.hostname) } : accepted;
  const local = [...new Set(msg.local.map((a) => a.toLowerCase()))];
  if (msg.authUser && msg.remote.length) {
    // Classified documents leave only for government domains; otherwise nothing is sent to anyone.
    const policy = classifiedPolicy(msg.message, msg.remote, { governmentSuffixes: deps.governmentSuffixes });
    if (!policy.allowed) {
      await audit(db, { actor: msg.authUser, action: 'mail.classified_refused', after: { classification: policy.classification, refused: policy.refused } }).catch(() => undefined);
      const response = `${policy.reply.code} ${policy.reply.message}`;
      return { ...policy.reply, recipients: [...local, ...msg.remote].map((address) => ({ address, outcome: 'permanent' as const, response })) };
    }
  }
  if (msg.authUser && deps.scanner) {
    const refused = await scanOutgoing(deps, msg, local);
    if (refused) return refused;
  }
  if (msg.authUser && deps.sendRate && !(msg.clientIp && deps.sendRate.exempt(msg.clientIp))) {
    const over = await takeSendAllowance(db, msg.authUser, msg.remote.length, deps.sendRate.limits);
    if (over) return { ...over, recipients: [] };
  }
  const outcomes: Array<{ address: string; outcome: ReturnType<typeof outcomeOf> | 'queued'; code: number; response: string }> = [];

  let lmtpResults: Array<{ recipient: string; code: number; response: string }> = [];
  if (local.length) {
    try {
      const stopTimer = lmtpSeconds.startTimer();
      lmtpResults = await deps.lmtp.deliver({ from: msg.sender, to: local, raw: msg.message });
      stopTimer();
    } catch (err) {
      if (!(err instanceof LmtpUnavailableError)) throw err;
      lmtpResults = local.map((r) => ({ recipient: r, code: 451, response: '451 4.3.0 mail store unavailable' }));
    }
  }
  const toQueueLocal = lmtpResults.filter((r) => outcomeOf(r.code) === 'temporary').map((r) => r.recipient);
  for (const r of lmtpResults) {
    const outcome = outcomeOf(r.code);
    outcomes.push({ address: r.recipient, outcome: outcome === 'temporary' ? 'queued' : outcome, code: r.code, response: r.response });
  }
  for (const r of msg.remote) outcomes.push({ address: r, outcome: 'queued', code: 250, response: '250 queued' });

  const { reply: answer, dsnFor } = transactionReply(outcomes);
  const reply: AcceptResult = { ...answer, recipients: outcomes.map((o) => ({ address: o.address, outcome: o.outcome === 'temporary' ? 'queued' : o.outcome, response: o.response })) };
  const usage: UsageRow[] = [];
  const size = msg.message.length;
  for (const o of outcomes) {
    if (o.outcome === 'delivered') usage.push({ event: 'delivered', mailbox: o.address, direction: msg.authUser ? 'internal' : 'in', size });
  }
  if (msg.authUser) usage.push({ event: 'accepted', mailbox: msg.authUser, direction: msg.remote.length ? 'out' : 'internal', size });
  else for (const o of outcomes) if (o.outcome !== 'permanent') usage.push({ event: 'accepted', mailbox: o.address, direction: 'in', size });

  const needsQueue = toQueueLocal.length > 0 || msg.remote.length > 0 || (dsnFor.length > 0 && msg.sender !== '');
  if (!needsQueue) {
    // Delivery already happened: a lost usage row must not turn it into an error.
    if (msg.usageAfterReply) recordUsageLater(db, usage);
    else await recordUsageAsync(db, usage).catch((err: Error) => logger().warn({ svc: 'smtp', err: err.message }, 'usage events not recorded'));
    return reply;
  }
  // One transaction for everything that must survive: remote and retry jobs, the DSN, the usage rows.
  await db.transaction(async (t) => {
    const expiresInSeconds = deps.queueRetryMaxSeconds;
    if (msg.remote.length) {
      const signed = await signIfPossible(db, deps.kek, domainOf(msg.sender), msg.message);
      await enqueue(db, { sender: msg.sender, recipients: msg.remote.map((a) => ({ address: a, local: false })), message: signed, originMailbox: msg.authUser, expiresInSeconds }, t);
    }
    if (toQueueLocal.length) {
      await enqueue(db, { sender: msg.sender, recipients: toQueueLocal.map((a) => ({ address: a, local: true })), message: msg.message, originMailbox: msg.authUser, expiresInSeconds, delaySeconds: 30 }, t);
    }
    if (dsnFor.length && msg.sender) {
      const failures = dsnFor.map((i) => ({ recipient: outcomes[i].address, code: outcomes[i].code, response: outcomes[i].response }));
      const dsn = buildDsn({ hostname: deps.hostname, to: msg.sender, failures, original: msg.message, arrival: new Date() });
      await enqueue(db, { sender: '', recipients: [{ address: msg.sender, local: await isLocalDomain(db, domainOf(msg.sender)) }], message: dsn, expiresInSeconds }, t);
    }
    await recordUsage(db, usage, t);
  });
  deps.onQueued?.();
  return reply;
}
