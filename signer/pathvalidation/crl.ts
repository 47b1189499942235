// Decoded view of a CRL (RFC 5280 §5), built from the signed TBS bytes and cached per pkijs object.
import { createHash } from 'node:crypto';
import type * as pkijs from 'pkijs';
import { Der, T, decodeBool, decodeInt, decodeTime, hex, isCtx, isUniv, parseDer } from './der.js';
import { DistributionPointName, Ext, OID, parseDpName, parseExtensions, reasonMask } from './model.js';
import { GeneralName, Name, parseGeneralNames, parseName } from './names.js';

export interface IssuingDistributionPoint {
  name?: DistributionPointName;
  onlyUserCerts: boolean;
  onlyCaCerts: boolean;
  onlySomeReasons?: number;
  indirectCrl: boolean;
  onlyAttributeCerts: boolean;
  /** DER of the extension value, to compare a delta CRL's scope with its base */
  der: string;
}

export interface CrlEntry {
  serial: string;
  date: Date;
  reason?: number;
  /** names of the issuer of the listed certificate, for indirect CRLs (certificateIssuer carries forward) */
  certIssuer?: GeneralName[];
  unknownCritical: string[];
}

export interface CrlInfo {
  crl: pkijs.CertificateRevocationList;
  id: string;
  tbs: Uint8Array;
  issuer: Name;
  thisUpdate: Date;
  nextUpdate?: Date;
  entries: CrlEntry[];
  exts: Map<string, Ext>;
  crlNumber?: bigint;
  /** deltaCRLIndicator: the base CRL number this delta builds on */
  deltaBase?: bigint;
  idp?: IssuingDistributionPoint;
  aki?: string;
  unknownCritical: string[];
}

const KNOWN_CRL_EXTS = new Set<string>([
  OID.authorityKeyIdentifier,
  OID.issuerAltName,
  OID.crlNumber,
  OID.deltaCrlIndicator,
  OID.issuingDistributionPoint,
  OID.freshestCrl,
]);
const KNOWN_ENTRY_EXTS = new Set<string>([
  OID.reasonCode,
  OID.holdInstructionCode,
  OID.invalidityDate,
  OID.certificateIssuer,
]);

const crlCache = new WeakMap<pkijs.CertificateRevocationList, CrlInfo>();

export function crlInfo(crl: pkijs.CertificateRevocationList): CrlInfo {
  const hit = crlCache.get(crl);
  if (hit) return hit;
  const info = decodeCrl(crl);
  crlCache.set(crl, info);
  return info;
}

function parseIdp(v: Der): IssuingDistributionPoint {
  const idp: IssuingDistributionPoint = {
    onlyUserCerts: false,
    onlyCaCerts: false,
    indirectCrl: false,
    onlyAttributeCerts: false,
    der: hex(v.raw),
  };
  for (const f of v.kids) {
    if (isCtx(f, 0)) idp.name = parseDpName(f);
    else if (isCtx(f, 1)) idp.onlyUserCerts = decodeBool(f);
    else if (isCtx(f, 2)) idp.onlyCaCerts = decodeBool(f);
    else if (isCtx(f, 3)) idp.onlySomeReasons = reasonMask(f);
    else if (isCtx(f, 4)) idp.indirectCrl = decodeBool(f);
    else if (isCtx(f, 5)) idp.onlyAttributeCerts = decodeBool(f);
  }
  return idp;
}

function decodeCrl(crl: pkijs.CertificateRevocationList): CrlInfo {
  const tbs = crl.tbsView;
  const k = parseDer(tbs).kids;
  let i = isUniv(k[0], T.INTEGER) ? 1 : 0;
  i++; // signature AlgorithmIdentifier
  const issuer = parseName(k[i++]!);
  const thisUpdate = decodeTime(k[i++]!);
  let nextUpdate: Date | undefined;
  if (isUniv(k[i], T.UTC_TIME) || isUniv(k[i], T.GENERALIZED_TIME)) nextUpdate = decodeTime(k[i++]!);
  const revoked = isUniv(k[i], T.SEQUENCE) ? k[i++]! : undefined;
  const extsNode = k.slice(i).find((n) => isCtx(n, 0));
  const exts = parseExtensions(extsNode?.kids[0]);
  const info: CrlInfo = {
    crl,
    id: createHash('sha256').update(tbs).update(crl.signatureValue.valueBlock.valueHexView).digest('hex'),
    tbs,
    issuer,
    thisUpdate,
    nextUpdate,
    entries: [],
    exts,
    unknownCritical: [...exts]
      .filter(([oid, e]) => e.critical && !KNOWN_CRL_EXTS.has(oid))
      .map(([oid]) => oid),
  };
  let v: Der | undefined;
  if ((v = exts.get(OID.crlNumber)?.value)) info.crlNumber = decodeInt(v);
  if ((v = exts.get(OID.deltaCrlIndicator)?.value)) info.deltaBase = decodeInt(v);
  if ((v = exts.get(OID.issuingDistributionPoint)?.value)) info.idp = parseIdp(v);
  if ((v = exts.get(OID.authorityKeyIdentifier)?.value)) {
    const kid = v.kids.find((f) => isCtx(f, 0));
    if (kid) info.aki = hex(kid.content);
  }
  let certIssuer: GeneralName[] | undefined;
  for (const e of revoked?.kids ?? []) {
    const eexts = parseExtensions(e.kids[2]);
    const ci = eexts.get(OID.certificateIssuer)?.value;
    if (ci) certIssuer = parseGeneralNames(ci);
    const rc = eexts.get(OID.reasonCode)?.value;
    info.entries.push({
      serial: hex(e.kids[0]!.content),
      date: decodeTime(e.kids[1]!),
      reason: rc ? Number(decodeInt(rc)) : undefined,
      certIssuer,
      unknownCritical: [...eexts]
        .filter(([oid, x]) => x.critical && !KNOWN_ENTRY_EXTS.has(oid))
        .map(([oid]) => oid),
    });
  }
  return info;
}

export const REASON_NAMES: Record<number, string> = {
  0: 'unspecified',
  1: 'keyCompromise',
  2: 'cACompromise',
  3: 'affiliationChanged',
  4: 'superseded',
  5: 'cessationOfOperation',
  6: 'certificateHold',
  8: 'removeFromCRL',
  9: 'privilegeWithdrawn',
  10: 'aACompromise',
};
