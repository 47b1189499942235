import assert from 'node:assert/strict';
import { cachedLookups, type RecipientLookups } from '../../smtp/recipient-cache.js';
import type { ChangeFeed } from '../../core/notify.js';
import type { RecipientCheck } from '../../admin/index.js';

/** A feed driven by the test: `emit` is what a NOTIFY (or a connection change, payload undefined) does. */
function testFeed() {
  const subs = new Map<string, Array<(p: string | undefined) => void>>();
  const feed = {
    live: true,
    generation: 0,
    subscribe(channel: string, fn: (p: string | undefined) => void) {
      subs.set(channel, [...(subs.get(channel) ?? []), fn]);
    },
    async close() {},
    emit(channel: string, payload?: string) {
      feed.generation++;
      for (const fn of subs.get(channel) ?? []) fn(payload);
    },
  };
  return feed satisfies ChangeFeed & Record<string, unknown>;
}

/** Lookups that count their queries and answer from a table the test changes. */
function countingLookups(table: Map<string, RecipientCheck>, full: Set<string>) {
  const calls = { address: 0, quota: 0 };
  let gate: Promise<void> | undefined;
  const lookups: RecipientLookups = {
    async address(a) {
      calls.address++;
      const answer = table.get(a) ?? { lookup: { kind: 'unknown' } };
      await gate;
      return answer;
    },
    async quotaFull(m) {
      calls.quota++;
      return full.has(m);
    },
  };
  return { lookups, calls, hold: (p: Promise<void> | undefined) => (gate = p) };
}

const mailbox = (address: string): RecipientCheck => ({ lookup: { kind: 'mailbox', address, quotaBytes: 1000 } });

describe('recipient lookup cache (smtp/recipient-cache.ts)', () => {
  it('answers a repeated address and quota question without asking again', async () => {
    const feed = testFeed();
    const { lookups, calls } = countingLookups(new Map([['a@x.gov.vn', mailbox('a@x.gov.vn')]]), new Set());
    const cache = cachedLookups(lookups, feed);
    for (let i = 0; i < 5; i++) {
      assert.deepEqual((await cache.address(' A@X.gov.vn ')).lookup, { kind: 'mailbox', address: 'a@x.gov.vn', quotaBytes: 1000 });
      assert.equal(await cache.quotaFull('a@x.gov.vn'), false);
    }
    assert.deepEqual(calls, { address: 1, quota: 1 });
  });

  it('forgets every answer on a directory change, and one mailbox on its quota crossing', async () => {
    const feed = testFeed();
    const table = new Map([['a@x.gov.vn', mailbox('a@x.gov.vn')]]);
    const full = new Set<string>();
    const { lookups, calls } = countingLookups(table, full);
    const cache = cachedLookups(lookups, feed);
    await cache.address('a@x.gov.vn');
    await cache.quotaFull('a@x.gov.vn');
    await cache.quotaFull('b@x.gov.vn');

    table.set('a@x.gov.vn', { lookup: { kind: 'suspended', address: 'a@x.gov.vn' } });
    feed.emit('govmail_directory');
    assert.equal((await cache.address('a@x.gov.vn')).lookup.kind, 'suspended');
    assert.equal(calls.address, 2);

    await cache.quotaFull('a@x.gov.vn');
    await cache.quotaFull('b@x.gov.vn');
    assert.equal(calls.quota, 4, 'the directory change cleared the quota answers too (a quota may have changed)');
    full.add('b@x.gov.vn');
    feed.emit('govmail_quota', 'b@x.gov.vn');
    assert.equal(await cache.quotaFull('b@x.gov.vn'), true);
    assert.equal(await cache.quotaFull('a@x.gov.vn'), false);
    assert.equal(calls.quota, 5, 'only the mailbox that crossed was asked again');
  });

  it('caches nothing while the feed is not live, and forgets everything when it drops', async () => {
    const feed = testFeed();
    const { lookups, calls } = countingLookups(new Map(), new Set());
    const cache = cachedLookups(lookups, feed);
    await cache.address('z@x.gov.vn');
    feed.live = false;
    feed.emit('govmail_directory', undefined);
    await cache.address('z@x.gov.vn');
    await cache.address('z@x.gov.vn');
    assert.equal(calls.address, 3);
    feed.live = true;
    await cache.address('z@x.gov.vn');
    await cache.address('z@x.gov.vn');
    assert.equal(calls.address, 4);
  });

  it('does not keep an answer that was being fetched while a change arrived', async () => {
    const feed = testFeed();
    const table = new Map([['a@x.gov.vn', mailbox('a@x.gov.vn')]]);
    const { lookups, calls, hold } = countingLookups(table, new Set());
    const cache = cachedLookups(lookups, feed);
    let release!: () => void;
    hold(new Promise<void>((r) => (release = r)));
    const pending = cache.address('a@x.gov.vn');
    // The suspension commits while the old answer is on its way back.
    table.set('a@x.gov.vn', { lookup: { kind: 'suspended', address: 'a@x.gov.vn' } });
    feed.emit('govmail_directory');
    release();
    hold(undefined);
    assert.equal((await pending).lookup.kind, 'mailbox');
    assert.equal((await cache.address('a@x.gov.vn')).lookup.kind, 'suspended');
    assert.equal(calls.address, 2);
  });

  it('keeps an alias only until it expires, and starts over past maxEntries', async () => {
    const feed = testFeed();
    const expiring: RecipientCheck = { ...mailbox('a@x.gov.vn'), validUntil: new Date(Date.now() + 40) };
    const table = new Map([['old@x.gov.vn', expiring]]);
    const { lookups, calls } = countingLookups(table, new Set());
    const cache = cachedLookups(lookups, feed, { maxEntries: 3 });
    await cache.address('old@x.gov.vn');
    await cache.address('old@x.gov.vn');
    assert.equal(calls.address, 1);
    await new Promise((r) => setTimeout(r, 60));
    await cache.address('old@x.gov.vn');
    assert.equal(calls.address, 2, 'asked again once the alias had expired');

    for (const a of ['1@x.gov.vn', '2@x.gov.vn', '3@x.gov.vn']) await cache.address(a);
    const before = calls.address;
    await cache.address('1@x.gov.vn');
    assert.equal(calls.address, before + 1, 'the fourth entry started the cache over');
  });
});
