/** mailstore/ entry module: everything about Dovecot. */
export { generateDovecotConfig, runtimeDirFor, MASTER_USER, JUNK_HEADER, JUNK_SIEVE, type DovecotOptions } from './config.js';
export { startDovecot, ensureDovecotRole, govmailSendmailWrapper, classifyDovecotLine, type DovecotHandle, type DovecotHealth } from './embedded.js';
export { createLmtpClient, LmtpUnavailableError, type LmtpClient, type LmtpResult } from './lmtp.js';
export { ensureSelfSignedCertificate } from './tls.js';
export { mailstoreMigrations } from './migrations.js';
export { mailboxOverQuota, mailboxUsage, QUOTA_CROSSINGS } from './usage.js';
export { ensureSpecialFolders, SPECIAL_FOLDERS } from './imap.js';
