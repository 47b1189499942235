import type { ImapFlow, MessageStructureObject, SearchObject } from 'imapflow';
import { Lru } from './lru.js';
import { sortedUids, threads as imapThreads, type SortKey } from './imap-sort.js';

/**
 * What keeps paging fast in a 100,000-message folder: per mailbox and folder, the sorted UID lists
 * already asked for (one per sort key and search) and the summaries of messages already shown.
 * Dovecot's SORT of 100,000 messages takes about half a second, a page must take a fraction of that,
 * so a list is sorted once and then kept current with CONDSTORE/QRESYNC: while HIGHESTMODSEQ has not
 * moved nothing is asked; when it has, one UID FETCH … (CHANGEDSINCE m VANISHED) names exactly the
 * messages that changed (flags), arrived (new UIDs) or went (VANISHED). Flag changes and expunges are
 * applied in place; new mail is placed without a new SORT when it sorts after everything (newest by
 * date, the usual case); anything else re-sorts that one list.
 *
 * It is a cache of Dovecot's state in this process only: a restarted node, or another node, simply
 * starts empty, and UIDVALIDITY guards against a folder that was re-created under the same name.
 */
export interface Address {
  name: string;
  address: string;
}

export interface MessageSummary {
  uid: number;
  subject: string;
  from: Address | null;
  to: Address[];
  /** Arrival (internal) date, ISO 8601 — the date the list is sorted by. */
  date: string;
  size: number;
  flags: string[];
  seen: boolean;
  flagged: boolean;
  answered: boolean;
  hasAttachments: boolean;
}

interface SortedList {
  uids: Uint32Array;
  sort: SortKey;
  query?: SearchObject;
}

/** A conversation: its UIDs newest first (by arrival); the first is the one a threaded list shows. */
export interface Conversation {
  uids: number[];
}

interface FolderView {
  uidValidity: bigint;
  modseq: bigint;
  uidNext: number;
  lists: Map<string, SortedList>;
  /** Conversations (THREAD=REFERENCES) per search, oldest latest-message first; dropped when mail comes or goes. */
  conversations: Map<string, Conversation[]>;
  summaries: Map<number, MessageSummary>;
}

const MAX_LISTS_PER_FOLDER = 8;
const MAX_SUMMARIES_PER_FOLDER = 2_000;

function weightOf(v: FolderView): number {
  let bytes = 256 + v.summaries.size * 400;
  for (const l of v.lists.values()) bytes += l.uids.byteLength + 128;
  for (const c of v.conversations.values()) bytes += c.length * 64;
  return bytes;
}

function toAddress(a: { name?: string; address?: string } | undefined): Address | null {
  if (!a?.address && !a?.name) return null;
  return { name: (a.name ?? '').replace(/[\p{Cc}]+/gu, ' ').trim(), address: (a.address ?? '').trim() };
}

const SIGNATURE_TYPES = /^application\/(pkcs7-signature|x-pkcs7-signature|pgp-signature)$/;

/** What a list shows as a paper clip: a part meant to be saved, not the body or a signature. */
export function hasAttachment(node: MessageStructureObject | undefined): boolean {
  if (!node) return false;
  const type = (node.type ?? '').toLowerCase();
  if (node.childNodes?.length && type.startsWith('multipart/')) return node.childNodes.some(hasAttachment);
  if (SIGNATURE_TYPES.test(type)) return false;
  if (type === 'message/rfc822' || node.disposition === 'attachment') return true;
  if (node.disposition === 'inline') return false;
  const named = !!(node.dispositionParameters?.filename || node.parameters?.name);
  return named && !type.startsWith('text/');
}

function summaryOf(m: any): MessageSummary {
  const flags = [...(m.flags ?? [])] as string[];
  return {
    uid: m.uid,
    subject: m.envelope?.subject ?? '',
    from: toAddress(m.envelope?.from?.[0]),
    to: (m.envelope?.to ?? []).map(toAddress).filter(Boolean) as Address[],
    date: new Date(m.internalDate ?? m.envelope?.date ?? 0).toISOString(),
    size: m.size ?? 0,
    flags,
    seen: flags.includes('\\Seen'),
    flagged: flags.includes('\\Flagged'),
    answered: flags.includes('\\Answered'),
    hasAttachments: hasAttachment(m.bodyStructure),
  };
}

