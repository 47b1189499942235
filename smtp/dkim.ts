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
export interface PublishedPorts {
  submission: number;
  submissions: number;
  imap: number;
  pop3: number;
}

export async function dnsRecords(db: Sequelize, domain: string, hostname: string, ports?: PublishedPorts): Promise<string[]> {
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
  if (ports) records.push(...clientDiscoveryRecords(domain, hostname, ports));
  return records;
}

/**
 * How mail clients find the servers from the address alone: RFC 6186 SRV records (with RFC 8314's
 * submissions; "0 0 0 ." says a service is not offered: we serve IMAP and POP3 with STARTTLS only) and the
 * autoconfig/autodiscover host names Thunderbird and Outlook try.
 */
export function clientDiscoveryRecords(domain: string, hostname: string, p: PublishedPorts): string[] {
  const srv = (service: string, port: number | undefined) => `_${service}._tcp.${domain}.\tIN\tSRV\t${port ? `0 1 ${port} ${hostname}.` : '0 0 0 .'}`;
  return [
    srv('submissions', p.submissions),
    srv('submission', p.submission),
    srv('imap', p.imap),
    srv('imaps', undefined),
    srv('pop3', p.pop3),
    srv('pop3s', undefined),
    `autoconfig.${domain}.\tIN\tCNAME\t${hostname}.`,
    `autodiscover.${domain}.\tIN\tCNAME\t${hostname}.`,
  ];
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
