import type { Readable } from 'node:stream';
import type { SMTPServerAddress, SMTPServerOptions, SMTPServerSession } from 'smtp-server';
import { mayPost } from '../admin/index.js';
import type { Config } from '../core/config.js';
import type { RecipientLookups } from './recipient-cache.js';
import { LineEndingGuard, REPLIES, type Reply } from './rules.js';
import { ClientLimiter, recipientCapReply, smtputf8Violation } from './limits.js';
import { trustedNetworks } from './sender-auth.js';

/** An SMTP reply as the Error smtp-server expects from a handler. */
export function smtpError(r: Reply): Error & { responseCode: number } {
  return Object.assign(new Error(r.message), { responseCode: r.code });
}

/** What we learnt about a recipient at RCPT time, kept on smtp-server's address object. */
export type RcptTarget = { kind: 'local'; mailboxes: string[] } | { kind: 'remote' };
export type TaggedAddress = SMTPServerAddress & { govmail?: RcptTarget };

/**
 * The RCPT decision shared by MX and submission. `authUser` is set on submission: it may then relay
 * to other domains and post to internal lists.
 */
export async function checkRecipient(lookups: RecipientLookups, address: string, authUser: string | undefined): Promise<RcptTarget | Reply> {
  // The quota is asked at the same time as the address: for a mailbox's own address (the common
  // case) the answer is then ready with no second round trip; for an alias it is asked again.
  const addressed = address.trim().toLowerCase();
  const [{ lookup: found }, addressedFull] = await Promise.all([lookups.address(address), lookups.quotaFull(addressed)]);
  if (found.kind === 'foreign') return authUser ? { kind: 'remote' } : REPLIES.relayDenied;
  if (found.kind === 'unknown' || found.kind === 'suspended') return REPLIES.unknownUser(address);
  if (found.kind === 'list') {
    if (!mayPost(found.list, authUser ?? '', !!authUser)) return REPLIES.listRefused(address);
    return { kind: 'local', mailboxes: found.list.members };
  }
  const full = found.address === addressed ? addressedFull : await lookups.quotaFull(found.address);
  if (full) return REPLIES.mailboxFull(address);
  return { kind: 'local', mailboxes: [found.address] };
}

/** Reads DATA fully (smtp-server needs the stream drained) while checking size and line endings. */
export async function readMessage(stream: Readable & { sizeExceeded?: boolean }, maxSize: number): Promise<{ message: Buffer } | { reply: Reply }> {
  const guard = new LineEndingGuard();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    guard.feed(chunk as Buffer);
    size += (chunk as Buffer).length;
    if (size <= maxSize) chunks.push(chunk as Buffer);
  }
  if (stream.sizeExceeded || size > maxSize) return { reply: REPLIES.tooBig(maxSize) };
  if (!guard.end()) return { reply: REPLIES.smuggling };
  return { message: Buffer.concat(chunks, size) };
}

export function envelopeTargets(session: SMTPServerSession): { local: string[]; remote: string[] } {
  const local: string[] = [];
  const remote: string[] = [];
  for (const r of session.envelope.rcptTo as TaggedAddress[]) {
    if (r.govmail?.kind === 'local') local.push(...r.govmail.mailboxes);
    else if (r.govmail?.kind === 'remote') remote.push(r.address);
  }
  return { local, remote };
}

/** The client networks that no limit applies to, from `limitsExemptNetworks`. */
export function limitsExempt(config: Config): (ip: string) => boolean {
  return trustedNetworks(config.limitsExemptNetworks ? config.limitsExemptNetworks.split(',') : []);
}

/** One limiter per listening server, with the configured limits; `maxRecipients` differs between MX and submission. */
export function clientLimiter(config: Config, maxRecipients: number): ClientLimiter {
  return new ClientLimiter({
    connectionsPerAddress: config.smtpConnectionsPerAddress,
    maxRecipients,
    unknownSoftLimit: config.smtpUnknownRecipientSoftLimit,
    unknownHardLimit: config.smtpUnknownRecipientHardLimit,
    unknownDelayMs: config.smtpErrorDelayMs,
    unknownWindowMs: 10 * 60_000,
    exempt: limitsExempt(config),
  });
}

/** smtp-server options every GovMail SMTP server shares: total clients, idle timeout, per-address admission. */
export function limitOptions(config: Config, limiter: ClientLimiter): Pick<SMTPServerOptions, 'maxClients' | 'socketTimeout' | 'onConnect' | 'onClose'> {
  return {
    maxClients: config.smtpMaxConnections,
    socketTimeout: config.smtpIdleTimeoutSeconds * 1000,
    onConnect(session, callback) {
      const refused = limiter.admit(session.id, session.remoteAddress);
      callback(refused && smtpError(refused));
    },
    onClose(session) {
      limiter.release(session.id, session.remoteAddress);
    },
  };
}

/** MAIL FROM rules shared by MX and submission (RFC 6531); undefined when the sender may go on. */
export function mailFromViolation(address: string, session: SMTPServerSession): Reply | undefined {
  return smtputf8Violation(address, !!(session.envelope as { smtpUtf8?: boolean }).smtpUtf8);
}

/** RCPT rules before the directory is asked: SMTPUTF8 and the recipient cap. */
export function rcptPrecheck(address: string, session: SMTPServerSession, limiter: ClientLimiter): Reply | undefined {
  return mailFromViolation(address, session) ?? (limiter.isExempt(session.remoteAddress) ? undefined : recipientCapReply(session.envelope.rcptTo.length, limiter.maxRecipients));
}

/**
 * A refused recipient from the directory: the answer waits when the client has had too many, and
 * becomes 421 (closing the connection) at the hard limit.
 */
export async function refusedRecipient(reply: Reply, session: SMTPServerSession, limiter: ClientLimiter): Promise<Reply> {
  if (reply.code < 500) return reply;
  const state = session as SMTPServerSession & { govmailRefused?: number };
  state.govmailRefused = (state.govmailRefused ?? 0) + 1;
  const verdict = limiter.unknownRecipient(session.remoteAddress, state.govmailRefused);
  if (verdict.delayMs > 0) await new Promise((r) => setTimeout(r, verdict.delayMs));
  return verdict.reply ?? reply;
}
