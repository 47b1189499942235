// Key and certificate loading: PKCS#12 (pkcs12-reader.ts), PEM/DER certificates and PEM/DER private
// keys. Every certificate keeps the bytes it was read from (certificate-bytes.ts).

import { createPrivateKey, createPublicKey, KeyObject, webcrypto } from 'node:crypto';
import * as pkijs from 'pkijs';
import { certificateFromBytes, NotAsn1Error } from '../certificate-bytes.js';
import { Pkcs12Error, readPkcs12 } from '../pkcs12-reader.js';
import { bytesEqual, certificateDer, toU8 } from './attributes.js';

/** WebCrypto key (node:crypto's webcrypto.CryptoKey; the project compiles without DOM types). */
export type CryptoKey = webcrypto.CryptoKey;

export interface LoadedIdentity {
  certificate: pkijs.Certificate;
  chain: pkijs.Certificate[];
  privateKey: CryptoKey;
}

const PEM_RE = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** All PEM blocks in a text: [label, DER]. */
export function pemBlocks(text: string): { label: string; der: Uint8Array }[] {
  const out: { label: string; der: Uint8Array }[] = [];
  for (const m of text.matchAll(PEM_RE)) {
    out.push({
      label: m[1]!,
      der: new Uint8Array(Buffer.from(m[2]!.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64')),
    });
  }
  return out;
}

function asText(input: string | Uint8Array): string | undefined {
  if (typeof input === 'string') return input;
  const head = Buffer.from(input.subarray(0, 64)).toString('latin1');
  return head.includes('-----BEGIN ') ? Buffer.from(input).toString('latin1') : undefined;
}

/** Parses one DER certificate; throws an explanatory Error on bad input. */
export function parseCertificateDer(der: Uint8Array): pkijs.Certificate {
  try {
    return certificateFromBytes(toU8(der));
  } catch (e) {
    if (e instanceof NotAsn1Error)
      throw new Error('Invalid certificate: the data is not DER-encoded ASN.1 (expected an X.509 certificate)');
    throw new Error(
      `Invalid certificate: the ASN.1 structure is not an X.509 certificate (${(e as Error).message})`,
    );
  }
}

/** Certificates from PEM text (one or more CERTIFICATE blocks) or from a single DER certificate. */
export function loadCertificates(input: string | Uint8Array): pkijs.Certificate[] {
  const text = asText(input);
  if (text !== undefined) {
    const blocks = pemBlocks(text).filter((b) => b.label === 'CERTIFICATE' || b.label === 'X509 CERTIFICATE');
    if (blocks.length === 0)
      throw new Error('No certificate found: expected PEM "-----BEGIN CERTIFICATE-----" blocks or DER');
    return blocks.map((b) => parseCertificateDer(b.der));
  }
  return [parseCertificateDer(input as Uint8Array)];
}

/** The first certificate of a PEM or DER input. */
export function loadCertificate(input: string | Uint8Array): pkijs.Certificate {
  return loadCertificates(input)[0]!;
}

/** A private key from PEM (PKCS#8, PKCS#1, SEC1, encrypted PKCS#8 with passphrase) or PKCS#8 DER. */
export function loadPrivateKey(input: string | Uint8Array, passphrase?: string): KeyObject {
  try {
    const text = asText(input);
    if (text !== undefined) {
      return passphrase === undefined
        ? createPrivateKey({ key: text, format: 'pem' })
        : createPrivateKey({ key: text, format: 'pem', passphrase });
    }
    const der = Buffer.from(input as Uint8Array);
    return passphrase === undefined
      ? createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
      : createPrivateKey({ key: der, format: 'der', type: 'pkcs8', passphrase });
  } catch (e) {
    throw new Error(
      `Cannot read the private key (expected PEM or PKCS#8 DER${passphrase === undefined ? '' : ' and the right passphrase'}): ${(e as Error).message}`,
    );
  }
}

/** node:crypto KeyObject for a CryptoKey or KeyObject. */
export function toKeyObject(key: CryptoKey | KeyObject): KeyObject {
  if (key instanceof KeyObject) return key;
  try {
    return KeyObject.from(key);
  } catch (e) {
    throw new Error(`privateKey must be a CryptoKey or a node:crypto KeyObject (${(e as Error).message})`);
  }
}

/** The public key of a certificate, as a KeyObject. */
export function certificatePublicKey(cert: pkijs.Certificate): KeyObject {
  const spki = toU8(cert.subjectPublicKeyInfo.toSchema().toBER(false));
  return createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
}

/** True when the private key is the one of the certificate. */
export function keyMatchesCertificate(key: KeyObject, cert: pkijs.Certificate): boolean {
  try {
    const a = createPublicKey(key).export({ type: 'spki', format: 'der' });
    const b = certificatePublicKey(cert).export({ type: 'spki', format: 'der' });
    return bytesEqual(new Uint8Array(a), new Uint8Array(b));
  } catch {
    return false;
  }
}

const CURVES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

/** Imports a private KeyObject as a WebCrypto signing key (RSASSA-PKCS1-v1_5/SHA-256, ECDSA, Ed25519). */
export async function toCryptoKey(key: KeyObject): Promise<CryptoKey> {
  const pkcs8 = key.export({ type: 'pkcs8', format: 'der' });
  let alg: webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams | webcrypto.Algorithm;
  switch (key.asymmetricKeyType) {
    case 'rsa':
      alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
      break;
    case 'ec': {
      const curve = CURVES[key.asymmetricKeyDetails?.namedCurve ?? ''];
      if (!curve)
        throw new Error(
          `Unsupported EC curve ${key.asymmetricKeyDetails?.namedCurve ?? '?'} (expected P-256, P-384 or P-521)`,
        );
      alg = { name: 'ECDSA', namedCurve: curve };
      break;
    }
    case 'ed25519':
      alg = { name: 'Ed25519' };
      break;
    default:
      throw new Error(`Unsupported private key type ${key.asymmetricKeyType ?? '?'} (expected RSA or EC)`);
  }
  return await webcrypto.subtle.importKey('pkcs8', pkcs8, alg, false, ['sign']);
}

/**
 * Loads a PKCS#12 (.p12/.pfx): the certificate matching the private key, the other certificates as
 * chain, and the key as a non-extractable CryptoKey. Certificates are parsed from the exact octets of
 * their bags and keep them (certificate-bytes.ts), so they travel on byte for byte.
 */
export async function loadPkcs12(der: Uint8Array, password: string): Promise<LoadedIdentity> {
  const contents = readPkcs12(der, password);
  const certs = contents.certificates.map((c) => parseCertificateDer(c.der));
  const keys = contents.keys.map((k) => {
    try {
      return createPrivateKey({ key: k.pkcs8, format: 'der', type: 'pkcs8' });
    } catch (e) {
      throw new Pkcs12Error(`the private key cannot be read (${(e as Error).message}; expected PKCS#8)`, 'không đọc được khoá riêng (cần PKCS#8)');
    }
  });
  if (keys.length === 0) throw new Pkcs12Error('the file holds no private key', 'tệp không chứa khoá riêng');
  if (certs.length === 0) throw new Pkcs12Error('the file holds no certificate', 'tệp không chứa chứng thư');

  for (const key of keys) {
    const idx = certs.findIndex((c) => keyMatchesCertificate(key, c));
    if (idx === -1) continue;
    const certificate = certs[idx]!;
    const leafDer = certificateDer(certificate);
    const chain = certs.filter((c, i) => i !== idx && !bytesEqual(certificateDer(c), leafDer));
    return { certificate, chain, privateKey: await toCryptoKey(key) };
  }
  throw new Pkcs12Error('no certificate in the file matches its private key', 'không có chứng thư nào trong tệp khớp với khoá riêng');
}
