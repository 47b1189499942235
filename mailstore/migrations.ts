import type { Migration } from '../core/db.js';
import { QUOTA_CROSSINGS } from './usage.js';

/** mailstore owns what Dovecot writes back to us: quota usage and last login (through dict-sql). */
export const mailstoreMigrations: Migration[] = [
  {
    name: 'mailstore-0001-usage',
    up: async (db) => {
      await db.query(`
        CREATE TABLE mailstore_usage (
          username text PRIMARY KEY,
          bytes bigint NOT NULL DEFAULT 0,
          messages bigint NOT NULL DEFAULT 0,
          last_login bigint
        );
      `);
    },
  },
  {
    name: 'mailstore-0002-quota-crossings',
    up: async (db) => {
      // Runs as the role that writes the row (Dovecot's, which may read dovecot_users). The same rule as
      // mailboxOverQuota: full when stored bytes reach the quota; a row that appears starts from "not full".
      await db.query(`
        CREATE FUNCTION mailstore_quota_crossed() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
          quota bigint;
        BEGIN
          SELECT substring(quota_rule from 'bytes=([0-9]+)')::bigint INTO quota FROM dovecot_users WHERE username = NEW.username;
          IF quota IS NOT NULL AND (NEW.bytes >= quota) <> (TG_OP = 'UPDATE' AND OLD.bytes >= quota) THEN
            PERFORM pg_notify('${QUOTA_CROSSINGS}', NEW.username);
          END IF;
          RETURN NULL;
        END $$;
        CREATE TRIGGER mailstore_usage_inserted AFTER INSERT ON mailstore_usage FOR EACH ROW EXECUTE FUNCTION mailstore_quota_crossed();
        CREATE TRIGGER mailstore_usage_bytes AFTER UPDATE OF bytes ON mailstore_usage
          FOR EACH ROW WHEN (OLD.bytes IS DISTINCT FROM NEW.bytes) EXECUTE FUNCTION mailstore_quota_crossed();
      `);
    },
  },
];
