import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';

/** What the embedded default needs from Debian; `govmail start` installs any that are missing (as root). */
export const DEBIAN_PACKAGES = [
  'postgresql', 'dovecot-imapd', 'dovecot-lmtpd', 'dovecot-pgsql', 'dovecot-sieve', 'dovecot-managesieved', 'dovecot-pop3d', 'openssl', 'rspamd',
  // Full-text search and the text of attachments (PDF, Word, Excel, OpenDocument) for it.
  'dovecot-fts-xapian', 'poppler-utils', 'catdoc', 'unzip',
  // Calendars and address books (dav/).
  'radicale',
];

export function missingPackages(names = DEBIAN_PACKAGES): string[] {
  return names.filter((name) => {
    try {
      const status = execFileSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      return !status.includes('install ok installed');
    } catch {
      return true;
    }
  });
}

export function ensureDebianPackages(): void {
  const missing = missingPackages();
  if (!missing.length) return;
  process.stdout.write(`Cài đặt gói còn thiếu / installing missing packages: ${missing.join(' ')}\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // Debian's own rspamd, Dovecot and radicale services need not start: GovMail runs its own instances on other ports.
  const policy = '/usr/sbin/policy-rc.d';
  const madePolicy = !existsSync(policy);
  if (madePolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
  } finally {
    if (madePolicy) rmSync(policy, { force: true });
  }
}
