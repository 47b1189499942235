// Distinguished-name comparison (RFC 5280 §7.1) and name constraints (§4.2.1.10, §6.1.4(g)).
import { CLS_CONTEXT, Der, decodeOid, decodeString, hex, isCtx } from './der.js';

export const OID_EMAIL_ADDRESS = '1.2.840.113549.1.9.1';

export interface Ava {
  type: string;
  /** normalised value used for matching */
  key: string;
  display: string;
}
export type Rdn = Ava[];
export interface Name {
  rdns: Rdn[];
  der: Uint8Array;
}

// RFC 4518 in short: compatibility-normalise, fold case, squash insignificant spaces.
// Applied to every string type so a PrintableString and a UTF8String with the same text match (PKITS 4.3.10).
function normaliseText(s: string): string {
  return s.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

function parseAva(n: Der): Ava {
  const type = decodeOid(n.kids[0]!);
  const v = n.kids[1]!;
  const s = decodeString(v);
  return s === undefined
    ? { type, key: `x:${hex(v.raw)}`, display: `#${hex(v.raw)}` }
    : { type, key: `s:${normaliseText(s)}`, display: s };
}

export function parseRdn(n: Der): Rdn {
  // A multi-valued RDN is a SET: order of its members is not significant.
  return n.kids.map(parseAva).sort((a, b) => (a.type + a.key < b.type + b.key ? -1 : 1));
}

export function parseName(n: Der): Name {
  return { rdns: n.kids.map(parseRdn), der: n.raw };
}

function rdnEquals(a: Rdn, b: Rdn): boolean {
  return a.length === b.length && a.every((x, i) => x.type === b[i]!.type && x.key === b[i]!.key);
}

export function nameEquals(a: Name, b: Name): boolean {
  return a.rdns.length === b.rdns.length && a.rdns.every((r, i) => rdnEquals(r, b.rdns[i]!));
}

/** Canonical string: equal names give equal keys (for maps and loop detection). */
export function nameKey(n: Name): string {
  return n.rdns.map((r) => r.map((a) => `${a.type}=${a.key}`).join('+')).join(',');
}

/** True when `name` lies in the subtree rooted at `base` (base's RDNs are a prefix). */
export function isWithinDn(name: Name, base: Name): boolean {
  return base.rdns.length <= name.rdns.length && base.rdns.every((r, i) => rdnEquals(r, name.rdns[i]!));
}

const SHORT: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.5': 'serialNumber',
  '0.9.2342.19200300.100.1.25': 'DC',
  [OID_EMAIL_ADDRESS]: 'emailAddress',
};

export function nameToString(n: Name): string {
  if (n.rdns.length === 0) return '(empty name)';
  return n.rdns.map((r) => r.map((a) => `${SHORT[a.type] ?? a.type}=${a.display}`).join('+')).join(', ');
}

export function appendRdn(base: Name, rdn: Rdn): Name {
  return { rdns: [...base.rdns, rdn], der: new Uint8Array(0) };
}

// ---- GeneralName ---------------------------------------------------------

export type GeneralName =
  | { kind: 'email' | 'dns' | 'uri'; value: string }
  | { kind: 'dn'; value: Name }
  | { kind: 'ip'; value: Uint8Array }
  | { kind: 'other'; tag: number; value: Uint8Array };

export function parseGeneralName(n: Der): GeneralName {
  if (n.cls !== CLS_CONTEXT) return { kind: 'other', tag: -1, value: n.raw };
  const text = () => Buffer.from(n.content).toString('latin1');
  switch (n.tag) {
    case 1:
      return { kind: 'email', value: text() };
    case 2:
      return { kind: 'dns', value: text() };
    case 6:
      return { kind: 'uri', value: text() };
    case 4:
      // directoryName is explicitly tagged because Name is a CHOICE.
      return { kind: 'dn', value: parseName(n.kids[0]!) };
    case 7:
      return { kind: 'ip', value: n.content };
    default:
      return { kind: 'other', tag: n.tag, value: n.raw };
  }
}

/** GeneralNames, either as a SEQUENCE or as an implicitly tagged field. */
export function parseGeneralNames(n: Der): GeneralName[] {
  return n.kids.map(parseGeneralName);
}

export function generalNameEquals(a: GeneralName, b: GeneralName): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'dn') return nameEquals(a.value, b.value as Name);
  if (a.kind === 'ip' || a.kind === 'other') return hex(a.value) === hex(b.value as Uint8Array);
  return a.value.toLowerCase() === (b.value as string).toLowerCase();
}

export function generalNameToString(g: GeneralName): string {
  switch (g.kind) {
    case 'dn':
      return `DN "${nameToString(g.value)}"`;
    case 'ip':
      return `IP ${hex(g.value)}`;
    case 'other':
      return `name [${g.tag}]`;
    default:
      return `${g.kind} "${g.value}"`;
  }
}

// ---- name constraints ------------------------------------------------------

export interface NameConstraints {
  permitted?: GeneralName[];
  excluded?: GeneralName[];
  /** why a subtree is not well-formed per RFC 5280 §4.2.1.10, if one is not */
  malformed?: string;
}

/** A base RFC 5280 cannot mean: an iPAddress base is an address and a mask (8 or 32 octets). */
function subtreeProblem(st: Der, base: GeneralName): string | undefined {
  if (base.kind === 'ip' && base.value.length !== 8 && base.value.length !== 32)
    return `iPAddress base of ${base.value.length} octets (8 or 32 expected)`;
  // minimum MUST be zero (it is DEFAULT 0, so absent in DER) and maximum MUST be absent.
  if (st.kids.length > 1) return 'minimum or maximum present in a GeneralSubtree';
  return undefined;
}

