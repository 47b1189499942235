/** webmail/ entry module: the webmail API server (the browser client lives in webmail/ui). */
export { webmailRoutes, COOKIE as WEBMAIL_COOKIE, type WebmailOptions } from './server/routes.js';
export { webmailMigrations } from './server/migrations.js';
export { linkKey, signLink, verifyLink } from './server/links.js';
export { sessionIdOf } from './server/sessions.js';
export { fetchRemoteImage, isPublicAddress } from './server/proxy.js';
export type { ImapTarget } from './server/imap-pool.js';
export { clientConfigRoutes } from './server/client-config-routes.js';
export { thunderbirdConfig, outlookAutodiscover, appleMobileconfig, type MailEndpoints } from './server/client-config.js';
