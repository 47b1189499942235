import { createHash, randomBytes, type KeyObject } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { InvalidInputError } from '../core/errors.js';
import { certificateBytes, certificateFromBytes } from './certificate-bytes.js';
import { pemBlocks } from './cms/keys.js';
import { checkSerial, checkTbsProfile } from './issuance-rules.js';
import { signSigned, x509Time } from './x509-sign.js';

/** X.509 building blocks: everything here is pure apart from the signature. */
export const EKU = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  ocspSigning: '1.3.6.1.5.5.7.3.9',
  documentSigning: '1.3.6.1.5.5.7.3.36', // RFC 9336
} as const;
export type EkuName = keyof typeof EKU;

const KEY_USAGE_BITS = { digitalSignature: 0, nonRepudiation: 1, keyEncipherment: 2, dataEncipherment: 3, keyAgreement: 4, keyCertSign: 5, cRLSign: 6 } as const;
export type KeyUsageName = keyof typeof KEY_USAGE_BITS;

export const EXT = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  crlNumber: '2.5.29.20',
  crlReason: '2.5.29.21',
  crlDistributionPoints: '2.5.29.31',
  certificatePolicies: '2.5.29.32',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  nameConstraints: '2.5.29.30',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  ocspNoCheck: '1.3.6.1.5.5.7.48.1.5',
} as const;

/** 17 bytes: a positive INTEGER carrying 134 random bits (RFC 5280 allows up to 20 octets). */
export function randomSerial(): Buffer {
  const b = randomBytes(17);
  b[0] = 0x40 | (b[0] & 0x3f);
  return b;
}

export function serialHex(cert: pkijs.Certificate): string {
  return Buffer.from(cert.serialNumber.valueBlock.valueHexView).toString('hex');
}

function keyUsageBits(names: KeyUsageName[]): asn1js.BitString {
  const bits = names.map((n) => KEY_USAGE_BITS[n]);
  const top = Math.max(...bits);
  const bytes = new Uint8Array(top < 8 ? 1 : 2);
  for (const b of bits) bytes[b >> 3] |= 0x80 >> (b & 7);
  return new asn1js.BitString({ valueHex: bytes.buffer, unusedBits: 7 - (top & 7) });
}

function ext(extnID: string, critical: boolean, value: { toSchema(): asn1js.AsnType } | asn1js.AsnType): pkijs.Extension {
  const schema = 'toSchema' in value && typeof value.toSchema === 'function' ? value.toSchema() : (value as asn1js.AsnType);
  return new pkijs.Extension({ extnID, critical, extnValue: schema.toBER(false) });
}

const uri = (value: string) => new pkijs.GeneralName({ type: 6, value });

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING. */
export function keyIdentifier(spki: pkijs.PublicKeyInfo): Buffer {
  return createHash('sha1').update(Buffer.from(spki.subjectPublicKey.valueBlock.valueHexView)).digest();
}

export function subjectKeyIdentifierOf(cert: pkijs.Certificate): Buffer {
  const e = cert.extensions?.find((x) => x.extnID === EXT.subjectKeyIdentifier);
  if (e) return Buffer.from((asn1js.fromBER(e.extnValue.valueBlock.valueHexView).result as asn1js.OctetString).valueBlock.valueHexView);
  return keyIdentifier(cert.subjectPublicKeyInfo);
}

export interface CertificateSpec {
  subject: pkijs.RelativeDistinguishedNames;
  publicKeyInfo: pkijs.PublicKeyInfo;
  /** The issuing CA; absent for a self-signed root. */
  issuer?: pkijs.Certificate;
  signingKey: KeyObject;
  serial?: Buffer;
  notBefore: Date;
  notAfter: Date;
  ca?: { pathLength?: number };
  keyUsage: KeyUsageName[];
  extendedKeyUsage?: EkuName[];
  extendedKeyUsageCritical?: boolean;
  emails?: string[];
  dnsNames?: string[];
  policies?: string[];
  crlUrl?: string;
  ocspUrl?: string;
  caIssuersUrl?: string;
  ocspNoCheck?: boolean;
  /** CA certificates only: the name spaces below this CA (RFC 5280 §4.2.1.10). */
  nameConstraints?: { permitted?: ConstraintBase[]; excluded?: ConstraintBase[] };
}

/** A name-constraint base (RFC 5280 §4.2.1.10); `ip` is CIDR, e.g. 10.0.0.0/8 or 2001:db8::/32. */
export type ConstraintBase = { dns: string } | { email: string } | { uri: string } | { ip: string } | { directoryName: pkijs.RelativeDistinguishedNames };

