// CMS SignedData creation (RFC 5652) with CAdES-BES signed attributes.
// Written as DER directly (pkijs only for the certificate fields); node:crypto does the maths.

import { sign as nodeSign, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import {
  OID,
  SIGNING_HASHES,
  bytesEqual,
  certificateDer,
  compareDer,
  contentTypeAttribute,
  digest,
  hashOid,
  nodeHash,
  signingCertificateV2Attribute,
  toU8,
  type SigningHash,
} from './attributes.js';
import { encodeSequence, encodeTlv } from '../pathvalidation/der.js';
import { keyMatchesCertificate, toKeyObject, type CryptoKey } from './keys.js';

export interface SignOptions {
  content: Uint8Array;
  /** Detached signature (content not embedded). Default true. */
  detached?: boolean;
  certificate: pkijs.Certificate;
  privateKey: CryptoKey | KeyObject;
  chain?: pkijs.Certificate[];
  /** Default SHA-256. SHA-1 is never used. */
  hash?: SigningHash;
  signingTime?: Date;
  /**
   * Leaves out the signing-time attribute. PAdES (ETSI EN 319 142-1 §5.4) forbids it: the claimed
   * time goes in the signature dictionary's /M instead.
   */
  omitSigningTime?: boolean;
  /**
   * Unsigned attributes made from the finished signature value (e.g. the signature time-stamp of
   * CAdES/PAdES B-T, which stamps a hash of exactly these bytes). Returns DER Attribute SEQUENCEs.
   */
  unsignedAttributes?: (signatureValue: Uint8Array) => Promise<Uint8Array[]>;
}

const ECDSA_OIDS: Record<SigningHash, string> = {
  'SHA-256': OID.ecdsaWithSHA256,
  'SHA-384': OID.ecdsaWithSHA384,
  'SHA-512': OID.ecdsaWithSHA512,
};

function signatureAlgorithm(key: KeyObject, hash: SigningHash): pkijs.AlgorithmIdentifier {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      // rsaEncryption with NULL parameters (RFC 3370 §3.2), as most CMS implementations emit.
      return new pkijs.AlgorithmIdentifier({
        algorithmId: OID.rsaEncryption,
        algorithmParams: new asn1js.Null(),
      });
    case 'ec':
      // ecdsa-with-SHA* with absent parameters (RFC 5753 §2.1.1, RFC 5758).
      return new pkijs.AlgorithmIdentifier({ algorithmId: ECDSA_OIDS[hash] });
    default:
      throw new Error(
        `Unsupported signing key type "${key.asymmetricKeyType ?? '?'}": expected an RSA or EC (P-256/P-384/P-521) private key`,
      );
  }
}

const der = (a: { toSchema(): asn1js.AsnType } | asn1js.AsnType): Uint8Array =>
  toU8(('toSchema' in a && typeof a.toSchema === 'function' ? a.toSchema() : (a as asn1js.AsnType)).toBER(false));

function cached<K extends object, V>(map: WeakMap<K, V>, key: K, make: () => V): V {
  let v = map.get(key);
  if (v === undefined) map.set(key, (v = make()));
  return v;
}

/**
 * The output is written as DER directly: everything that depends only on the certificate (its DER,
 * issuerAndSerialNumber, signing-certificate-v2) is encoded once per certificate object, so a
 * signature costs a digest, the four signed attributes and the signature itself.
 */
const OID_DER = {
  data: der(new asn1js.ObjectIdentifier({ value: OID.data })),
  signedData: der(new asn1js.ObjectIdentifier({ value: OID.signedData })),
  messageDigest: der(new asn1js.ObjectIdentifier({ value: OID.messageDigest })),
  signingTime: der(new asn1js.ObjectIdentifier({ value: OID.signingTime })),
};
const CONTENT_TYPE_DATA = der(contentTypeAttribute(OID.data));
const VERSION_1 = Uint8Array.of(0x02, 0x01, 0x01);

const issuerAndSerialCache = new WeakMap<pkijs.Certificate, Uint8Array>();
const signingCertCache = new WeakMap<pkijs.Certificate, Map<SigningHash, Uint8Array>>();
const keyObjects = new WeakMap<object, KeyObject>();
const keyChecked = new WeakMap<object, WeakSet<pkijs.Certificate>>();

function issuerAndSerial(cert: pkijs.Certificate): Uint8Array {
  return cached(issuerAndSerialCache, cert, () => encodeSequence(der(cert.issuer), der(cert.serialNumber)));
}

function signingCertificate(cert: pkijs.Certificate, hash: SigningHash): Uint8Array {
  const perHash = cached(signingCertCache, cert, () => new Map<SigningHash, Uint8Array>());
  let v = perHash.get(hash);
  if (!v) perHash.set(hash, (v = der(signingCertificateV2Attribute(cert, hash))));
  return v;
}

/** The signing key as a KeyObject, checked once against the certificate for each key object given. */
function signingKey(given: CryptoKey | KeyObject, cert: pkijs.Certificate): KeyObject {
  const key = cached(keyObjects, given, () => toKeyObject(given));
  if (key.type !== 'private') throw new Error('signCms: privateKey must be a private key');
  const checked = cached(keyChecked, given, () => new WeakSet<pkijs.Certificate>());
  if (!checked.has(cert)) {
    if (!keyMatchesCertificate(key, cert)) throw new Error('signCms: the private key does not belong to the certificate');
    checked.add(cert);
  }
  return key;
}

