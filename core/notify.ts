import pg from 'pg';
import type { Sequelize } from 'sequelize';
import { logger } from './log.js';
import { databaseUrlOf } from './db.js';

/**
 * PostgreSQL's LISTEN/NOTIFY on one dedicated connection, for caches of rows that rarely change (the
 * recipient directory the MX asks for every RCPT). A module that owns the rows sends NOTIFY from a
 * trigger; a cache listens and forgets what changed.
 *
 * A notification sent while the connection is down is lost, so the feed is `live` only while LISTEN is
 * in place, every subscriber hears `undefined` ("anything may have changed") when the connection drops
 * and again when it is back, and a cache must not keep answers while the feed is not live. The
 * generation counter closes the other gap: a lookup that was running when a change arrived may carry
 * the old answer, so it is kept only if the generation did not move meanwhile.
 */
export interface ChangeFeed {
  readonly live: boolean;
  /** Moves on every notification and every connection change. */
  readonly generation: number;
  /** `payload` undefined: the connection dropped or came back, so everything may have changed. */
  subscribe(channel: string, onChange: (payload: string | undefined) => void): void;
  close(): Promise<void>;
}

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 30_000;

export function createChangeFeed(db: Sequelize, channels: readonly string[]): ChangeFeed {
  const log = logger().child({ svc: 'notify' });
  const url = databaseUrlOf(db);
  const subscribers = new Map<string, Array<(payload: string | undefined) => void>>(channels.map((c) => [c, []]));
  let client: pg.Client | undefined;
  let live = false;
  let generation = 0;
  let closed = false;
  let retryMs = RETRY_MIN_MS;
  let retryTimer: NodeJS.Timeout | undefined;

  const everythingChanged = () => {
    generation++;
    for (const fns of subscribers.values()) for (const fn of fns) fn(undefined);
  };

  const lost = (c: pg.Client, why: string) => {
    if (client !== c) return;
    client = undefined;
    const wasLive = live;
    live = false;
    everythingChanged();
    c.end().catch(() => undefined);
    if (closed) return;
    if (wasLive) log.warn({ err: why }, 'change notifications lost; caches off until reconnected');
    retryTimer = setTimeout(() => void open(), retryMs);
    retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
  };

  const open = async () => {
    retryTimer = undefined;
    if (closed || !url) return;
    const c = new pg.Client({ connectionString: url, application_name: 'govmail-notify' });
    client = c;
    c.on('error', (err) => lost(c, err.message));
    c.on('end', () => lost(c, 'connection ended'));
    c.on('notification', (n) => {
      generation++;
      for (const fn of subscribers.get(n.channel) ?? []) fn(n.payload || undefined);
    });
    try {
      await c.connect();
      // Identifiers, not values: channel names come from our own modules' constants.
      for (const ch of subscribers.keys()) await c.query(`LISTEN ${pg.escapeIdentifier(ch)}`);
      if (client !== c) return;
      live = true;
      retryMs = RETRY_MIN_MS;
      everythingChanged();
    } catch (err) {
      lost(c, (err as Error).message);
    }
  };

  void open();

  return {
    get live() {
      return live;
    },
    get generation() {
      return generation;
    },
    subscribe(channel, onChange) {
      const fns = subscribers.get(channel);
      if (!fns) throw new Error(`change feed does not listen on ${channel}; it listens on ${[...subscribers.keys()].join(', ')}`);
      fns.push(onChange);
    },
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      const c = client;
      client = undefined;
      live = false;
      await c?.end().catch(() => undefined);
    },
  };
}
