import { GovmailError } from '../core/errors.js';
import { senderAddresses } from '../admin/index.js';
import { acceptMessage, receivedHeader, type PipelineDeps } from './pipeline.js';
import { checkRecipient } from './session.js';
import { directLookups, type RecipientLookups } from './recipient-cache.js';
import { headerFromAddresses, LineEndingGuard, senderAllowed } from './rules.js';

/**
 * Submission for our own services (the webmail): the same rules as authenticated SMTP submission —
 * the envelope sender and every From: must be the mailbox or one of its aliases, recipients are
 * checked as at RCPT, then the one pipeline (local → LMTP, remote → durable queue, DKIM) takes it.
 * Nothing here re-implements the pipeline; a refused message is an error naming the reason.
 */
export interface SubmitDeps extends PipelineDeps {
  maxMessageSize: number;
  /** The RCPT lookups; default straight queries (a short-lived process has no cache to keep). */
  lookups?: RecipientLookups;
}

export interface SubmitInput {
  /** The logged-in mailbox (the authenticated user). */
  mailbox: string;
  raw: Buffer;
  envelopeFrom: string;
  recipients: string[];
  /** Who submitted, for the Received: header. */
  clientIp?: string;
}

export interface SubmitResult {
  delivered: string[];
  queued: string[];
}

export type Submitter = (input: SubmitInput) => Promise<SubmitResult>;

export class SenderNotAllowedError extends GovmailError {
  constructor(address: string) {
    super('SENDER_NOT_ALLOWED', `you may send only as your own mailbox or its aliases, not as ${address}`, `chỉ được gửi bằng địa chỉ của mình hoặc bí danh, không được gửi bằng ${address}`, 403);
  }
}

export class RecipientRefusedError extends GovmailError {
  constructor(public readonly refused: Array<{ address: string; reason: string }>) {
    const list = refused.map((r) => `${r.address} (${r.reason})`).join('; ');
    super('RECIPIENT_REFUSED', `recipients refused, nothing was sent: ${list}`, `người nhận bị từ chối, thư chưa được gửi: ${list}`, 400);
  }
}

export async function submitMessage(deps: SubmitDeps, input: SubmitInput): Promise<SubmitResult> {
  const mailbox = input.mailbox.toLowerCase();
  const allowed = await senderAddresses(deps.db, mailbox);
  if (!senderAllowed(allowed, input.envelopeFrom)) throw new SenderNotAllowedError(input.envelopeFrom);
  const from = headerFromAddresses(input.raw);
  const stranger = from.find((a) => !senderAllowed(allowed, a));
  if (!from.length || stranger) throw new SenderNotAllowedError(stranger ?? '(no From: header / thiếu From:)');
  if (!input.recipients.length) throw new RecipientRefusedError([{ address: '(none)', reason: 'no recipient / không có người nhận' }]);
  if (input.raw.length > deps.maxMessageSize) {
    throw new GovmailError('MESSAGE_TOO_BIG', `message larger than ${deps.maxMessageSize} bytes`, `thư vượt quá ${deps.maxMessageSize} byte`, 413);
  }
  const guard = new LineEndingGuard();
  guard.feed(input.raw);
  if (!guard.end()) throw new GovmailError('BARE_LINE_ENDING', 'lines must end with CRLF', 'dòng phải kết thúc bằng CRLF', 400);

  const local: string[] = [];
  const remote: string[] = [];
  const refused: Array<{ address: string; reason: string }> = [];
  for (const rcpt of [...new Set(input.recipients.map((r) => r.trim().toLowerCase()))]) {
    const target = await checkRecipient(deps.lookups ?? directLookups(deps.db), rcpt, mailbox);
    if ('code' in target) refused.push({ address: rcpt, reason: target.message });
    else if (target.kind === 'local') local.push(...target.mailboxes);
    else remote.push(rcpt);
  }
  if (refused.length) throw new RecipientRefusedError(refused);

  const header = receivedHeader({ helo: 'webmail', ip: input.clientIp ?? '127.0.0.1', hostname: deps.hostname, protocol: 'HTTP' });
  const result = await acceptMessage(deps, { sender: input.envelopeFrom.toLowerCase(), local, remote, message: Buffer.concat([Buffer.from(header), input.raw]), authUser: mailbox, clientIp: input.clientIp });
  if (result.code >= 300) {
    throw new GovmailError('NOT_ACCEPTED', `message not accepted: ${result.code} ${result.message}`, `thư không được nhận: ${result.code} ${result.message}`, result.code >= 500 ? 400 : 503);
  }
  return {
    delivered: result.recipients.filter((r) => r.outcome === 'delivered').map((r) => r.address),
    queued: result.recipients.filter((r) => r.outcome === 'queued').map((r) => r.address),
  };
}

/** A submit function bound to its dependencies, for the composition root to hand to the webmail. */
export function createSubmitter(deps: SubmitDeps): Submitter {
  return (input) => submitMessage(deps, input);
}