function withFlags(s: MessageSummary, flags: string[]): MessageSummary {
  return { ...s, flags, seen: flags.includes('\\Seen'), flagged: flags.includes('\\Flagged'), answered: flags.includes('\\Answered') };
}

/** Ascending UIDs as an IMAP set with ranges ("5:9,12"), so a burst of new mail stays a short command. */
export function uidSet(sorted: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(j > i ? `${sorted[i]}:${sorted[j]}` : String(sorted[i]));
    i = j;
  }
  return parts.join(',');
}

const SUMMARY_QUERY = { uid: true, flags: true, envelope: true, bodyStructure: true, size: true, internalDate: true } as const;

export class FolderCache {
  private readonly views: Lru<string, FolderView>;

  constructor(maxBytes = 128 * 1024 * 1024) {
    this.views = new Lru(maxBytes, weightOf);
  }

  private key(mailbox: string, folder: string): string {
    return `${mailbox}\u0000${folder}`;
  }

  /**
   * Brings the folder's cached lists up to date. The caller holds the folder's mailbox lock (it is
   * selected on `client`).
   */
  async refresh(client: ImapFlow, mailbox: string, folder: string): Promise<FolderView> {
    const key = this.key(mailbox, folder);
    // Dovecot answers STATUS on the selected folder from this connection's own view; NOOP syncs it first.
    await client.noop();
    const status = await client.status(folder, { uidValidity: true, highestModseq: true, uidNext: true, messages: true });
    const uidValidity = BigInt(status.uidValidity ?? 0);
    const modseq = BigInt(status.highestModseq ?? 0);
    const uidNext = Number(status.uidNext ?? 0);
    let view = this.views.get(key);
    if (!view || view.uidValidity !== uidValidity || !modseq) {
      view = { uidValidity, modseq, uidNext, lists: new Map(), conversations: new Map(), summaries: new Map() };
      this.views.set(key, view);
      return view;
    }
    if (view.modseq === modseq && view.uidNext === uidNext) return view;

    const changed = new Map<number, string[]>();
    const vanished = new Set<number>();
    if ((status.messages ?? 0) > 0) {
      const onExpunge = (e: { uid?: number; vanished?: boolean; path?: string }) => {
        if (e.vanished && e.uid && (!e.path || e.path === folder)) vanished.add(e.uid);
      };
      client.on('expunge', onExpunge);
      try {
        for await (const m of client.fetch('1:*', { uid: true, flags: true }, { uid: true, changedSince: view.modseq })) changed.set(m.uid, [...(m.flags ?? [])]);
      } finally {
        client.off('expunge', onExpunge);
      }
    } else {
      for (const l of view.lists.values()) for (const uid of l.uids) vanished.add(uid);
    }

    const arrived = [...changed.keys()].filter((uid) => uid >= view!.uidNext).sort((a, b) => a - b);
    for (const [uid, flags] of changed) {
      const s = view.summaries.get(uid);
      if (s) view.summaries.set(uid, withFlags(s, flags));
    }
    for (const uid of vanished) view.summaries.delete(uid);
    for (const [listKey, list] of view.lists) {
      if (vanished.size && list.uids.some((u) => vanished.has(u))) list.uids = list.uids.filter((u) => !vanished.has(u));
      if (arrived.length && !(await this.placeArrivals(client, list, arrived))) view.lists.delete(listKey);
    }
    // Threads regroup when mail arrives or goes (a reply joins its thread); flags alone change nothing.
    if (arrived.length || vanished.size) view.conversations.clear();
    view.modseq = modseq;
    view.uidNext = uidNext;
    this.views.set(key, view);
    return view;
  }

