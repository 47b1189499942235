import type { ImapFlow } from 'imapflow';
import { GovmailError, InvalidInputError } from '../../core/errors.js';
import { logger } from '../../core/log.js';
import { folderNotFound, mailStoreUnavailable, messageNotFound } from './errors.js';
import type { FolderCache, MessageSummary } from './folder-cache.js';
import type { ImapPool } from './imap-pool.js';
import type { SortKey } from './imap-sort.js';
import { toSearchObject, type SearchParams } from './search.js';

/**
 * Mail operations of one session, always inside that session's own IMAP login: a folder name or a UID
 * from a URL is only ever looked up in the logged-in mailbox, so nobody can reach anyone else's mail
 * by guessing numbers. Protocol details stay in imapflow; these functions are what the routes call.
 */
export interface MailContext {
  pool: ImapPool;
  cache: FolderCache;
  session: { id: string; mailbox: string };
  /** Teaches the spam filter (rspamd's Bayes) what a person called spam or not; absent: moves only. */
  learn?: Learner;
}

export type Learner = (kind: 'spam' | 'ham', raw: Buffer) => Promise<unknown>;

// Messages larger than this are not worth teaching (rspamd reads only the start of big ones anyway).
const LEARN_MAX_BYTES = 10 * 1024 * 1024;

export type SpecialUse = '\\Sent' | '\\Drafts' | '\\Trash' | '\\Junk';
const FALLBACK_NAMES: Record<SpecialUse, string> = { '\\Sent': 'Sent', '\\Drafts': 'Drafts', '\\Trash': 'Trash', '\\Junk': 'Junk' };

export function checkFolderName(folder: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  if (typeof folder !== 'string' || !folder || folder.length > 500 || /[\u0000-\u001f\u007f]/.test(folder)) {
    throw new InvalidInputError('folder', 'a folder name', 'tên thư mục', String(folder).slice(0, 50));
  }
  return folder;
}

export function checkUids(uids: unknown): number[] {
  if (!Array.isArray(uids) || !uids.length || uids.length > 5000 || !uids.every((u) => Number.isInteger(u) && u > 0 && u < 2 ** 32)) {
    throw new InvalidInputError('uids', 'a list of 1–5000 message UIDs', 'danh sách 1–5000 mã thư (UID)');
  }
  return [...new Set(uids as number[])];
}

/** Runs `fn` with `folder` selected; a folder that does not exist is a 404, not an IMAP error. */
export async function inFolder<T>(client: ImapFlow, folder: string, fn: () => Promise<T>): Promise<T> {
  let lock;
  try {
    lock = await client.getMailboxLock(checkFolderName(folder));
  } catch (err: any) {
    if (err instanceof GovmailError) throw err;
    if (client.usable) throw folderNotFound(folder);
    throw err;
  }
  try {
    return await fn();
  } finally {
    lock.release();
  }
}

export interface FolderInfo {
  path: string;
  name: string;
  specialUse: string | null;
  delimiter: string;
  unseen: number;
  total: number;
}

/** The folder tree with counts: one LIST-STATUS round trip. */
export async function listFolders(ctx: MailContext): Promise<FolderInfo[]> {
  return ctx.pool.use(ctx.session, async (client) => {
    const list = await client.list({ statusQuery: { messages: true, unseen: true } });
    return list
      .filter((f) => !f.flags?.has('\\Noselect') && !f.flags?.has('\\NonExistent'))
      .map((f) => ({
        path: f.path,
        name: f.name,
        specialUse: f.specialUse ?? (f.path === 'INBOX' ? '\\Inbox' : null),
        delimiter: f.delimiter ?? '/',
        unseen: f.status?.unseen ?? 0,
        total: f.status?.messages ?? 0,
      }));
  });
}

export async function specialFolder(client: ImapFlow, use: SpecialUse): Promise<string> {
  const list = await client.list();
  return list.find((f) => f.specialUse === use)?.path ?? FALLBACK_NAMES[use];
}

