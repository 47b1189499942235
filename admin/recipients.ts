import type { Sequelize } from 'sequelize';
import { resolveMailbox, type MailboxLookup } from './directory.js';
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
