import type { ImapFlow, FetchMessageObject } from 'imapflow';
import type { Sequelize } from 'sequelize';
import { GovmailError } from '../../core/errors.js';
import { folderProgress, recordCopied, recordSkip, setTargetValidity } from './progress.js';
import type { FolderPlan } from './folders.js';

/**
 * Copies one source folder into its target folder: the exact source bytes are APPENDed with the
 * source flags (keywords included, \Recent dropped) and the source internal date, in source UID order.
 *
 * Exactly once, without a header of ours: progress (last source UID, highest target UID) is written
 * after each APPEND is acknowledged. A kill between that OK and the UPDATE leaves a copy the progress
 * does not know about. So before appending, every message the target folder holds ABOVE our recorded
 * target UID is indexed by (Message-ID, size, internal date); a source message whose exact bytes give
 * a key in that index is taken as already copied (the index entry is used up, so two identical
 * messages in the source still give two copies). Normally the index holds nothing (nothing is above
 * our mark) or only the one lost message; on a delta pass after the MX switch it also holds the new
 * mail delivered since, which never matches. When the source UIDVALIDITY changed (its UIDs now name
 * other messages), or the target folder was recreated, the whole target folder is indexed and the
 * source folder is copied again from the start: what is already there is recognised, the rest copied.
 */
export interface CopyOptions {
  since?: Date;
  /** Larger messages are recorded as skipped (too big), not fetched. */
  maxMessageBytes: number;
  dryRun?: boolean;
  /** Called after every message copied, found already present or skipped (for the progress display). */
  onMessage?: (bytes: number) => void;
  /** Checked between messages: a paused job stops cleanly, its progress kept. */
  shouldStop?: () => boolean;
}

export interface FolderResult {
  source: string;
  target: string;
  sourceMessages: number;
  /** Messages (and bytes) this run would copy or has copied. */
  toCopy: number;
  toCopyBytes: number;
  copied: number;
  alreadyPresent: number;
  bytes: number;
  skipped: Array<{ uid: number; reason: string }>;
  error?: string;
}

interface Meta {
  uid: number;
  size: number;
  flags: string[];
  internalDate: Date;
}

/** The target is out of room: every further message of this mailbox would fail the same way. */
export class TargetOverQuota extends GovmailError {
  constructor(address: string) {
    super('MIGRATE_TARGET_QUOTA', `the GovMail mailbox ${address} is full (quota reached); raise its quota and run again`, `hộp thư GovMail ${address} đã đầy (hết hạn mức); tăng hạn mức rồi chạy lại`);
  }
}

const BATCH_MESSAGES = 100;
const BATCH_BYTES = 16 * 1024 * 1024;

function keyOf(messageId: string | undefined, size: number, date: Date | string | undefined): string {
  return `${messageId ?? ''}\u0000${size}\u0000${date ? new Date(date).getTime() : ''}`;
}

function metaOf(m: FetchMessageObject): Meta {
  return {
    uid: m.uid,
    size: m.size ?? 0,
    flags: [...(m.flags ?? [])].filter((f) => f.toLowerCase() !== '\\recent'),
    internalDate: new Date(m.internalDate ?? Date.now()),
  };
}

/** The source messages above our mark, in UID order (a `N:*` range also returns the last message when N is past it). */
async function pendingMessages(source: ImapFlow, lastUid: number, since?: Date): Promise<{ total: number; pending: Meta[] }> {
  const total = (source.mailbox && source.mailbox.exists) || 0;
  if (!total) return { total, pending: [] };
  const all = await source.fetchAll(`${lastUid + 1}:*`, { uid: true, flags: true, internalDate: true, size: true }, { uid: true });
  const pending = all
    .map(metaOf)
    .filter((m) => m.uid > lastUid && (!since || m.internalDate >= since))
    .sort((a, b) => a.uid - b.uid);
  return { total, pending };
}

async function openTargetFolder(target: ImapFlow, folder: string): Promise<bigint> {
  if (folder.toUpperCase() !== 'INBOX') {
    try {
      await target.mailboxCreate(folder);
      await target.mailboxSubscribe(folder);
    } catch (err: any) {
      if (!/ALREADYEXISTS|already exists/i.test(`${err?.serverResponseCode ?? ''} ${err?.responseText ?? err?.message ?? ''}`)) throw err;
    }
  }
  const box = await target.mailboxOpen(folder);
  return BigInt(box.uidValidity);
}

/** Target messages from `fromUid` up, by (Message-ID, size, internal date) → how many. */
async function targetIndex(target: ImapFlow, fromUid: number): Promise<Map<string, number>> {
  const index = new Map<string, number>();
  if (!(target.mailbox && target.mailbox.exists)) return index;
  for (const m of await target.fetchAll(`${fromUid}:*`, { uid: true, size: true, internalDate: true, envelope: true }, { uid: true })) {
    if (m.uid < fromUid) continue;
    const k = keyOf(m.envelope?.messageId, m.size ?? 0, m.internalDate);
    index.set(k, (index.get(k) ?? 0) + 1);
  }
  return index;
}