function ipBytes(address: string): number[] | undefined {
  if (isIPv4(address)) return address.split('.').map(Number);
  if (!isIPv6(address) || address.includes('.')) return undefined;
  const [head, tail] = address.includes('::') ? address.split('::') : [address, undefined];
  const groups = (part: string | undefined) => (part ? part.split(':') : []);
  const missing = 8 - groups(head).length - groups(tail).length;
  const all = tail === undefined ? groups(head) : [...groups(head), ...Array<string>(missing).fill('0'), ...groups(tail)];
  return all.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]);
}

/** Address and mask octets of a CIDR block, as iPAddress in a name constraint carries them. */
export function cidrBytes(cidr: string): Uint8Array {
  const [address, prefix] = cidr.split('/');
  const bytes = address === undefined ? undefined : ipBytes(address);
  const bits = Number(prefix);
  if (!bytes || prefix === undefined || !/^\d+$/.test(prefix) || bits > bytes.length * 8) {
    throw new InvalidInputError('nameConstraints.ip', 'an IPv4 or IPv6 block such as 10.0.0.0/8', 'một dải IPv4 hoặc IPv6, ví dụ 10.0.0.0/8', cidr);
  }
  const mask = bytes.map((_, i) => (0xff << (8 - Math.min(8, Math.max(0, bits - i * 8)))) & 0xff);
  return Uint8Array.from([...bytes.map((b, i) => b & mask[i]!), ...mask]);
}

function generalName(base: ConstraintBase): pkijs.GeneralName {
  if ('dns' in base) return new pkijs.GeneralName({ type: 2, value: base.dns });
  if ('email' in base) return new pkijs.GeneralName({ type: 1, value: base.email });
  if ('uri' in base) return new pkijs.GeneralName({ type: 6, value: base.uri });
  if ('ip' in base) return new pkijs.GeneralName({ type: 7, value: new asn1js.OctetString({ valueHex: cidrBytes(base.ip).buffer as ArrayBuffer }) });
  return new pkijs.GeneralName({ type: 4, value: base.directoryName });
}

function nameConstraintsExtension(nc: NonNullable<CertificateSpec['nameConstraints']>): pkijs.Extension {
  const subtrees = (bases: ConstraintBase[] | undefined) => (bases?.length ? bases.map((b) => new pkijs.GeneralSubtree({ base: generalName(b) })) : undefined);
  const value = new pkijs.NameConstraints({ permittedSubtrees: subtrees(nc.permitted), excludedSubtrees: subtrees(nc.excluded) });
  // RFC 5280 §4.2.1.10: conforming CAs MUST mark this extension as critical.
  return ext(EXT.nameConstraints, true, value);
}

function extensionsFor(spec: CertificateSpec, issuerKeyId: Buffer): pkijs.Extension[] {
  const extensions: pkijs.Extension[] = [];
  if (spec.ca) extensions.push(ext(EXT.basicConstraints, true, new pkijs.BasicConstraints({ cA: true, pathLenConstraint: spec.ca.pathLength })));
  else extensions.push(ext(EXT.basicConstraints, true, new pkijs.BasicConstraints({ cA: false })));
  extensions.push(ext(EXT.keyUsage, true, keyUsageBits(spec.keyUsage)));
  if (spec.extendedKeyUsage) {
    // An empty list still writes the extension so that the profile rules refuse it (§4.2.1.12).
    extensions.push(ext(EXT.extKeyUsage, spec.extendedKeyUsageCritical ?? false, new pkijs.ExtKeyUsage({ keyPurposes: spec.extendedKeyUsage.map((e) => EKU[e]) })));
  }
  extensions.push(ext(EXT.subjectKeyIdentifier, false, new asn1js.OctetString({ valueHex: new Uint8Array(keyIdentifier(spec.publicKeyInfo)).buffer })));
  extensions.push(ext(EXT.authorityKeyIdentifier, false, new pkijs.AuthorityKeyIdentifier({ keyIdentifier: new asn1js.OctetString({ valueHex: new Uint8Array(issuerKeyId).buffer }) })));
  const altNames = [...(spec.emails ?? []).map((value) => new pkijs.GeneralName({ type: 1, value })), ...(spec.dnsNames ?? []).map((value) => new pkijs.GeneralName({ type: 2, value }))];
  // §4.1.2.6: with an empty subject the names live in the SAN alone, which must then be critical.
  if (altNames.length) extensions.push(ext(EXT.subjectAltName, spec.subject.typesAndValues.length === 0, new pkijs.GeneralNames({ names: altNames })));
  if (spec.nameConstraints) extensions.push(nameConstraintsExtension(spec.nameConstraints));
  if (spec.policies?.length) {
    extensions.push(ext(EXT.certificatePolicies, false, new pkijs.CertificatePolicies({ certificatePolicies: spec.policies.map((policyIdentifier) => new pkijs.PolicyInformation({ policyIdentifier })) })));
  }
  if (spec.crlUrl) {
    extensions.push(ext(EXT.crlDistributionPoints, false, new pkijs.CRLDistributionPoints({ distributionPoints: [new pkijs.DistributionPoint({ distributionPoint: [uri(spec.crlUrl)] })] })));
  }
  const access: pkijs.AccessDescription[] = [];
  if (spec.ocspUrl) access.push(new pkijs.AccessDescription({ accessMethod: '1.3.6.1.5.5.7.48.1', accessLocation: uri(spec.ocspUrl) }));
  if (spec.caIssuersUrl) access.push(new pkijs.AccessDescription({ accessMethod: '1.3.6.1.5.5.7.48.2', accessLocation: uri(spec.caIssuersUrl) }));
  if (access.length) extensions.push(ext(EXT.authorityInfoAccess, false, new pkijs.InfoAccess({ accessDescriptions: access })));
  if (spec.ocspNoCheck) extensions.push(ext(EXT.ocspNoCheck, false, new asn1js.Null()));
  return extensions;
}

