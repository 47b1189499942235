// CMS SignedData verification (RFC 5652 §5.6) with CAdES-BES attribute checks,
// reported with ETSI EN 319 102-1 indications and sub-indications.

import { constants, createHash, verify as nodeVerify, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import {
  OID,
  bytesEqual,
  checkSigningCertificate,
  digest,
  hashFromOid,
  nodeHash,
  parseContentType,
  parseMessageDigest,
  parseSigningCertificate,
  parseSigningTime,
  singleValue,
  toU8,
  type HashName,
} from './attributes.js';
import { certificatePublicKey, pemBlocks } from './keys.js';

export type Indication = 'TOTAL-PASSED' | 'TOTAL-FAILED' | 'INDETERMINATE';

export interface VerifyReport {
  indication: Indication;
  /** ETSI EN 319 102-1 sub-indication (HASH_FAILURE, SIG_CRYPTO_FAILURE, REVOKED, ...). */
  subIndication?: string;
  /** Vietnamese message, with diacritics. */
  messageVi: string;
  /** English message. */
  message: string;
  signer?: { subject: string; serial: string; email?: string; certificate: pkijs.Certificate };
  signingTime?: Date;
  chain?: pkijs.Certificate[];
  integrity: boolean;
  chainStatus?: 'valid' | 'invalid' | 'indeterminate';
  revocation?: unknown;
  /** The signed content (enveloping, or detached as given). */
  content?: Uint8Array;
}

export interface ChainResult {
  status: 'valid' | 'invalid' | 'indeterminate';
  code: string;
  message: string;
  messageVi: string;
  path: pkijs.Certificate[];
  revocation?: unknown;
}

export type ChainValidator = (
  leaf: pkijs.Certificate,
  untrusted: pkijs.Certificate[],
  at: Date,
) => Promise<ChainResult>;

export interface VerifyOptions {
  /** DER or PEM (PKCS7/CMS) or bare base64. */
  p7s: Uint8Array;
  /** The content of a detached signature. */
  content?: Uint8Array;
  /** Judges the signer's certificate chain; without it the result is at best INDETERMINATE. */
  validateChain?: ChainValidator;
  /** Validation time (default: now). */
  at?: Date;
}

// ---------------------------------------------------------------------------
// Messages

const MESSAGES: Record<string, { en: string; vi: string }> = {
  PASSED: {
    en: "The signature is valid: the content is intact and the signer's certificate chain is valid.",
    vi: 'Chữ ký hợp lệ: nội dung toàn vẹn và chuỗi chứng thư số của người ký hợp lệ.',
  },
  HASH_FAILURE: {
    en: 'The signed content has been modified: its digest does not match the signed message-digest.',
    vi: 'Nội dung đã bị thay đổi sau khi ký: giá trị băm không khớp với giá trị băm đã được ký.',
  },
  SIG_CRYPTO_FAILURE: {
    en: "The signature value does not verify with the signer's public key.",
    vi: 'Giá trị chữ ký không hợp lệ khi kiểm tra bằng khóa công khai của người ký.',
  },
  FORMAT_FAILURE: {
    en: 'The signature is malformed',
    vi: 'Chữ ký không đúng định dạng',
  },
  SIGNED_DATA_NOT_FOUND: {
    en: 'The signature is detached and the signed content was not provided.',
    vi: 'Chữ ký tách rời nhưng không có nội dung đã ký để kiểm tra.',
  },
  NO_SIGNING_CERTIFICATE_FOUND: {
    en: "The signer's certificate could not be identified",
    vi: 'Không xác định được chứng thư số của người ký',
  },
  NO_CERTIFICATE_CHAIN_FOUND: {
    en: "The content is intact and the signature is correct, but the signer's certificate chain was not validated.",
    vi: 'Nội dung toàn vẹn và chữ ký đúng, nhưng chuỗi chứng thư số của người ký chưa được kiểm tra.',
  },
  CRYPTO_CONSTRAINTS_FAILURE_NO_POE: {
    en: 'The signature uses SHA-1, which is no longer accepted.',
    vi: 'Chữ ký dùng thuật toán băm SHA-1, không còn được chấp nhận.',
  },
  REVOKED: {
    en: "The signer's certificate has been revoked.",
    vi: 'Chứng thư số của người ký đã bị thu hồi.',
  },
  TRY_LATER: {
    en: "The revocation status of the signer's certificate could not be obtained; try again later.",
    vi: 'Không lấy được trạng thái thu hồi của chứng thư số người ký; vui lòng thử lại sau.',
  },
  CHAIN: {
    en: "The signer's certificate chain is not valid.",
    vi: 'Chuỗi chứng thư số của người ký không hợp lệ.',
  },
  CHAIN_UNKNOWN: {
    en: "The signer's certificate chain could not be validated.",
    vi: 'Không kiểm tra được chuỗi chứng thư số của người ký.',
  },
};

function msg(key: string, detail?: { en: string; vi: string }): { message: string; messageVi: string } {
  const m = MESSAGES[key] ?? MESSAGES.FORMAT_FAILURE!;
  if (!detail) return { message: m.en, messageVi: m.vi };
  return { message: `${m.en}: ${detail.en}`, messageVi: `${m.vi}: ${detail.vi}` };
}

// ---------------------------------------------------------------------------
// Names and certificate summaries

const NAME_KEYS: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'SERIALNUMBER',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'T',
  '2.5.4.42': 'GN',
  '1.2.840.113549.1.9.1': 'E',
  '0.9.2342.19200300.100.1.1': 'UID',
  '0.9.2342.19200300.100.1.25': 'DC',
};

