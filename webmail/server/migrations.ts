import type { Migration } from '../../core/db.js';

/**
 * The webmail's own tables. Sessions hold no password: the IMAP side logs in through Dovecot's
 * master user, so a session row is only "who, since when, from where". Mailboxes are referred to by
 * address (admin's tables are admin's), so a row outliving its mailbox is harmless and ages out.
 */
export const webmailMigrations: Migration[] = [
  {
    name: 'webmail-0001-sessions-totp-uploads',
    up: async (db) => {
      await db.query(`
        CREATE TABLE webmail_sessions (
          id text PRIMARY KEY,                  -- SHA-256 (hex) of the cookie token; the token itself is never stored
          mailbox text NOT NULL,
          csrf_token text NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          last_seen_at timestamptz NOT NULL DEFAULT now(),
          ip text,
          user_agent text,
          totp_verified boolean NOT NULL DEFAULT false
        );
        CREATE INDEX webmail_sessions_mailbox ON webmail_sessions (mailbox);
        CREATE TABLE webmail_login_failures (
          at timestamptz NOT NULL DEFAULT now(),
          ip text NOT NULL,
          username text NOT NULL
        );
        CREATE INDEX webmail_login_failures_ip ON webmail_login_failures (ip, at);
        CREATE INDEX webmail_login_failures_user ON webmail_login_failures (username, at);
        CREATE TABLE webmail_totp (
          mailbox text PRIMARY KEY,
          secret_sealed text NOT NULL,          -- sealed with the KEK (core/kek.ts), context "webmail-totp:<mailbox>"
          enabled boolean NOT NULL DEFAULT false,
          last_step bigint,                     -- the last accepted time step: a code works once
          created_at timestamptz NOT NULL DEFAULT now(),
          enabled_at timestamptz
        );
        CREATE TABLE webmail_uploads (
          id uuid PRIMARY KEY,
          mailbox text NOT NULL,
          filename text NOT NULL,
          content_type text NOT NULL,
          size integer NOT NULL,
          data bytea NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX webmail_uploads_created ON webmail_uploads (created_at);
      `);
    },
  },
  {
    name: 'webmail-0002-session-must-change-password',
    up: async (db) => {
      // Copied from the mailbox at login, so the per-request guard needs no extra query.
      await db.query(`ALTER TABLE webmail_sessions ADD COLUMN must_change_password boolean NOT NULL DEFAULT false;`);
    },
  },
];
