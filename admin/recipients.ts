import type { Sequelize } from 'sequelize';
import { preparedQuery } from '../core/db.js';
import { MAILBOX_BY_ADDRESS_SQL, mailboxLookupOf, resolveMailbox, type MailboxLookup, type MailboxRow } from './directory.js';
import { expandList, type ListInfo } from './lists.js';

export type RecipientLookup = MailboxLookup | { kind: 'list'; list: ListInfo };

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
            r.address, r.active, r.domain_active, r.quota_bytes
       FROM (SELECT 1) AS one LEFT JOIN LATERAL (${MAILBOX_BY_ADDRESS_SQL}) AS r ON true`;

export async function checkRecipientAddress(db: Sequelize, address: string): Promise<RecipientLookup | { kind: 'foreign' }> {
  const a = address.trim().toLowerCase();
  const domain = a.slice(a.lastIndexOf('@') + 1);
  const [row] = await preparedQuery<MailboxRow & { local: boolean; is_list: boolean }>(db, 'admin_check_recipient', CHECK_RECIPIENT_SQL, [a, domain]);
  if (!row.local) return { kind: 'foreign' };
  if (row.is_list) return resolveRecipient(db, a);
  return mailboxLookupOf(row);
}
