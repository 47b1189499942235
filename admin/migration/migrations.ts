import type { Migration } from '../../core/db.js';

/**
 * The migration's own tables. A mailbox pair is (source server, source address, target address): the
 * same source copied into two targets, or from two servers, keeps separate progress. Progress per folder
 * is the source UIDVALIDITY and the last source UID copied, plus the target folder's UIDVALIDITY and the
 * highest target UID we know we appended: anything above it in the target may be a copy whose progress
 * write was lost (a kill between the APPEND's OK and the UPDATE), and is checked on resume (copy.ts).
 * No password is ever stored here.
 */
export const migrationMigrations: Migration[] = [
  {
    name: 'admin-migration-0001-progress',
    up: async (db) => {
      await db.query(`
        CREATE TABLE migration_mailboxes (
          id serial PRIMARY KEY,
          source_server text NOT NULL,
          source_address text NOT NULL,
          target_address text NOT NULL,
          status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','running','done','failed')),
          error_code text,
          error text,
          folders integer NOT NULL DEFAULT 0,
          source_messages integer NOT NULL DEFAULT 0,
          copied integer NOT NULL DEFAULT 0,
          skipped integer NOT NULL DEFAULT 0,
          bytes bigint NOT NULL DEFAULT 0,
          started_at timestamptz,
          finished_at timestamptz,
          UNIQUE (source_server, source_address, target_address)
        );
        CREATE TABLE migration_folders (
          id serial PRIMARY KEY,
          mailbox_id integer NOT NULL REFERENCES migration_mailboxes(id) ON DELETE CASCADE,
          source_folder text NOT NULL,
          target_folder text NOT NULL,
          source_uidvalidity bigint NOT NULL,
          last_uid bigint NOT NULL DEFAULT 0,
          target_uidvalidity bigint,
          target_last_uid bigint NOT NULL DEFAULT 0,
          copied integer NOT NULL DEFAULT 0,
          skipped integer NOT NULL DEFAULT 0,
          bytes bigint NOT NULL DEFAULT 0,
          updated_at timestamptz NOT NULL DEFAULT now(),
          UNIQUE (mailbox_id, source_folder)
        );
        CREATE TABLE migration_skips (
          folder_id integer NOT NULL REFERENCES migration_folders(id) ON DELETE CASCADE,
          source_uidvalidity bigint NOT NULL,
          uid bigint NOT NULL,
          size bigint,
          reason text NOT NULL,
          at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (folder_id, source_uidvalidity, uid)
        );
      `);
    },
  },
];
