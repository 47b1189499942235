import type { Migration } from '../core/db.js';
import { auditMigrations } from '../core/audit.js';
import { adminMigrations, migrationMigrations } from '../admin/index.js';
import { mailstoreMigrations } from '../mailstore/index.js';
import { smtpMigrations } from '../smtp/index.js';
import { signerMigrations } from '../signer/index.js';
import { webmailMigrations } from '../webmail/index.js';

/**
 * Every module's migrations in dependency order (lower layers first). This is the one place that
 * knows all modules; each module only lists its own.
 */
export function allMigrations(): Migration[] {
  return [...auditMigrations, ...adminMigrations, ...migrationMigrations, ...mailstoreMigrations, ...smtpMigrations, ...signerMigrations, ...webmailMigrations];
}
