import * as pkijs from 'pkijs';
import { QueryTypes, type Sequelize } from 'sequelize';
import { seal, unseal, type Kek } from '../../core/kek.js';
import { activeIssuingCa, caChain } from '../ca.js';
import { formatName } from '../cms/verify.js';
import { issueCertificate } from '../issue.js';
import { generateKey, privateKeyFromPem, privateKeyToPem, spkiDer, type KeyAlgorithm } from '../keys.js';
import { signRequest } from '../x509-sign.js';
import { getProfile } from '../profiles.js';
import { OID, parseSubject, subjectName } from '../subject.js';
import { certificateFromDer, publicKeyInfoFromDer, toDer } from '../x509.js';
import type { TsaCredentials } from './token.js';

/**
 * The TSA's key and certificate, issued by the active issuing CA with the `tsa` profile (EKU
 * id-kp-timeStamping, critical, as RFC 3161 §2.3 requires), made on first use and replaced when near
 * expiry or revoked. The key uses the CA's algorithm. A token stays verifiable only while its TSA
 * certificate is valid, so a key stops stamping well before its certificate expires.
 */
export interface TsaIdentity extends TsaCredentials {
  serial: string;
  /** issuing CA first, root last */
  chain: pkijs.Certificate[];
}

const DAY = 86_400_000;
/** Stop stamping with a key a year before its certificate ends (or halfway through a short one). */
const RETIRE_BEFORE_DAYS = 365;
const ACTOR = 'system:tsa';

const keyContext = (serial: string) => `tsa:${serial}`;

interface KeyRow {
  serial: string;
  cert_der: Buffer;
  key_sealed: string;
  not_before: Date;
  not_after: Date;
}

function stillUsable(row: KeyRow, now = Date.now()): boolean {
  const notBefore = new Date(row.not_before).getTime();
  const notAfter = new Date(row.not_after).getTime();
  return notAfter - now > Math.min(RETIRE_BEFORE_DAYS * DAY, (notAfter - notBefore) / 2);
}

function identity(kek: Kek, row: KeyRow, chain: pkijs.Certificate[]): TsaIdentity {
  return {
    serial: row.serial,
    key: privateKeyFromPem(unseal(kek, row.key_sealed, keyContext(row.serial))),
    certificate: certificateFromDer(row.cert_der),
    chain,
    // A relying party already holds the root as its trust anchor; the certificates in between it may not.
    intermediates: chain.filter((c) => formatName(c.subject) !== formatName(c.issuer)),
  };
}

export async function ensureTsaSigner(db: Sequelize, kek: Kek, o: { pkiUrl: string; dataDir?: string }): Promise<TsaIdentity> {
  const ca = await activeIssuingCa(db);
  const chain = await caChain(db, ca);
  const [current] = await db.query<KeyRow>(
    `SELECT c.serial, c.cert_der, c.not_before, c.not_after, k.key_sealed
       FROM signer_tsa_keys k JOIN signer_certificates c USING (serial)
      WHERE c.ca_id = $1 AND c.status = 'good' ORDER BY c.not_after DESC LIMIT 1`,
    { bind: [ca.id], type: QueryTypes.SELECT },
  );
  if (current && stillUsable(current)) return identity(kek, current, chain);

  const profile = getProfile('tsa', o.dataDir);
  const issuer = chain[0]!;
  const attribute = (type: string) => issuer.subject.typesAndValues.find((tv) => tv.type === type)?.value.valueBlock.value as string | undefined;
  const organization = (attribute(OID.organization) ?? ca.subject_dn).slice(0, 64);
  const subject = parseSubject({ commonName: `${organization.slice(0, 60)} TSA`, organization, province: attribute(OID.province) }, profile);

  // Through a CSR so the certificate goes through ordinary issuance: profile, register, audit entry.
  // Two nodes starting at the same moment may each issue one; both are valid and the one that ends
  // later is used from then on, so no lock is taken.
  const algorithm: KeyAlgorithm = ca.algorithm ?? 'p-256';
  const key = await generateKey(algorithm);
  const csr = new pkijs.CertificationRequest();
  csr.version = 0;
  csr.subject = subjectName(subject);
  csr.subjectPublicKeyInfo = publicKeyInfoFromDer(spkiDer(key.publicKey));
  signRequest(csr, key.privateKey);
  // The certificate and its key row commit together: a certificate is never left without its key.
  const issued = await db.transaction(async (transaction) => {
    const made = await issueCertificate(db, kek, { profile, subject, key: { kind: 'csr', csr: toDer(csr) }, pkiUrl: o.pkiUrl, actor: ACTOR, transaction });
    await db.query('INSERT INTO signer_tsa_keys (serial, key_sealed) VALUES ($1, $2)', {
      bind: [made.serial, seal(kek, privateKeyToPem(key.privateKey), keyContext(made.serial))],
      transaction,
    });
    return made;
  });
  const [row] = await db.query<KeyRow>(
    `SELECT c.serial, c.cert_der, c.not_before, c.not_after, k.key_sealed FROM signer_tsa_keys k JOIN signer_certificates c USING (serial) WHERE serial = $1`,
    { bind: [issued.serial], type: QueryTypes.SELECT },
  );
  return identity(kek, row!, chain);
}
