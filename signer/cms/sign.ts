// CMS SignedData creation (RFC 5652) with CAdES-BES signed attributes.
// pkijs builds the structures; node:crypto does the maths.

import { sign as nodeSign, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import {
  OID,
  SIGNING_HASHES,
  buildSignedAttributes,
  bytesEqual,
  certificateDer,
  digest,
  encodeSignedAttributesForSignature,
  hashOid,
  nodeHash,
  toU8,
  type SigningHash,
} from './attributes.js';
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

/**
 * A certificate that encodes as its stored DER: SignedData.toSchema() would otherwise rebuild every
 * certificate of the chain through pkijs on each signature, which costs more than the signature.
 */
class PreEncodedCertificate extends pkijs.Certificate {
  private readonly schema: asn1js.AsnType;
  constructor(der: Uint8Array) {
    const parsed = asn1js.fromBER(der).result;
    super({ schema: parsed });
    this.schema = asn1js.fromBER(der).result;
  }
  override toSchema(): asn1js.Sequence {
    return this.schema as asn1js.Sequence;
  }
}

const preEncoded = new WeakMap<pkijs.Certificate, PreEncodedCertificate>();
function encodedOnce(cert: pkijs.Certificate): PreEncodedCertificate {
  let p = preEncoded.get(cert);
  if (!p) preEncoded.set(cert, (p = new PreEncodedCertificate(certificateDer(cert))));
  return p;
}

function dedupe(certs: pkijs.Certificate[]): pkijs.Certificate[] {
  const out: { c: pkijs.Certificate; der: Uint8Array }[] = [];
  for (const c of certs) {
    const der = certificateDer(c);
    if (!out.some((o) => bytesEqual(o.der, der))) out.push({ c, der });
  }
  return out.map((o) => o.c);
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
  const key = toKeyObject(o.privateKey);
  if (key.type !== 'private') throw new Error('signCms: privateKey must be a private key');
  if (!keyMatchesCertificate(key, o.certificate)) {
    throw new Error('signCms: the private key does not belong to the certificate');
  }
  const sigAlg = signatureAlgorithm(key, hash);
  const detached = o.detached ?? true;
  const signingTime = o.signingTime ?? new Date();

  const attrs = buildSignedAttributes({
    contentType: OID.data,
    messageDigest: digest(hash, o.content),
    signingTime,
    certificate: o.certificate,
  });
  const toBeSigned = encodeSignedAttributesForSignature(attrs);
  const signature = nodeSign(nodeHash(hash), toBeSigned, { key, dsaEncoding: 'der' });

  const digestAlgorithm = new pkijs.AlgorithmIdentifier({ algorithmId: hashOid(hash) });
  const signerInfo = new pkijs.SignerInfo({
    version: 1,
    sid: new pkijs.IssuerAndSerialNumber({
      issuer: o.certificate.issuer,
      serialNumber: o.certificate.serialNumber,
    }),
    digestAlgorithm,
    signedAttrs: new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes: attrs }),
    signatureAlgorithm: sigAlg,
    signature: new asn1js.OctetString({ valueHex: toU8(signature).slice().buffer }),
  });

  const encap = new pkijs.EncapsulatedContentInfo({ eContentType: OID.data });
  // Set after construction: the constructor would split the content into a
  // constructed (BER) OCTET STRING; a primitive one keeps the output DER.
  if (!detached) encap.eContent = new asn1js.OctetString({ valueHex: o.content.slice().buffer });

  const signedData = new pkijs.SignedData({
    version: 1,
    digestAlgorithms: [new pkijs.AlgorithmIdentifier({ algorithmId: hashOid(hash) })],
    encapContentInfo: encap,
    certificates: dedupe([o.certificate, ...(o.chain ?? [])]).map(encodedOnce),
    signerInfos: [signerInfo],
  });
  const contentInfo = new pkijs.ContentInfo({
    contentType: OID.signedData,
    content: signedData.toSchema(true),
  });
  return toU8(contentInfo.toSchema().toBER(false));
}
