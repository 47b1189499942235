// Raw DER certificates for path-validation tests: every field is under the test's control, including
// the ones a well-behaved library refuses to write (negative or 21-octet serials, duplicate
// extensions, fractional-second times, empty subjects). ECDSA P-256 keys keep generation fast.
import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodeTlv } from '../../signer/pathvalidation/der.js';
import * as pkijs from 'pkijs';

export const tlv = (tag: number, ...content: Uint8Array[]): Uint8Array => encodeTlv(tag, Buffer.concat(content));
export const seq = (...items: Uint8Array[]) => tlv(0x30, ...items);
const set = (...items: Uint8Array[]) => tlv(0x31, ...items);
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, 'utf8'));
const ia5 = (s: string) => Buffer.from(s, 'latin1');
export const octets = (b: Uint8Array) => tlv(0x04, b);
const bool = (v: boolean) => tlv(0x01, Uint8Array.of(v ? 0xff : 0));

export function oid(dotted: string): Uint8Array {
  const parts = dotted.split('.').map(Number);
  const bytes = [40 * parts[0]! + parts[1]!];
  for (const p of parts.slice(2)) {
    const chunk: number[] = [];
    let v = p;
    do {
      chunk.unshift((v & 0x7f) | (chunk.length ? 0x80 : 0));
      v = Math.floor(v / 128);
    } while (v > 0);
    bytes.push(...chunk);
  }
  return tlv(0x06, Uint8Array.from(bytes));
}

/** INTEGER from a bigint (minimal two's complement) or from raw content bytes. */
export function int(v: bigint | Uint8Array): Uint8Array {
  if (v instanceof Uint8Array) return tlv(0x02, v);
  let hex = (v < 0n ? -v : v).toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let b = Buffer.from(hex, 'hex');
  if (v >= 0n) {
    if (b[0]! & 0x80) b = Buffer.concat([Uint8Array.of(0), b]);
  } else {
    // two's complement of |v|, sign-extended
    const bits = BigInt(b.length * 8);
    let t = (1n << bits) + v;
    if (!(Number(t >> (bits - 1n)) & 1)) t += 1n << bits;
    let h = t.toString(16);
    if (h.length % 2) h = `0${h}`;
    b = Buffer.from(h, 'hex');
  }
  return tlv(0x02, b);
}

function bits(set: number[]): Uint8Array {
  if (set.length === 0) return tlv(0x03, Uint8Array.of(0));
  const n = Math.max(...set) + 1;
  const bytes = new Uint8Array(Math.ceil(n / 8));
  for (const i of set) bytes[i >> 3]! |= 0x80 >> (i & 7);
  return tlv(0x03, Uint8Array.of(bytes.length * 8 - n), bytes);
}

/** Name from [type OID, value] pairs, one RDN each; CN is 2.5.4.3, O 2.5.4.10. */
export function name(...avas: [string, string][]): Uint8Array {
  return seq(...avas.map(([t, v]) => set(seq(oid(t), utf8(v)))));
}
export const cn = (v: string, o = 'GovMail Test') => name(['2.5.4.10', o], ['2.5.4.3', v]);

export type Time = Date | { raw: Uint8Array };
const pad = (n: number, w = 2) => String(n).padStart(w, '0');
function time(t: Time): Uint8Array {
  if (!(t instanceof Date)) return t.raw;
  const y = t.getUTCFullYear();
  const rest = `${pad(t.getUTCMonth() + 1)}${pad(t.getUTCDate())}${pad(t.getUTCHours())}${pad(t.getUTCMinutes())}${pad(t.getUTCSeconds())}Z`;
  // RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
  return y < 2050 ? tlv(0x17, Buffer.from(`${pad(y % 100)}${rest}`)) : tlv(0x18, Buffer.from(`${y}${rest}`));
}
export const utcTime = (s: string): Time => ({ raw: tlv(0x17, Buffer.from(s)) });
export const genTime = (s: string): Time => ({ raw: tlv(0x18, Buffer.from(s)) });

