import * as asn1js from 'asn1js';
import { CLS_UNIVERSAL, decodeOid, encodeSequence, encodeTlv, type Der } from '../pathvalidation/der.js';
import type { TimestampHash } from './types.js';

/** DER building blocks shared by the RFC 3161 request, response and token code. */

export const TSA_OID = {
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
} as const;

/** The hashes we stamp: SHA-1 and MD5 are refused (badAlg), whatever the client asks. */
export const TSA_HASHES: Record<TimestampHash, { oid: string; length: number }> = {
  sha256: { oid: '2.16.840.1.101.3.4.2.1', length: 32 },
  sha384: { oid: '2.16.840.1.101.3.4.2.2', length: 48 },
  sha512: { oid: '2.16.840.1.101.3.4.2.3', length: 64 },
};

export function hashByOid(oid: string): TimestampHash | undefined {
  return (Object.keys(TSA_HASHES) as TimestampHash[]).find((h) => TSA_HASHES[h].oid === oid);
}

const oidCache = new Map<string, Uint8Array>();
/** An OBJECT IDENTIFIER TLV; encoded once per OID (asn1js does the base-128 arithmetic). */
export function oidDer(oid: string): Uint8Array {
  let v = oidCache.get(oid);
  if (!v) oidCache.set(oid, (v = new Uint8Array(new asn1js.ObjectIdentifier({ value: oid }).toBER(false))));
  return v;
}

export function smallInt(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0x7fff) throw new RangeError(`smallInt: ${n}`);
  return n < 0x80 ? encodeTlv(0x02, Uint8Array.of(n)) : encodeTlv(0x02, n < 0x8000 ? Uint8Array.of(n >> 8, n & 0xff) : Uint8Array.of(0, n >> 8, n & 0xff));
}

/** A non-negative INTEGER from big-endian magnitude bytes, in minimal DER form. */
export function unsignedInt(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const body = bytes.subarray(i);
  return encodeTlv(0x02, body.length && body[0]! & 0x80 ? Buffer.concat([Uint8Array.of(0), body]) : body);
}

/** AlgorithmIdentifier of a SHA-2 hash, parameters absent (RFC 5754 §2). */
export function hashAlgorithm(hash: TimestampHash): Uint8Array {
  return encodeSequence(oidDer(TSA_HASHES[hash].oid));
}

/** MessageImprint ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, hashedMessage OCTET STRING } */
export function messageImprint(hash: TimestampHash, digest: Uint8Array): Uint8Array {
  return encodeSequence(hashAlgorithm(hash), encodeTlv(0x04, digest));
}

/**
 * GeneralizedTime with milliseconds, as RFC 3161 §2.4.2 wants it: UTC, a dot, and no trailing zeros
 * in the fraction (none at all when the milliseconds are zero).
 */
export function generalizedTimeMs(d: Date): Uint8Array {
  const iso = d.toISOString(); // 2026-01-02T03:04:05.120Z
  const whole = iso.slice(0, 19).replace(/[-:T]/g, '');
  const fraction = iso.slice(20, 23).replace(/0+$/, '');
  return encodeTlv(0x18, Buffer.from(`${whole}${fraction ? `.${fraction}` : ''}Z`, 'latin1'));
}

/** A named-bit BIT STRING with exactly one bit set, trailing zero bits dropped as DER requires. */
export function singleBit(bit: number): Uint8Array {
  const bytes = new Uint8Array((bit >> 3) + 1);
  bytes[bit >> 3] = 0x80 >> (bit & 7);
  return encodeTlv(0x03, Buffer.concat([Uint8Array.of(7 - (bit & 7)), bytes]));
}

export function utf8(text: string): Uint8Array {
  return encodeTlv(0x0c, Buffer.from(text, 'utf8'));
}

/** Set bit numbers of a BIT STRING (bit 0 = most significant bit of the first content byte). */
export function bitsOf(n: Der): number[] {
  const out: number[] = [];
  for (let i = 1; i < n.content.length; i++) for (let b = 0; b < 8; b++) if (n.content[i]! & (0x80 >> b)) out.push((i - 1) * 8 + b);
  return out;
}

/** Thrown by the parsers here on a structure that is not what RFC 3161 says. */
export class Rfc3161FormatError extends Error {}

export function expectUniv(n: Der | undefined, tag: number, what: string): Der {
  if (!n || n.cls !== CLS_UNIVERSAL || n.tag !== tag) throw new Rfc3161FormatError(`${what}: unexpected ASN.1 structure`);
  return n;
}

export function oidOf(n: Der | undefined, what: string): string {
  return decodeOid(expectUniv(n, 6, what));
}

/** The strings of a SEQUENCE OF UTF8String (PKIFreeText); other string types are read as Latin-1. */
export function decodeUtf8List(n: Der): string[] {
  return n.kids.map((k) => Buffer.from(k.content).toString(k.tag === 12 ? 'utf8' : 'latin1'));
}