function attrValue(v: unknown): string {
  const block = (v as { valueBlock?: { value?: unknown; valueHexView?: Uint8Array } }).valueBlock;
  if (block && typeof block.value === 'string') return block.value;
  if (block?.valueHexView) return `#${Buffer.from(block.valueHexView).toString('hex')}`;
  return '';
}

function escapeRdn(s: string): string {
  return s
    .replace(/([,+"\\<>;=])/g, '\\$1')
    .replace(/^([ #])/, '\\$1')
    .replace(/ $/, '\\ ');
}

/** RFC 4514-style string of a name (most specific RDN first), e.g. "CN=Nguyễn Văn A,O=Bộ X,C=VN". */
export function formatName(name: pkijs.RelativeDistinguishedNames): string {
  return name.typesAndValues
    .map((tv) => `${NAME_KEYS[tv.type] ?? tv.type}=${escapeRdn(attrValue(tv.value))}`)
    .reverse()
    .join(',');
}

function serialHex(cert: pkijs.Certificate): string {
  return Buffer.from(cert.serialNumber.valueBlock.valueHexView).toString('hex').toUpperCase();
}

function certificateEmail(cert: pkijs.Certificate): string | undefined {
  const san = cert.extensions?.find((e) => e.extnID === '2.5.29.17');
  const alt = san?.parsedValue as pkijs.AltName | undefined;
  for (const gn of alt?.altNames ?? []) {
    if (gn.type === 1 && typeof gn.value === 'string') return gn.value;
  }
  const e = cert.subject.typesAndValues.find((tv) => tv.type === '1.2.840.113549.1.9.1');
  return e ? attrValue(e.value) : undefined;
}

function signerSummary(cert: pkijs.Certificate): NonNullable<VerifyReport['signer']> {
  const s: NonNullable<VerifyReport['signer']> = {
    subject: formatName(cert.subject),
    serial: serialHex(cert),
    certificate: cert,
  };
  const email = certificateEmail(cert);
  if (email) s.email = email;
  return s;
}

// ---------------------------------------------------------------------------
// Parsing

const BASE64_RE = /^[A-Za-z0-9+/=\s]+$/;

/** DER bytes of a p7s given as DER, PEM or bare base64. Throws on anything else. */
export function decodeP7s(input: Uint8Array): Uint8Array {
  if (!(input instanceof Uint8Array))
    throw new Error('p7s must be a Uint8Array holding a DER or PEM CMS signature');
  if (input.byteLength === 0)
    throw new Error('Invalid CMS signature: the input is empty (expected DER or PEM SignedData)');
  if (input[0] === 0x30) return input;
  const text = Buffer.from(input).toString('latin1');
  if (text.includes('-----BEGIN ')) {
    const block = pemBlocks(text).find((b) => /PKCS7|PKCS #7|CMS/.test(b.label));
    if (!block) throw new Error('Invalid CMS signature: PEM input without a "PKCS7" or "CMS" block');
    return block.der;
  }
  if (BASE64_RE.test(text)) {
    const der = new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'base64'));
    if (der[0] === 0x30) return der;
  }
  throw new Error(
    'Invalid CMS signature: the input is neither DER (a SEQUENCE) nor PEM/base64 (expected a PKCS#7/CMS SignedData)',
  );
}

/** Parses a ContentInfo holding SignedData; throws an explanatory Error on bad input. */
export function parseSignedData(der: Uint8Array): pkijs.SignedData {
  const asn = asn1js.fromBER(der, { maxContentLength: 512 * 1024 * 1024, maxNodes: 1_000_000 });
  if (asn.offset === -1) {
    throw new Error(
      `Invalid CMS signature: not valid DER/BER ASN.1 (${asn.result.error || 'decoding failed'}); expected a PKCS#7/CMS ContentInfo`,
    );
  }
  let ci: pkijs.ContentInfo;
  try {
    ci = new pkijs.ContentInfo({ schema: asn.result });
  } catch {
    throw new Error(
      'Invalid CMS signature: the ASN.1 data is not a CMS ContentInfo (expected SEQUENCE { contentType OID, [0] content })',
    );
  }
  if (ci.contentType !== OID.signedData) {
    throw new Error(
      `Invalid CMS signature: the ContentInfo holds ${ci.contentType}, expected SignedData (${OID.signedData})`,
    );
  }
  try {
    return new pkijs.SignedData({ schema: ci.content });
  } catch (e) {
    throw new Error(`Invalid CMS signature: malformed SignedData (${(e as Error).message})`);
  }
}

function octetStringBytes(v: unknown): Uint8Array | undefined {
  if (v instanceof asn1js.OctetString) return toU8(v.getValue());
  return undefined;
}

function findSignerCertificate(
  si: pkijs.SignerInfo,
  certs: pkijs.Certificate[],
): pkijs.Certificate | undefined {
  const sid = si.sid as unknown;
  if (sid instanceof pkijs.IssuerAndSerialNumber) {
    const serial = toU8(sid.serialNumber.valueBlock.valueHexView);
    return certs.find(
      (c) => bytesEqual(toU8(c.serialNumber.valueBlock.valueHexView), serial) && c.issuer.isEqual(sid.issuer),
    );
  }
  // [0] SubjectKeyIdentifier (implicit OCTET STRING)
  const block = sid as asn1js.BaseBlock & {
    valueBlock: { valueHexView?: Uint8Array; value?: asn1js.BaseBlock[] };
  };
  const inner = block.idBlock?.isConstructed ? block.valueBlock.value?.[0] : block;
  const keyId = (inner as { valueBlock?: { valueHexView?: Uint8Array } } | undefined)?.valueBlock
    ?.valueHexView;
  if (!keyId) return undefined;
  return certs.find((c) => {
    const ext = c.extensions?.find((e) => e.extnID === '2.5.29.14');
    const ski = ext?.parsedValue instanceof asn1js.OctetString ? toU8(ext.parsedValue.getValue()) : undefined;
    if (ski && bytesEqual(ski, toU8(keyId))) return true;
    const spk = toU8(c.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView);
    return bytesEqual(new Uint8Array(createHash('sha1').update(spk).digest()), toU8(keyId));
  });
}

const SIG_HASH: Record<string, HashName> = {
  [OID.sha1WithRSA]: 'SHA-1',
  [OID.sha256WithRSA]: 'SHA-256',
  [OID.sha384WithRSA]: 'SHA-384',
  [OID.sha512WithRSA]: 'SHA-512',
  [OID.ecdsaWithSHA1]: 'SHA-1',
  [OID.ecdsaWithSHA256]: 'SHA-256',
  [OID.ecdsaWithSHA384]: 'SHA-384',
  [OID.ecdsaWithSHA512]: 'SHA-512',
};

/** Verifies a signature value; returns false when it does not verify, throws on unsupported algorithms. */
function verifySignatureValue(
  si: pkijs.SignerInfo,
  digestHash: HashName,
  data: Uint8Array,
  key: KeyObject,
): boolean {
  const oid = si.signatureAlgorithm.algorithmId;
  const sig = toU8(si.signature.valueBlock.valueHexView);
  const hash = SIG_HASH[oid] ?? digestHash;
  try {
    switch (oid) {
      case OID.rsaEncryption:
      case OID.sha1WithRSA:
      case OID.sha256WithRSA:
      case OID.sha384WithRSA:
      case OID.sha512WithRSA:
        if (key.asymmetricKeyType !== 'rsa') return false;
        return nodeVerify(nodeHash(hash), data, { key, padding: constants.RSA_PKCS1_PADDING }, sig);
      case OID.rsaPss: {
        if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'rsa-pss') return false;
        const params = si.signatureAlgorithm.algorithmParams
          ? new pkijs.RSASSAPSSParams({ schema: si.signatureAlgorithm.algorithmParams })
          : new pkijs.RSASSAPSSParams();
        const pssHash = hashFromOid(params.hashAlgorithm.algorithmId) ?? 'SHA-1';
        return nodeVerify(
          nodeHash(pssHash),
          data,
          { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: params.saltLength },
          sig,
        );
      }
      case OID.ecPublicKey:
      case OID.ecdsaWithSHA1:
      case OID.ecdsaWithSHA256:
      case OID.ecdsaWithSHA384:
      case OID.ecdsaWithSHA512:
        if (key.asymmetricKeyType !== 'ec') return false;
        // CMS carries ECDSA-Sig-Value (DER SEQUENCE { r, s }).
        return nodeVerify(nodeHash(hash), data, { key, dsaEncoding: 'der' }, sig);
      case OID.ed25519:
        if (key.asymmetricKeyType !== 'ed25519') return false;
        return nodeVerify(null, data, key, sig);
      default:
        throw new Error(`unsupported signature algorithm ${oid}`);
    }
  } catch (e) {
    if ((e as Error).message.startsWith('unsupported')) throw e;
    return false;
  }
}

class Fail extends Error {
  constructor(
    readonly indication: Indication,
    readonly sub: string,
    readonly texts: { message: string; messageVi: string },
  ) {
    super(texts.message);
  }
}

function formatFailure(en: string, vi: string): Fail {
  return new Fail('TOTAL-FAILED', 'FORMAT_FAILURE', msg('FORMAT_FAILURE', { en, vi }));
}

// ---------------------------------------------------------------------------

const TOTAL_FAILED_CHAIN_CODES = new Set(['REVOKED', 'EXPIRED', 'NOT_YET_VALID']);

function checkVerifyOptions(o: VerifyOptions): void {
  if (!o || typeof o !== 'object')
    throw new Error('verifyCms: options { p7s, content?, validateChain?, at? } are required');
  if (o.content !== undefined && !(o.content instanceof Uint8Array)) {
    throw new Error('verifyCms: content must be a Uint8Array when given');
  }
}

function firstSignerInfo(signedData: pkijs.SignedData): pkijs.SignerInfo {
  const si = signedData.signerInfos[0];
  if (!si)
    throw formatFailure(
      'the SignedData has no SignerInfo',
      'SignedData không có thông tin người ký (SignerInfo)',
    );
  return si;
}

/** The content an enveloping signature carries, if any. */
function embeddedContent(signedData: pkijs.SignedData): Uint8Array | undefined {
  const embedded = signedData.encapContentInfo.eContent
    ? octetStringBytes(signedData.encapContentInfo.eContent)
    : undefined;
  if (signedData.encapContentInfo.eContent && !embedded) {
    throw formatFailure(
      'the encapsulated content is not an OCTET STRING',
      'nội dung đóng gói không phải OCTET STRING',
    );
  }
  return embedded;
}

function requireSignerCertificate(si: pkijs.SignerInfo, certs: pkijs.Certificate[]): pkijs.Certificate {
  const cert = findSignerCertificate(si, certs);
  if (!cert) {
    throw new Fail(
      'INDETERMINATE',
      'NO_SIGNING_CERTIFICATE_FOUND',
      msg('NO_SIGNING_CERTIFICATE_FOUND', {
        en: 'it is not included in the signature',
        vi: 'chứng thư số không có trong chữ ký',
      }),
    );
  }
  return cert;
}

function signerDigestHash(si: pkijs.SignerInfo): HashName {
  const hash = hashFromOid(si.digestAlgorithm.algorithmId);
  if (!hash) {
    throw formatFailure(
      `unsupported digest algorithm ${si.digestAlgorithm.algorithmId}`,
      `thuật toán băm không được hỗ trợ ${si.digestAlgorithm.algorithmId}`,
    );
  }
  return hash;
}

/** Checks content-type, message-digest and signing-time; returns the signed digest and the signing time. */
function readSignedAttributes(
  attrs: pkijs.Attribute[],
  eContentType: string,
): { expectedDigest: Uint8Array; signingTime?: Date } {
  const ct = singleValue(attrs, OID.contentType, 'content-type');
  const md = singleValue(attrs, OID.messageDigest, 'message-digest');
  const st = singleValue(attrs, OID.signingTime, 'signing-time');
  for (const r of [ct, md, st])
    if (r.error) throw formatFailure(r.error, `thuộc tính ký sai: ${r.error}`);
  if (!ct.value)
    throw formatFailure('the content-type signed attribute is missing', 'thiếu thuộc tính content-type');
  if (parseContentType(ct.value) !== eContentType) {
    throw formatFailure(
      'the content-type attribute does not match the encapsulated content type',
      'thuộc tính content-type không khớp với loại nội dung',
    );
  }
  if (!md.value)
    throw formatFailure(
      'the message-digest signed attribute is missing',
      'thiếu thuộc tính message-digest',
    );
  const expectedDigest = parseMessageDigest(md.value);
  if (!expectedDigest)
    throw formatFailure(
      'the message-digest attribute is not an OCTET STRING',
      'thuộc tính message-digest sai định dạng',
    );
  const signingTime = st.value ? parseSigningTime(st.value) : undefined;
  return signingTime ? { expectedDigest, signingTime } : { expectedDigest };
}

/** The content that is checked (the embedded one, else the one given), and both as they came. */
interface SignedContent {
  content: Uint8Array;
  embedded: Uint8Array | undefined;
  given: Uint8Array | undefined;
}

/** The content's digest must be the signed one, and an embedded content must equal a content also given. */
function checkContentDigest(hash: HashName, signed: SignedContent, expectedDigest: Uint8Array): void {
  if (!bytesEqual(digest(hash, signed.content), expectedDigest)) {
    throw new Fail('TOTAL-FAILED', 'HASH_FAILURE', msg('HASH_FAILURE'));
  }
  if (signed.embedded && signed.given && !bytesEqual(signed.embedded, signed.given)) {
    throw new Fail('TOTAL-FAILED', 'HASH_FAILURE', msg('HASH_FAILURE'));
  }
}

/**
 * Checks the signed attributes against the content (recording the signing time in the report) and
 * returns the bytes the signature value covers.
 */
function checkSignedContent(
  si: pkijs.SignerInfo,
  eContentType: string,
  hash: HashName,
  signed: SignedContent,
  report: VerifyReport,
): Uint8Array {
  const attrs = si.signedAttrs?.attributes;
  // No signed attributes (plain CMS): the signature covers the content itself.
  if (!si.signedAttrs || !attrs) return signed.content;
  const { expectedDigest, signingTime } = readSignedAttributes(attrs, eContentType);
  if (signingTime) report.signingTime = signingTime;
  checkContentDigest(hash, signed, expectedDigest);
  return toU8(si.signedAttrs.encodedValue);
}

function checkSignatureValue(
  si: pkijs.SignerInfo,
  hash: HashName,
  toBeSigned: Uint8Array,
  cert: pkijs.Certificate,
): void {
  let key: KeyObject;
  try {
    key = certificatePublicKey(cert);
  } catch (e) {
    throw formatFailure(
      `the signer's public key cannot be read (${(e as Error).message})`,
      'không đọc được khóa công khai của người ký',
    );
  }
  let ok: boolean;
  try {
    ok = verifySignatureValue(si, hash, toBeSigned, key);
  } catch (e) {
    throw formatFailure(
      (e as Error).message,
      `thuật toán chữ ký không được hỗ trợ (${si.signatureAlgorithm.algorithmId})`,
    );
  }
  if (!ok) throw new Fail('TOTAL-FAILED', 'SIG_CRYPTO_FAILURE', msg('SIG_CRYPTO_FAILURE'));
}

/** signing-certificate(-v2): the signer certificate must be the one that was signed for. */
function checkSigningCertificateAttributes(
  attrs: pkijs.Attribute[] | undefined,
  cert: pkijs.Certificate,
): void {
  for (const [oid, v2] of [
    [OID.signingCertificateV2, true],
    [OID.signingCertificate, false],
  ] as const) {
    const sc = singleValue(attrs, oid, v2 ? 'signing-certificate-v2' : 'signing-certificate');
    if (sc.error) throw formatFailure(sc.error, `thuộc tính ký sai: ${sc.error}`);
    if (!sc.value) continue;
    let problem: string | undefined;
    try {
      problem = checkSigningCertificate(parseSigningCertificate(sc.value, v2), cert);
    } catch (e) {
      throw formatFailure(
        `malformed signing-certificate attribute (${(e as Error).message})`,
        'thuộc tính signing-certificate sai định dạng',
      );
    }
    if (problem) {
      throw new Fail(
        'INDETERMINATE',
        'NO_SIGNING_CERTIFICATE_FOUND',
        msg('NO_SIGNING_CERTIFICATE_FOUND', {
          en: `the signing-certificate attribute does not designate the included certificate (${problem})`,
          vi: 'thuộc tính signing-certificate không khớp với chứng thư số kèm theo chữ ký',
        }),
      );
    }
  }
}

function rejectSha1(hash: HashName): void {
  if (hash === 'SHA-1') {
    throw new Fail(
      'INDETERMINATE',
      'CRYPTO_CONSTRAINTS_FAILURE_NO_POE',
      msg('CRYPTO_CONSTRAINTS_FAILURE_NO_POE'),
    );
  }
}

/** Runs the chain validator on the signer certificate and records its chain status, path and revocation. */
async function validateSignerChain(
  o: VerifyOptions,
  cert: pkijs.Certificate,
  certs: pkijs.Certificate[],
  at: Date,
  report: VerifyReport,
): Promise<ChainResult> {
  if (!o.validateChain) {
    throw new Fail('INDETERMINATE', 'NO_CERTIFICATE_CHAIN_FOUND', msg('NO_CERTIFICATE_CHAIN_FOUND'));
  }
  const untrusted = certs.filter((c) => c !== cert);
  let chain: ChainResult;
  try {
    chain = await o.validateChain(cert, untrusted, at);
  } catch (e) {
    report.chainStatus = 'indeterminate';
    throw new Fail(
      'INDETERMINATE',
      'CERTIFICATE_CHAIN_GENERAL_FAILURE',
      msg('CHAIN_UNKNOWN', { en: (e as Error).message, vi: (e as Error).message }),
    );
  }
  report.chainStatus = chain.status;
  if (chain.path?.length) report.chain = chain.path;
  if (chain.revocation !== undefined) report.revocation = chain.revocation;
  return chain;
}

/** TOTAL-PASSED when the chain is valid; otherwise throws the Fail the chain's status and code call for. */
function passWithChain(chain: ChainResult, report: VerifyReport): VerifyReport {
  const chainTexts = (fallbackKey: string): { message: string; messageVi: string } => {
    const base = MESSAGES[chain.code] ? msg(chain.code) : msg(fallbackKey);
    return {
      message: chain.message || base.message,
      messageVi: chain.messageVi || base.messageVi,
    };
  };
  if (chain.status === 'valid') {
    report.indication = 'TOTAL-PASSED';
    Object.assign(report, msg('PASSED'));
    return report;
  }
  if (chain.status === 'invalid') {
    const code = chain.code || 'CHAIN_CONSTRAINTS_FAILURE';
    if (TOTAL_FAILED_CHAIN_CODES.has(code)) throw new Fail('TOTAL-FAILED', code, chainTexts('CHAIN'));
    throw new Fail('INDETERMINATE', code, chainTexts('CHAIN'));
  }
  throw new Fail('INDETERMINATE', chain.code || 'NO_CERTIFICATE_CHAIN_FOUND', chainTexts('CHAIN_UNKNOWN'));
}

/** The report of a failed check: a Fail's indication and texts, or FORMAT_FAILURE for any other error. */
function failedReport(report: VerifyReport, e: unknown): VerifyReport {
  if (e instanceof Fail) {
    report.indication = e.indication;
    report.subIndication = e.sub;
    report.message = e.texts.message;
    report.messageVi = e.texts.messageVi;
    return report;
  }
  const m = (e as Error)?.message ?? String(e);
  report.indication = 'TOTAL-FAILED';
  report.subIndication = 'FORMAT_FAILURE';
  Object.assign(report, msg('FORMAT_FAILURE', { en: m, vi: m }));
  return report;
}

/**
 * The checks in order, each recording what it learnt in the report (content, signer, signing time,
 * integrity, chain) and throwing a Fail at the first one that does not pass.
 */
async function checkSignedData(
  signedData: pkijs.SignedData,
  o: VerifyOptions,
  at: Date,
  report: VerifyReport,
): Promise<VerifyReport> {
  const certs = (signedData.certificates ?? []).filter(
    (c): c is pkijs.Certificate => c instanceof pkijs.Certificate,
  );
  const si = firstSignerInfo(signedData);
  const embedded = embeddedContent(signedData);
  const content = embedded ?? o.content;
  if (content) report.content = content;
  const cert = requireSignerCertificate(si, certs);
  report.signer = signerSummary(cert);
  if (!content) throw new Fail('INDETERMINATE', 'SIGNED_DATA_NOT_FOUND', msg('SIGNED_DATA_NOT_FOUND'));
  const hash = signerDigestHash(si);
  const signed: SignedContent = { content, embedded, given: o.content };
  const toBeSigned = checkSignedContent(si, signedData.encapContentInfo.eContentType, hash, signed, report);
  checkSignatureValue(si, hash, toBeSigned, cert);
  report.integrity = true;
  checkSigningCertificateAttributes(si.signedAttrs?.attributes, cert);
  rejectSha1(hash);
  const chain = await validateSignerChain(o, cert, certs, at, report);
  return passWithChain(chain, report);
}

/** Verifies a CMS SignedData (detached or enveloping). Throws only when the input is not CMS SignedData. */
export async function verifyCms(o: VerifyOptions): Promise<VerifyReport> {
  checkVerifyOptions(o);
  const signedData = parseSignedData(decodeP7s(o.p7s));
  const at = o.at ?? new Date();
  const report: VerifyReport = {
    indication: 'INDETERMINATE',
    message: '',
    messageVi: '',
    integrity: false,
  };
  try {
    return await checkSignedData(signedData, o, at, report);
  } catch (e) {
    return failedReport(report, e);
  }
}
