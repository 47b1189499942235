// Signature checks go through node:crypto with the issuer's key imported once: pkijs would re-import
// it into WebCrypto on every check. DSA keys are rebuilt to carry inherited domain parameters.
// Algorithms node:crypto is not given here (RSA-PSS, MD5) fall back to pkijs.
import { createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
import * as pkijs from 'pkijs';
import type * as asn1js from 'asn1js';
import { encodeSequence } from './der.js';
import { CertInfo, OID } from './model.js';

/** The key that signs the next certificate/CRL: the issuer certificate plus its effective SPKI. */
export interface SigningKey {
  cert: pkijs.Certificate;
  spkiDer: Uint8Array;
  alg: string;
  /** raw DER of the algorithm parameters in force (possibly inherited) */
  params?: Uint8Array;
}

/** §6.1.4(d)-(f): the working public key, inheriting DSA parameters when the certificate omits them. */
export function signingKeyOf(c: CertInfo, previous?: SigningKey): SigningKey {
  const algId = c.spki.kids[0]!;
  if (c.keyParamsAbsent && previous && previous.alg === c.keyAlg && previous.params && c.keyAlg === OID.dsa) {
    const spkiDer = encodeSequence(encodeSequence(algId.kids[0]!.raw, previous.params), c.spki.kids[1]!.raw);
    return { cert: c.cert, spkiDer, alg: c.keyAlg, params: previous.params };
  }
  return {
    cert: c.cert,
    spkiDer: c.spki.raw,
    alg: c.keyAlg,
    params: c.keyParamsAbsent ? undefined : algId.kids[1]!.raw,
  };
}

const DSA_HASH: Record<string, string> = {
  '1.2.840.10040.4.3': 'sha1',
  '2.16.840.1.101.3.4.3.1': 'sha224',
  '2.16.840.1.101.3.4.3.2': 'sha256',
  '2.16.840.1.101.3.4.3.3': 'sha384',
  '2.16.840.1.101.3.4.3.4': 'sha512',
};

function verifyDsa(data: Uint8Array, sigAlg: string, signature: Uint8Array, key: SigningKey): boolean {
  const hash = DSA_HASH[sigAlg];
  if (!hash) return false;
  try {
    const pub = createPublicKey({ key: Buffer.from(key.spkiDer), format: 'der', type: 'spki' });
    return nodeVerify(hash, data, { key: pub, dsaEncoding: 'der' }, signature);
  } catch {
    return false;
  }
}

function usesDsa(sigAlg: string, key: SigningKey): boolean {
  return key.alg === OID.dsa || sigAlg in DSA_HASH;
}

/** RSA PKCS#1 v1.5 and ECDSA (whose X.509 signatures are DER, as node:crypto reads them by default). */
const NODE_HASH: Record<string, string> = {
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.14': 'sha224',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.1': 'sha1',
  '1.2.840.10045.4.3.1': 'sha224',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};

const keyCache = new WeakMap<Uint8Array, KeyObject>();

/** true/false when node:crypto can judge the signature, undefined to leave it to pkijs. */
function verifyWithNode(data: Uint8Array, sigAlg: string, signature: Uint8Array, key: SigningKey): boolean | undefined {
  const hash = NODE_HASH[sigAlg];
  if (!hash || data.length === 0) return undefined;
  try {
    let pub = keyCache.get(key.spkiDer);
    if (!pub) keyCache.set(key.spkiDer, (pub = createPublicKey({ key: Buffer.from(key.spkiDer), format: 'der', type: 'spki' })));
    return nodeVerify(hash, data, pub, signature);
  } catch {
    return false;
  }
}

export async function verifyCertSignature(cert: pkijs.Certificate, key: SigningKey): Promise<boolean> {
  const sigAlg = cert.signatureAlgorithm.algorithmId;
  if (usesDsa(sigAlg, key))
    return verifyDsa(cert.tbsView, sigAlg, cert.signatureValue.valueBlock.valueHexView, key);
  const fast = verifyWithNode(cert.tbsView, sigAlg, cert.signatureValue.valueBlock.valueHexView, key);
  if (fast !== undefined) return fast;
  try {
    return await cert.verify(key.cert);
  } catch {
    return false;
  }
}

export async function verifyCrlSignature(
  crl: pkijs.CertificateRevocationList,
  key: SigningKey,
): Promise<boolean> {
  const sigAlg = crl.signatureAlgorithm.algorithmId;
  if (usesDsa(sigAlg, key))
    return verifyDsa(crl.tbsView, sigAlg, crl.signatureValue.valueBlock.valueHexView, key);
  const fast = verifyWithNode(crl.tbsView, sigAlg, crl.signatureValue.valueBlock.valueHexView, key);
  if (fast !== undefined) return fast;
  try {
    return await crl.verify({ issuerCertificate: key.cert });
  } catch {
    return false;
  }
}

/** For signed structures pkijs has no `verify(issuer)` for (OCSP responses). */
export async function verifyRawSignature(
  data: Uint8Array,
  signature: asn1js.BitString,
  sigAlg: pkijs.AlgorithmIdentifier,
  key: SigningKey,
): Promise<boolean> {
  if (usesDsa(sigAlg.algorithmId, key))
    return verifyDsa(data, sigAlg.algorithmId, signature.valueBlock.valueHexView, key);
  const fast = verifyWithNode(data, sigAlg.algorithmId, signature.valueBlock.valueHexView, key);
  if (fast !== undefined) return fast;
  try {
    return await pkijs
      .getCrypto(true)
      .verifyWithPublicKey(new Uint8Array(data), signature, key.cert.subjectPublicKeyInfo, sigAlg);
  } catch {
    return false;
  }
}
