import { Resolver } from 'node:dns/promises';
import { networkMatcher } from '../core/networks.js';
import { authenticate } from 'mailauth';
import { JUNK_HEADER } from '../mailstore/index.js';
import { domainOf, headerFromAddresses, removeHeaderFields, type Reply } from './rules.js';

export { JUNK_HEADER };

/**
 * SPF, DKIM and DMARC for mail arriving at the MX (RFC 7208, 6376, 7489), with mailauth doing the
 * checks. The result is an Authentication-Results header for the reader and a verdict for the MX:
 * a DMARC failure under p=reject is refused, under p=quarantine it goes to Junk, and mail that claims
 * to come from one of our own domains without our DKIM signature (the classic "From: the director"
 * forgery — every real message of ours leaves through submission, DKIM-signed) goes to Junk as well.
 * A DNS failure never refuses mail: it is recorded as temperror and the message is delivered.
 */

export type DnsResolve = (name: string, rrtype: string) => Promise<unknown>;

/** A resolver over node's c-ares with short timeouts; `servers` (ip or ip:port) overrides /etc/resolv.conf. */
export function dnsResolver(servers?: readonly string[], timeoutMs = 2_000): DnsResolve {
  const r = new Resolver({ timeout: timeoutMs, tries: 2 });
  if (servers?.length) r.setServers([...servers]);
  return (name, rrtype) => r.resolve(name, rrtype as 'TXT');
}

export type Verdict = 'accept' | 'junk' | 'reject';

export interface SenderAuthentication {
  /** Header lines to put on top of the message (Received-SPF and Authentication-Results), CRLF-ended. */
  header: string;
  spf: string;
  dkim: string;
  dmarc: string;
  /** The From domain's published policy (p=, or sp= for a subdomain), when it has one. */
  policy?: string;
  fromDomain?: string;
  verdict: Verdict;
  /** Why the verdict is not 'accept', in words for the log and the junk header. */
  reason?: string;
}

export interface SenderAuthInput {
  ip: string;
  helo: string;
  /** MAIL FROM ('' for the null sender). */
  sender: string;
  /** Our host name: the authserv-id of the header we write. */
  hostname: string;
  resolver: DnsResolve;
  /** Our own mail domains (active or not): forging them is junk even without a published DMARC record. */
  isLocalDomain: (domain: string) => Promise<boolean>;
}

export async function authenticateSender(message: Buffer, o: SenderAuthInput): Promise<SenderAuthentication> {
  const res = await authenticate(message, { ip: o.ip, helo: o.helo, sender: o.sender || undefined, mta: o.hostname, resolver: o.resolver as any, disableArc: true, disableBimi: true });
  const spf = res.spf ? String(res.spf.status?.result ?? 'none') : 'none';
  const dkimRows = (res.dkim?.results ?? []) as Array<{ signingDomain?: string; status?: { result?: string; aligned?: string | false } }>;
  const dmarcResult = res.dmarc ? String(res.dmarc.status?.result ?? 'none') : 'none';
  const headerFrom = (res.dkim as { headerFrom?: string[] } | undefined)?.headerFrom?.[0];
  const fromAddress = headerFrom ?? headerFromAddresses(message)[0];
  const fromDomain = fromAddress ? domainOf(fromAddress) || undefined : undefined;
  // mailauth marks a signature aligned when its d= shares the From domain's organisational domain.
  const alignedDkim = dkimRows.some((r) => r.status?.result === 'pass' && !!r.status.aligned);
  const base = {
    header: res.headers,
    spf,
    dkim: dkimRows.length ? String(dkimRows[0]!.status?.result ?? 'none') : 'none',
    dmarc: dmarcResult,
    ...(res.dmarc && res.dmarc.policy ? { policy: String(res.dmarc.policy) } : {}),
    ...(fromDomain ? { fromDomain } : {}),
  };
  const local = fromDomain ? await o.isLocalDomain(fromDomain) : false;
  return { ...base, ...senderVerdict({ dmarc: dmarcResult, policy: base.policy, fromIsLocal: local, alignedDkim }) };
}

