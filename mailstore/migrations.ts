import type { Migration } from '../core/db.js';

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
];
