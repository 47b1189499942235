import { QueryTypes, type Sequelize } from 'sequelize';
import { audit } from '../core/audit.js';
import { GovmailError, InvalidInputError, NotFoundError } from '../core/errors.js';
import { hashPassword, normaliseAddress, verifyPassword, type Actor } from './directory.js';

/**
 * A mailbox owner changing their own password (the webmail's Settings, and the forced change after an
 * initial or reset password). Passwords are hashed exactly as typed: no Unicode normalisation here,
 * in `hashPassword`, in `authenticate` or in Dovecot, so the webmail, SMTP AUTH and IMAP clients all
 * compare the same bytes. Normalising only on our side would let the webmail accept a password that a
 * desktop client, talking straight to Dovecot, is refused with.
 */
export const MIN_PASSWORD_CHARS = 10;
export const MAX_PASSWORD_CHARS = 1024;
/** Shorter local parts ("a", "vt") would refuse half of all passwords without making any of them safer. */
const MIN_LOCAL_PART_CHECKED = 3;

export const passwordWrong = () =>
  new GovmailError('PASSWORD_WRONG', 'the current password is not right', 'mật khẩu hiện tại không đúng', 403);
export const mailboxNotActive = (address: string) =>
  new GovmailError('MAILBOX_INACTIVE', `mailbox ${address} is suspended or archived; its password cannot be changed`, `hộp thư ${address} đang bị tạm ngừng hoặc đã lưu trữ; không thể đổi mật khẩu`, 403);

/** Code points, as the JSON schema of the login route counts them (a Vietnamese letter is one, whatever its UTF-16 size). */
const chars = (s: string) => [...s].length;

/**
 * The rules a new password must meet, each failure naming the field `newPassword`. `hashPassword`'s own
 * minimum stays underneath as the last word; this adds what only the owner's change can know.
 */
export function checkNewPassword(local: string, currentPassword: string, newPassword: string): void {
  const n = chars(newPassword);
  if (n < MIN_PASSWORD_CHARS) throw new InvalidInputError('newPassword', `at least ${MIN_PASSWORD_CHARS} characters`, `ít nhất ${MIN_PASSWORD_CHARS} ký tự`);
  if (n > MAX_PASSWORD_CHARS) throw new InvalidInputError('newPassword', `at most ${MAX_PASSWORD_CHARS} characters`, `tối đa ${MAX_PASSWORD_CHARS} ký tự`);
  // SASL PLAIN separates its fields with NUL, and no keyboard types the other controls: such a password
  // could be set here and then never used from an IMAP or SMTP client.
  if (/\p{Cc}/u.test(newPassword)) throw new InvalidInputError('newPassword', 'no control characters (letters of any language, digits, spaces and symbols are fine)', 'không có ký tự điều khiển (chữ cái mọi ngôn ngữ, chữ số, dấu cách và ký hiệu đều được)');
  if (newPassword === currentPassword) throw new InvalidInputError('newPassword', 'a password different from the current one', 'mật khẩu khác với mật khẩu hiện tại');
  if (local.length >= MIN_LOCAL_PART_CHECKED && newPassword.toLowerCase().includes(local.toLowerCase())) {
    throw new InvalidInputError('newPassword', `a password that does not contain the mailbox name "${local}"`, `mật khẩu không chứa tên hộp thư "${local}"`);
  }
}

/**
 * Changes a mailbox's password after checking the current one: the new hash, the end of any forced
 * change, the audit entry (never a password) and the end of open admin sessions commit together.
 * Throws PASSWORD_WRONG (403) for a wrong current password; the caller counts that as a failed login.
 */
export async function changePassword(db: Sequelize, address: string, currentPassword: string, newPassword: string, by: Actor): Promise<void> {
  const { address: a, local } = normaliseAddress(address);
  checkNewPassword(local, currentPassword, newPassword);
  // Hashed before the transaction so the row lock below is held only for one verification.
  const hash = await hashPassword(newPassword);
  await db.transaction(async (t) => {
    const [row] = await db.query<{ password_hash: string; active: boolean; domain_active: boolean; archived: boolean }>(
      `SELECT m.password_hash, m.active, d.active AS domain_active, m.archived_at IS NOT NULL AS archived
         FROM mailboxes m JOIN domains d ON d.id = m.domain_id WHERE m.address = $1 FOR UPDATE OF m`,
      { bind: [a], type: QueryTypes.SELECT, transaction: t },
    );
    if (!row) throw new NotFoundError('mailbox', 'hộp thư', a);
    if (!row.active || !row.domain_active || row.archived) throw mailboxNotActive(a);
    if (!(await verifyPassword(row.password_hash, currentPassword))) throw passwordWrong();
    await db.query('UPDATE mailboxes SET password_hash = $2, must_change_password = false WHERE address = $1', { bind: [a, hash], transaction: t });
    // As with an administrator's reset: an admin session opened with the old password does not outlive it.
    await db.query('DELETE FROM admin_sessions WHERE mailbox_id = (SELECT id FROM mailboxes WHERE address = $1)', { bind: [a], transaction: t });
    await audit(db, { ...by, action: 'mailbox.password.change', target: a }, t);
  });
}

/** Whether the mailbox still has to replace an initial or reset password (read at webmail login). */
export async function mustChangePassword(db: Sequelize, address: string): Promise<boolean> {
  const [row] = await db.query<{ must_change_password: boolean }>('SELECT must_change_password FROM mailboxes WHERE address = $1', {
    bind: [address.trim().toLowerCase()],
    type: QueryTypes.SELECT,
  });
  return row?.must_change_password ?? false;
}
