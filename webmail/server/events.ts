import type { ServerResponse } from 'node:http';
import type { ImapFlow } from 'imapflow';
import { logger } from '../../core/log.js';
import { connectImap, type ImapTarget } from './imap-pool.js';

/**
 * Push of new mail (`GET /events`, Server-Sent Events). Each open stream has its own IMAP connection
 * IDLE-ing on INBOX — the request connection of the session must stay free for the reader's clicks —
 * and writes `event: mail` when Dovecot reports a new message. Every 25 s a comment line keeps proxies
 * from closing the stream and the session is checked again: a signed-out session's stream ends.
 */
export const HEARTBEAT_MS = 25_000;

export async function streamMailEvents(o: {
  target: ImapTarget;
  mailbox: string;
  res: ServerResponse;
  headers: Record<string, string>;
  sessionAlive: () => Promise<boolean>;
  onClose: () => void;
  /** Receives the function that ends this stream (the app calls it when it shuts down). */
  register: (end: () => void) => void;
}): Promise<void> {
  const { res } = o;
  let client: ImapFlow | undefined;
  const heartbeat: { timer?: NodeJS.Timeout } = {};
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat.timer);
    o.onClose();
    client?.logout().catch(() => client?.close());
    if (!res.writableEnded) res.end();
  };
  res.on('close', close);
  o.register(close);

  res.writeHead(200, { ...o.headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  // Reconnect after 5 s when the stream drops (EventSource's own retry).
  res.write('retry: 5000\n\n');
  try {
    client = await connectImap(o.target, o.mailbox, { idle: true });
    if (closed) return close();
    client.on('close', close);
    client.on('exists', (e: { path: string; count: number; prevCount: number }) => {
      if (e.count > e.prevCount && !closed) res.write(`event: mail\ndata: ${JSON.stringify({ folder: e.path })}\n\n`);
    });
    await client.mailboxOpen('INBOX');
    // IDLE starts by itself once the connection is quiet (imapflow's auto-IDLE).
  } catch (err) {
    logger().child({ svc: 'webmail' }).warn({ err: (err as Error).message }, 'events: IMAP connection failed');
    res.write(`event: error\ndata: ${JSON.stringify({ code: 'MAILSTORE_UNAVAILABLE' })}\n\n`);
    return close();
  }
  heartbeat.timer = setInterval(() => {
    o.sessionAlive().then(
      (alive) => (alive && !closed ? res.write(': ping\n\n') : close()),
      () => close(),
    );
  }, HEARTBEAT_MS);
  heartbeat.timer.unref();
}
