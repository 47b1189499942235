import type { ImapFlow } from 'imapflow';

/** The special folders our Dovecot config names (mailstore/config.ts). */
export const SPECIAL_FOLDERS: ReadonlyArray<{ name: string; use: '\\Drafts' | '\\Sent' | '\\Trash' | '\\Junk' }> = [
  { name: 'Drafts', use: '\\Drafts' },
  { name: 'Sent', use: '\\Sent' },
  { name: 'Trash', use: '\\Trash' },
  { name: 'Junk', use: '\\Junk' },
];

/**
 * Creates and subscribes whichever special folders the logged-in mailbox lacks, for writers that must
 * know they exist before they start (migration) rather than wait for Dovecot's auto-creation on first
 * use. Two sessions creating the same folder at once: one gets ALREADYEXISTS, which is the outcome wanted.
 */
export async function ensureSpecialFolders(client: ImapFlow): Promise<void> {
  const present = new Set((await client.list()).map((f) => f.specialUse).filter(Boolean));
  for (const { name, use } of SPECIAL_FOLDERS) {
    if (present.has(use)) continue;
    try {
      await client.mailboxCreate(name);
    } catch (err: any) {
      if (!/ALREADYEXISTS|already exists/i.test(`${err?.serverResponseCode ?? ''} ${err?.responseText ?? err?.message ?? ''}`)) throw err;
    }
    await client.mailboxSubscribe(name);
  }
}
