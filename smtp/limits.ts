import { isIPv6 } from 'node:net';
import type { Reply } from './rules.js';

/**
 * The MX's and submission's defences against one client taking more than its share, in the manner
 * of Postfix's anvil and smtpd error limits: connections per client address and in total, a recipient
 * cap per transaction, and a tarpit for directory harvesting (unknown recipients slow the client down,
 * then cost it the connection, and for a while any new one). Plain state and rules; the SMTP handlers
 * only ask and act.
 */
export interface SmtpLimits {
  /** Open connections one client address may hold. */
  connectionsPerAddress: number;
  /** Recipients in one transaction; RCPT beyond gets 452 (RFC 5321 §4.5.3.1.8: at least 100). */
  maxRecipients: number;
  /** Unknown recipients a client may try before each further answer waits `unknownDelayMs`. */
  unknownSoftLimit: number;
  /** Unknown recipients after which the connection is closed with 421 and new ones refused. */
  unknownHardLimit: number;
  unknownDelayMs: number;
  /** How long unknown recipients are remembered per client address. */
  unknownWindowMs: number;
  /** Client addresses none of this applies to (the province's own relays). */
  exempt: (ip: string) => boolean;
}

export const LIMIT_REPLIES = {
  tooManyConnections: (max: number) => ({ code: 421, message: `4.7.0 Too many connections from your address (at most ${max}), try again later / Quá nhiều kết nối từ địa chỉ của bạn (tối đa ${max}), xin thử lại sau` }),
  tooManyRecipients: (max: number) => ({ code: 452, message: `4.5.3 Too many recipients in one message (at most ${max}); send the rest in another message / Quá nhiều người nhận trong một thư (tối đa ${max}), xin gửi phần còn lại trong thư khác` }),
  harvesting: { code: 421, message: '4.7.0 Too many unknown recipients, closing the connection; try again later / Quá nhiều người nhận không tồn tại, đóng kết nối; xin thử lại sau' },
  smtputf8Required: (addr: string) => ({ code: 553, message: `5.6.7 <${addr}>: a non-ASCII address needs the SMTPUTF8 parameter on MAIL FROM (RFC 6531) / Địa chỉ có ký tự ngoài ASCII cần tham số SMTPUTF8` }),
} satisfies Record<string, Reply | ((...a: any[]) => Reply)>;

/** A client's address for counting: IPv4 as is, IPv6 by its /64 (one host usually holds a whole /64). */
export function clientKey(ip: string): string {
  const plain = ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
  if (!isIPv6(plain)) return plain;
  const full = expandIPv6(plain);
  return `${full.slice(0, 4).join(':')}::/64`;
}

function expandIPv6(ip: string): string[] {
  const [head, tail = ''] = ip.split('::');
  const a = head ? head.split(':') : [];
  const b = tail ? tail.split(':') : [];
  const fill = ip.includes('::') ? Array(8 - a.length - b.length).fill('0') : [];
  return [...a, ...fill, ...b].map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''));
}

/** RFC 6531 §3.4: a non-ASCII address is allowed only in a transaction that declared SMTPUTF8. */
export function smtputf8Violation(address: string, smtpUtf8: boolean): Reply | undefined {
  // eslint-disable-next-line no-control-regex
  return !smtpUtf8 && /[^\x00-\x7f]/.test(address) ? LIMIT_REPLIES.smtputf8Required(address) : undefined;
}

/** RCPT number `count + 1` of a transaction: over the cap gets 452, the recipients so far stay. */
export function recipientCapReply(count: number, max: number): Reply | undefined {
  return count >= max ? LIMIT_REPLIES.tooManyRecipients(max) : undefined;
}

/** At most this many client addresses are remembered, so a spray of addresses cannot grow memory. */
const MAX_TRACKED = 100_000;

export class ClientLimiter {
  private open = new Map<string, number>();
  private admitted = new Set<string>();
  private unknown = new Map<string, { count: number; since: number }>();

  constructor(
    private readonly limits: SmtpLimits,
    private readonly now: () => number = Date.now,
  ) {}

  get maxRecipients(): number {
    return this.limits.maxRecipients;
  }

  isExempt(ip: string): boolean {
    return this.limits.exempt(ip);
  }

  /** At connect: undefined admits the session (release it at close), a reply refuses it. */
  admit(sessionId: string, ip: string): Reply | undefined {
    if (this.limits.exempt(ip)) return undefined;
    const key = clientKey(ip);
    if (this.unknownCount(key) >= this.limits.unknownHardLimit) return LIMIT_REPLIES.harvesting;
    const n = this.open.get(key) ?? 0;
    if (n >= this.limits.connectionsPerAddress) return LIMIT_REPLIES.tooManyConnections(this.limits.connectionsPerAddress);
    this.open.set(key, n + 1);
    this.admitted.add(sessionId);
    return undefined;
  }

  release(sessionId: string, ip: string): void {
    if (!this.admitted.delete(sessionId)) return;
    const key = clientKey(ip);
    const n = (this.open.get(key) ?? 1) - 1;
    if (n > 0) this.open.set(key, n);
    else this.open.delete(key);
  }

  openConnections(ip: string): number {
    return this.open.get(clientKey(ip)) ?? 0;
  }

  /**
   * An unknown recipient was answered: how long to wait before the 550, or a 421 that closes the
   * connection. The session's own count and the address's count over the window both count, so
   * reconnecting does not start a harvester afresh.
   */
  unknownRecipient(ip: string, sessionUnknown: number): { delayMs: number; reply?: Reply } {
    if (this.limits.exempt(ip)) return { delayMs: 0 };
    const key = clientKey(ip);
    const now = this.now();
    let entry = this.unknown.get(key);
    if (!entry || now - entry.since > this.limits.unknownWindowMs) {
      entry = { count: 0, since: now };
      this.remember(key, entry);
    }
    entry.count++;
    const count = Math.max(entry.count, sessionUnknown);
    if (count >= this.limits.unknownHardLimit) return { delayMs: this.limits.unknownDelayMs, reply: LIMIT_REPLIES.harvesting };
    return { delayMs: count > this.limits.unknownSoftLimit ? this.limits.unknownDelayMs : 0 };
  }

  private unknownCount(key: string): number {
    const entry = this.unknown.get(key);
    if (!entry) return 0;
    if (this.now() - entry.since > this.limits.unknownWindowMs) {
      this.unknown.delete(key);
      return 0;
    }
    return entry.count;
  }

  private remember(key: string, entry: { count: number; since: number }): void {
    this.unknown.delete(key);
    if (this.unknown.size >= MAX_TRACKED) this.unknown.delete(this.unknown.keys().next().value!);
    this.unknown.set(key, entry);
  }
}