export interface SenderCheckOptions {
  mode: 'enforce' | 'report' | 'off';
  hostname: string;
  resolver: DnsResolve;
  trusted: (ip: string) => boolean;
  isLocalDomain: (domain: string) => Promise<boolean>;
  onError?: (err: Error) => void;
}

/**
 * The MX's step between DATA and delivery: the message as it should be delivered (our headers on top,
 * forged ones removed, a junk mark when the verdict says so) or the refusal. A check that throws
 * delivers the message unmarked: losing mail is worse than missing one verdict.
 */
export function senderCheck(o: SenderCheckOptions) {
  return async (message: Buffer, conn: { ip: string; helo: string; sender: string }): Promise<{ message: Buffer; verdict: Verdict } | { reply: Reply }> => {
    if (o.mode === 'off' || o.trusted(conn.ip)) return { message, verdict: 'accept' };
    const clean = removeForgedHeaders(message, o.hostname);
    let a: SenderAuthentication;
    try {
      a = await authenticateSender(clean, { ...conn, hostname: o.hostname, resolver: o.resolver, isLocalDomain: o.isLocalDomain });
    } catch (err) {
      o.onError?.(err as Error);
      return { message: clean, verdict: 'accept' };
    }
    if (o.mode === 'enforce' && a.verdict === 'reject') return { reply: rejectReply(a) };
    const junk = o.mode === 'enforce' && a.verdict === 'junk' ? junkHeader(a.reason!) : '';
    return { message: Buffer.concat([Buffer.from(junk + a.header), clean]), verdict: o.mode === 'enforce' ? a.verdict : 'accept' };
  };
}

/** The MX's decision from the checks: a plain rule, tested on its own. */
export function senderVerdict(r: { dmarc: string; policy?: string; fromIsLocal: boolean; alignedDkim: boolean }): { verdict: Verdict; reason?: string } {
  if (r.dmarc === 'fail' && r.policy === 'reject') return { verdict: 'reject', reason: 'dmarc=fail policy=reject' };
  if (r.dmarc === 'fail' && r.policy === 'quarantine') return { verdict: 'junk', reason: 'dmarc=fail policy=quarantine' };
  // Our own domains: only our submission sends as them, and it always signs. Mail from outside that
  // merely says it is ours is a forgery whatever DNS says (the DMARC record may not be published yet).
  if (r.fromIsLocal && !r.alignedDkim) return { verdict: 'junk', reason: 'from-local-domain-without-our-dkim' };
  return { verdict: 'accept' };
}

export function rejectReply(a: SenderAuthentication): Reply {
  return {
    code: 550,
    message: `5.7.1 Message refused: ${a.fromDomain ?? 'the sender domain'} publishes DMARC p=reject and this message fails SPF and DKIM alignment / Thư bị từ chối vì không vượt qua kiểm tra DMARC của tên miền người gửi`,
  };
}

/**
 * Headers from outside that would speak for us: our authserv-id in Authentication-Results, our junk
 * mark. RFC 8601 §5 asks a receiver to remove the first kind; the second would let a sender steer
 * where its own message lands. Only the header block is touched; the body stays byte for byte.
 */
export function removeForgedHeaders(message: Buffer, hostname: string): Buffer {
  const host = hostname.toLowerCase();
  const junk = JUNK_HEADER.toLowerCase();
  return removeHeaderFields(message, (name, value) => name === junk || (name === 'authentication-results' && /^\s*([^;\s]*)/.exec(value)![1]!.toLowerCase() === host));
}

export function junkHeader(reason: string): string {
  return `${JUNK_HEADER}: ${reason}\r\n`;
}

/** Connections from these networks (our own relays, local tools) are not checked; default loopback only. */
export const trustedNetworks = networkMatcher;
