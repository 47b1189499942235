import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { QueryTypes, type Sequelize } from 'sequelize';
import { audit } from '../core/audit.js';
import { GovmailError, InvalidInputError, NotFoundError } from '../core/errors.js';
import type { Kek } from '../core/kek.js';
import { caKey, listCas, type CaRow } from './ca.js';
import { EXT, certificateFromDer, subjectKeyIdentifierOf } from './x509.js';
import { signSigned, x509Time } from './x509-sign.js';

/** RFC 5280 §5.3.1 reason codes (7 is unused). */
export const REVOCATION_REASONS = {
  unspecified: 0, keyCompromise: 1, cACompromise: 2, affiliationChanged: 3, superseded: 4,
  cessationOfOperation: 5, certificateHold: 6, removeFromCRL: 8, privilegeWithdrawn: 9, aACompromise: 10,
} as const;
export type RevocationReason = keyof typeof REVOCATION_REASONS;
export const reasonName = (code: number): RevocationReason | undefined =>
  (Object.entries(REVOCATION_REASONS).find(([, c]) => c === code)?.[0] as RevocationReason | undefined);

const DAY = 86_400_000;
/** How long a CRL is valid; it is re-issued on every revocation and when half of this has passed. */
export const CRL_VALIDITY_DAYS = { issuing: 7, root: 30 } as const;

export function parseReason(name: string): number {
  if (!(name in REVOCATION_REASONS) || name === 'removeFromCRL') {
    const allowed = Object.keys(REVOCATION_REASONS).filter((n) => n !== 'removeFromCRL').join(', ');
    throw new InvalidInputError('reason', `one of ${allowed}`, `một trong ${allowed}`, name);
  }
  return REVOCATION_REASONS[name as RevocationReason];
}

export async function revokeCertificate(db: Sequelize, kek: Kek, serialInput: string, reason: string, actor: string): Promise<{ serial: string; revokedAt: Date }> {
  const serial = serialInput.toLowerCase().replace(/[:\s]/g, '').replace(/^0x/, '');
  const code = parseReason(reason);
  const revokedAt = new Date();
  const caId = await db.transaction(async (t) => {
    const [row] = await db.query<{ ca_id: number; status: string }>('SELECT ca_id, status FROM signer_certificates WHERE serial = $1 FOR UPDATE', { bind: [serial], type: QueryTypes.SELECT, transaction: t });
    if (!row) throw new NotFoundError('certificate', 'chứng thư', serial);
    if (row.status === 'revoked') throw new GovmailError('ALREADY_REVOKED', `certificate ${serial} is already revoked`, `chứng thư ${serial} đã bị thu hồi`, 409);
    await db.query(`UPDATE signer_certificates SET status = 'revoked', revoked_at = $2, revocation_reason = $3 WHERE serial = $1`, { bind: [serial, revokedAt, code], transaction: t });
    await audit(db, { actor, action: 'cert.revoke', target: serial, after: { reason, revokedAt: revokedAt.toISOString() } }, t);
    return row.ca_id;
  });
  await publishCrl(db, kek, (await listCas(db)).find((c) => c.id === caId)!);
  return { serial, revokedAt };
}

