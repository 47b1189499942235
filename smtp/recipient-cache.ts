import type { Sequelize } from 'sequelize';
import { checkRecipientAddress, DIRECTORY_CHANGES, type RecipientCheck } from '../admin/index.js';
import { mailboxOverQuota, QUOTA_CROSSINGS } from '../mailstore/index.js';
import type { ChangeFeed } from '../core/notify.js';

/** The two questions the RCPT check asks the database, for every recipient of every message. */
export interface RecipientLookups {
  address(address: string): Promise<RecipientCheck>;
  quotaFull(mailbox: string): Promise<boolean>;
}

export function directLookups(db: Sequelize): RecipientLookups {
  return { address: (a) => checkRecipientAddress(db, a), quotaFull: (m) => mailboxOverQuota(db, m) };
}

export interface CacheOptions {
  /** Entries kept at most; past it the cache starts over (a dictionary attack must not grow it without end). */
  maxEntries?: number;
  /** Longest an answer is kept even without a notification: a bound on staleness should a trigger ever be missing. */
  maxAgeMs?: number;
}

interface Entry<T> {
  value: T;
  until: number;
}

/**
 * The answers of the RCPT lookups, kept until what they read changes. Without it each recipient costs
 * the MX two queries — about a fifth of all the CPU a delivery takes on a small machine, PostgreSQL's
 * share included. The rows change rarely and their owners announce every change (admin: any change of
 * the directory → everything is forgotten; mailstore: a mailbox crossing its quota → that mailbox's
 * answer is forgotten), so a cached answer is as fresh as a query, within the time PostgreSQL takes to
 * deliver a notification. While the feed is not live nothing is cached and every lookup is a query.
 */
export function cachedLookups(direct: RecipientLookups, feed: ChangeFeed, o: CacheOptions = {}): RecipientLookups {
  const maxEntries = o.maxEntries ?? 50_000;
  const maxAgeMs = o.maxAgeMs ?? 10 * 60_000;
  const addresses = new Map<string, Entry<RecipientCheck>>();
  const quota = new Map<string, Entry<boolean>>();

  feed.subscribe(DIRECTORY_CHANGES, () => {
    addresses.clear();
    quota.clear();
  });
  feed.subscribe(QUOTA_CROSSINGS, (mailbox) => {
    if (mailbox === undefined) quota.clear();
    else quota.delete(mailbox);
  });
  // A connection drop or return reaches every subscriber with `undefined`, so both maps are cleared then.

  const cached = <T>(map: Map<string, Entry<T>>, ask: (key: string) => Promise<T>, validUntil: (v: T) => number | undefined) => async (raw: string): Promise<T> => {
    const key = raw.trim().toLowerCase();
    const now = Date.now();
    const hit = map.get(key);
    if (hit && hit.until > now && feed.live) return hit.value;
    const generation = feed.generation;
    const value = await ask(key);
    // Kept only if nothing changed while the query ran: otherwise it may be the answer from before the change.
    if (feed.live && feed.generation === generation) {
      if (map.size >= maxEntries) map.clear();
      map.set(key, { value, until: Math.min(now + maxAgeMs, validUntil(value) ?? Infinity) });
    }
    return value;
  };

  return {
    address: cached(addresses, direct.address, (c) => c.validUntil?.getTime()),
    quotaFull: cached(quota, direct.quotaFull, () => undefined),
  };
}
