import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Sequelize } from 'sequelize';
import type { Kek } from '../../../core/kek.js';
import { logger } from '../../../core/log.js';
import { getMailbox, listDomains, resolveMailbox } from '../../../admin/index.js';
import type { Submitter } from '../../../smtp/index.js';
import type { Timestamper, TrustMaterial } from '../../../signer/index.js';
import { notConfigured } from '../errors.js';
import { deleteSession, type WebmailSession } from '../sessions.js';
import { ImapPool, type ImapTarget } from '../imap-pool.js';
import type { MailEndpoints } from '../client-config.js';
import { FolderCache } from '../folder-cache.js';
import type { Learner, MailContext } from '../messages.js';
import { linkKey } from '../links.js';
import { SignatureChecker } from '../signatures.js';
import type { SieveTarget } from '../managesieve.js';

/**
 * What the webmail route files share: the options the API was started with and the per-server state
 * built from them once (IMAP pool, folder cache, link key, signature checker, open event streams).
 */
export interface WebmailOptions {
  db: Sequelize;
  kek: Kek;
  /** Dovecot's IMAP on loopback and the master user; without it the mail routes answer 503. */
  imap?: ImapTarget;
  /** smtp's submission pipeline; without it /send answers 503. */
  submit?: Submitter;
  /** Our MX's host name, the authserv-id of the Authentication-Results it writes (sender warnings). */
  hostname?: string;
  secureCookies?: boolean;
  /** e.g. https://mail.tinh.gov.vn — the origin the message frame's links are made absolute on. */
  publicOrigin?: string;
  maxUploadBytes?: number;
  /** DATA: its trust/ folder adds trust anchors, intermediates and CRLs for the signature badges. */
  dataDir?: string;
  /** Overrides the trust material of the signature badges (tests). */
  signatureTrust?: () => Promise<TrustMaterial>;
  /** Dovecot's ManageSieve on loopback (same master user); without it /sieve answers 503. */
  sieve?: SieveTarget;
  /** Time-stamps PDF attachments signed at /send (B-T); without it they are signed B-B. */
  timestamper?: Timestamper;
  /** What desktop and phone clients connect to, for the Apple profile download; without it that answers 503. */
  endpoints?: MailEndpoints;
  /** The spam filter's learning (rspamd): "spam" and "not spam" teach it; without it they only move mail. */
  learn?: Learner;
}

/** How a route is authenticated: not at all, by the session cookie (+ CSRF token), or by a signed link. */
export type Auth = 'none' | 'session' | 'link';

declare module 'fastify' {
  interface FastifyRequest {
    webmailSession?: WebmailSession;
  }
  interface FastifyContextConfig {
    webmailAuth?: Auth;
  }
}

export const COOKIE = 'gm_webmail';
export const API_CSP = "default-src 'self'; frame-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
export const SECURITY_HEADERS: Record<string, string> = {
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

export const stringBody = (required: string[], properties: Record<string, object>) => ({ type: 'object', required, properties }) as const;
export const uidsBody = (extra: Record<string, object> = {}, required: string[] = []) =>
  stringBody(['uids', ...required], { uids: { type: 'array', minItems: 1, maxItems: 5000, items: { type: 'integer', minimum: 1 } }, ...extra });
export const folderParams = { type: 'object', required: ['folder'], properties: { folder: { type: 'string', minLength: 1, maxLength: 500 } } } as const;
export const messageParams = { type: 'object', required: ['folder', 'uid'], properties: { folder: { type: 'string', minLength: 1, maxLength: 500 }, uid: { type: 'integer', minimum: 1 } } } as const;
/** A MIME part number, 1.2.3 */
export const PART_ID_PATTERN = '^\\d{1,4}(\\.\\d{1,4}){0,9}$';

export type WebmailContext = ReturnType<typeof webmailContext>;

/** The shared state of one webmail API server; `base` is the prefix it is mounted at. */
export function webmailContext(opts: WebmailOptions, base: string) {
  const { db, kek } = opts;
  const pool = opts.imap ? new ImapPool(opts.imap) : undefined;
  const cache = new FolderCache();
  let domains: { at: number; list: Promise<string[]> } | undefined;
  // Secure whenever the browser reached us over TLS, directly or through a TLS proxy that says so.
  const secure = (req: FastifyRequest) => !!opts.secureCookies || req.protocol === 'https' || req.headers['x-forwarded-proto'] === 'https';

  return {
    opts, db, kek, pool, base,
    log: logger().child({ svc: 'webmail' }),
    key: linkKey(kek),
    signatures: new SignatureChecker({ db, kek, ...(opts.dataDir ? { dataDir: opts.dataDir } : {}), ...(opts.signatureTrust ? { trust: opts.signatureTrust } : {}) }),
    eventStreams: new Map<string, number>(),
    openStreams: new Set<() => void>(),
    localDomains: () => {
      if (!domains || Date.now() - domains.at > 60_000) domains = { at: Date.now(), list: listDomains(db).then((d) => d.filter((x) => x.active).map((x) => x.name)) };
      return domains.list;
    },
    setCookie: (req: FastifyRequest, reply: FastifyReply, token: string) =>
      reply.setCookie(COOKIE, token, { path: base, httpOnly: true, sameSite: 'strict', secure: secure(req) }),
    clearCookie: (req: FastifyRequest, reply: FastifyReply) => reply.clearCookie(COOKIE, { path: base, httpOnly: true, sameSite: 'strict', secure: secure(req) }),
    mail: (req: FastifyRequest): MailContext => {
      if (!pool) throw notConfigured('the mail store (IMAP)', 'kho thư (IMAP)');
      return { pool, cache, session: req.webmailSession!, learn: opts.learn };
    },
    userOf: async (address: string) => ({ address, name: (await getMailbox(db, address))?.display_name ?? address }),
    /**
     * A session lasts only as long as its mailbox: suspended, archived or moved to a new address (the old
     * one becomes an alias), it ends on the next request — an open IMAP connection would not notice.
     */
    mailboxStillThere: async (session: WebmailSession) => {
      const box = await resolveMailbox(db, session.mailbox);
      if (box.kind === 'mailbox' && box.address === session.mailbox) return true;
      await deleteSession(db, session.id);
      pool?.drop(session.id);
      return false;
    },
  };
}
