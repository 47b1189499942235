// Decoded views of certificates and CRLs, built from the signed TBS bytes and cached per pkijs object.
import { createHash } from 'node:crypto';
import type * as pkijs from 'pkijs';
import {
  Der,
  T,
  decodeBits,
  decodeBool,
  decodeInt,
  decodeOid,
  decodeTime,
  hex,
  isCtx,
  isUniv,
  parseDer,
} from './der.js';
import {
  GeneralName,
  Name,
  NameConstraints,
  Rdn,
  parseGeneralNames,
  parseName,
  parseNameConstraints,
  parseRdn,
  nameEquals,
} from './names.js';

export const OID = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  issuerAltName: '2.5.29.18',
  basicConstraints: '2.5.29.19',
  crlNumber: '2.5.29.20',
  reasonCode: '2.5.29.21',
  holdInstructionCode: '2.5.29.23',
  invalidityDate: '2.5.29.24',
  deltaCrlIndicator: '2.5.29.27',
  issuingDistributionPoint: '2.5.29.28',
  certificateIssuer: '2.5.29.29',
  nameConstraints: '2.5.29.30',
  crlDistributionPoints: '2.5.29.31',
  certificatePolicies: '2.5.29.32',
  policyMappings: '2.5.29.33',
  authorityKeyIdentifier: '2.5.29.35',
  policyConstraints: '2.5.29.36',
  extKeyUsage: '2.5.29.37',
  freshestCrl: '2.5.29.46',
  inhibitAnyPolicy: '2.5.29.54',
  anyPolicy: '2.5.29.32.0',
  dsa: '1.2.840.10040.4.1',
  kpOcspSigning: '1.3.6.1.5.5.7.3.9',
  ocspNoCheck: '1.3.6.1.5.5.7.48.1.5',
} as const;

export const KU = { digitalSignature: 0, keyCertSign: 5, cRLSign: 6 } as const;

/** ReasonFlags bits 1..8 (bit 0 "unused" is never a reason). */
export const ALL_REASONS = 0x1fe;

export interface Ext {
  critical: boolean;
  value: Der;
}

export function parseExtensions(n: Der | undefined): Map<string, Ext> {
  const exts = new Map<string, Ext>();
  for (const e of n?.kids ?? []) {
    const oid = decodeOid(e.kids[0]!);
    const critical = isUniv(e.kids[1], T.BOOLEAN) && decodeBool(e.kids[1]);
    const octets = e.kids[e.kids.length - 1]!;
    if (exts.has(oid)) throw new Error(`duplicate extension ${oid}`);
    exts.set(oid, { critical, value: parseDer(octets.content) });
  }
  return exts;
}

export function reasonMask(n: Der): number {
  let mask = 0;
  for (const b of decodeBits(n)) if (b >= 1 && b <= 8) mask |= 1 << b;
  return mask;
}

export interface DistributionPointName {
  full?: GeneralName[];
  relative?: Rdn;
}

export interface DistributionPoint {
  name?: DistributionPointName;
  reasons?: number;
  crlIssuer?: GeneralName[];
}

export function parseDpName(n: Der): DistributionPointName {
  const inner = n.kids[0]!;
  if (isCtx(inner, 0)) return { full: parseGeneralNames(inner) };
  return { relative: parseRdn(inner) };
}

function parseDistributionPoints(n: Der): DistributionPoint[] {
  return n.kids.map((dp) => {
    const out: DistributionPoint = {};
    for (const f of dp.kids) {
      if (isCtx(f, 0)) out.name = parseDpName(f);
      else if (isCtx(f, 1)) out.reasons = reasonMask(f);
      else if (isCtx(f, 2)) out.crlIssuer = parseGeneralNames(f);
    }
    return out;
  });
}

export interface PolicyInfo {
  oid: string;
  qualifiers?: Uint8Array;
}

export interface CertInfo {
  cert: pkijs.Certificate;
  id: string;
  tbs: Uint8Array;
  serial: string;
  /** INTEGER content octets of the serial number, for the RFC 5280 §4.1.2.2 profile check */
  serialBytes: Uint8Array;
  /** notBefore and notAfter as encoded (tag and characters), for the §4.1.2.5 profile check */
  validityRaw: { tag: number; text: string }[];
  issuer: Name;
  subject: Name;
  notBefore: Date;
  notAfter: Date;
  spki: Der;
  keyAlg: string;
  /** DSA keys may omit domain parameters and inherit them from the issuer (RFC 3279 §2.3.2). */
  keyParamsAbsent: boolean;
  sigAlg: string;
  exts: Map<string, Ext>;
  selfIssued: boolean;
  basicConstraints?: { ca: boolean; pathLen?: number };
  keyUsage?: Set<number>;
  san: GeneralName[];
  policies?: PolicyInfo[];
  policyMappings?: { issuer: string; subject: string }[];
  requireExplicitPolicy?: number;
  inhibitPolicyMapping?: number;
  inhibitAnyPolicy?: number;
  nameConstraints?: NameConstraints;
  crlDistributionPoints?: DistributionPoint[];
  aki?: string;
  ski?: string;
  eku?: string[];
}

