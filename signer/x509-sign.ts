import { sign as nodeSign, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { algorithmOf, hashFor } from './keys.js';

/**
 * Signatures on what the CA writes (certificates, CRLs, PKCS#10 requests), made with node:crypto.
 * pkijs's own sign() writes sha*WithRSAEncryption without parameters; RFC 4055 §5 and every
 * mainstream CA write an explicit NULL, and some relying parties compare the TBS and outer
 * AlgorithmIdentifiers byte for byte, so the identifier is chosen here and used for both.
 * ECDSA identifiers carry no parameters at all (RFC 5758 §3.2).
 */
const SIGNATURE_OIDS = {
  rsa: { 'SHA-256': '1.2.840.113549.1.1.11', 'SHA-384': '1.2.840.113549.1.1.12', 'SHA-512': '1.2.840.113549.1.1.13' },
  ec: { 'SHA-256': '1.2.840.10045.4.3.2', 'SHA-384': '1.2.840.10045.4.3.3', 'SHA-512': '1.2.840.10045.4.3.4' },
} as const;

export interface SignatureChoice {
  identifier: pkijs.AlgorithmIdentifier;
  /** node:crypto digest name */
  hash: 'sha256' | 'sha384';
}

/** The signature AlgorithmIdentifier for a CA key: SHA-256 for RSA and P-256, SHA-384 for P-384. */
export function signatureAlgorithmFor(key: KeyObject): SignatureChoice {
  const hash = hashFor(algorithmOf(key));
  const type = key.asymmetricKeyType === 'rsa' ? 'rsa' : 'ec';
  const algorithmId = SIGNATURE_OIDS[type][hash];
  const identifier = type === 'rsa' ? new pkijs.AlgorithmIdentifier({ algorithmId, algorithmParams: new asn1js.Null() }) : new pkijs.AlgorithmIdentifier({ algorithmId });
  return { identifier, hash: hash === 'SHA-384' ? 'sha384' : 'sha256' };
}

/** A signature value over `tbs`: PKCS#1 v1.5 for RSA, DER ECDSA-Sig-Value for EC (as X.509 wants). */
export function signBytes(key: KeyObject, hash: SignatureChoice['hash'], tbs: Uint8Array): asn1js.BitString {
  const signature = nodeSign(hash, tbs, { key, dsaEncoding: 'der' });
  return new asn1js.BitString({ valueHex: new Uint8Array(signature).buffer });
}

type Signable = pkijs.Certificate | pkijs.CertificateRevocationList;
/** pkijs declares encodeTBS protected on some classes; it is the documented way to get the signed part. */
const encodeTbs = (obj: object) => new Uint8Array((obj as { encodeTBS(): asn1js.Sequence }).encodeTBS().toBER(false));

/**
 * Puts the same AlgorithmIdentifier in the signed part and the outer field, encodes the signed part
 * once, lets `check` refuse it before anything is signed, and signs exactly those bytes.
 */
export function signSigned<T extends Signable>(obj: T, key: KeyObject, check?: (tbs: Uint8Array) => void): Buffer {
  const choice = signatureAlgorithmFor(key);
  obj.signature = choice.identifier;
  obj.signatureAlgorithm = choice.identifier;
  const tbs = encodeTbs(obj);
  check?.(tbs);
  obj.tbsView = tbs;
  obj.signatureValue = signBytes(key, choice.hash, tbs);
  return Buffer.from(obj.toSchema(false).toBER(false));
}

/** A PKCS#10 request signed by its own key, with the same AlgorithmIdentifier rules. */
export function signRequest(csr: pkijs.CertificationRequest, key: KeyObject): Buffer {
  const choice = signatureAlgorithmFor(key);
  csr.signatureAlgorithm = choice.identifier;
  const tbs = encodeTbs(csr);
  csr.tbsView = tbs;
  csr.signatureValue = signBytes(key, choice.hash, tbs);
  return Buffer.from(csr.toSchema(false).toBER(false));
}

/**
 * RFC 5280 §4.1.2.5: UTCTime for dates through 2049, GeneralizedTime from 2050 (and before 1950),
 * in whole seconds and always in UTC ("Z"). asn1js writes milliseconds into a GeneralizedTime when
 * the Date has them, so they are dropped here.
 */
export function x509Time(when: Date): pkijs.Time {
  const ms = when.getTime();
  if (Number.isNaN(ms)) throw new RangeError('x509Time: not a valid date');
  const value = new Date(Math.floor(ms / 1000) * 1000);
  const year = value.getUTCFullYear();
  return new pkijs.Time({ type: year >= 1950 && year <= 2049 ? 0 : 1, value });
}
