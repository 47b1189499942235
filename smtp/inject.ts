import { GovmailError } from '../core/errors.js';
import { resolveMailbox } from '../admin/index.js';
import { acceptMessage, receivedHeader } from './pipeline.js';
import { checkRecipient } from './session.js';
import { directLookups } from './recipient-cache.js';
import { domainOf, headerFromAddresses, LineEndingGuard } from './rules.js';
import { signIfPossible } from './dkim.js';
import type { SubmitDeps, SubmitResult } from './submit.js';

/**
 * Local injection, what `sendmail` is to Postfix: Dovecot's Sieve hands its vacation replies and
 * redirects to `govmail sendmail`, which lands here. The caller is a local process that can read the
 * private data folder, so there is no AUTH; the message is still tied to one of our mailboxes (the
 * Sieve user, found in X-Sieve-Redirected-From, From: or the envelope sender) for the usage events and
 * the classified-document policy, and it goes through the one pipeline: local recipients over LMTP,
 * remote ones into the durable queue, DKIM once.
 */
export interface InjectInput {
  raw: Buffer;
  /** '' (or '<>') = the null sender, as a vacation reply must use (RFC 3834 §3.3). */
  sender: string;
  recipients: string[];
}

/** sysexits.h codes, which is what Dovecot (and any sendmail caller) understands. */
export const EX = { OK: 0, USAGE: 64, DATAERR: 65, NOUSER: 67, UNAVAILABLE: 69, SOFTWARE: 70, TEMPFAIL: 75, NOPERM: 77, CONFIG: 78 } as const;

export class InjectError extends GovmailError {
  constructor(
    readonly exitCode: number,
    code: string,
    message: string,
    messageVi: string,
  ) {
    super(code, message, messageVi, 400);
  }
}

const headerValues = (raw: Buffer, name: string): string[] => {
  const end = raw.indexOf('\r\n\r\n');
  const head = raw.subarray(0, end < 0 ? raw.length : end).toString('utf8').replace(/\r\n[ \t]+/g, ' ');
  const prefix = `${name.toLowerCase()}:`;
  return head.split('\r\n').filter((l) => l.toLowerCase().startsWith(prefix)).map((l) => l.slice(prefix.length).trim());
};
const addressesIn = (values: string[]) => values.flatMap((v) => [...v.matchAll(/<([^<>\s]+@[^<>\s]+)>|([^\s<>,;:"]+@[^\s<>,;:"]+)/g)].map((m) => (m[1] ?? m[2]).toLowerCase()));

/** LF-only lines (what a Unix program writes) become CRLF; a CR on its own is refused as in SMTP. */
export function toCrlf(raw: Buffer): Buffer {
  const fixed = Buffer.from(raw.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
  const guard = new LineEndingGuard();
  guard.feed(fixed);
  if (!guard.end()) throw new InjectError(EX.DATAERR, 'BARE_LINE_ENDING', 'a carriage return without a line feed', 'ký tự CR không đi kèm LF');
  return fixed;
}

export async function injectMessage(deps: SubmitDeps, input: InjectInput): Promise<SubmitResult> {
  const sender = input.sender === '<>' ? '' : input.sender.replace(/^<(.*)>$/, '$1').trim().toLowerCase();
  if (!input.recipients.length) throw new InjectError(EX.USAGE, 'NO_RECIPIENT', 'no recipient given', 'không có người nhận');
  const raw = toCrlf(input.raw);
  if (raw.length > deps.maxMessageSize) throw new InjectError(EX.DATAERR, 'MESSAGE_TOO_BIG', `message larger than ${deps.maxMessageSize} bytes`, `thư vượt quá ${deps.maxMessageSize} byte`);

  let origin: string | undefined;
  for (const candidate of [...addressesIn(headerValues(raw, 'X-Sieve-Redirected-From')), ...headerFromAddresses(raw), ...(sender ? [sender] : [])]) {
    const box = await resolveMailbox(deps.db, candidate);
    if (box.kind === 'mailbox') {
      origin = box.address;
      break;
    }
  }
  // Without one of our mailboxes behind it, this would be a way to mail anything as anyone.
  if (!origin) throw new InjectError(EX.NOPERM, 'SENDER_NOT_ALLOWED', 'neither the envelope sender nor From: is one of our mailboxes', 'người gửi (phong bì hoặc From:) không phải hộp thư của hệ thống');

  const local: string[] = [];
  const remote: string[] = [];
  const refused: Array<{ address: string; code: number; reason: string }> = [];
  for (const rcpt of [...new Set(input.recipients.map((r) => r.replace(/^<(.*)>$/, '$1').trim().toLowerCase()))]) {
    const target = await checkRecipient(deps.lookups ?? directLookups(deps.db), rcpt, origin);
    if ('code' in target) refused.push({ address: rcpt, code: target.code, reason: target.message });
    else if (target.kind === 'local') local.push(...target.mailboxes);
    else remote.push(rcpt);
  }
  if (refused.length) {
    // As with the webmail's submission: nothing leaves unless every recipient can have it.
    const list = refused.map((r) => `${r.address} (${r.code} ${r.reason})`).join('; ');
    const temporary = refused.every((r) => r.code < 500);
    throw new InjectError(temporary ? EX.TEMPFAIL : EX.NOUSER, 'RECIPIENT_REFUSED', `recipients refused, nothing was sent: ${list}`, `người nhận bị từ chối, thư chưa được gửi: ${list}`);
  }

  let message: Buffer = Buffer.concat([Buffer.from(receivedHeader({ helo: 'localhost', ip: '127.0.0.1', hostname: deps.hostname, protocol: 'local' })), raw]);
  if (!sender && remote.length) {
    // The pipeline signs with the envelope sender's domain, and a null sender has none: use the domain
    // of From: (our mailbox), so a vacation reply leaves DKIM-signed like any other mail of that domain.
    const from = headerFromAddresses(raw).find((a) => domainOf(a) === domainOf(origin!)) ?? origin;
    message = await signIfPossible(deps.db, deps.kek, domainOf(from), message);
  }
  const result = await acceptMessage(deps, { sender, local, remote, message, authUser: origin });
  if (result.code >= 300) {
    const exit = result.code >= 500 ? (/5\.7\.\d/.test(result.message) ? EX.NOPERM : EX.UNAVAILABLE) : EX.TEMPFAIL;
    throw new InjectError(exit, 'NOT_ACCEPTED', `message not accepted: ${result.code} ${result.message}`, `thư không được nhận: ${result.code} ${result.message}`);
  }
  return {
    delivered: result.recipients.filter((r) => r.outcome === 'delivered').map((r) => r.address),
    queued: result.recipients.filter((r) => r.outcome === 'queued').map((r) => r.address),
  };
}
