import { QueryTypes, type Sequelize } from 'sequelize';
import type { Migration } from '../core/db.js';
import { audit } from '../core/audit.js';
import { ConflictError, GovmailError, InvalidInputError, NotFoundError } from '../core/errors.js';
import { addressTaken, generatePassword, hashGeneratedPassword, normaliseAddress, type Actor } from './directory.js';
import { getAgency } from './agencies.js';

/**
 * A person's mailbox over a career: transfer to another agency (often with a new address, the old one
 * kept as an alias so mail keeps arriving), password reset, and offboarding that archives rather than
 * deletes — official correspondence must stay retrievable.
 */
export const lifecycleMigrations: Migration[] = [
  {
    name: 'admin-0004-mailbox-lifecycle',
    up: async (db) => {
      await db.query(`
        ALTER TABLE mailboxes ADD COLUMN archived_at timestamptz;
        -- Dovecot finds mail by the mailbox id, so an address can change without moving any mail.
        CREATE OR REPLACE VIEW dovecot_users AS
          SELECT m.address AS username, m.password_hash AS password,
                 '*:bytes=' || m.quota_bytes AS quota_rule, m.id AS mailbox_id
          FROM mailboxes m JOIN domains d ON d.id = m.domain_id
          WHERE m.active AND d.active AND m.archived_at IS NULL;
      `);
    },
  },
];

export async function transferMailbox(
  db: Sequelize,
  address: string,
  to: { agencyCode: string; newAddress?: string; keepOldAddressDays?: number },
  by: Actor = { actor: 'cli' },
): Promise<{ address: string; aliasUntil?: Date }> {
  const from = normaliseAddress(address).address;
  const days = to.keepOldAddressDays ?? 180;
  if (!Number.isInteger(days) || days < 0 || days > 3650) throw new InvalidInputError('keepOldAddressDays', 'a whole number of days from 0 to 3650', 'số ngày nguyên từ 0 đến 3650', String(days));
  return db.transaction(async (t) => {
    const [mb] = await db.query<{ id: number; agency_id: number | null; domain_id: number; archived_at: Date | null }>(
      'SELECT id, agency_id, domain_id, archived_at FROM mailboxes WHERE address = $1 FOR UPDATE',
      { bind: [from], type: QueryTypes.SELECT, transaction: t },
    );
    if (!mb) throw new NotFoundError('mailbox', 'hộp thư', from);
    if (mb.archived_at) throw new GovmailError('ARCHIVED', `mailbox ${from} is archived`, `hộp thư ${from} đã lưu trữ`, 409);
    const agency = await getAgency(db, to.agencyCode, t);
    if (!agency) throw new NotFoundError('agency', 'cơ quan', to.agencyCode);
    let finalAddress = from;
    let aliasUntil: Date | undefined;
    if (to.newAddress && normaliseAddress(to.newAddress).address !== from) {
      const n = normaliseAddress(to.newAddress);
      const [dom] = await db.query<{ id: number }>('SELECT id FROM domains WHERE name = $1', { bind: [n.domain], type: QueryTypes.SELECT, transaction: t });
      if (!dom) throw new NotFoundError('domain', 'tên miền', n.domain);
      if (await addressTaken(db, n.address, t)) throw new ConflictError('address', 'địa chỉ', n.address);
      await db.query('UPDATE mailboxes SET address = $2, domain_id = $3 WHERE id = $1', { bind: [mb.id, n.address, dom.id], transaction: t });
      aliasUntil = new Date(Date.now() + days * 86_400_000);
      await db.query('INSERT INTO aliases (address, domain_id, mailbox_id, expires_at) VALUES ($1, $2, $3, $4)', { bind: [from, mb.domain_id, mb.id, aliasUntil], transaction: t });
      finalAddress = n.address;
    }
    await db.query('UPDATE mailboxes SET agency_id = $2 WHERE id = $1', { bind: [mb.id, agency.id], transaction: t });
    await audit(db, { ...by, action: 'mailbox.transfer', target: from, before: { address: from, agencyId: mb.agency_id }, after: { address: finalAddress, agency: to.agencyCode, aliasUntil } }, t);
    return { address: finalAddress, aliasUntil };
  });
}

/** Sets a new generated password that must be changed at next login; returns it once. */
export async function resetPassword(db: Sequelize, address: string, by: Actor = { actor: 'cli' }): Promise<string> {
  const a = normaliseAddress(address).address;
  const password = generatePassword();
  const hash = hashGeneratedPassword(password);
  await db.transaction(async (t) => {
    const [, meta] = await db.query('UPDATE mailboxes SET password_hash = $2, must_change_password = true WHERE address = $1 AND archived_at IS NULL', { bind: [a, hash], transaction: t });
    if (!(meta as any).rowCount) throw new NotFoundError('mailbox', 'hộp thư', a);
    // Open admin sessions die with the old password.
    await db.query('DELETE FROM admin_sessions WHERE mailbox_id = (SELECT id FROM mailboxes WHERE address = $1)', { bind: [a], transaction: t });
    await audit(db, { ...by, action: 'mailbox.password_reset', target: a }, t);
  });
  return password;
}

/** Offboarding: the mailbox can no longer log in or receive, but its mail and record are kept. */
export async function archiveMailbox(db: Sequelize, address: string, by: Actor = { actor: 'cli' }): Promise<void> {
  const a = normaliseAddress(address).address;
  await db.transaction(async (t) => {
    const [, meta] = await db.query('UPDATE mailboxes SET archived_at = now(), active = false WHERE address = $1 AND archived_at IS NULL', { bind: [a], transaction: t });
    if (!(meta as any).rowCount) throw new NotFoundError('mailbox', 'hộp thư (chưa lưu trữ)', a);
    await db.query('DELETE FROM admin_sessions WHERE mailbox_id = (SELECT id FROM mailboxes WHERE address = $1)', { bind: [a], transaction: t });
    await db.query('DELETE FROM role_grants WHERE mailbox_id = (SELECT id FROM mailboxes WHERE address = $1)', { bind: [a], transaction: t });
    await audit(db, { ...by, action: 'mailbox.archive', target: a }, t);
  });
}