export interface ListParams extends SearchParams {
  folder: string;
  page: number;
  pageSize: number;
  sort: SortKey;
  order: 'asc' | 'desc';
  /** One row per conversation (its latest message), ordered by latest arrival. */
  thread?: boolean;
}

export type ListedMessage = MessageSummary & { thread?: { size: number; uids: number[] } };

function pageOf<T>(items: ArrayLike<T>, p: ListParams): T[] {
  const out: T[] = [];
  const from = (p.page - 1) * p.pageSize;
  for (let i = from; i < Math.min(items.length, from + p.pageSize); i++) out.push(p.order === 'desc' ? items[items.length - 1 - i] : items[i]);
  return out;
}

export async function listMessages(ctx: MailContext, p: ListParams): Promise<{ total: number; page: number; pageSize: number; messages: ListedMessage[] }> {
  const query = toSearchObject(p);
  return ctx.pool.use(ctx.session, (client) =>
    inFolder(client, p.folder, async () => {
      const { mailbox } = ctx.session;
      if (p.thread) {
        const all = await ctx.cache.conversations(client, mailbox, p.folder, query);
        const shown = pageOf(all, p);
        const heads = await ctx.cache.summaries(client, mailbox, p.folder, shown.map((c) => c.uids[0]));
        const byHead = new Map(shown.map((c) => [c.uids[0], c]));
        const messages = heads.map((s) => ({ ...s, thread: { size: byHead.get(s.uid)!.uids.length, uids: byHead.get(s.uid)!.uids } }));
        return { total: all.length, page: p.page, pageSize: p.pageSize, messages };
      }
      const sorted = await ctx.cache.order(client, mailbox, p.folder, p.sort, query);
      const uids = pageOf(sorted, p);
      const messages = uids.length ? await ctx.cache.summaries(client, mailbox, p.folder, uids) : [];
      return { total: sorted.length, page: p.page, pageSize: p.pageSize, messages };
    }),
  );
}

/** The whole message as stored, and its flags; marks it read unless told not to. */
export async function fetchMessage(ctx: MailContext, folder: string, uid: number, o: { markSeen: boolean }): Promise<{ raw: Buffer; flags: string[]; uidValidity?: string }> {
  return ctx.pool.use(ctx.session, (client) =>
    inFolder(client, folder, async () => {
      const msg = await client.fetchOne(String(uid), { uid: true, flags: true, source: true }, { uid: true });
      if (!msg || !msg.source) throw messageNotFound(folder, uid);
      const flags = [...(msg.flags ?? [])];
      if (o.markSeen && !flags.includes('\\Seen')) {
        await client.messageFlagsAdd(String(uid), ['\\Seen'], { uid: true });
        flags.push('\\Seen');
      }
      const validity = client.mailbox ? client.mailbox.uidValidity : undefined;
      return { raw: msg.source, flags, ...(validity !== undefined ? { uidValidity: String(validity) } : {}) };
    }),
  );
}

const SETTABLE_SYSTEM_FLAGS = new Set(['\\Seen', '\\Flagged', '\\Answered', '\\Draft']);

function checkFlags(field: string, flags: unknown): string[] {
  if (flags === undefined) return [];
  const ok = Array.isArray(flags) && flags.length <= 20 && flags.every((f) => typeof f === 'string' && (SETTABLE_SYSTEM_FLAGS.has(f) || /^\$?[A-Za-z0-9_.-]{1,64}$/.test(f)));
  if (!ok) throw new InvalidInputError(field, 'flags such as \\Seen, \\Flagged, \\Answered or keywords ($Label1)', 'cờ như \\Seen, \\Flagged, \\Answered hoặc từ khóa ($Label1)');
  return flags as string[];
}

export async function setFlags(ctx: MailContext, folder: string, uidsIn: unknown, addIn: unknown, removeIn: unknown): Promise<void> {
  const uids = checkUids(uidsIn);
  const add = checkFlags('add', addIn);
  const remove = checkFlags('remove', removeIn);
  await ctx.pool.use(ctx.session, (client) =>
    inFolder(client, folder, async () => {
      if (add.length) await client.messageFlagsAdd(uids, add, { uid: true });
      if (remove.length) await client.messageFlagsRemove(uids, remove, { uid: true });
    }),
  );
}

