import { ImapFlow } from 'imapflow';
import { GovmailError } from '../../core/errors.js';
import { ensureSpecialFolders } from '../../mailstore/index.js';

/**
 * The two IMAP ends of a migration. The source is whatever the province ran (Zimbra, Exchange, an old
 * Dovecot or Courier); the target is our Dovecot, logged into through the master user with SASL PLAIN
 * and an authorization identity, as the webmail does, so no user password of ours is needed.
 */
export interface SourceServer {
  host: string;
  port: number;
  /** imaps:// (TLS from the first byte); imap:// upgrades with STARTTLS when the server offers it. */
  secure: boolean;
  /** Accept a certificate that does not verify (old self-signed provincial servers): the admin's choice. */
  insecureTls?: boolean;
}

export type SourceAuth =
  | { kind: 'password'; password: string }
  /** A master/admin login: SASL PLAIN authzid, or `user<separator>master` (Dovecot "*", some Zimbra set-ups). */
  | { kind: 'master'; user: string; password: string; separator?: string }
  | { kind: 'oauth'; token: string };

export interface TargetServer {
  host: string;
  port: number;
  master: { user: string; password: string };
}

export function parseSourceUrl(url: string): SourceServer {
  const m = /^(imaps?):\/\/(\[[0-9a-f:.]+\]|[^/:?#\s]+)(?::(\d{1,5}))?\/?$/i.exec(url.trim());
  if (!m || (m[3] && (Number(m[3]) < 1 || Number(m[3]) > 65535))) {
    throw new GovmailError('MIGRATE_SOURCE_URL', `--from: expected imap://HOST[:PORT] or imaps://HOST[:PORT] (got "${url}")`, `--from: cần imap://MÁY[:CỔNG] hoặc imaps://MÁY[:CỔNG] (nhận được "${url}")`);
  }
  const secure = m[1].toLowerCase() === 'imaps';
  return { host: m[2].replace(/^\[|\]$/g, ''), port: m[3] ? Number(m[3]) : secure ? 993 : 143, secure };
}

export function sourceServerKey(s: SourceServer): string {
  return `${s.secure ? 'imaps' : 'imap'}://${s.host.toLowerCase()}:${s.port}`;
}

const TIMEOUTS = { connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 5 * 60_000 };

function sourceLogin(address: string, auth: SourceAuth): Record<string, unknown> {
  if (auth.kind === 'password') return { user: address, pass: auth.password };
  if (auth.kind === 'oauth') return { user: address, accessToken: auth.token };
  if (auth.separator) return { user: `${address}${auth.separator}${auth.user}`, pass: auth.password };
  return { user: auth.user, pass: auth.password, authzid: address, loginMethod: 'AUTH=PLAIN' };
}

export async function connectSource(server: SourceServer, address: string, auth: SourceAuth): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: server.host,
    port: server.port,
    secure: server.secure,
    tls: { rejectUnauthorized: !server.insecureTls, servername: /^[\d.:]+$/.test(server.host) ? undefined : server.host },
    auth: sourceLogin(address, auth),
    logger: false,
    disableAutoIdle: true,
    ...TIMEOUTS,
  } as ConstructorParameters<typeof ImapFlow>[0]);
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    client.close();
    throw sourceFailure(server, address, err);
  }
  return client;
}

export async function connectTarget(target: TargetServer, address: string): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: target.host,
    port: target.port,
    secure: false,
    doSTARTTLS: true,
    // Loopback to our own Dovecot, whose certificate is the self-signed mail host one.
    tls: { rejectUnauthorized: false },
    auth: { user: target.master.user, pass: target.master.password, authzid: address, loginMethod: 'AUTH=PLAIN' },
    logger: false,
    disableAutoIdle: true,
    ...TIMEOUTS,
  } as ConstructorParameters<typeof ImapFlow>[0] & { doSTARTTLS: boolean });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await ensureSpecialFolders(client);
  } catch (err: any) {
    client.close();
    if (err?.authenticationFailed) {
      throw new GovmailError('MIGRATE_TARGET_LOGIN', `our mail store refuses ${address} (suspended or archived?)`, `kho thư GovMail từ chối hộp thư ${address} (đã bị khóa hoặc lưu trữ?)`);
    }
    throw new GovmailError('MIGRATE_TARGET_UNAVAILABLE', `our mail store at ${target.host}:${target.port} does not answer (is govmail start running?): ${err?.code ?? err?.message}`, `kho thư GovMail tại ${target.host}:${target.port} không trả lời (govmail start đã chạy chưa?): ${err?.code ?? err?.message}`);
  }
  return client;
}

const TLS_CODES = /^(CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|ERR_SSL|ERR_TLS|EPROTO$|HOSTNAME_MISMATCH|ERR_TLS_CERT_ALTNAME_INVALID)/;

/** Why the source did not let us in, in words an IT officer can act on. */
export function sourceFailure(server: SourceServer, address: string, err: any): GovmailError {
  const where = `${server.host}:${server.port}`;
  const code = String(err?.code ?? '');
  if (err?.authenticationFailed) {
    return new GovmailError('MIGRATE_SOURCE_LOGIN', `the source server ${where} refused the login of ${address} (wrong password or master user?)`, `máy chủ nguồn ${where} từ chối đăng nhập ${address} (sai mật khẩu hoặc tài khoản quản trị?)`);
  }
  if (TLS_CODES.test(code) || /certificate|SSL|TLS/i.test(String(err?.message))) {
    return new GovmailError('MIGRATE_SOURCE_TLS', `TLS with the source server ${where} failed: ${code || err?.message} (expected a certificate valid for ${server.host}; --insecure-tls accepts it anyway)`, `kết nối TLS tới máy chủ nguồn ${where} thất bại: ${code || err?.message} (cần chứng thư hợp lệ cho ${server.host}; --insecure-tls để vẫn chấp nhận)`);
  }
  if (/^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ECONNRESET|ETIMEOUT|GREETING_TIMEOUT|CONNECT_TIMEOUT)$/.test(code) || /timeout/i.test(String(err?.message))) {
    return new GovmailError('MIGRATE_SOURCE_UNREACHABLE', `the source server ${where} cannot be reached (${code || err?.message}); expected an IMAP server there`, `không kết nối được máy chủ nguồn ${where} (${code || err?.message}); cần một máy chủ IMAP tại đó`);
  }
  return new GovmailError('MIGRATE_SOURCE_FAILED', `the source server ${where} failed for ${address}: ${err?.responseText ?? err?.message ?? code}`, `máy chủ nguồn ${where} lỗi với ${address}: ${err?.responseText ?? err?.message ?? code}`);
}
