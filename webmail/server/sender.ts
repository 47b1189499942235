// Who really sent a message, as far as the headers can say: warnings for mail from outside our domains,
// for domains dressed up as government domains (bcy-gov-vn.evil.test, gov.vn.evil.test, govvn.com,
// bcy.gоv.vn with a Cyrillic о), and for display names that carry another address or domain
// ("Ban Cơ yếu Chính phủ <security@bcy.gov.vn>" <attacker@evil.test>, 354–355).
// These are header checks only: whether the From domain is authentic (SPF/DKIM/DMARC) is decided at
// delivery, not here.
import { domainToASCII, domainToUnicode } from 'node:url';
import type { Address, RenderOptions, Warning } from './render-types.js';
import { warnings } from './render-warnings.js';

const DEFAULT_SUFFIX = 'gov.vn';

/** Lower-case ASCII (punycode) form of a domain; the input lower-cased when it is not a valid domain. */
export function asciiDomain(domain: string): string {
  const d = domain.trim().toLowerCase().replace(/\.+$/, '');
  return domainToASCII(d) || d;
}

// Letters from other scripts that render like Latin ones, for the few scripts a forger reaches for first
// (Cyrillic, Greek, Armenian, IPA). Not the whole Unicode confusables table: enough for domain look-alikes.
const CONFUSABLES: Record<string, string> = {
  а: 'a', в: 'b', с: 'c', ԁ: 'd', е: 'e', ё: 'e', һ: 'h', і: 'i', ї: 'i', ј: 'j', к: 'k', ӏ: 'l', м: 'm', п: 'n',
  о: 'o', р: 'p', ԛ: 'q', ѕ: 's', т: 't', ц: 'u', ѵ: 'v', ԝ: 'w', х: 'x', у: 'y', з: '3',
  α: 'a', β: 'b', ϲ: 'c', ε: 'e', η: 'n', ι: 'i', κ: 'k', ν: 'v', ο: 'o', ρ: 'p', τ: 't', υ: 'u', χ: 'x', γ: 'y',
  օ: 'o', ո: 'n', ս: 'u', ց: 'g', հ: 'h', ɡ: 'g', ɑ: 'a', ı: 'i', ȷ: 'j', ł: 'l', đ: 'd', ø: 'o',
  '0': 'o', '1': 'l',
};

/** What a domain looks like to a reader: compatibility forms folded, accents and look-alike letters mapped to ASCII. */
export function domainSkeleton(domain: string): string {
  const unicode = domainToUnicode(domain) || domain;
  return Array.from(unicode.normalize('NFKC').toLowerCase().normalize('NFD').replace(/\p{M}/gu, ''))
    .map((c) => CONFUSABLES[c] ?? c)
    .join('');
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}

const isUnder = (domain: string, suffix: string) => domain === suffix || domain.endsWith('.' + suffix);

/** True when `domain` resembles a name under `suffix` (default gov.vn) without being one. */
export function isLookalikeDomain(domain: string, suffix = DEFAULT_SUFFIX): boolean {
  const ascii = asciiDomain(domain);
  const wanted = asciiDomain(suffix);
  if (isUnder(ascii, wanted)) return false;
  const skeleton = domainSkeleton(ascii);
  const labels = wanted.split('.');
  // The suffix's labels in order with only separators between them, ending a label: gov.vn, gov-vn, govvn.
  const pattern = new RegExp(labels.map((l) => l.replace(/[^a-z0-9]/g, '\\$&')).join('[-_.]*') + '(?![a-z0-9])');
  if (pattern.test(skeleton)) return true;
  // One letter off in the label before the top-level one: bcy.gv.vn, bcy.qov.vn.
  const parts = skeleton.split('.');
  if (parts.length >= labels.length && labels.length >= 2) {
    const tail = parts.slice(-labels.length);
    const sameTop = tail.slice(1).join('.') === labels.slice(1).join('.');
    if (sameTop && tail[0] !== labels[0] && editDistance(tail[0], labels[0]) <= 1) return true;
  }
  return false;
}

// Top-level domains that make a dotted word in a display name read as a domain by itself. Other dotted
// words (TP.HCM, Mr.Ng) count only with three or more labels, or with a second-level label from SLDS.
const COMMON_TLDS = new Set(['com', 'net', 'org', 'info', 'biz', 'gov', 'edu', 'mil', 'int', 'io', 'app', 'dev',
  'xyz', 'online', 'site', 'top', 'shop', 'cloud', 'email', 'link', 'click', 'live', 'store', 'tech', 'test',
  'invalid', 'example']);
