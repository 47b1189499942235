import { GovmailError, InvalidInputError } from '../../core/errors.js';

/**
 * The webmail's errors: core/errors.ts classes, written on the wire as API.md says —
 * `{ error: { code, vi, en } }` — Vietnamese first for people, `code` for the client.
 */
export function wireError(err: GovmailError): { error: { code: string; vi: string; en: string; field?: string } } {
  const field = err instanceof InvalidInputError ? err.field : undefined;
  return { error: { code: err.code, vi: err.messageVi, en: err.message, ...(field ? { field } : {}) } };
}

export const unauthenticated = () => new GovmailError('UNAUTHENTICATED', 'log in first (or your session has ended)', 'cần đăng nhập (hoặc phiên làm việc đã hết hạn)', 401);
export const totpPending = () => new GovmailError('TOTP_REQUIRED', 'enter the code from your authenticator app to finish logging in', 'nhập mã từ ứng dụng xác thực để hoàn tất đăng nhập', 401);
export const csrfRefused = () => new GovmailError('CSRF', 'missing or wrong x-csrf-token header', 'thiếu hoặc sai tiêu đề x-csrf-token', 403);
export const loginFailed = () => new GovmailError('LOGIN_FAILED', 'wrong address, password or code', 'sai địa chỉ, mật khẩu hoặc mã xác thực', 401);
export const tooManyAttempts = (minutes: number) =>
  new GovmailError('TOO_MANY_ATTEMPTS', `too many failed logins; try again in ${minutes} minutes`, `đăng nhập sai quá nhiều lần; thử lại sau ${minutes} phút`, 429);
export const messageNotFound = (folder: string, uid: number) => new GovmailError('NOT_FOUND', `no message ${uid} in folder ${folder}`, `không có thư ${uid} trong thư mục ${folder}`, 404);
export const folderNotFound = (folder: string) => new GovmailError('NOT_FOUND', `no folder ${folder}`, `không có thư mục ${folder}`, 404);
export const mailStoreUnavailable = () => new GovmailError('MAILSTORE_UNAVAILABLE', 'the mail store is not reachable; try again shortly', 'không kết nối được kho thư; xin thử lại sau giây lát', 503);
export const badSignature = () => new GovmailError('BAD_SIGNATURE', 'link expired or not valid; reopen the message', 'đường dẫn hết hạn hoặc không hợp lệ; hãy mở lại thư', 403);
export const notConfigured = (what: string, whatVi: string) => new GovmailError('NOT_CONFIGURED', `${what} is not configured on this server`, `máy chủ chưa cấu hình ${whatVi}`, 503);
export const passwordChangeRequired = () =>
  new GovmailError('PASSWORD_CHANGE_REQUIRED', 'change your initial password before using the mail', 'hãy đổi mật khẩu được cấp ban đầu trước khi dùng hộp thư', 403);
