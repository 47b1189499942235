/**
 * The rules the SMTP edges apply, as plain functions: which recipients we take, who may send as whom,
 * how a delivery answer becomes our answer, and what counts as SMTP smuggling. Replies carry an RFC
 * 3463 enhanced code and say what was wrong in Vietnamese and English.
 */
export interface Reply {
  code: number;
  message: string;
}

export const REPLIES = {
  relayDenied: { code: 554, message: '5.7.1 Relay access denied: we accept mail only for our own domains / Không chuyển tiếp thư cho tên miền khác' },
  unknownUser: (rcpt: string) => ({ code: 550, message: `5.1.1 <${rcpt}>: no such mailbox here / Không có hộp thư này` }),
  mailboxFull: (rcpt: string) => ({ code: 452, message: `4.2.2 <${rcpt}>: mailbox full, try again later / Hộp thư đầy, xin gửi lại sau` }),
  listRefused: (rcpt: string) => ({ code: 550, message: `5.7.2 <${rcpt}>: only authenticated senders of our agencies may post to this list / Chỉ người gửi đã đăng nhập thuộc cơ quan mới gửi được vào nhóm này` }),
  senderNotYours: (addr: string) => ({ code: 553, message: `5.7.1 <${addr}>: you may send only as your own mailbox or its aliases / Chỉ được gửi bằng địa chỉ của mình hoặc bí danh` }),
  authRequired: { code: 530, message: '5.7.0 Authentication required / Cần đăng nhập' },
  tooManyAuthFailures: { code: 454, message: '4.7.0 Too many failed logins, try again later / Đăng nhập sai quá nhiều lần, thử lại sau' },
  smuggling: { code: 554, message: '5.6.0 Bare CR or LF in message: lines must end with CRLF (SMTP smuggling protection) / Dòng phải kết thúc bằng CRLF' },
  tooBig: (max: number) => ({ code: 552, message: `5.3.4 Message larger than ${max} bytes / Thư vượt quá ${max} byte` }),
  tempFailure: { code: 451, message: '4.3.0 Temporary failure, please try again later / Lỗi tạm thời, xin gửi lại sau' },
} satisfies Record<string, Reply | ((...a: any[]) => Reply)>;

/** The domain part of an address, lower-cased; '' for the null sender. */
export function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? '' : address.slice(at + 1).toLowerCase();
}

/** MX takes mail only for local domains; submission (authenticated) may send anywhere. */
export function relayAllowed(recipientDomainIsLocal: boolean, authenticated: boolean): boolean {
  return recipientDomainIsLocal || authenticated;
}

/** An authenticated user may use as envelope sender and From: only addresses that are theirs. */
export function senderAllowed(allowed: readonly string[], address: string): boolean {
  const a = address.trim().toLowerCase();
  return allowed.some((x) => x.toLowerCase() === a);
}

/**
 * Finds a bare LF or bare CR. Servers that accept `\n.\n` as the end of DATA can be made to read a
 * second, forged message from inside ours (SMTP smuggling), so we never accept or relay such bytes.
 * `prev` is the last byte of the previous chunk (-1 at the start).
 */
export function findBareLineEnding(chunk: Buffer, prev: number): number {
  for (let i = 0; i < chunk.length; i++) {
    const b = chunk[i];
    if (b === 0x0a && (i === 0 ? prev : chunk[i - 1]) !== 0x0d) return i;
    if (b === 0x0d && i + 1 < chunk.length && chunk[i + 1] !== 0x0a) return i;
  }
  return -1;
}

/** Streaming form: feed chunks, then ask `end()` whether a CR was left dangling at the very end. */
export class LineEndingGuard {
  private prev = -1;
  bad = false;
  feed(chunk: Buffer): void {
    if (this.bad || !chunk.length) return;
    if (this.prev === 0x0d && chunk[0] !== 0x0a) this.bad = true;
    else if (findBareLineEnding(chunk, this.prev) >= 0) this.bad = true;
    this.prev = chunk[chunk.length - 1];
  }
  end(): boolean {
    if (this.prev === 0x0d) this.bad = true;
    return !this.bad;
  }
}

export type Outcome = 'delivered' | 'temporary' | 'permanent';

export function outcomeOf(code: number): Outcome {
  if (code >= 200 && code < 300) return 'delivered';
  return code >= 500 ? 'permanent' : 'temporary';
}

/**
 * One answer for a whole transaction whose recipients fared differently. smtp-server gives one reply
 * to DATA, so: all delivered (or queued) → 250; all refused permanently → that refusal; a mix → 250,
 * with the permanent failures reported to the sender by a DSN and temporary ones queued for retry.
 */
export function transactionReply(outcomes: Array<{ outcome: Outcome | 'queued'; code: number; response: string }>): { reply: Reply; dsnFor: number[] } {
  const permanent = outcomes.map((o, i) => (o.outcome === 'permanent' ? i : -1)).filter((i) => i >= 0);
  if (permanent.length === outcomes.length) {
    const first = outcomes[0];
    const text = first.response.replace(/^\d{3}[ -]/, '');
    return { reply: { code: first.code, message: text }, dsnFor: [] };
  }
  return { reply: { code: 250, message: '2.0.0 Message accepted / Đã nhận thư' }, dsnFor: permanent };
}

/** Exponential backoff for the queue: 1 min, 2, 4 … capped at 4 hours. */
export function nextRetryDelaySeconds(attempts: number, baseSeconds = 60): number {
  return Math.min(4 * 3600, baseSeconds * 2 ** Math.max(0, attempts - 1));
}

/** The From: addresses of a message's header block (the part before the first empty line). */
export function headerFromAddresses(message: Buffer): string[] {
  const end = message.indexOf('\r\n\r\n');
  const head = message.subarray(0, end < 0 ? message.length : end).toString('utf8').replace(/\r\n[ \t]+/g, ' ');
  const from = head.split('\r\n').filter((l) => /^from:/i.test(l)).map((l) => l.slice(5));
  return from.flatMap((v) => [...v.matchAll(/<([^<>\s]+@[^<>\s]+)>|([^\s<>,;:"]+@[^\s<>,;:"]+)/g)].map((m) => (m[1] ?? m[2]).toLowerCase()));
}

/**
 * Removes the header fields `drop` names (given the lower-case name and the raw value) from a message's
 * head; the body and every other byte stay as they were.
 */
export function removeHeaderFields(message: Buffer, drop: (name: string, value: string) => boolean): Buffer {
  // A message that starts with an empty line has no header fields: all of it is body.
  if (message[0] === 0x0d && message[1] === 0x0a) return message;
  const end = message.indexOf('\r\n\r\n');
  const headEnd = end < 0 ? message.length : end + 2;
  const head = message.subarray(0, headEnd).toString('latin1');
  const fields = head.split(/\r\n(?![ \t])/);
  const kept = fields.filter((f) => {
    const colon = f.indexOf(':');
    if (colon <= 0 || /\s/.test(f.slice(0, colon).trimEnd())) return true;
    return !drop(f.slice(0, colon).trimEnd().toLowerCase(), f.slice(colon + 1));
  });
  if (kept.length === fields.length) return message;
  return Buffer.concat([Buffer.from(kept.join('\r\n'), 'latin1'), message.subarray(headEnd)]);
}
