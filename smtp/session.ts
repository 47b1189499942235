import type { Readable } from 'node:stream';
import type { SMTPServerAddress, SMTPServerSession } from 'smtp-server';
import { mayPost } from '../admin/index.js';
import type { RecipientLookups } from './recipient-cache.js';
import { LineEndingGuard, REPLIES, type Reply } from './rules.js';

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
