/**
 * admin/ entry module: directory, agency tree, bulk provisioning, roles and scope, the admin API.
 * Everything another module may use from admin/ is named here (admin/README.md describes it).
 */
export { normaliseDomain, normaliseAddress, hashPassword, hashGeneratedPassword, verifyPassword, generatePassword, addressTaken, addDomain, listDomains, isLocalDomain, cleanText, addMailbox, setMailboxActive, addAlias, mailboxLookupOf, resolveMailbox, authenticate, senderAddresses, getMailbox, countMailboxes, directoryMigrations, MAILBOX_BY_ADDRESS_SQL, type Actor, type NewMailbox, type MailboxLookup, type MailboxRow } from './directory.js';
export { levelMayHaveParent, parseLevel, getAgency, addAgency, moveAgency, subtree, isWithin, listAgencies, mailboxAgency, LEVELS, LEVEL_NAMES_VI, agencyMigrations, type Level, type NewAgency, type Agency } from './agencies.js';
export { parseCsv, parseXlsx, importMailboxes, passwordsCsv, IMPORT_COLUMNS, type ImportProblem, type ImportReport, type ImportTable } from './import.js';
export { can, scopeOf, isAction, scopeFilter, ROLES, ACTIONS, type Role, type Action, type Grant, type Principal } from './roles.js';
export { grantRole, grantsOf, login, sessionPrincipal, logout, createToken, tokenPrincipal, authMigrations, type Session } from './auth.js';
export { transferMailbox, resetPassword, archiveMailbox, lifecycleMigrations } from './lifecycle.js';
export { createList, expandList, mayPost, listMigrations, type PostPolicy, type NewList, type ListInfo } from './lists.js';
export { resolveRecipient, checkRecipientAddress, DIRECTORY_CHANGES, recipientMigrations, type RecipientLookup, type RecipientCheck } from './recipients.js';
export { localDay, rollUpUsage, checkReportOptions, usageReport, reportCsv, reportXlsx, REPORT_TIME_ZONE, ACTIVE_DAYS, reportMigrations, REPORT_COLUMNS, type UsageSources, type ReportGrouping, type UsageReportRow, type UsageReportOptions } from './reports.js';
export { requestCertificate, certificateRequestPath, certificatePath, approveCertificate, rejectCertificate, listCertificates, renewCertificate, certificateCounts, dueExpiryNotices, recordExpiryNotice, expiryNoticeMessage, certificateMigrations, CERTIFICATE_STATUSES, EXPIRY_THRESHOLDS_DAYS, type SignerContext, type CertificateRequestInput, type CertificateStatus, type CertificateListItem, type CertificateListOptions, type CertificatePage, type CertificateCount, type ExpiryNotice } from './certificates.js';
export { foldVietnamese, searchDirectory, galMigrations, type DirectoryEntry } from './gal.js';
export { checkNewPassword, changePassword, mustChangePassword, MIN_PASSWORD_CHARS, MAX_PASSWORD_CHARS, passwordWrong, mailboxNotActive } from './passwords.js';
export { adminRoutes, type SpamFilterStatus, type SpamFilterHealth, type ScanSettings } from './api.js';
export { migrationMigrations } from './migration/migrations.js';
export { runMigration, type RunOptions as MigrationRunOptions, type RunReport as MigrationRunReport } from './migration/run.js';
export { parseMigrationMap, MAP_COLUMNS as MIGRATION_MAP_COLUMNS, type MapRow as MigrationMapRow } from './migration/map.js';
export { parseSourceUrl, sourceServerKey, type SourceAuth, type SourceServer, type TargetServer } from './migration/connect.js';
export { mailboxStatuses as migrationStatuses, skipsOf as migrationSkips } from './migration/progress.js';
export type { MailboxReport as MigrationMailboxReport } from './migration/mailbox.js';
export type { FolderResult as MigrationFolderResult } from './migration/copy.js';
import { directoryMigrations } from './directory.js';
import { agencyMigrations } from './agencies.js';
import { authMigrations } from './auth.js';
import { lifecycleMigrations } from './lifecycle.js';
import { listMigrations } from './lists.js';
import { reportMigrations } from './reports.js';
import { certificateMigrations } from './certificates.js';
import { galMigrations } from './gal.js';
import { recipientMigrations } from './recipients.js';
export const adminMigrations = [...directoryMigrations, ...agencyMigrations, ...authMigrations, ...lifecycleMigrations, ...listMigrations, ...reportMigrations, ...certificateMigrations, ...galMigrations, ...recipientMigrations];
