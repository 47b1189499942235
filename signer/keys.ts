import { createPrivateKey, createPublicKey, generateKeyPair, webcrypto, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { InvalidInputError } from '../core/errors.js';
import { toCryptoKey } from './cms/keys.js';

/** The key algorithms a GovMail certificate may carry (Decree 68/2024 and TCVN profiles allow these). */
export const KEY_ALGORITHMS = ['rsa-2048', 'rsa-3072', 'rsa-4096', 'p-256', 'p-384'] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

export function parseKeyAlgorithm(value: string): KeyAlgorithm {
  const v = value.toLowerCase() as KeyAlgorithm;
  if (!KEY_ALGORITHMS.includes(v)) throw new InvalidInputError('algorithm', `one of ${KEY_ALGORITHMS.join(', ')}`, `một trong ${KEY_ALGORITHMS.join(', ')}`, value);
  return v;
}

const generate = promisify(generateKeyPair);

export async function generateKey(algorithm: KeyAlgorithm): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  if (algorithm.startsWith('rsa-')) return generate('rsa', { modulusLength: Number(algorithm.slice(4)) });
  return generate('ec', { namedCurve: algorithm === 'p-256' ? 'P-256' : 'P-384' });
}

/** Which of our algorithms a key is (for keys that arrive in a CSR or a PKCS#12). */
export function algorithmOf(key: KeyObject): KeyAlgorithm {
  const d = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') {
    const bits = d.modulusLength ?? 0;
    if (bits === 2048 || bits === 3072 || bits === 4096) return `rsa-${bits}` as KeyAlgorithm;
    throw new InvalidInputError('key', 'RSA 2048, 3072 or 4096 bits', 'RSA 2048, 3072 hoặc 4096 bit', `RSA ${bits}`);
  }
  if (key.asymmetricKeyType === 'ec') {
    if (d.namedCurve === 'prime256v1' || d.namedCurve === 'P-256') return 'p-256';
    if (d.namedCurve === 'secp384r1' || d.namedCurve === 'P-384') return 'p-384';
    throw new InvalidInputError('key', 'EC P-256 or P-384', 'EC P-256 hoặc P-384', `EC ${d.namedCurve}`);
  }
  throw new InvalidInputError('key', 'an RSA or EC key', 'khoá RSA hoặc EC', String(key.asymmetricKeyType));
}

/** SHA-256 for RSA and P-256, SHA-384 for P-384 (never pkijs's SHA-1 default). */
export function hashFor(algorithm: KeyAlgorithm): 'SHA-256' | 'SHA-384' {
  return algorithm === 'p-384' ? 'SHA-384' : 'SHA-256';
}

/** pkijs signs with WebCrypto keys; ours live as node KeyObjects (PKCS#8) until the moment of use. */
export function toSigningKey(privateKey: KeyObject): Promise<webcrypto.CryptoKey> {
  return toCryptoKey(privateKey);
}

export function privateKeyToPem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

export function privateKeyFromPem(pem: string | Buffer): KeyObject {
  return createPrivateKey(pem);
}

export function spkiDer(key: KeyObject): Buffer {
  return (key.type === 'private' ? createPublicKey(key) : key).export({ type: 'spki', format: 'der' });
}