/**
 * Builds, checks (signer/issuance-rules.ts, on the exact bytes to be signed) and signs a
 * certificate; returns it parsed from the DER it was issued as.
 */
export async function buildCertificate(spec: CertificateSpec): Promise<pkijs.Certificate> {
  const serial = spec.serial ?? randomSerial();
  checkSerial(serial);
  const cert = new pkijs.Certificate();
  cert.version = 2;
  cert.serialNumber = new asn1js.Integer({ valueHex: new Uint8Array(serial).buffer });
  // pkijs writes a Name without attributes as SEQUENCE { SET {} }, an empty RDN; RFC 5280 wants SEQUENCE {}.
  const subject = spec.subject.typesAndValues.length ? spec.subject : pkijs.RelativeDistinguishedNames.fromBER(Uint8Array.of(0x30, 0));
  cert.subject = subject;
  cert.issuer = spec.issuer ? spec.issuer.subject : subject;
  cert.notBefore = x509Time(spec.notBefore);
  cert.notAfter = x509Time(spec.notAfter);
  cert.subjectPublicKeyInfo = spec.publicKeyInfo;
  const issuerKeyId = spec.issuer ? subjectKeyIdentifierOf(spec.issuer) : keyIdentifier(spec.publicKeyInfo);
  cert.extensions = extensionsFor(spec, issuerKeyId);
  const profile = { issuerKeyId, subjectKeyId: keyIdentifier(spec.publicKeyInfo) };
  return certificateFromDer(signSigned(cert, spec.signingKey, (tbs) => checkTbsProfile(tbs, profile)));
}

/**
 * pkijs asks for a BufferSource backed by a plain ArrayBuffer; a Buffer's backing store is one (only
 * SharedArrayBuffer would not be), so this is a view, not a copy.
 */
export function berInput(der: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(der.buffer as ArrayBuffer, der.byteOffset, der.byteLength);
}

export function publicKeyInfoFromDer(der: Uint8Array): pkijs.PublicKeyInfo {
  return pkijs.PublicKeyInfo.fromBER(berInput(der));
}

export function certificateFromDer(der: Uint8Array): pkijs.Certificate {
  return certificateFromBytes(der);
}

/** DER of a structure; a certificate gives exactly the bytes it was parsed from or issued as. */
export function toDer(obj: { toSchema(): asn1js.AsnType }): Buffer {
  return Buffer.from(obj instanceof pkijs.Certificate ? certificateBytes(obj) : new Uint8Array(obj.toSchema().toBER(false)));
}

export function pem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64').match(/.{1,64}/g)!.join('\n');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** Accepts DER or PEM (one or several blocks) and returns the DER blocks with the given label. */
export function derBlocks(input: Uint8Array | string, label: string): Buffer[] {
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
  if (text.includes('-----BEGIN')) return pemBlocks(text).filter((b) => b.label === label).map((b) => Buffer.from(b.der));
  return [typeof input === 'string' ? Buffer.from(input, 'latin1') : Buffer.from(input)];
}