/** signing-time in whole seconds: UTCTime for 1950–2049, GeneralizedTime otherwise (RFC 5652 §11.3). */
let lastSigningTime: { second: number; der: Uint8Array } | undefined;
function signingTimeAttributeDer(when: Date): Uint8Array {
  const second = Math.floor(when.getTime() / 1000);
  if (Number.isNaN(second)) throw new Error('signingTime is not a valid Date');
  // Signatures made in the same second share the attribute; at thousands per second that matters.
  if (lastSigningTime?.second === second) return lastSigningTime.der;
  const der = signingTimeDer(when);
  lastSigningTime = { second, der };
  return der;
}

function signingTimeDer(when: Date): Uint8Array {
  const iso = when.toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z');
  const year = when.getUTCFullYear();
  const time = year >= 1950 && year < 2050 ? encodeTlv(0x17, Buffer.from(iso.slice(2))) : encodeTlv(0x18, Buffer.from(iso));
  return encodeSequence(OID_DER.signingTime, encodeTlv(0x31, time));
}

const algorithmDers = new Map<string, Uint8Array>();
function algorithmDer(id: string, make: () => pkijs.AlgorithmIdentifier): Uint8Array {
  let v = algorithmDers.get(id);
  if (!v) algorithmDers.set(id, (v = der(make())));
  return v;
}

const certificatesFields = new WeakMap<pkijs.Certificate, { chain: pkijs.Certificate[]; field: Uint8Array }>();

/** SignedData.certificates ([0] IMPLICIT SET): the signer's certificate and its chain, without repeats. */
function certificatesField(cert: pkijs.Certificate, chain: pkijs.Certificate[]): Uint8Array {
  const hit = certificatesFields.get(cert);
  if (hit && hit.chain.length === chain.length && hit.chain.every((c, i) => c === chain[i])) return hit.field;
  const ders: Uint8Array[] = [];
  for (const c of [cert, ...chain]) {
    const d = certificateDer(c);
    if (!ders.some((o) => bytesEqual(o, d))) ders.push(d);
  }
  const field = encodeTlv(0xa0, Buffer.concat(ders));
  certificatesFields.set(cert, { chain: [...chain], field });
  return field;
}

/** Signs `content`; returns the DER ContentInfo (application/pkcs7-signature). */
export async function signCms(o: SignOptions): Promise<Uint8Array> {
  if (!o || !(o.content instanceof Uint8Array)) throw new Error('signCms: content must be a Uint8Array');
  if (!(o.certificate instanceof pkijs.Certificate))
    throw new Error('signCms: certificate must be a pkijs.Certificate');
  if (!o.privateKey) throw new Error('signCms: privateKey is required (CryptoKey or KeyObject)');
  const hash = o.hash ?? 'SHA-256';
  if (!SIGNING_HASHES.includes(hash)) {
    throw new Error(`signCms: unsupported hash "${String(hash)}" (expected SHA-256, SHA-384 or SHA-512)`);
  }
  const key = signingKey(o.privateKey, o.certificate);
  const detached = o.detached ?? true;

  // CAdES-BES signed attributes in DER SET OF order; the signature covers them as a SET.
  const attrs = [
    CONTENT_TYPE_DATA,
    ...(o.omitSigningTime ? [] : [signingTimeAttributeDer(o.signingTime ?? new Date())]),
    encodeSequence(OID_DER.messageDigest, encodeTlv(0x31, encodeTlv(0x04, digest(hash, o.content)))),
    signingCertificate(o.certificate, hash),
  ].sort(compareDer);
  const attrsContent = Buffer.concat(attrs);
  const signature = nodeSign(nodeHash(hash), encodeTlv(0x31, attrsContent), { key, dsaEncoding: 'der' });

  const unsigned = o.unsignedAttributes ? await o.unsignedAttributes(new Uint8Array(signature)) : [];

  const digestAlgorithm = algorithmDer(hash, () => new pkijs.AlgorithmIdentifier({ algorithmId: hashOid(hash) }));
  const signerInfo = encodeSequence(
    VERSION_1,
    issuerAndSerial(o.certificate),
    digestAlgorithm,
    encodeTlv(0xa0, attrsContent),
    algorithmDer(`${key.asymmetricKeyType}:${hash}`, () => signatureAlgorithm(key, hash)),
    encodeTlv(0x04, signature),
    // unsignedAttrs [1] IMPLICIT SET OF Attribute, in DER SET OF order like the signed ones.
    ...(unsigned.length ? [encodeTlv(0xa1, Buffer.concat([...unsigned].sort(compareDer)))] : []),
  );
  const encapContentInfo = encodeSequence(OID_DER.data, ...(detached ? [] : [encodeTlv(0xa0, encodeTlv(0x04, o.content))]));
  const signedData = encodeSequence(
    VERSION_1,
    encodeTlv(0x31, digestAlgorithm),
    encapContentInfo,
    certificatesField(o.certificate, o.chain ?? []),
    encodeTlv(0x31, signerInfo),
  );
  return toU8(encodeSequence(OID_DER.signedData, encodeTlv(0xa0, signedData)));
}