export interface Ext {
  oid: string;
  critical?: boolean;
  value: Uint8Array;
}

export const ext = {
  basicConstraints: (ca: boolean, pathLen?: number, critical = true): Ext => ({
    oid: '2.5.29.19',
    critical,
    value: seq(...(ca ? [bool(true)] : []), ...(pathLen !== undefined ? [int(BigInt(pathLen))] : [])),
  }),
  /** bits: 0 digitalSignature, 1 nonRepudiation, 2 keyEncipherment, 5 keyCertSign, 6 cRLSign */
  keyUsage: (...set: number[]): Ext => ({ oid: '2.5.29.15', critical: true, value: bits(set) }),
  eku: (...oids: string[]): Ext => ({ oid: '2.5.29.37', value: seq(...oids.map(oid)) }),
  ski: (id: Uint8Array): Ext => ({ oid: '2.5.29.14', value: octets(id) }),
  aki: (id: Uint8Array): Ext => ({ oid: '2.5.29.35', value: seq(tlv(0x80, id)) }),
  sanDns: (names: string[], critical = false): Ext => ({ oid: '2.5.29.17', critical, value: seq(...names.map((n) => tlv(0x82, ia5(n)))) }),
  sanEmail: (names: string[], critical = false): Ext => ({ oid: '2.5.29.17', critical, value: seq(...names.map((n) => tlv(0x81, ia5(n)))) }),
  /** dNSName subtrees; a base given as raw bytes is written as it is (for malformed bases) */
  nameConstraints: (o: { permittedDns?: string[]; excludedDns?: string[]; permittedRaw?: Uint8Array[] }): Ext => {
    const subtrees = (tag: number, bases: Uint8Array[]) => (bases.length ? [tlv(tag, ...bases.map((b) => seq(b)))] : []);
    const dns = (l: string[] | undefined) => (l ?? []).map((d) => tlv(0x82, ia5(d)));
    return {
      oid: '2.5.29.30',
      critical: true,
      value: seq(...subtrees(0xa0, [...dns(o.permittedDns), ...(o.permittedRaw ?? [])]), ...subtrees(0xa1, dns(o.excludedDns))),
    };
  },
};

export const EKU = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  documentSigning: '1.3.6.1.5.5.7.3.36',
};

export interface Key {
  privateKey: KeyObject;
  publicKey: KeyObject;
  spki: Uint8Array;
}

export function newKey(): Key {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { privateKey, publicKey, spki: publicKey.export({ type: 'spki', format: 'der' }) };
}

export interface CertSpec {
  subject: Uint8Array;
  issuer: Uint8Array;
  key: Key;
  signer: Key;
  serial?: bigint | Uint8Array;
  notBefore?: Time;
  notAfter?: Time;
  exts?: Ext[];
  /** add subjectKeyIdentifier and authorityKeyIdentifier (SHA-1 of the keys, RFC 5280 §4.2.1.2 method 1) */
  keyIds?: boolean;
}

/** SHA-1 over the whole SPKI DER: not the RFC's bit-string-only hash, but as unique, and simpler. */
export const keyId = (k: Key) => createHash('sha1').update(k.spki).digest();

let serialCounter = 1000n;
const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));

/** DER of a v3 certificate signed with ecdsa-with-SHA256 by spec.signer. */
export function certDer(s: CertSpec): Buffer {
  const exts = [...(s.exts ?? []), ...(s.keyIds ? [ext.ski(keyId(s.key)), ...(s.key === s.signer ? [] : [ext.aki(keyId(s.signer))])] : [])];
  const tbs = seq(
    tlv(0xa0, int(2n)),
    int(s.serial ?? serialCounter++),
    ECDSA_SHA256,
    s.issuer,
    seq(time(s.notBefore ?? new Date('2025-01-01T00:00:00Z')), time(s.notAfter ?? new Date('2035-01-01T00:00:00Z'))),
    s.subject,
    s.key.spki,
    ...(exts.length
      ? [tlv(0xa3, seq(...exts.map((e) => seq(oid(e.oid), ...(e.critical ? [bool(true)] : []), octets(e.value)))))]
      : []),
  );
  const sig = sign('sha256', tbs, s.signer.privateKey);
  return Buffer.from(seq(tbs, ECDSA_SHA256, tlv(0x03, Uint8Array.of(0), sig)));
}