export function parseNameConstraints(n: Der): NameConstraints {
  const out: NameConstraints = {};
  for (const k of n.kids) {
    const subtrees = k.kids.map((st) => {
      const base = parseGeneralName(st.kids[0]!);
      out.malformed ??= subtreeProblem(st, base);
      return base;
    });
    if (isCtx(k, 0)) out.permitted = subtrees;
    else if (isCtx(k, 1)) out.excluded = subtrees;
  }
  return out;
}

function emailMatches(name: string, base: string): boolean {
  const at = name.lastIndexOf('@');
  if (at < 0) return false;
  const host = name.slice(at + 1).toLowerCase();
  if (base.includes('@')) {
    const bat = base.lastIndexOf('@');
    return name.slice(0, at) === base.slice(0, bat) && host === base.slice(bat + 1).toLowerCase();
  }
  const b = base.toLowerCase();
  return b.startsWith('.') ? host.endsWith(b) : host === b;
}

function dnsMatches(name: string, base: string): boolean {
  const n = name.toLowerCase().replace(/\.$/, '');
  const b = base.toLowerCase().replace(/\.$/, '');
  if (b === '') return true;
  // Label boundary matters: "testcertificates.gov" must not permit "mytestcertificates.gov" (PKITS 4.13.38).
  return b.startsWith('.') ? n.endsWith(b) : n === b || n.endsWith(`.${b}`);
}

function uriHost(uri: string): string | undefined {
  const m = uri.match(/^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)/i);
  return m?.[1] ? m[1].toLowerCase() : undefined;
}

function uriMatches(name: string, base: string): boolean {
  const host = uriHost(name);
  if (!host) return false;
  const b = base.toLowerCase();
  return b.startsWith('.') ? host.endsWith(b) : host === b;
}

function ipMatches(name: Uint8Array, base: Uint8Array): boolean {
  if (base.length !== name.length * 2) return false;
  for (let i = 0; i < name.length; i++) {
    const mask = base[name.length + i]!;
    if ((name[i]! & mask) !== (base[i]! & mask)) return false;
  }
  return true;
}

export function matchesSubtree(name: GeneralName, base: GeneralName): boolean {
  if (name.kind !== base.kind) return false;
  switch (name.kind) {
    case 'dn':
      return isWithinDn(name.value, base.value as Name);
    case 'email':
      return emailMatches(name.value, base.value as string);
    case 'dns':
      return dnsMatches(name.value, base.value as string);
    case 'uri':
      return uriMatches(name.value, base.value as string);
    case 'ip':
      return ipMatches(name.value, base.value as Uint8Array);
    default:
      // Unsupported forms: only byte-identical bases match.
      return hex(name.value) === hex(base.value as Uint8Array);
  }
}

export interface NameViolation {
  kind: 'permitted' | 'excluded' | 'limit';
  name: GeneralName;
}

/** Names × constraint bases one certificate may need compared: OpenSSL's NAME_CHECK_MAX (2^20). */
export const NAME_CHECK_MAX = 1 << 20;

/**
 * permitted_subtrees / excluded_subtrees state. Instead of computing subtree intersections we keep
 * every CA's permitted set per name form: a name must fall inside one base of each set, which is
 * exactly membership of the intersection.
 */
export class NameConstraintState {
  private permitted = new Map<string, GeneralName[][]>();
  private excluded: GeneralName[] = [];
  private bases = 0;

  add(nc: NameConstraints): void {
    this.bases += (nc.permitted?.length ?? 0) + (nc.excluded?.length ?? 0);
    if (nc.permitted) {
      const byKind = new Map<string, GeneralName[]>();
      for (const g of nc.permitted) byKind.set(g.kind, [...(byKind.get(g.kind) ?? []), g]);
      for (const [kind, bases] of byKind)
        this.permitted.set(kind, [...(this.permitted.get(kind) ?? []), bases]);
    }
    if (nc.excluded) this.excluded.push(...nc.excluded);
  }

  /** Names of a certificate subject to constraints: subject DN, its emailAddress values and the SAN. */
  static namesOf(subject: Name, san: GeneralName[]): GeneralName[] {
    const names: GeneralName[] = [];
    if (subject.rdns.length > 0) names.push({ kind: 'dn', value: subject });
    // RFC 5280 §4.2.1.10: rfc822Name constraints also apply to emailAddress in the subject DN.
    for (const rdn of subject.rdns)
      for (const a of rdn) if (a.type === OID_EMAIL_ADDRESS) names.push({ kind: 'email', value: a.display });
    names.push(...san);
    return names;
  }

  check(names: GeneralName[]): NameViolation | undefined {
    // Each name is compared with every base: refuse the product up front rather than run it.
    if (names.length > 0 && this.bases > 0 && names.length > NAME_CHECK_MAX / this.bases) return { kind: 'limit', name: names[0]! };
    for (const name of names) {
      for (const set of this.permitted.get(name.kind) ?? [])
        if (!set.some((b) => matchesSubtree(name, b))) return { kind: 'permitted', name };
    }
    for (const name of names)
      if (this.excluded.some((b) => matchesSubtree(name, b))) return { kind: 'excluded', name };
    return undefined;
  }
}