async function moveIn(client: ImapFlow, folder: string, uids: number[], to: string): Promise<void> {
  await inFolder(client, folder, async () => {
    // imapflow answers a refused MOVE with false rather than an error: find out why.
    const moved = await client.messageMove(uids, to, { uid: true }).catch(() => false);
    if (moved) return;
    if (!client.usable) throw mailStoreUnavailable();
    if (!(await client.list()).some((f) => f.path === to)) throw folderNotFound(to);
    throw new GovmailError('MOVE_FAILED', `the mail store did not move the messages to ${to}`, `kho thư không chuyển được thư sang ${to}`, 409);
  });
}

export async function moveMessages(ctx: MailContext, folder: string, uidsIn: unknown, to: unknown): Promise<void> {
  const uids = checkUids(uidsIn);
  const target = checkFolderName(String(to ?? ''));
  if (target === folder) return;
  await ctx.pool.use(ctx.session, (client) => moveIn(client, folder, uids, target));
}

/** To Trash; already in Trash, gone for good (UID EXPUNGE of exactly these messages). */
export async function deleteMessages(ctx: MailContext, folder: string, uidsIn: unknown): Promise<void> {
  const uids = checkUids(uidsIn);
  await ctx.pool.use(ctx.session, async (client) => {
    const trash = await specialFolder(client, '\\Trash');
    if (folder === trash) await inFolder(client, folder, () => client.messageDelete(uids, { uid: true }));
    else await moveIn(client, folder, uids, trash);
  });
}

/** The sources of these messages, for the spam filter to learn from (the big ones left out). */
async function sourcesFor(client: ImapFlow, uids: number[]): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const m of client.fetch(uids, { size: true, source: { maxLength: LEARN_MAX_BYTES } }, { uid: true })) {
    if (m.source && (m.size ?? 0) <= LEARN_MAX_BYTES) out.push(m.source);
  }
  return out;
}

/** Learning is advice to the filter: a filter that is down must not undo what the person asked for. */
async function teach(ctx: MailContext, kind: 'spam' | 'ham', sources: Buffer[]): Promise<void> {
  for (const raw of sources) {
    await ctx.learn!(kind, raw).catch((err: Error) => logger().warn({ svc: 'webmail', err: err.message, kind }, 'spam filter did not learn'));
  }
}

/** To Junk, with the $Junk keyword that spam filters learn from; the spam filter learns them as spam. */
export async function markSpam(ctx: MailContext, folder: string, uidsIn: unknown): Promise<void> {
  await reclassify(ctx, folder, uidsIn, 'spam');
}

/** Out of Junk into INBOX, with $NotJunk; the spam filter learns them as wanted mail. */
export async function markNotSpam(ctx: MailContext, folder: string, uidsIn: unknown): Promise<void> {
  await reclassify(ctx, folder, uidsIn, 'ham');
}

async function reclassify(ctx: MailContext, folder: string, uidsIn: unknown, kind: 'spam' | 'ham'): Promise<void> {
  const uids = checkUids(uidsIn);
  const [add, remove] = kind === 'spam' ? ['$Junk', '$NotJunk'] : ['$NotJunk', '$Junk'];
  const sources = await ctx.pool.use(ctx.session, async (client) => {
    const target = kind === 'spam' ? await specialFolder(client, '\\Junk') : 'INBOX';
    const raw = await inFolder(client, folder, async () => {
      await client.messageFlagsAdd(uids, [add], { uid: true });
      await client.messageFlagsRemove(uids, [remove], { uid: true });
      return ctx.learn ? sourcesFor(client, uids) : [];
    });
    if (folder !== target) await moveIn(client, folder, uids, target);
    return raw;
  });
  if (ctx.learn) await teach(ctx, kind, sources);
}