export const toPem = (der: Uint8Array) =>
  `-----BEGIN CERTIFICATE-----\n${Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;

export const parse = (der: Uint8Array) => pkijs.Certificate.fromBER(new Uint8Array(der));

/** A self-signed CA: the usual trust anchor of these tests. */
export function rootCa(label: string, key = newKey(), exts: Ext[] = [ext.basicConstraints(true), ext.keyUsage(5, 6)], times: { notBefore?: Time; notAfter?: Time } = {}): { der: Buffer; key: Key; name: Uint8Array } {
  const n = cn(label);
  return { der: certDer({ subject: n, issuer: n, key, signer: key, exts, ...times }), key, name: n };
}

export const CA_EXTS = (pathLen?: number): Ext[] => [ext.basicConstraints(true, pathLen), ext.keyUsage(5, 6)];
export const LEAF_EXTS: Ext[] = [ext.basicConstraints(false), ext.keyUsage(0, 1), ext.eku(EKU.emailProtection)];

/** An empty v2 CRL (cRLNumber `number`) over `issuer`, signed by `signer`. */
export function crlDer(o: { issuer: Uint8Array; signer: Key; number?: bigint; thisUpdate?: Date; nextUpdate?: Date; revoked?: { serial: bigint; date: Date; reason?: number }[] }): Buffer {
  const crlNumber = seq(oid('2.5.29.20'), octets(int(o.number ?? 1n)));
  const entries = (o.revoked ?? []).map((r) =>
    seq(int(r.serial), time(r.date), ...(r.reason !== undefined ? [seq(seq(oid('2.5.29.21'), octets(tlv(0x0a, Uint8Array.of(r.reason)))))] : [])),
  );
  const tbs = seq(
    int(1n),
    ECDSA_SHA256,
    o.issuer,
    time(o.thisUpdate ?? new Date('2026-01-01T00:00:00Z')),
    time(o.nextUpdate ?? new Date('2027-01-01T00:00:00Z')),
    ...(entries.length ? [seq(...entries)] : []),
    tlv(0xa0, seq(crlNumber)),
  );
  const sig = sign('sha256', tbs, o.signer.privateKey);
  return Buffer.from(seq(tbs, ECDSA_SHA256, tlv(0x03, Uint8Array.of(0), sig)));
}

/**
 * `openssl verify` on the given DER certificates at time `at` (OpenSSL's defaults plus `flags`):
 * 'OK', or openssl's "error N at D depth lookup: ..." line.
 */
export function opensslVerify(o: { anchor: Uint8Array; untrusted: Uint8Array[]; leaf: Uint8Array; at: Date; flags?: string[] }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pv-openssl-'));
  try {
    writeFileSync(path.join(dir, 'anchor.pem'), toPem(o.anchor));
    writeFileSync(path.join(dir, 'untrusted.pem'), o.untrusted.map(toPem).join(''));
    writeFileSync(path.join(dir, 'leaf.pem'), toPem(o.leaf));
    const untrusted = o.untrusted.length ? ['-untrusted', 'untrusted.pem'] : [];
    const args = ['verify', ...(o.flags ?? []), '-attime', String(Math.floor(o.at.getTime() / 1000)), '-CAfile', 'anchor.pem', ...untrusted, 'leaf.pem'];
    try {
      execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
      return 'OK';
    } catch (e) {
      const out = `${(e as { stdout?: Buffer }).stdout ?? ''}${(e as { stderr?: Buffer }).stderr ?? ''}`;
      return out.match(/error \d+ at \d+ depth lookup: .*/)?.[0] ?? out.split('\n').slice(0, 2).join(' ');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