/** Splits the pending messages into fetch batches bounded by count and bytes. */
function batches(pending: Meta[]): Meta[][] {
  const out: Meta[][] = [];
  let cur: Meta[] = [];
  let bytes = 0;
  for (const m of pending) {
    if (cur.length && (cur.length >= BATCH_MESSAGES || bytes + m.size > BATCH_BYTES)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(m);
    bytes += m.size;
  }
  if (cur.length) out.push(cur);
  return out;
}

async function fetchBodies(source: ImapFlow, batch: Meta[]): Promise<Map<number, { source: Buffer; messageId?: string }>> {
  const got = new Map<number, { source: Buffer; messageId?: string }>();
  if (!batch.length) return got;
  for (const m of await source.fetchAll(batch.map((b) => b.uid).join(','), { uid: true, source: true, envelope: true }, { uid: true })) {
    if (m.source) got.set(m.uid, { source: m.source, messageId: m.envelope?.messageId });
  }
  return got;
}

export interface FolderContext {
  db: Sequelize;
  mailboxId: number;
  targetAddress: string;
  source: ImapFlow;
  target: ImapFlow;
}

export async function copyFolder(ctx: FolderContext, plan: FolderPlan, opts: CopyOptions): Promise<FolderResult> {
  const { db, source, target } = ctx;
  const result: FolderResult = { source: plan.display, target: plan.target, sourceMessages: 0, toCopy: 0, toCopyBytes: 0, copied: 0, alreadyPresent: 0, bytes: 0, skipped: [] };
  const box = await source.mailboxOpen(plan.source, { readOnly: true });
  const uidValidity = BigInt(box.uidValidity);
  const progress = opts.dryRun ? undefined : await folderProgress(db, ctx.mailboxId, plan.display, plan.target, uidValidity);
  const { total, pending } = await pendingMessages(source, progress?.lastUid ?? 0, opts.since);
  result.sourceMessages = total;
  result.toCopy = pending.length;
  result.toCopyBytes = pending.reduce((s, m) => s + m.size, 0);
  if (opts.dryRun || !progress || !pending.length) return result;

  const targetValidity = await openTargetFolder(target, plan.target);
  let fromUid = progress.targetLastUid + 1;
  if (progress.targetUidValidity !== targetValidity) {
    await setTargetValidity(db, progress.id, targetValidity);
    fromUid = 1;
  }
  const index = await targetIndex(target, fromUid);

  const work = batches(pending.filter((m) => m.size <= opts.maxMessageBytes));
  const tooBig = new Set(pending.filter((m) => m.size > opts.maxMessageBytes).map((m) => m.uid));
  let next = fetchBodies(source, work[0] ?? []);
  for (let b = 0; b < work.length; b++) {
    const bodies = await next;
    // The next batch downloads while this one is appended: the two servers work at the same time.
    next = fetchBodies(source, work[b + 1] ?? []);
    for (const meta of work[b]) {
      if (opts.shouldStop?.()) {
        await next.catch(() => undefined);
        return result;
      }
      // Skips of too-big messages are recorded in UID order, so the progress mark never jumps over a pending one.
      for (const uid of tooBig.size ? [...tooBig].filter((u) => u < meta.uid) : []) {
        await skip(ctx, progress.id, uidValidity, uid, pending.find((p) => p.uid === uid)!.size, `larger than ${opts.maxMessageBytes} bytes / lớn hơn ${opts.maxMessageBytes} byte`, result);
        tooBig.delete(uid);
      }
      await copyOne(ctx, progress.id, uidValidity, meta, bodies.get(meta.uid), index, result);
      opts.onMessage?.(meta.size);
    }
  }
  for (const uid of tooBig) await skip(ctx, progress.id, uidValidity, uid, pending.find((p) => p.uid === uid)!.size, `larger than ${opts.maxMessageBytes} bytes / lớn hơn ${opts.maxMessageBytes} byte`, result);
  return result;
}

async function skip(ctx: FolderContext, folderId: number, uidValidity: bigint, uid: number, size: number, reason: string, result: FolderResult): Promise<void> {
  await recordSkip(ctx.db, folderId, uidValidity, uid, size, reason);
  result.skipped.push({ uid, reason });
}

async function copyOne(
  ctx: FolderContext,
  folderId: number,
  uidValidity: bigint,
  meta: Meta,
  body: { source: Buffer; messageId?: string } | undefined,
  index: Map<string, number>,
  result: FolderResult,
): Promise<void> {
  if (!body) return skip(ctx, folderId, uidValidity, meta.uid, meta.size, 'the source server did not return the message / máy chủ nguồn không trả về thư', result);
  const key = keyOf(body.messageId, body.source.length, meta.internalDate);
  const present = index.get(key) ?? 0;
  if (present > 0) {
    index.set(key, present - 1);
    await recordCopied(ctx.db, folderId, meta.uid, {}, body.source.length);
    result.alreadyPresent++;
    return;
  }
  let appended: { uid?: number; uidValidity?: bigint } | undefined;
  try {
    appended = (await ctx.target.append(result.target, body.source, meta.flags, meta.internalDate)) as { uid?: number; uidValidity?: bigint } | undefined;
  } catch (err: any) {
    const text = `${err?.serverResponseCode ?? ''} ${err?.responseText ?? err?.message ?? ''}`.trim();
    if (/OVERQUOTA|quota/i.test(text)) throw new TargetOverQuota(ctx.targetAddress);
    if (!ctx.target.usable) throw err;
    return skip(ctx, folderId, uidValidity, meta.uid, meta.size, `refused by GovMail / GovMail từ chối: ${text}`, result);
  }
  if (!appended) throw new Error('APPEND was not sent: the target connection is not logged in');
  await recordCopied(ctx.db, folderId, meta.uid, { uid: appended.uid, uidValidity: appended.uidValidity }, body.source.length);
  result.copied++;
  result.bytes += body.source.length;
}
