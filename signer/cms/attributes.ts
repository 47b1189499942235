// CMS / CAdES-BES signed attributes (RFC 5652 §11, RFC 5035, ETSI EN 319 122-1)
// and the algorithm identifiers the signer understands.
//
// Attributes are built and parsed with asn1js; pkijs only carries them
// (pkijs.Attribute) inside the SignerInfo.

import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { certificateBytes } from '../certificate-bytes.js';

export const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  signingCertificate: '1.2.840.113549.1.9.16.2.12',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  /** id-aa-signatureTimeStampToken (RFC 3161 appendix A): the unsigned attribute of CAdES/PAdES B-T. */
  signatureTimeStampToken: '1.2.840.113549.1.9.16.2.14',
  /** id-ct-TSTInfo: the content type inside a RFC 3161 time-stamp token. */
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  cmsAlgorithmProtection: '1.2.840.113549.1.9.52',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha1WithRSA: '1.2.840.113549.1.1.5',
  rsaPss: '1.2.840.113549.1.1.10',
  mgf1: '1.2.840.113549.1.1.8',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  sha384WithRSA: '1.2.840.113549.1.1.12',
  sha512WithRSA: '1.2.840.113549.1.1.13',
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaWithSHA1: '1.2.840.10045.4.1',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
  ecdsaWithSHA384: '1.2.840.10045.4.3.3',
  ecdsaWithSHA512: '1.2.840.10045.4.3.4',
  ed25519: '1.3.101.112',
} as const;

export type HashName = 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512';
/** Hashes accepted for new signatures (SHA-1 is only ever read, never produced). */
export type SigningHash = 'SHA-256' | 'SHA-384' | 'SHA-512';
export const SIGNING_HASHES: readonly SigningHash[] = ['SHA-256', 'SHA-384', 'SHA-512'];

const HASH_OIDS: Record<HashName, string> = {
  'SHA-1': OID.sha1,
  'SHA-256': OID.sha256,
  'SHA-384': OID.sha384,
  'SHA-512': OID.sha512,
};

export function hashOid(hash: HashName): string {
  return HASH_OIDS[hash];
}

export function hashFromOid(oid: string): HashName | undefined {
  for (const [name, o] of Object.entries(HASH_OIDS)) if (o === oid) return name as HashName;
  return undefined;
}

/** node:crypto algorithm name for a hash ("sha256"). */
export function nodeHash(hash: HashName): string {
  return hash.replace('-', '').toLowerCase();
}

