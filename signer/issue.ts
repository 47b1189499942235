import { createCipheriv, createDecipheriv, createPublicKey, randomBytes, scryptSync, type KeyObject } from 'node:crypto';
import * as pkijs from 'pkijs';
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { audit } from '../core/audit.js';
import { GovmailError, InvalidInputError, NotFoundError } from '../core/errors.js';
import { seal, unseal, type Kek } from '../core/kek.js';
import { activeIssuingCa, caChain, caKey, pkiUrls } from './ca.js';
import { algorithmOf, generateKey, privateKeyFromPem, privateKeyToPem, spkiDer, type KeyAlgorithm } from './keys.js';
import { buildPkcs12 } from './pkcs12.js';
import type { Profile } from './profiles.js';
import { formatName, subjectName, type Subject } from './subject.js';
import { berInput, buildCertificate, certificateFromDer, derBlocks, pem, publicKeyInfoFromDer, serialHex, toDer, type KeyUsageName } from './x509.js';

const DAY = 86_400_000;

export type KeyDelivery = { kind: 'csr'; csr: string | Uint8Array } | { kind: 'p12'; password: string; algorithm?: KeyAlgorithm; legacy?: boolean } | { kind: 'server'; pin: string; algorithm?: KeyAlgorithm };

export interface IssueRequest {
  profile: Profile;
  subject: Subject;
  key: KeyDelivery;
  validityDays?: number;
  /** The serial of the certificate this one extends (then the shorter extension limit applies). */
  renewalOf?: string;
  pkiUrl: string;
  actor: string;
  /**
   * The caller's transaction: the certificate row and its audit entry are written in it, so they
   * commit or roll back with whatever the caller does next (e.g. the admin's approval). Without it
   * issuance commits on its own.
   */
  transaction?: Transaction;
}

export interface Issued {
  serial: string;
  certificate: pkijs.Certificate;
  certificatePem: string;
  /** Issuing CA first, root last. */
  chainPem: string;
  p12?: Buffer;
}

/** Parses a PKCS#10 request and checks its proof of possession; only its public key is used. */
export async function publicKeyFromCsr(csrInput: string | Uint8Array): Promise<pkijs.PublicKeyInfo> {
  let csr: pkijs.CertificationRequest;
  try {
    csr = pkijs.CertificationRequest.fromBER(berInput(derBlocks(csrInput, 'CERTIFICATE REQUEST')[0] ?? Buffer.alloc(0)));
  } catch {
    throw new InvalidInputError('csr', 'a PKCS#10 certificate request (PEM or DER)', 'yêu cầu cấp chứng thư PKCS#10 (PEM hoặc DER)');
  }
  if (!(await csr.verify().catch(() => false))) {
    throw new InvalidInputError('csr', 'a request signed by the key it carries (proof of possession)', 'yêu cầu được ký bằng chính khoá nó mang (chứng minh sở hữu khoá)');
  }
  return csr.subjectPublicKeyInfo;
}

export function validityFor(profile: Profile, requestedDays: number | undefined, renewal: boolean): number {
  const max = renewal ? profile.validityDays.maxExtension : profile.validityDays.maxNew;
  const days = requestedDays ?? Math.min(profile.validityDays.default, max);
  if (!Number.isInteger(days) || days < 1 || days > max) {
    throw new InvalidInputError('validityDays', `1–${max} days (${renewal ? 'an extension: at most 3 years' : 'a new certificate: at most 5 years'}, Decree 68/2024)`, `1–${max} ngày (${renewal ? 'gia hạn tối đa 3 năm' : 'cấp mới tối đa 5 năm'}, Nghị định 68/2024)`, String(requestedDays));
  }
  return days;
}

