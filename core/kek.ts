import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The key-encryption key (KEK) that protects every private key GovMail stores in PostgreSQL (DKIM,
 * CA, server-held user keys). It never enters the database: it comes from GOVMAIL_KEK_PASSPHRASE
 * (stretched with scrypt) or from DATA/secrets/kek (32 random bytes, mode 0600, made at first use).
 * A database dump alone therefore reveals no private key.
 */
export interface Kek {
  id: string;
  key: Buffer;
}

export function loadKek(dataDir: string, env: NodeJS.ProcessEnv = process.env): Kek {
  const passphrase = env.GOVMAIL_KEK_PASSPHRASE;
  if (passphrase) {
    // A fixed, public salt is fine here: the passphrase is the secret and scrypt makes guessing slow.
    return { id: 'passphrase', key: scryptSync(passphrase, 'govmail-kek-v1', 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }) };
  }
  const file = path.join(dataDir, 'secrets', 'kek');
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, randomBytes(32), { mode: 0o600, flag: 'wx' });
  }
  const key = readFileSync(file);
  if (key.length !== 32) throw new Error(`${file} must hold exactly 32 bytes (found ${key.length})`);
  return { id: 'file', key };
}

/** AES-256-GCM; the output carries version, nonce and tag: `v1.<iv>.<tag>.<ciphertext>` in base64url. */
export function seal(kek: Kek, plaintext: Buffer | string, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', kek.key, iv);
  // The context (e.g. "dkim:example.gov.vn") is authenticated, so a sealed value cannot be moved to another row.
  cipher.setAAD(Buffer.from(context));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return ['v1', iv, cipher.getAuthTag(), ct].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
}

export function unseal(kek: Kek, sealed: string, context: string): Buffer {
  const [v, iv, tag, ct] = sealed.split('.');
  if (v !== 'v1' || !iv || !tag || ct === undefined) throw new Error('sealed value has an unknown format');
  const decipher = createDecipheriv('aes-256-gcm', kek.key, Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(context));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]);
}