/** Issues the next CRL of a CA we hold the key of: CRL number, AKI, nextUpdate, reason per entry. */
export async function publishCrl(db: Sequelize, kek: Kek, ca: CaRow): Promise<Buffer> {
  const issuer = certificateFromDer(ca.cert_der!);
  const key = caKey(kek, ca);
  return db.transaction(async (t) => {
    // The UPDATE takes the CA row's lock until commit: a second generator (another request, another
    // node) waits here and then reads the committed number, so numbers only ever go up, and a CRL
    // with a higher number never has an older thisUpdate or fewer revocations than the one before.
    const [{ crl_number: number }] = await db.query<{ crl_number: string }>('UPDATE signer_cas SET crl_number = crl_number + 1 WHERE id = $1 RETURNING crl_number', { bind: [ca.id], type: QueryTypes.SELECT, transaction: t });
    const revoked = await db.query<{ serial: string; revoked_at: Date; revocation_reason: number }>(
      `SELECT serial, revoked_at, revocation_reason FROM signer_certificates WHERE ca_id = $1 AND status = 'revoked' AND not_after > now() - interval '1 day' ORDER BY revoked_at`,
      { bind: [ca.id], type: QueryTypes.SELECT, transaction: t },
    );
    const thisUpdate = new Date();
    const nextUpdate = new Date(thisUpdate.getTime() + (ca.role === 'root' ? CRL_VALIDITY_DAYS.root : CRL_VALIDITY_DAYS.issuing) * DAY);
    const crl = new pkijs.CertificateRevocationList();
    crl.version = 1;
    crl.issuer = issuer.subject;
    crl.thisUpdate = x509Time(thisUpdate);
    crl.nextUpdate = x509Time(nextUpdate);
    if (revoked.length) {
      crl.revokedCertificates = revoked.map((r) => {
        const entry = new pkijs.RevokedCertificate({
          userCertificate: new asn1js.Integer({ valueHex: new Uint8Array(Buffer.from(r.serial, 'hex')).buffer }),
          revocationDate: x509Time(new Date(r.revoked_at)),
        });
        // RFC 5280 §5.3.1: the reason code is omitted rather than given as "unspecified".
        if (r.revocation_reason) {
          entry.crlEntryExtensions = new pkijs.Extensions({
            extensions: [new pkijs.Extension({ extnID: EXT.crlReason, critical: false, extnValue: new asn1js.Enumerated({ value: r.revocation_reason }).toBER(false) })],
          });
        }
        return entry;
      });
    }
    crl.crlExtensions = new pkijs.Extensions({
      extensions: [
        new pkijs.Extension({ extnID: EXT.authorityKeyIdentifier, critical: false, extnValue: new pkijs.AuthorityKeyIdentifier({ keyIdentifier: new asn1js.OctetString({ valueHex: new Uint8Array(subjectKeyIdentifierOf(issuer)).buffer }) }).toSchema().toBER(false) }),
        new pkijs.Extension({ extnID: EXT.crlNumber, critical: false, extnValue: new asn1js.Integer({ value: Number(number) }).toBER(false) }),
      ],
    });
    const der = signSigned(crl, key);
    await db.query('INSERT INTO signer_crls (ca_id, crl_number, this_update, next_update, der) VALUES ($1, $2, $3, $4, $5)', { bind: [ca.id, number, thisUpdate, nextUpdate, der], transaction: t });
    return der;
  });
}

/** The newest CRL of a CA, re-issued first when none exists or half its validity has passed. */
export async function currentCrl(db: Sequelize, kek: Kek, ca: CaRow): Promise<Buffer> {
  const [row] = await db.query<{ der: Buffer; this_update: Date; next_update: Date }>(
    'SELECT der, this_update, next_update FROM signer_crls WHERE ca_id = $1 ORDER BY crl_number DESC LIMIT 1',
    { bind: [ca.id], type: QueryTypes.SELECT },
  );
  const halfway = row && new Date(row.this_update).getTime() + (new Date(row.next_update).getTime() - new Date(row.this_update).getTime()) / 2;
  if (row && halfway! > Date.now()) return row.der;
  if (!ca.key_sealed || ca.status !== 'active') {
    if (row) return row.der;
    throw new NotFoundError('CRL', 'danh sách thu hồi', ca.name);
  }
  return publishCrl(db, kek, ca);
}

/** Keeps every CA's CRL fresh; run at start and then hourly. */
export async function refreshCrls(db: Sequelize, kek: Kek): Promise<void> {
  for (const ca of await listCas(db)) if (ca.key_sealed && ca.cert_der && ca.status === 'active') await currentCrl(db, kek, ca);
}

export interface CertificateStatus {
  serial: string;
  status: 'good' | 'revoked' | 'unknown';
  revokedAt?: Date;
  reason?: number;
}

export async function certificateStatus(db: Sequelize, caId: number, serial: string): Promise<CertificateStatus> {
  const [row] = await db.query<{ status: 'good' | 'revoked'; revoked_at: Date | null; revocation_reason: number | null }>(
    'SELECT status, revoked_at, revocation_reason FROM signer_certificates WHERE ca_id = $1 AND serial = $2',
    { bind: [caId, serial], type: QueryTypes.SELECT },
  );
  if (!row) return { serial, status: 'unknown' };
  return row.status === 'revoked' ? { serial, status: 'revoked', revokedAt: new Date(row.revoked_at!), reason: row.revocation_reason ?? 0 } : { serial, status: 'good' };
}

/** Status and expiry of certificates by serial, for the administration's lists and counts. */
export async function certificateStates(db: Sequelize, serials: string[]): Promise<Array<{ serial: string; status: 'good' | 'revoked'; notAfter: Date }>> {
  if (!serials.length) return [];
  const rows = await db.query<{ serial: string; status: 'good' | 'revoked'; not_after: Date }>(
    'SELECT serial, status, not_after FROM signer_certificates WHERE serial = ANY ($1::text[])',
    { bind: [serials], type: QueryTypes.SELECT },
  );
  return rows.map((r) => ({ serial: r.serial, status: r.status, notAfter: new Date(r.not_after) }));
}
