import { GovmailError } from '../core/errors.js';
import { T, bytesEqual, decodeBool, decodeOid, isCtx, isUniv, parseDer, type Der } from './pathvalidation/der.js';

/**
 * RFC 5280 §4 rules the CA enforces on every TBSCertificate before it signs it, read from the exact
 * bytes that will be signed (not from the spec that produced them), so no code path can write a
 * certificate that breaks them. Each refusal names the rule, what was found and what was expected.
 */
export class CertificateProfileError extends GovmailError {
  constructor(public readonly rule: string, en: string, vi: string) {
    super('CERT_PROFILE', `certificate refused (RFC 5280 ${rule}): ${en}`, `từ chối cấp chứng thư (RFC 5280 ${rule}): ${vi}`, 400);
    this.name = 'CertificateProfileError';
  }
}

export interface ProfileContext {
  /** the keyIdentifier the AKI must carry: the issuer's SKI (our own for a self-signed root) */
  issuerKeyId: Uint8Array;
  /** the SKI the certificate must carry (method 1 over its own key) */
  subjectKeyId: Uint8Array;
}

const OID = {
  subjectKeyIdentifier: '2.5.29.14',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  nameConstraints: '2.5.29.30',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
};

/** §4.1.2.2: a positive INTEGER of at most 20 octets, minimally encoded (DER). */
export function checkSerial(content: Uint8Array): void {
  if (content.length === 0 || content.length > 20) {
    throw new CertificateProfileError('§4.1.2.2', `serialNumber is ${content.length} octets; expected 1 to 20`, `số hiệu dài ${content.length} octet; cần từ 1 đến 20`);
  }
  if (content[0]! & 0x80) throw new CertificateProfileError('§4.1.2.2', 'serialNumber is negative (high bit set); expected a positive integer', 'số hiệu là số âm (bit cao được bật); cần số nguyên dương');
  if (content.length > 1 && content[0] === 0 && !(content[1]! & 0x80)) {
    throw new CertificateProfileError('§4.1.2.2', 'serialNumber has a superfluous leading zero octet; expected minimal DER', 'số hiệu có octet 0 thừa ở đầu; cần mã hoá DER tối thiểu');
  }
  if (content.every((b) => b === 0)) throw new CertificateProfileError('§4.1.2.2', 'serialNumber is zero; expected a positive integer', 'số hiệu bằng 0; cần số nguyên dương');
}

