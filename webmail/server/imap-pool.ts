import { ImapFlow } from 'imapflow';
import { logger } from '../../core/log.js';
import { GovmailError } from '../../core/errors.js';
import { mailStoreUnavailable } from './errors.js';

/**
 * IMAP to Dovecot for webmail sessions. Every connection logs in as the session's mailbox through the
 * master user with SASL PLAIN and an authorization identity (authcid = master, authzid = mailbox), so
 * no user password is ever kept. Dovecot accepts the master user from loopback only.
 *
 * One connection per active session, kept in this process: the pool is a cache. A node that restarts,
 * or a session that moves to another node, just opens a new connection; nothing depends on it.
 */
export interface ImapTarget {
  host: string;
  port: number;
  master: { user: string; password: string };
}

/** The mailbox no longer logs in (suspended, archived): the session must end. */
export class MailboxLoginRefused extends GovmailError {
  constructor(mailbox: string) {
    super('MAILBOX_LOGIN_REFUSED', `the mail store refuses ${mailbox} (suspended or archived?)`, `kho thư từ chối hộp thư ${mailbox} (đã bị khóa hoặc lưu trữ?)`, 401);
  }
}

export function newImapClient(target: ImapTarget, mailbox: string, o: { idle?: boolean } = {}): ImapFlow {
  return new ImapFlow({
    host: target.host,
    port: target.port,
    secure: false,
    doSTARTTLS: true,
    // Loopback to our own Dovecot, whose certificate is usually the self-signed mail host one.
    tls: { rejectUnauthorized: false },
    auth: { user: target.master.user, pass: target.master.password, authzid: mailbox, loginMethod: 'AUTH=PLAIN' },
    logger: false,
    // QRESYNC: a refresh asks for what changed since a HIGHESTMODSEQ and learns expunges as UIDs. Not on
    // the IDLE connection: imapflow does not lower its message count on VANISHED, so after a deletion the
    // next new message would look like no change and /events would stay silent.
    qresync: !o.idle,
    // Request connections never IDLE (each command would first have to break it); /events has its own.
    disableAutoIdle: !o.idle,
    ...(o.idle ? { autoIdleDelay: 1000 } : {}),
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 10 * 60_000,
  } as ConstructorParameters<typeof ImapFlow>[0] & { doSTARTTLS: boolean });
}

export async function connectImap(target: ImapTarget, mailbox: string, o: { idle?: boolean } = {}): Promise<ImapFlow> {
  const client = newImapClient(target, mailbox, o);
  // Connection-level errors also surface on the pending command; without a listener they would crash the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err: any) {
    client.close();
    if (err?.authenticationFailed) throw new MailboxLoginRefused(mailbox);
    logger().child({ svc: 'webmail' }).warn({ err: err?.message }, 'IMAP connection failed');
    throw mailStoreUnavailable();
  }
  return client;
}

interface Entry {
  mailbox: string;
  client: Promise<ImapFlow>;
  timer?: NodeJS.Timeout;
  busy: number;
}

export class ImapPool {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly target: ImapTarget,
    private readonly idleMs = 5 * 60_000,
  ) {}

  /** Runs `fn` on the session's connection, opening it (again) when there is none or it died. */
  async use<T>(session: { id: string; mailbox: string }, fn: (client: ImapFlow) => Promise<T>): Promise<T> {
    let entry = this.entries.get(session.id);
    if (entry && entry.mailbox !== session.mailbox) {
      this.drop(session.id);
      entry = undefined;
    }
    if (entry) {
      const client = await entry.client.catch(() => undefined);
      if (!client?.usable) {
        if (this.entries.get(session.id) === entry) this.drop(session.id);
        entry = undefined;
      }
    }
    if (!entry) {
      const fresh: Entry = { mailbox: session.mailbox, client: connectImap(this.target, session.mailbox), busy: 0 };
      this.entries.set(session.id, fresh);
      fresh.client.then(
        (c) => c.once('close', () => this.entries.get(session.id) === fresh && this.entries.delete(session.id)),
        () => this.entries.get(session.id) === fresh && this.entries.delete(session.id),
      );
      entry = fresh;
    }
    const current = entry;
    current.busy++;
    clearTimeout(current.timer);
    try {
      return await fn(await current.client);
    } catch (err: any) {
      // A command that broke the connection (not a NO from the server) leaves nothing reusable.
      const client = await current.client.catch(() => undefined);
      if (client && !client.usable) this.drop(session.id);
      if (err instanceof GovmailError) throw err;
      if (err?.code === 'NoConnection' || err?.code === 'EConnectionClosed' || err?.code === 'ETIMEOUT' || (client && !client.usable)) throw mailStoreUnavailable();
      throw err;
    } finally {
      current.busy--;
      if (!current.busy && this.entries.get(session.id) === current) {
        current.timer = setTimeout(() => this.drop(session.id), this.idleMs);
        current.timer.unref();
      }
    }
  }

  /** Logout or remote sign-out: close the session's connection now. */
  drop(sessionId: string): void {
    const entry = this.entries.get(sessionId);
    if (!entry) return;
    this.entries.delete(sessionId);
    clearTimeout(entry.timer);
    entry.client.then((c) => c.logout().catch(() => c.close()), () => undefined);
  }

  async closeAll(): Promise<void> {
    for (const id of [...this.entries.keys()]) this.drop(id);
  }
}
