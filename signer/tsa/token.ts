import { createHash, sign as nodeSign, type KeyObject } from 'node:crypto';
import type * as pkijs from 'pkijs';
import { certificateDer, compareDer, signingCertificateV2Attribute } from '../cms/attributes.js';
import { encodeSequence, encodeTlv } from '../pathvalidation/der.js';
import { toDer } from '../x509.js';
import { TSA_OID, hashAlgorithm, oidDer, smallInt } from './asn1.js';

/**
 * The TimeStampToken: a CMS ContentInfo holding SignedData over the DER TSTInfo (RFC 3161 §2.4.2,
 * RFC 5652). Written as DER directly, as signer/cms/sign.ts does, but with what a token needs and a
 * CAdES signature must not have: eContentType id-ct-TSTInfo (so SignedData version 3), signed
 * attributes content-type, message-digest and signing-certificate-v2 only (genTime is the time, no
 * signing-time), and the certificates only when the request asked for them.
 */
export interface TsaCredentials {
  key: KeyObject;
  certificate: pkijs.Certificate;
  /** CA certificates between the TSA certificate and the root, sent with certReq (the root never is) */
  intermediates: pkijs.Certificate[];
}

const SIGNATURE_OIDS = {
  rsa: { sha256: '1.2.840.113549.1.1.11', sha384: '1.2.840.113549.1.1.12' },
  ec: { sha256: '1.2.840.10045.4.3.2', sha384: '1.2.840.10045.4.3.3' },
} as const;

export class TokenSigner {
  readonly hash: 'sha256' | 'sha384';
  private readonly key: KeyObject;
  private readonly sid: Uint8Array;
  private readonly digestAlgorithm: Uint8Array;
  private readonly signatureAlgorithm: Uint8Array;
  private readonly contentTypeAttr: Uint8Array;
  private readonly signingCertificateAttr: Uint8Array;
  private readonly certificates: Uint8Array;

  /** Everything that depends only on the TSA certificate is encoded once, here. */
  constructor(c: TsaCredentials) {
    const type = c.key.asymmetricKeyType;
    if (type !== 'rsa' && type !== 'ec') throw new Error(`TSA key type ${type ?? '?'} is not supported (RSA or ECDSA)`);
    // SHA-384 goes with P-384 (as hashFor in keys.ts); SHA-256 with RSA and P-256.
    this.hash = c.key.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 'sha384' : 'sha256';
    this.key = c.key;
    this.sid = encodeSequence(toDer(c.certificate.issuer), new Uint8Array(c.certificate.serialNumber.toBER(false)));
    this.digestAlgorithm = hashAlgorithm(this.hash);
    const sigOid = oidDer(SIGNATURE_OIDS[type][this.hash]);
    // RSA signature algorithms carry NULL parameters (RFC 4055 §5); ECDSA ones carry none (RFC 5758 §3.2).
    this.signatureAlgorithm = type === 'rsa' ? encodeSequence(sigOid, Uint8Array.of(0x05, 0x00)) : encodeSequence(sigOid);
    this.contentTypeAttr = encodeSequence(oidDer(TSA_OID.contentType), encodeTlv(0x31, oidDer(TSA_OID.tstInfo)));
    // ESSCertIDv2 with SHA-256 (the DEFAULT, so left out) and issuerSerial, as RFC 5816 describes.
    this.signingCertificateAttr = toDer(signingCertificateV2Attribute(c.certificate, 'SHA-256'));
    this.certificates = encodeTlv(0xa0, Buffer.concat([c.certificate, ...c.intermediates].map((x) => certificateDer(x))));
  }

  sign(tstInfo: Uint8Array, includeCertificates: boolean): Buffer {
    const digest = createHash(this.hash).update(tstInfo).digest();
    const messageDigestAttr = encodeSequence(oidDer(TSA_OID.messageDigest), encodeTlv(0x31, encodeTlv(0x04, digest)));
    const attrs = Buffer.concat([this.contentTypeAttr, messageDigestAttr, this.signingCertificateAttr].sort(compareDer));
    // The signature covers the attributes as a SET OF (tag 0x31), not as the [0] IMPLICIT field.
    const signature = nodeSign(this.hash, encodeTlv(0x31, attrs), { key: this.key, dsaEncoding: 'der' });
    const signerInfo = encodeSequence(smallInt(1), this.sid, this.digestAlgorithm, encodeTlv(0xa0, attrs), this.signatureAlgorithm, encodeTlv(0x04, signature));
    const signedData = encodeSequence(
      smallInt(3), // RFC 5652 §5.1: version 3 when eContentType is not id-data
      encodeTlv(0x31, this.digestAlgorithm),
      encodeSequence(oidDer(TSA_OID.tstInfo), encodeTlv(0xa0, encodeTlv(0x04, tstInfo))),
      ...(includeCertificates ? [this.certificates] : []),
      encodeTlv(0x31, signerInfo),
    );
    return Buffer.from(encodeSequence(oidDer(TSA_OID.signedData), encodeTlv(0xa0, signedData)));
  }
}