export async function issueCertificate(db: Sequelize, kek: Kek, r: IssueRequest): Promise<Issued> {
  const { profile, subject } = r;
  const ca = await activeIssuingCa(db, r.transaction);
  const chain = await caChain(db, ca);
  const issuerCert = chain[0];
  if (r.renewalOf) {
    const [prev] = await db.query('SELECT serial FROM signer_certificates WHERE serial = $1', { bind: [r.renewalOf], type: QueryTypes.SELECT, transaction: r.transaction });
    if (!prev) throw new NotFoundError('certificate', 'chứng thư', r.renewalOf);
  }
  const days = validityFor(profile, r.validityDays, Boolean(r.renewalOf));

  let holderKey: KeyObject | undefined;
  let publicKeyInfo: pkijs.PublicKeyInfo;
  if (r.key.kind === 'csr') {
    publicKeyInfo = await publicKeyFromCsr(r.key.csr);
  } else {
    holderKey = (await generateKey(r.key.algorithm ?? 'rsa-2048')).privateKey;
    publicKeyInfo = publicKeyInfoFromDer(spkiDer(holderKey));
  }
  const algorithm = algorithmOf(createPublicKey({ key: Buffer.from(publicKeyInfo.toSchema().toBER(false)), format: 'der', type: 'spki' }));
  const keyUsage: KeyUsageName[] = [...profile.keyUsage];
  if (profile.keyEnciphermentForRsa && algorithm.startsWith('rsa-') && !keyUsage.includes('keyEncipherment')) keyUsage.push('keyEncipherment');

  const notBefore = new Date(Date.now() - 5 * 60_000);
  const notAfter = new Date(Math.min(notBefore.getTime() + days * DAY, issuerCert.notAfter.value.getTime()));
  const cert = await buildCertificate({
    subject: subjectName(subject),
    publicKeyInfo,
    issuer: issuerCert,
    signingKey: caKey(kek, ca),
    notBefore,
    notAfter,
    keyUsage,
    extendedKeyUsage: profile.extendedKeyUsage,
    extendedKeyUsageCritical: profile.extendedKeyUsageCritical,
    emails: profile.emailInSubjectAltName && subject.email ? [subject.email] : [],
    dnsNames: subject.dnsNames,
    policies: profile.policies,
    ocspNoCheck: profile.ocspNoCheck,
    ...pkiUrls(r.pkiUrl, ca),
  });
  const serial = serialHex(cert);
  const certDer = toDer(cert);
  const keySealed = r.key.kind === 'server' ? sealServerKey(kek, serial, holderKey!, r.key.pin) : null;

  await inTransaction(db, r.transaction, async (t) => {
    await db.query(
      `INSERT INTO signer_certificates (serial, ca_id, profile, subject, subject_dn, email, cert_der, not_before, not_after, key_origin, key_sealed, issued_by, renewal_of)
       VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      { bind: [serial, ca.id, profile.name, JSON.stringify(subject), formatName(cert.subject), subject.email ?? null, certDer, notBefore, notAfter, r.key.kind, keySealed, r.actor, r.renewalOf ?? null], transaction: t },
    );
    await audit(db, { actor: r.actor, action: r.renewalOf ? 'cert.renew' : 'cert.issue', target: serial, after: { profile: profile.name, subject: formatName(cert.subject), keyOrigin: r.key.kind, notAfter: notAfter.toISOString(), renewalOf: r.renewalOf } }, t);
  });

  const issued: Issued = {
    serial,
    certificate: cert,
    certificatePem: pem('CERTIFICATE', certDer),
    chainPem: chain.map((c) => pem('CERTIFICATE', toDer(c))).join(''),
  };
  if (r.key.kind === 'p12') {
    issued.p12 = buildPkcs12({ privateKey: holderKey!, certificates: [certDer, ...chain.map((c) => toDer(c))], password: r.key.password, friendlyName: subject.commonName ?? serial, legacy: r.key.legacy });
  }
  return issued;
}

/** Runs `work` in the caller's transaction when there is one, else in a transaction of its own. */
export function inTransaction<T>(db: Sequelize, t: Transaction | undefined, work: (t: Transaction) => Promise<T>): Promise<T> {
  return t ? work(t) : db.transaction(work);
}

// Server-held keys: the PIN encrypts the key (scrypt → AES-256-GCM) and the KEK seals the result, so
// neither a database dump with the KEK nor the PIN alone opens it.
const PIN_PATTERN = /^\d{6,12}$/;

function pinKey(pin: string, salt: Buffer): Buffer {
  return scryptSync(pin, salt, 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
}

function sealServerKey(kek: Kek, serial: string, key: KeyObject, pin: string): string {
  if (!PIN_PATTERN.test(pin)) throw new InvalidInputError('pin', '6 to 12 digits', '6 đến 12 chữ số');
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', pinKey(pin, salt), iv);
  const ct = Buffer.concat([cipher.update(privateKeyToPem(key)), cipher.final()]);
  const inner = [salt, iv, cipher.getAuthTag(), ct].map((b) => b.toString('base64url')).join('.');
  return seal(kek, inner, `userkey:${serial}`);
}

export const PIN_MAX_FAILURES = 5;
export const PIN_LOCK_MINUTES = 15;

/**
 * Unlocks a server-held key for one signing. Refused for a revoked or expired certificate; five wrong
 * PINs lock the key for 15 minutes (the counter lives in PostgreSQL, so every node sees it).
 */
export async function unlockServerKey(db: Sequelize, kek: Kek, serial: string, pin: string, actor: string): Promise<{ key: KeyObject; certificate: pkijs.Certificate }> {
  const [row] = await db.query<{ key_sealed: string | null; status: string; not_after: Date; cert_der: Buffer; failures: number | null; locked_until: Date | null }>(
    `SELECT c.key_sealed, c.status, c.not_after, c.cert_der, f.failures, f.locked_until
       FROM signer_certificates c LEFT JOIN signer_pin_failures f USING (serial) WHERE c.serial = $1`,
    { bind: [serial], type: QueryTypes.SELECT },
  );
  if (!row) throw new NotFoundError('certificate', 'chứng thư', serial);
  if (!row.key_sealed) throw new GovmailError('NO_SERVER_KEY', `certificate ${serial} has no key held by the server`, `chứng thư ${serial} không có khoá lưu trên máy chủ`, 409);
  if (row.status === 'revoked') throw new GovmailError('CERT_REVOKED', `certificate ${serial} is revoked and cannot sign`, `chứng thư ${serial} đã bị thu hồi, không thể ký`, 403);
  if (new Date(row.not_after) < new Date()) throw new GovmailError('CERT_EXPIRED', `certificate ${serial} has expired`, `chứng thư ${serial} đã hết hạn`, 403);
  if (row.locked_until && new Date(row.locked_until) > new Date()) {
    const minutes = Math.ceil((new Date(row.locked_until).getTime() - Date.now()) / 60_000);
    throw new GovmailError('PIN_LOCKED', `too many wrong PINs: try again in ${minutes} min`, `nhập sai PIN quá nhiều lần: thử lại sau ${minutes} phút`, 429);
  }
  const [salt, iv, tag, ct] = unseal(kek, row.key_sealed, `userkey:${serial}`).toString().split('.').map((p) => Buffer.from(p, 'base64url'));
  try {
    const decipher = createDecipheriv('aes-256-gcm', pinKey(pin, salt), iv);
    decipher.setAuthTag(tag);
    const keyPem = Buffer.concat([decipher.update(ct), decipher.final()]);
    await db.query('DELETE FROM signer_pin_failures WHERE serial = $1', { bind: [serial] });
    await audit(db, { actor, action: 'key.use', target: serial });
    return { key: privateKeyFromPem(keyPem), certificate: certificateFromDer(row.cert_der) };
  } catch {
    const [f] = await db.query<{ failures: number }>(
      `INSERT INTO signer_pin_failures (serial, failures) VALUES ($1, 1)
       ON CONFLICT (serial) DO UPDATE SET failures = CASE WHEN signer_pin_failures.locked_until < now() THEN 1 ELSE signer_pin_failures.failures + 1 END,
                                          locked_until = NULL
       RETURNING failures`,
      { bind: [serial], type: QueryTypes.SELECT },
    );
    if (f.failures >= PIN_MAX_FAILURES) {
      await db.query(`UPDATE signer_pin_failures SET locked_until = now() + interval '${PIN_LOCK_MINUTES} minutes' WHERE serial = $1`, { bind: [serial] });
    }
    await audit(db, { actor, action: 'key.pin_failed', target: serial, after: { failures: f.failures } });
    throw new GovmailError('PIN_WRONG', `wrong PIN (${f.failures}/${PIN_MAX_FAILURES})`, `sai mã PIN (${f.failures}/${PIN_MAX_FAILURES})`, 403);
  }
}