const SLDS = new Set(['gov', 'com', 'org', 'net', 'edu', 'ac', 'co', 'int', 'mil', 'name', 'info', 'health']);

function looksLikeDomain(word: string): boolean {
  const labels = word.split('.');
  const tld = labels[labels.length - 1];
  if (COMMON_TLDS.has(tld)) return true;
  if (!/^[a-z]{2}$/.test(tld) && !tld.startsWith('xn--')) return false;
  return labels.length >= 3 || SLDS.has(labels[labels.length - 2]);
}

/** True when a display name names an address or domain other than the real sender's. */
export function displayNameClaimsOther(displayName: string, address: string): boolean {
  const real = address.trim().toLowerCase();
  const realDomain = asciiDomain(real.slice(real.lastIndexOf('@') + 1));
  // Fullwidth ＠ and small ﹫ fold to @ under NFKC; format characters (zero-width joiners…) are invisible.
  const name = displayName.normalize('NFKC').replace(/\p{Cf}/gu, '').toLowerCase();
  const emails = name.match(/[^\s<>()[\]"',;:]+@[^\s<>()[\]"',;:]+/g) ?? [];
  for (const e of emails) {
    const claimed = e.replace(/\.+$/, '');
    const at = claimed.lastIndexOf('@');
    if (`${claimed.slice(0, at)}@${asciiDomain(claimed.slice(at + 1))}` !== `${real.slice(0, real.lastIndexOf('@'))}@${realDomain}`) return true;
  }
  const rest = emails.reduce((s, e) => s.split(e).join(' '), name);
  const words = rest.match(/(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?\.)+[\p{L}][\p{L}\p{N}-]*[\p{L}\p{N}]/gu) ?? [];
  for (const w of words) {
    const d = asciiDomain(w);
    if (looksLikeDomain(d) && !isUnder(realDomain, d)) return true;
  }
  return false;
}

/**
 * Warnings about the sender for the banner above a message: lookalike-domain, display-name-spoof and
 * external-sender (a domain not in localDomains, compared exactly: a subdomain of ours may be hosted elsewhere).
 */
export function classifySender(
  from: Address | null,
  opts: Pick<RenderOptions, 'localDomains' | 'governmentSuffix'>,
  displayName?: string,
): Warning[] {
  const address = from?.address?.trim() ?? '';
  const at = address.lastIndexOf('@');
  if (!from || at <= 0 || at === address.length - 1) return [warnings.noSender()];
  const suffix = opts.governmentSuffix ?? DEFAULT_SUFFIX;
  const domain = asciiDomain(address.slice(at + 1));
  const out: Warning[] = [];
  if (isLookalikeDomain(domain, suffix)) out.push(warnings.lookalikeDomain(domain, suffix)); // punycode form: the Unicode one is the disguise
  if (displayNameClaimsOther(displayName ?? from.name ?? '', address)) out.push(warnings.displayNameSpoof(address));
  const local = new Set(opts.localDomains.map(asciiDomain));
  if (!local.has(domain)) out.push(warnings.externalSender(address));
  return out;
}

/**
 * What our MX found when it checked the sender (smtp/sender-auth.ts): the topmost Authentication-Results
 * of our own authserv-id, and the junk mark. A DMARC failure, or a junk mark, is a warning; a message
 * that never passed our MX (internal mail, or no authserv-id configured) has none.
 */
export function authenticationWarnings(headerLines: ReadonlyArray<{ readonly key: string; readonly line: string }>, authservId: string | undefined, fromDomain: string): Warning[] {
  if (!authservId) return [];
  const ours = headerLines.find((h) => h.key === 'authentication-results' && headerValue(h.line).split(';')[0]!.trim().toLowerCase() === authservId.toLowerCase());
  if (!ours) return [];
  // The MX writes the junk mark together with its Authentication-Results; alone, it proves nothing.
  const junk = headerLines.some((h) => h.key === 'x-govmail-junk');
  const dmarcFailed = /(?:^|[;\s])dmarc\s*=\s*fail\b/i.test(headerValue(ours.line));
  return junk || dmarcFailed ? [warnings.senderNotAuthenticated(fromDomain, junk)] : [];
}

const headerValue = (line: string) => line.slice(line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ');
