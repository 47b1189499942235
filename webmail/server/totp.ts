import * as OTPAuth from 'otpauth';
import { QueryTypes, type Sequelize } from 'sequelize';
import { seal, unseal, type Kek } from '../../core/kek.js';
import { GovmailError, InvalidInputError } from '../../core/errors.js';

/**
 * Two-step login with TOTP (RFC 6238: 6 digits, 30 s, SHA-1 — what every authenticator app reads).
 * The secret is sealed with the KEK, so a database dump does not reveal it. Set-up stores a pending
 * secret; it counts only once a code from the app proves the user has it. A code is accepted once:
 * the time step of the last accepted code is kept.
 */
const ISSUER = 'GovMail';
const context = (mailbox: string) => `webmail-totp:${mailbox}`;

function totpFor(mailbox: string, secret: OTPAuth.Secret): OTPAuth.TOTP {
  return new OTPAuth.TOTP({ issuer: ISSUER, label: mailbox, algorithm: 'SHA1', digits: 6, period: 30, secret });
}

const codeShape = (code: string) => {
  const c = String(code ?? '').replace(/\s+/g, '');
  if (!/^\d{6}$/.test(c)) throw new InvalidInputError('code', '6 digits from the authenticator app', '6 chữ số từ ứng dụng xác thực');
  return c;
};

async function row(db: Sequelize, mailbox: string) {
  const [r] = await db.query<{ secret_sealed: string; enabled: boolean; last_step: string | null }>('SELECT secret_sealed, enabled, last_step FROM webmail_totp WHERE mailbox = $1', {
    bind: [mailbox],
    type: QueryTypes.SELECT,
  });
  return r;
}

export async function totpEnabled(db: Sequelize, mailbox: string): Promise<boolean> {
  return (await row(db, mailbox))?.enabled === true;
}

/** A new pending secret (replacing an unconfirmed one); refused while TOTP is on. */
export async function setupTotp(db: Sequelize, kek: Kek, mailbox: string): Promise<{ secret: string; uri: string }> {
  if (await totpEnabled(db, mailbox)) {
    throw new GovmailError('TOTP_ALREADY_ENABLED', 'two-step login is already on; turn it off first to set up a new app', 'xác thực hai bước đang bật; hãy tắt trước khi cài ứng dụng mới', 409);
  }
  const secret = new OTPAuth.Secret({ size: 20 });
  await db.query(
    `INSERT INTO webmail_totp (mailbox, secret_sealed, enabled) VALUES ($1, $2, false)
     ON CONFLICT (mailbox) DO UPDATE SET secret_sealed = EXCLUDED.secret_sealed, enabled = false, last_step = NULL, created_at = now(), enabled_at = NULL`,
    { bind: [mailbox, seal(kek, secret.base32, context(mailbox))] },
  );
  return { secret: secret.base32, uri: totpFor(mailbox, secret).toString() };
}

/**
 * Checks a code against the stored secret (pending or enabled) and consumes its time step. One step
 * of clock drift either way is accepted.
 */
async function consumeCode(db: Sequelize, kek: Kek, mailbox: string, code: string): Promise<boolean> {
  const r = await row(db, mailbox);
  if (!r) return false;
  const secret = OTPAuth.Secret.fromBase32(unseal(kek, r.secret_sealed, context(mailbox)).toString());
  const totp = totpFor(mailbox, secret);
  const delta = totp.validate({ token: code, window: 1 });
  if (delta === null) return false;
  const step = totp.counter() + delta;
  const [, meta] = await db.query('UPDATE webmail_totp SET last_step = $2 WHERE mailbox = $1 AND (last_step IS NULL OR last_step < $2)', { bind: [mailbox, step] });
  return ((meta as any)?.rowCount ?? 0) > 0;
}

const wrongCode = () => new GovmailError('TOTP_WRONG_CODE', 'the code is wrong or already used', 'mã không đúng hoặc đã được dùng', 400);

export async function enableTotp(db: Sequelize, kek: Kek, mailbox: string, code: string): Promise<void> {
  const r = await row(db, mailbox);
  if (!r) throw new GovmailError('TOTP_NOT_SET_UP', 'set up two-step login first', 'cần cài đặt xác thực hai bước trước', 409);
  if (r.enabled) return;
  if (!(await consumeCode(db, kek, mailbox, codeShape(code)))) throw wrongCode();
  await db.query('UPDATE webmail_totp SET enabled = true, enabled_at = now() WHERE mailbox = $1', { bind: [mailbox] });
}

export async function disableTotp(db: Sequelize, kek: Kek, mailbox: string, code: string): Promise<void> {
  if (!(await totpEnabled(db, mailbox))) return;
  if (!(await consumeCode(db, kek, mailbox, codeShape(code)))) throw wrongCode();
  await db.query('DELETE FROM webmail_totp WHERE mailbox = $1', { bind: [mailbox] });
}

/** The login check: true only for a valid, unused code of an enabled secret. */
export async function verifyLoginCode(db: Sequelize, kek: Kek, mailbox: string, code: string): Promise<boolean> {
  const c = String(code ?? '').replace(/\s+/g, '');
  if (!/^\d{6}$/.test(c) || !(await totpEnabled(db, mailbox))) return false;
  return consumeCode(db, kek, mailbox, c);
}
