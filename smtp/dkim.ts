import { generateKeyPairSync } from 'node:crypto';
import { QueryTypes, type Sequelize } from 'sequelize';
import { dkimSign } from 'mailauth/lib/dkim/sign.js';
import { seal, unseal, type Kek } from '../core/kek.js';

/** A DKIM key per domain (RSA-2048, sealed with the KEK), made when the domain is added. */
export async function createDkimKey(db: Sequelize, kek: Kek, domain: string, selector = `gm${new Date().getUTCFullYear()}`): Promise<void> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const pub = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  await db.query(
    `INSERT INTO smtp_dkim_keys (domain, selector, private_key_sealed, public_key_b64) VALUES ($1, $2, $3, $4)
     ON CONFLICT (domain) DO NOTHING`,
    { bind: [domain, selector, seal(kek, pem, `dkim:${domain}`), pub] },
  );
}

/** The records an administrator publishes in DNS for a domain. */
export async function dnsRecords(db: Sequelize, domain: string, hostname: string): Promise<string[]> {
  const [key] = await db.query<{ selector: string; public_key_b64: string }>('SELECT selector, public_key_b64 FROM smtp_dkim_keys WHERE domain = $1', { bind: [domain], type: QueryTypes.SELECT });
  const records = [
    `${domain}.\tIN\tMX\t10 ${hostname}.`,
    `${domain}.\tIN\tTXT\t"v=spf1 mx a:${hostname} -all"`,
    `_dmarc.${domain}.\tIN\tTXT\t"v=DMARC1; p=quarantine; rua=mailto:postmaster@${domain}; adkim=s; aspf=s"`,
  ];
  if (key) {
    // TXT strings are limited to 255 characters: split the key into quoted chunks.
    const value = `v=DKIM1; k=rsa; p=${key.public_key_b64}`;
    const chunks = value.match(/.{1,250}/g)!.map((c) => `"${c}"`).join(' ');
    records.push(`${key.selector}._domainkey.${domain}.\tIN\tTXT\t( ${chunks} )`);
  }
  return records;
}

/** Prepends a DKIM-Signature for the sender's domain when we hold its key; unchanged otherwise. */
export async function signIfPossible(db: Sequelize, kek: Kek, senderDomain: string, message: Buffer): Promise<Buffer> {
  const [key] = await db.query<{ selector: string; private_key_sealed: string }>('SELECT selector, private_key_sealed FROM smtp_dkim_keys WHERE domain = $1', { bind: [senderDomain], type: QueryTypes.SELECT });
  if (!key) return message;
  const privateKey = unseal(kek, key.private_key_sealed, `dkim:${senderDomain}`).toString();
  // mailauth reads `signatureData` (its bundled type definitions describe a flat form it ignores).
  const res = await dkimSign(message, {
    canonicalization: 'relaxed/relaxed',
    signatureData: [{ signingDomain: senderDomain, selector: key.selector, privateKey, algorithm: 'rsa-sha256' }],
  } as any);
  if (res.errors?.length || !/^DKIM-Signature:/i.test(res.signatures)) {
    throw new Error(`DKIM signing failed for ${senderDomain}: ${res.errors?.[0]?.message ?? 'no signature produced'}`);
  }
  return Buffer.concat([Buffer.from(res.signatures), message]);
}