  /**
   * New mail in a date-sorted list: if it arrived after everything listed (the usual case) it goes on
   * the end in arrival order without a new SORT. Returns false when the list must be sorted again.
   */
  private async placeArrivals(client: ImapFlow, list: SortedList, arrived: number[]): Promise<boolean> {
    if (list.sort !== 'date') return false;
    const newOnes = await sortedUids(client, 'date', { ...(list.query ?? {}), uid: uidSet(arrived) });
    if (!newOnes.length) return true;
    if (list.uids.length) {
      const last = list.uids[list.uids.length - 1];
      const dates = new Map<number, number>();
      for await (const m of client.fetch(`${last},${newOnes[0]}`, { uid: true, internalDate: true }, { uid: true })) dates.set(m.uid, new Date(m.internalDate ?? 0).getTime());
      if ((dates.get(newOnes[0]) ?? 0) < (dates.get(last) ?? Infinity)) return false;
    }
    const merged = new Uint32Array(list.uids.length + newOnes.length);
    merged.set(list.uids);
    merged.set(newOnes, list.uids.length);
    list.uids = merged;
    return true;
  }

  /** The UIDs matching `query`, in ascending `sort` order, from the cache or from one SORT. */
  async order(client: ImapFlow, mailbox: string, folder: string, sort: SortKey, query: SearchObject | undefined): Promise<Uint32Array> {
    const view = await this.refresh(client, mailbox, folder);
    const listKey = `${sort}\u0000${JSON.stringify(query ?? {})}`;
    let list = view.lists.get(listKey);
    if (!list) {
      list = { uids: await sortedUids(client, sort, query), sort, query };
      view.lists.set(listKey, list);
      if (view.lists.size > MAX_LISTS_PER_FOLDER) view.lists.delete(view.lists.keys().next().value!);
      this.views.set(this.key(mailbox, folder), view);
    } else {
      // Most recently used last, so the oldest list is the one dropped.
      view.lists.delete(listKey);
      view.lists.set(listKey, list);
    }
    return list.uids;
  }

  /**
   * The folder as conversations, ordered by each one's latest arrival (ascending, like order()); each
   * conversation's UIDs newest first.
   */
  async conversations(client: ImapFlow, mailbox: string, folder: string, query: SearchObject | undefined): Promise<Conversation[]> {
    const byDate = await this.order(client, mailbox, folder, 'date', query);
    const view = this.views.get(this.key(mailbox, folder))!;
    const listKey = JSON.stringify(query ?? {});
    let found = view.conversations.get(listKey);
    if (!found) {
      const position = new Map<number, number>();
      byDate.forEach((uid, i) => position.set(uid, i));
      const at = (uid: number) => position.get(uid) ?? -1;
      found = (await imapThreads(client, query))
        .map((uids) => ({ uids: uids.filter((u) => position.has(u)).sort((x, y) => at(y) - at(x)) }))
        .filter((c) => c.uids.length)
        .sort((x, y) => at(x.uids[0]) - at(y.uids[0]));
      view.conversations.set(listKey, found);
      this.views.set(this.key(mailbox, folder), view);
    }
    return found;
  }

  /** Summaries for `uids` (in that order), fetching only those not cached. Call after order()/refresh(). */
  async summaries(client: ImapFlow, mailbox: string, folder: string, uids: number[]): Promise<MessageSummary[]> {
    const key = this.key(mailbox, folder);
    const view = this.views.get(key) ?? (await this.refresh(client, mailbox, folder));
    const missing = uids.filter((u) => !view.summaries.has(u));
    if (missing.length) {
      for await (const m of client.fetch(missing.join(','), SUMMARY_QUERY, { uid: true })) view.summaries.set(m.uid, summaryOf(m));
      while (view.summaries.size > MAX_SUMMARIES_PER_FOLDER) view.summaries.delete(view.summaries.keys().next().value!);
      this.views.set(key, view);
    }
    return uids.map((u) => view.summaries.get(u)).filter((s): s is MessageSummary => !!s);
  }
}
