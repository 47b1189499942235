import type { Sequelize } from 'sequelize';
import { preparedQuery, type Migration } from '../core/db.js';
import { MAILBOX_BY_ADDRESS_SQL, mailboxLookupOf, resolveMailbox, type MailboxLookup, type MailboxRow } from './directory.js';
import { expandList, type ListInfo } from './lists.js';

export type RecipientLookup = MailboxLookup | { kind: 'list'; list: ListInfo };

/**
 * The NOTIFY channel on which every change to what a recipient lookup reads is announced (domains,
 * mailboxes, aliases, lists and their members, agencies): a cache of lookups listens here and forgets.
 */
export const DIRECTORY_CHANGES = 'govmail_directory';

const DIRECTORY_TABLES = ['domains', 'mailboxes', 'aliases', 'lists', 'list_members', 'agencies'];

export const recipientMigrations: Migration[] = [
  {
    name: 'admin-0010-directory-changes',
    up: async (db) => {
      // One notification per statement, not per row: an import of 10,000 mailboxes in one transaction sends one
      // (PostgreSQL folds identical notifications of a transaction), and the payload is empty since a cache
      // forgets everything anyway.
      await db.query(`
        CREATE FUNCTION admin_directory_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM pg_notify('${DIRECTORY_CHANGES}', '');
          RETURN NULL;
        END $$;
        ${DIRECTORY_TABLES.map((t) => `CREATE TRIGGER ${t}_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ${t} FOR EACH STATEMENT EXECUTE FUNCTION admin_directory_changed();`).join('\n')}
      `);
    },
  },
];

/**
 * What the SMTP layer asks at RCPT time: a mailbox (aliases followed), a list with its current
 * members, or why mail cannot be taken.
 */
export async function resolveRecipient(db: Sequelize, address: string): Promise<RecipientLookup> {
  const list = await expandList(db, address);
  if (list) return { kind: 'list', list };
  return resolveMailbox(db, address);
}

/**
 * The whole RCPT decision in one round trip for the common case (a mailbox or alias): whether the
 * domain is one of ours and active, and what the address is. Only a list needs a second query, for
 * its members. `foreign` = not one of our active domains.
 */
// Asked for every recipient the MX or submission sees: planned once per connection (see preparedQuery).
const CHECK_RECIPIENT_SQL = `SELECT EXISTS (SELECT 1 FROM domains WHERE name = $2 AND active) AS local,
            EXISTS (SELECT 1 FROM lists WHERE address = $1) AS is_list,
            r.address, r.active, r.domain_active, r.quota_bytes, r.expires_at
       FROM (SELECT 1) AS one LEFT JOIN LATERAL (${MAILBOX_BY_ADDRESS_SQL}) AS r ON true`;

/** What checkRecipientAddress answers, and until when the answer holds without a change (an alias that expires). */
export type RecipientCheck = { lookup: RecipientLookup | { kind: 'foreign' }; validUntil?: Date };

export async function checkRecipientAddress(db: Sequelize, address: string): Promise<RecipientCheck> {
  const a = address.trim().toLowerCase();
  const domain = a.slice(a.lastIndexOf('@') + 1);
  const [row] = await preparedQuery<MailboxRow & { local: boolean; is_list: boolean; expires_at: Date | null }>(db, 'admin_check_recipient', CHECK_RECIPIENT_SQL, [a, domain]);
  if (!row.local) return { lookup: { kind: 'foreign' } };
  if (row.is_list) return { lookup: await resolveRecipient(db, a) };
  return { lookup: mailboxLookupOf(row), validUntil: row.expires_at ?? undefined };
}
