import type { Migration } from '../core/db.js';

/** smtp owns the queue, its per-recipient state, DKIM keys, failed-login records and usage events. */
export const smtpMigrations: Migration[] = [
  {
    name: 'smtp-0001-queue-dkim-usage',
    up: async (db) => {
      await db.query(`
        CREATE TABLE smtp_queue (
          id bigserial PRIMARY KEY,
          created_at timestamptz NOT NULL DEFAULT now(),
          sender text NOT NULL,               -- '' is the null sender (bounces)
          message bytea NOT NULL,
          size integer NOT NULL,
          status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued','done')),
          attempts integer NOT NULL DEFAULT 0,
          next_attempt_at timestamptz NOT NULL DEFAULT now(),
          expires_at timestamptz NOT NULL,
          locked_until timestamptz,
          locked_by text,
          origin_mailbox text                 -- the authenticated sender, for usage reports
        );
        CREATE INDEX smtp_queue_due ON smtp_queue (next_attempt_at) WHERE status = 'queued';
        CREATE TABLE smtp_queue_recipients (
          queue_id bigint NOT NULL REFERENCES smtp_queue(id) ON DELETE CASCADE,
          address text NOT NULL,
          local boolean NOT NULL,
          status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','delivered','failed')),
          last_code integer,
          last_response text,
          PRIMARY KEY (queue_id, address)
        );
        CREATE TABLE smtp_dkim_keys (
          domain text PRIMARY KEY,
          selector text NOT NULL,
          private_key_sealed text NOT NULL,
          public_key_b64 text NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE smtp_auth_failures (
          id bigserial PRIMARY KEY,
          at timestamptz NOT NULL DEFAULT now(),
          ip text NOT NULL,
          username text NOT NULL
        );
        CREATE INDEX smtp_auth_failures_ip ON smtp_auth_failures (ip, at);
        CREATE INDEX smtp_auth_failures_user ON smtp_auth_failures (username, at);
        CREATE TABLE usage_events (
          id bigserial PRIMARY KEY,
          at timestamptz NOT NULL DEFAULT now(),
          event text NOT NULL CHECK (event IN ('accepted','delivered','sent','deferred','bounced')),
          mailbox text,
          domain text,
          direction text NOT NULL CHECK (direction IN ('in','out','internal')),
          size integer NOT NULL,
          queue_id bigint
        );
        CREATE INDEX usage_events_at ON usage_events (at);
        CREATE INDEX usage_events_mailbox ON usage_events (mailbox, at);
      `);
    },
  },
  {
    name: 'smtp-0002-send-counters',
    up: async (db) => {
      await db.query(`
        CREATE TABLE smtp_send_counters (
          mailbox text NOT NULL,
          bucket timestamptz NOT NULL,        -- start of a ten-minute bucket
          messages integer NOT NULL,
          recipients integer NOT NULL,        -- external recipients only
          PRIMARY KEY (mailbox, bucket)
        );
      `);
    },
  },
  {
    // Messages the scan refused (spam, malware, forbidden attachments), counted per recipient mailbox.
    name: 'smtp-0003-refused-events',
    up: async (db) => {
      await db.query(`
        ALTER TABLE usage_events DROP CONSTRAINT usage_events_event_check;
        ALTER TABLE usage_events ADD CONSTRAINT usage_events_event_check CHECK (event IN ('accepted','delivered','sent','deferred','bounced','refused'));
      `);
    },
  },
];