export function digest(hash: HashName, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash(nodeHash(hash)).update(data).digest());
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  let diff = 0;
  for (let i = 0; i < a.byteLength; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export function toU8(buf: ArrayBuffer | ArrayBufferView): Uint8Array {
  if (buf instanceof Uint8Array) return buf;
  if (ArrayBuffer.isView(buf)) return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  return new Uint8Array(buf);
}

/** DER bytes of a certificate: exactly those it was parsed from or issued as (see certificate-bytes.ts). */
export function certificateDer(cert: pkijs.Certificate): Uint8Array {
  return certificateBytes(cert);
}

/** Compares two byte strings as DER SET OF elements are ordered (X.690 §11.6). */
export function compareDer(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

function attribute(type: string, value: asn1js.AsnType): pkijs.Attribute {
  return new pkijs.Attribute({ type, values: [value] });
}

export function contentTypeAttribute(contentType: string): pkijs.Attribute {
  return attribute(OID.contentType, new asn1js.ObjectIdentifier({ value: contentType }));
}

export function messageDigestAttribute(md: Uint8Array): pkijs.Attribute {
  return attribute(OID.messageDigest, new asn1js.OctetString({ valueHex: md.slice().buffer }));
}

/** signing-time: UTCTime for 1950–2049, GeneralizedTime otherwise (RFC 5652 §11.3); whole seconds. */
export function signingTimeAttribute(when: Date): pkijs.Attribute {
  if (Number.isNaN(when.getTime())) throw new Error('signingTime is not a valid Date');
  const date = new Date(Math.floor(when.getTime() / 1000) * 1000);
  const year = date.getUTCFullYear();
  const value =
    year >= 1950 && year < 2050
      ? new asn1js.UTCTime({ valueDate: date })
      : new asn1js.GeneralizedTime({ valueDate: date });
  return attribute(OID.signingTime, value);
}

/**
 * signing-certificate-v2 (RFC 5035):
 *   SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2, policies ... OPTIONAL }
 *   ESSCertIDv2 ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier DEFAULT {id-sha256},
 *                              certHash OCTET STRING, issuerSerial IssuerSerial OPTIONAL }
 *   IssuerSerial ::= SEQUENCE { issuer GeneralNames, serialNumber CertificateSerialNumber }
 * With SHA-256 the hashAlgorithm is the DEFAULT and so is left out (DER).
 */
export function signingCertificateV2Attribute(
  cert: pkijs.Certificate,
  hash: SigningHash = 'SHA-256',
): pkijs.Attribute {
  const certHash = digest(hash, certificateDer(cert));
  const essCertId: asn1js.AsnType[] = [];
  if (hash !== 'SHA-256') {
    essCertId.push(new pkijs.AlgorithmIdentifier({ algorithmId: hashOid(hash) }).toSchema());
  }
  essCertId.push(new asn1js.OctetString({ valueHex: certHash.slice().buffer }));
  essCertId.push(
    new asn1js.Sequence({
      value: [
        // GeneralNames ::= SEQUENCE OF GeneralName; directoryName [4] EXPLICIT Name
        new asn1js.Sequence({
          value: [
            new asn1js.Constructed({
              idBlock: { tagClass: 3, tagNumber: 4 },
              value: [cert.issuer.toSchema()],
            }),
          ],
        }),
        new asn1js.Integer({ valueHex: toU8(cert.serialNumber.valueBlock.valueHexView).slice().buffer }),
      ],
    }),
  );
  const value = new asn1js.Sequence({
    value: [new asn1js.Sequence({ value: [new asn1js.Sequence({ value: essCertId })] })],
  });
  return attribute(OID.signingCertificateV2, value);
}

export interface CadesAttributeInput {
  contentType: string;
  messageDigest: Uint8Array;
  signingTime: Date;
  certificate: pkijs.Certificate;
  certHash?: SigningHash;
}

/** The CAdES-BES signed attributes, in DER SET OF order. */
export function buildSignedAttributes(i: CadesAttributeInput): pkijs.Attribute[] {
  const attrs = [
    contentTypeAttribute(i.contentType),
    signingTimeAttribute(i.signingTime),
    messageDigestAttribute(i.messageDigest),
    signingCertificateV2Attribute(i.certificate, i.certHash ?? 'SHA-256'),
  ];
  return sortAttributes(attrs);
}

export function sortAttributes(attrs: pkijs.Attribute[]): pkijs.Attribute[] {
  return attrs
    .map((a) => ({ a, der: toU8(a.toSchema().toBER(false)) }))
    .sort((x, y) => compareDer(x.der, y.der))
    .map((x) => x.a);
}

/** DER of the SET OF attributes — the bytes the signature covers (RFC 5652 §5.4). */
export function encodeSignedAttributesForSignature(attrs: pkijs.Attribute[]): Uint8Array {
  return toU8(new asn1js.Set({ value: attrs.map((a) => a.toSchema()) }).toBER(false));
}

// ---------------------------------------------------------------------------
// Parsing

export function findAttributes(attrs: pkijs.Attribute[] | undefined, type: string): pkijs.Attribute[] {
  return (attrs ?? []).filter((a) => a.type === type);
}

/** The single value of a single-valued attribute, or an error message. */
export function singleValue(
  attrs: pkijs.Attribute[] | undefined,
  type: string,
  name: string,
): { value?: asn1js.AsnType; error?: string } {
  const found = findAttributes(attrs, type);
  if (found.length === 0) return {};
  if (found.length > 1) return { error: `the ${name} attribute appears ${found.length} times` };
  const values = found[0]!.values;
  if (values.length !== 1)
    return { error: `the ${name} attribute has ${values.length} values instead of one` };
  return { value: values[0] as asn1js.AsnType };
}

export function parseContentType(value: asn1js.AsnType): string | undefined {
  return value instanceof asn1js.ObjectIdentifier ? value.valueBlock.toString() : undefined;
}

export function parseMessageDigest(value: asn1js.AsnType): Uint8Array | undefined {
  if (!(value instanceof asn1js.OctetString)) return undefined;
  return toU8(value.getValue());
}

export function parseSigningTime(value: asn1js.AsnType): Date | undefined {
  if (value instanceof asn1js.UTCTime || value instanceof asn1js.GeneralizedTime) {
    const d = value.toDate();
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  return undefined;
}

export interface EssCertId {
  hash: HashName | undefined;
  hashOid: string;
  certHash: Uint8Array;
  issuerSerial?: { issuer?: pkijs.RelativeDistinguishedNames; serial: Uint8Array };
}

/**
 * Parses SigningCertificate (v1, ESSCertID with SHA-1) or SigningCertificateV2.
 * Throws on a malformed structure.
 */
export function parseSigningCertificate(value: asn1js.AsnType, v2: boolean): EssCertId[] {
  if (!(value instanceof asn1js.Sequence)) throw new Error('SigningCertificate is not a SEQUENCE');
  const certs = value.valueBlock.value[0];
  if (!(certs instanceof asn1js.Sequence)) throw new Error('SigningCertificate.certs is not a SEQUENCE');
  const out: EssCertId[] = [];
  for (const item of certs.valueBlock.value) {
    if (!(item instanceof asn1js.Sequence)) throw new Error('ESSCertID is not a SEQUENCE');
    const parts = [...item.valueBlock.value];
    let oid: string = v2 ? OID.sha256 : OID.sha1;
    if (v2 && parts[0] instanceof asn1js.Sequence) {
      const alg = new pkijs.AlgorithmIdentifier({ schema: parts.shift() });
      oid = alg.algorithmId;
    }
    const hashPart = parts.shift();
    if (!(hashPart instanceof asn1js.OctetString))
      throw new Error('ESSCertID.certHash is not an OCTET STRING');
    const id: EssCertId = { hash: hashFromOid(oid), hashOid: oid, certHash: toU8(hashPart.getValue()) };
    const is = parts.shift();
    if (is !== undefined) {
      if (!(is instanceof asn1js.Sequence)) throw new Error('IssuerSerial is not a SEQUENCE');
      const [names, serial] = is.valueBlock.value;
      if (!(names instanceof asn1js.Sequence) || !(serial instanceof asn1js.Integer)) {
        throw new Error('IssuerSerial is malformed');
      }
      let issuer: pkijs.RelativeDistinguishedNames | undefined;
      for (const gn of names.valueBlock.value) {
        if (gn.idBlock.tagClass === 3 && gn.idBlock.tagNumber === 4 && gn instanceof asn1js.Constructed) {
          issuer = new pkijs.RelativeDistinguishedNames({ schema: gn.valueBlock.value[0] });
          break;
        }
      }
      id.issuerSerial = { serial: toU8(serial.valueBlock.valueHexView) };
      if (issuer) id.issuerSerial.issuer = issuer;
    }
    out.push(id);
  }
  if (out.length === 0) throw new Error('SigningCertificate lists no certificate');
  return out;
}

/**
 * Checks that the first ESSCertID (the one identifying the signer, RFC 5035 §5.4)
 * designates `cert`. Returns undefined when it matches, otherwise the reason.
 */
export function checkSigningCertificate(ids: EssCertId[], cert: pkijs.Certificate): string | undefined {
  const first = ids[0]!;
  if (!first.hash) return `unsupported hash algorithm ${first.hashOid} in the signing certificate attribute`;
  const actual = digest(first.hash, certificateDer(cert));
  if (!bytesEqual(actual, first.certHash))
    return 'the certificate hash does not match the signer certificate';
  if (first.issuerSerial) {
    const serial = toU8(cert.serialNumber.valueBlock.valueHexView);
    if (!bytesEqual(serial, first.issuerSerial.serial))
      return 'the serial number does not match the signer certificate';
    if (first.issuerSerial.issuer && !first.issuerSerial.issuer.isEqual(cert.issuer)) {
      return 'the issuer name does not match the signer certificate';
    }
  }
  return undefined;
}