const certCache = new WeakMap<pkijs.Certificate, CertInfo>();

export function certInfo(cert: pkijs.Certificate): CertInfo {
  const hit = certCache.get(cert);
  if (hit) return hit;
  const info = decodeCert(cert);
  certCache.set(cert, info);
  return info;
}

function decodeCert(cert: pkijs.Certificate): CertInfo {
  const tbs = cert.tbsView;
  const k = parseDer(tbs).kids;
  let i = isCtx(k[0], 0) ? 1 : 0;
  const serialNode = k[i++]!;
  i++; // signature AlgorithmIdentifier, duplicated outside the TBS
  const issuer = parseName(k[i++]!);
  const validity = k[i++]!;
  const subject = parseName(k[i++]!);
  const spki = k[i++]!;
  const extsNode = k.slice(i).find((n) => isCtx(n, 3));
  const exts = parseExtensions(extsNode?.kids[0]);
  const algId = spki.kids[0]!;
  const info: CertInfo = {
    cert,
    id: createHash('sha256').update(tbs).update(cert.signatureValue.valueBlock.valueHexView).digest('hex'),
    tbs,
    serial: hex(serialNode.content),
    serialBytes: serialNode.content,
    validityRaw: validity.kids.slice(0, 2).map((t) => ({ tag: t.tag, text: Buffer.from(t.content).toString('latin1') })),
    issuer,
    subject,
    notBefore: decodeTime(validity.kids[0]!),
    notAfter: decodeTime(validity.kids[1]!),
    spki,
    keyAlg: decodeOid(algId.kids[0]!),
    keyParamsAbsent: algId.kids.length < 2 || isUniv(algId.kids[1], T.NULL),
    sigAlg: cert.signatureAlgorithm.algorithmId,
    exts,
    selfIssued: nameEquals(issuer, subject),
    san: [],
  };
  const get = (oid: string) => exts.get(oid)?.value;
  let v: Der | undefined;
  if ((v = get(OID.basicConstraints))) {
    let ca = false;
    let pathLen: number | undefined;
    for (const f of v.kids) {
      if (isUniv(f, T.BOOLEAN)) ca = decodeBool(f);
      else if (isUniv(f, T.INTEGER)) pathLen = Number(decodeInt(f));
    }
    info.basicConstraints = { ca, pathLen };
  }
  if ((v = get(OID.keyUsage))) info.keyUsage = decodeBits(v);
  if ((v = get(OID.subjectAltName))) info.san = parseGeneralNames(v);
  if ((v = get(OID.certificatePolicies)))
    info.policies = v.kids.map((p) => ({ oid: decodeOid(p.kids[0]!), qualifiers: p.kids[1]?.raw }));
  if ((v = get(OID.policyMappings)))
    info.policyMappings = v.kids.map((m) => ({
      issuer: decodeOid(m.kids[0]!),
      subject: decodeOid(m.kids[1]!),
    }));
  if ((v = get(OID.policyConstraints))) {
    for (const f of v.kids) {
      // Implicitly tagged INTEGERs: content bytes are the integer.
      if (isCtx(f, 0)) info.requireExplicitPolicy = Number(decodeInt(f));
      else if (isCtx(f, 1)) info.inhibitPolicyMapping = Number(decodeInt(f));
    }
  }
  if ((v = get(OID.inhibitAnyPolicy))) info.inhibitAnyPolicy = Number(decodeInt(v));
  if ((v = get(OID.nameConstraints))) info.nameConstraints = parseNameConstraints(v);
  if ((v = get(OID.crlDistributionPoints))) info.crlDistributionPoints = parseDistributionPoints(v);
  if ((v = get(OID.authorityKeyIdentifier))) {
    const kid = v.kids.find((f) => isCtx(f, 0));
    if (kid) info.aki = hex(kid.content);
  }
  if ((v = get(OID.subjectKeyIdentifier))) info.ski = hex(v.content);
  if ((v = get(OID.extKeyUsage))) info.eku = v.kids.map(decodeOid);
  return info;
}

export function isCa(c: CertInfo): boolean {
  return c.basicConstraints?.ca === true;
}