/** §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050, whole seconds, always Z. */
export function checkValidityTime(n: Der, field: 'notBefore' | 'notAfter'): void {
  const text = Buffer.from(n.content).toString('latin1');
  const refuse = (en: string, vi: string) => {
    throw new CertificateProfileError('§4.1.2.5', `${field} ${JSON.stringify(text)}: ${en}`, `${field} ${JSON.stringify(text)}: ${vi}`);
  };
  if (isUniv(n, T.UTC_TIME)) {
    if (!/^\d{12}Z$/.test(text)) refuse('expected UTCTime YYMMDDHHMMSSZ (seconds, no fraction, Z)', 'cần UTCTime YYMMDDHHMMSSZ (có giây, không phần lẻ, Z)');
    return;
  }
  if (isUniv(n, T.GENERALIZED_TIME)) {
    if (!/^\d{14}Z$/.test(text)) refuse('expected GeneralizedTime YYYYMMDDHHMMSSZ (seconds, no fraction, Z)', 'cần GeneralizedTime YYYYMMDDHHMMSSZ (có giây, không phần lẻ, Z)');
    const year = Number(text.slice(0, 4));
    if (year >= 1950 && year <= 2049) refuse('a year from 1950 to 2049 must be written as UTCTime', 'năm từ 1950 đến 2049 phải ghi bằng UTCTime');
    return;
  }
  refuse('expected UTCTime or GeneralizedTime', 'cần UTCTime hoặc GeneralizedTime');
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;
const isHostName = (s: string) => s.length > 0 && s.length <= 253 && s.split('.').every((l) => LABEL.test(l));
/** A host, optionally with a leading dot (a constraint on subdomains only, as OpenSSL and NSS read it). */
const isDomainBase = (s: string) => isHostName(s.startsWith('.') ? s.slice(1) : s);

function contiguousMask(mask: Uint8Array): boolean {
  let seenZero = false;
  for (const byte of mask) for (let b = 7; b >= 0; b--) {
    const set = (byte >> b) & 1;
    if (set && seenZero) return false;
    if (!set) seenZero = true;
  }
  return true;
}

/** §4.2.1.10: what a base of each GeneralName kind must look like, or why it does not. */
function baseProblem(base: Der): string | undefined {
  const text = Buffer.from(base.content).toString('latin1');
  if (isCtx(base, 1)) {
    const at = text.lastIndexOf('@');
    const ok = at >= 0 ? at > 0 && !text.slice(0, at).includes('@') && isHostName(text.slice(at + 1)) : isDomainBase(text);
    return ok ? undefined : `rfc822Name ${JSON.stringify(text)} (expected a mailbox, a host or .domain)`;
  }
  if (isCtx(base, 2)) return isDomainBase(text) ? undefined : `dNSName ${JSON.stringify(text)} (expected a host name such as bacninh.gov.vn)`;
  if (isCtx(base, 4)) return base.kids.length === 1 && isUniv(base.kids[0], T.SEQUENCE) ? undefined : 'directoryName (expected a Name)';
  if (isCtx(base, 6)) return isDomainBase(text) ? undefined : `uniformResourceIdentifier ${JSON.stringify(text)} (expected a host or .domain)`;
  if (isCtx(base, 7)) {
    const len = base.content.length;
    if (len !== 8 && len !== 32) return `iPAddress of ${len} octets (expected address and mask: 8 for IPv4, 32 for IPv6)`;
    return contiguousMask(base.content.subarray(len / 2)) ? undefined : 'iPAddress with a non-contiguous mask';
  }
  return `GeneralName [${base.tag}] (expected rfc822Name, dNSName, directoryName, URI or iPAddress)`;
}

function checkNameConstraints(value: Der, critical: boolean, isCa: boolean): void {
  const refuse = (en: string, vi: string) => {
    throw new CertificateProfileError('§4.2.1.10', en, vi);
  };
  if (!isCa) refuse('nameConstraints in a certificate that is not a CA; expected it only in CA certificates', 'nameConstraints trong chứng thư không phải CA; chỉ được có trong chứng thư CA');
  if (!critical) refuse('nameConstraints is not critical; expected critical', 'nameConstraints không được đánh dấu critical; cần critical');
  if (!value.kids.length) refuse('nameConstraints with neither permitted nor excluded subtrees', 'nameConstraints không có permitted lẫn excluded');
  for (const subtrees of value.kids) {
    if (!subtrees.kids.length) refuse('an empty subtrees list; expected at least one GeneralSubtree', 'danh sách subtrees rỗng; cần ít nhất một GeneralSubtree');
    for (const subtree of subtrees.kids) {
      const [base, ...rest] = subtree.kids;
      if (rest.length) refuse('a GeneralSubtree with minimum or maximum; expected the base alone', 'GeneralSubtree có minimum hoặc maximum; chỉ được có base');
      const problem = base ? baseProblem(base) : 'a missing base';
      if (problem) refuse(`malformed base: ${problem}`, `base không hợp lệ: ${problem}`);
    }
  }
}

/** The keyIdentifier [0] of an AuthorityKeyIdentifier value. */
const akiKeyId = (aki: Der) => aki.kids.find((k) => isCtx(k, 0))?.content;

export function checkTbsProfile(tbs: Uint8Array, ctx: ProfileContext): void {
  const fields = parseDer(tbs).kids;
  const [, serial, , issuer, validity, subject] = fields;
  checkSerial(serial!.content);
  for (const [name, field] of [['issuer', issuer!], ['subject', subject!]] as const) {
    if (field.kids.some((rdn) => !rdn.kids.length)) {
      throw new CertificateProfileError('§4.1.2.4', `${name} holds an empty RelativeDistinguishedName; expected at least one attribute in each`, `${name} có RelativeDistinguishedName rỗng; mỗi RDN cần ít nhất một thuộc tính`);
    }
  }
  checkValidityTime(validity!.kids[0]!, 'notBefore');
  checkValidityTime(validity!.kids[1]!, 'notAfter');

  const extensions = fields.find((f) => isCtx(f, 3))?.kids[0]?.kids ?? [];
  const byOid = new Map<string, { critical: boolean; value: Der }>();
  for (const e of extensions) {
    const oid = decodeOid(e.kids[0]!);
    if (byOid.has(oid)) throw new CertificateProfileError('§4.2', `extension ${oid} appears twice; expected each extension at most once`, `phần mở rộng ${oid} xuất hiện hai lần; mỗi phần mở rộng chỉ được có một lần`);
    const critical = isUniv(e.kids[1], T.BOOLEAN) && decodeBool(e.kids[1]!);
    byOid.set(oid, { critical, value: parseDer(e.kids[e.kids.length - 1]!.content) });
  }

  const ski = byOid.get(OID.subjectKeyIdentifier)?.value.content;
  if (!ski || !bytesEqual(ski, ctx.subjectKeyId)) {
    throw new CertificateProfileError('§4.2.1.2', ski ? 'subjectKeyIdentifier does not match the subject public key; expected its SHA-1 key identifier' : 'subjectKeyIdentifier is missing; expected one', ski ? 'subjectKeyIdentifier không khớp khoá công khai; cần định danh SHA-1 của khoá' : 'thiếu subjectKeyIdentifier; cần có');
  }
  const aki = byOid.get(OID.authorityKeyIdentifier);
  const keyId = aki && akiKeyId(aki.value);
  if (!keyId || !bytesEqual(keyId, ctx.issuerKeyId)) {
    throw new CertificateProfileError('§4.2.1.1', keyId ? "authorityKeyIdentifier does not equal the issuer's subjectKeyIdentifier" : 'authorityKeyIdentifier with a keyIdentifier is missing; expected the issuer\'s subjectKeyIdentifier', keyId ? 'authorityKeyIdentifier khác subjectKeyIdentifier của bên cấp' : 'thiếu authorityKeyIdentifier có keyIdentifier; cần subjectKeyIdentifier của bên cấp');
  }
  if (aki!.critical) throw new CertificateProfileError('§4.2.1.1', 'authorityKeyIdentifier is critical; expected non-critical', 'authorityKeyIdentifier được đánh dấu critical; cần non-critical');

  if (!subject!.kids.length) {
    const san = byOid.get(OID.subjectAltName);
    if (!san?.critical || !san.value.kids.length) {
      throw new CertificateProfileError('§4.1.2.6', 'empty subject without a critical subjectAltName; expected a subject name or a critical subjectAltName', 'subject rỗng mà không có subjectAltName critical; cần tên chủ thể hoặc subjectAltName critical');
    }
  }
  const eku = byOid.get(OID.extKeyUsage);
  if (eku && !eku.value.kids.length) throw new CertificateProfileError('§4.2.1.12', 'extendedKeyUsage lists no purpose; expected at least one KeyPurposeId', 'extendedKeyUsage không có mục đích nào; cần ít nhất một KeyPurposeId');

  const nc = byOid.get(OID.nameConstraints);
  if (nc) {
    const bc = byOid.get(OID.basicConstraints)?.value;
    const isCa = Boolean(bc && isUniv(bc.kids[0], T.BOOLEAN) && decodeBool(bc.kids[0]!));
    checkNameConstraints(nc.value, nc.critical, isCa);
  }
}
