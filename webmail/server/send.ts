import type { Sequelize } from 'sequelize';
import { getMailbox, mailboxAgency, senderAddresses } from '../../admin/index.js';
import { SenderNotAllowedError, type Submitter } from '../../smtp/index.js';
import { InvalidInputError } from '../../core/errors.js';
import type { Kek } from '../../core/kek.js';
import { isPdf, signPdfWithServerKey, signSmimeWithServerKey, SERVER_STAMP_KINDS, type ServerStampKind, type Timestamper } from '../../signer/index.js';
import { logger } from '../../core/log.js';
import { buildMime, messageIdList, newMessageId, parseRecipients, type Outgoing } from './compose.js';
import { inFolder, specialFolder, type MailContext } from './messages.js';
import { deleteUploads, loadUploads } from './uploads.js';
import { notConfigured } from './errors.js';

/**
 * Sending and drafts. A message goes out through smtp's submission pipeline (the same sender rules,
 * local delivery over LMTP, the durable queue and DKIM as a desktop client gets), then a copy with Bcc
 * is appended to Sent as read. A draft is appended to Drafts and replaces the previous version.
 */
export interface OutgoingBody {
  from?: unknown;
  to?: unknown;
  cc?: unknown;
  bcc?: unknown;
  subject?: unknown;
  text?: unknown;
  html?: unknown;
  inReplyTo?: unknown;
  references?: unknown;
  attachments?: unknown;
  draftUid?: unknown;
  /**
   * Sign with a server-held key of the logged-in mailbox: `{ serial, pin, message?, attachments? }`.
   * `message` (default true): the message as S/MIME; `attachments`: `[{ id, stamp? }]`, attached PDFs
   * signed (PAdES) with the same PIN, `stamp` `person | organisation | copy` for a visible stamp.
   */
  sign?: unknown;
}

export interface Identity {
  address: string;
  name: string;
}

/** The addresses this mailbox may send as (itself and its aliases), with its display name. */
export async function identities(db: Sequelize, mailbox: string): Promise<Identity[]> {
  const name = (await getMailbox(db, mailbox))?.display_name ?? '';
  return (await senderAddresses(db, mailbox)).map((address) => ({ address, name }));
}

const MAX_TEXT = 5 * 1024 * 1024;

function textField(field: string, value: unknown, max: number, oneLine: boolean): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string' || value.length > max) throw new InvalidInputError(field, `text of at most ${max} characters`, `văn bản tối đa ${max} ký tự`);
  // A subject is one line: a line break there would start a new header.
  return oneLine ? value.replace(/[\r\n\t]+/g, ' ').trim() : value;
}

async function outgoing(db: Sequelize, mailbox: string, body: OutgoingBody, forSending: boolean): Promise<Outgoing> {
  const mine = await identities(db, mailbox);
  const fromField = parseRecipients('from', body.from ?? mailbox, { required: true })[0];
  const identity = mine.find((i) => i.address === fromField.address.toLowerCase());
  if (!identity) throw new SenderNotAllowedError(fromField.address);
  const out: Outgoing = {
    from: { name: identity.name, address: identity.address },
    to: parseRecipients('to', body.to),
    cc: parseRecipients('cc', body.cc),
    bcc: parseRecipients('bcc', body.bcc),
    subject: textField('subject', body.subject, 998, true),
    text: textField('text', body.text, MAX_TEXT, false),
    html: textField('html', body.html, MAX_TEXT, false) || undefined,
    inReplyTo: messageIdList('inReplyTo', body.inReplyTo)[0],
    references: messageIdList('references', body.references),
    attachments: await loadUploads(db, mailbox, body.attachments),
  };
  if (forSending && !out.to.length && !out.cc.length && !out.bcc.length) throw new InvalidInputError('to', 'at least one recipient', 'ít nhất một người nhận');
  if (out.to.length + out.cc.length + out.bcc.length > 500) throw new InvalidInputError('to', 'at most 500 recipients (use a distribution list)', 'tối đa 500 người nhận (hãy dùng nhóm thư)');
  return out;
}

function draftUidOf(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Number.isInteger(value) || (value as number) <= 0) throw new InvalidInputError('draftUid', 'the uid returned by /drafts', 'mã uid do /drafts trả về');
  return value as number;
}

interface SignRequest {
  serial: string;
  pin: string;
  /** The message itself as S/MIME. */
  message: boolean;
  /** Attached PDFs to sign, by upload id, each with its visible stamp (or none). */
  pdfs: Array<{ id: string; stamp?: ServerStampKind }>;
}

const UPLOAD_ID = /^[0-9a-f-]{36}$/i;

function signRequest(value: unknown): SignRequest | undefined {
  if (value === undefined || value === null || value === false) return undefined;
  const v = value as { serial?: unknown; pin?: unknown; message?: unknown; attachments?: unknown };
  if (typeof value !== 'object' || typeof v.serial !== 'string' || !/^[0-9A-Fa-f:\s]{1,128}$/.test(v.serial) || typeof v.pin !== 'string' || v.pin.length > 64) {
    throw new InvalidInputError('sign', '{ serial, pin }: the certificate serial (from /certificates) and its PIN', '{ serial, pin }: số hiệu chứng thư (từ /certificates) và mã PIN');
  }
  if (v.message !== undefined && typeof v.message !== 'boolean') throw new InvalidInputError('sign.message', 'true or false: sign the message itself (S/MIME)', 'true hoặc false: ký chính thư (S/MIME)');
  const list = v.attachments ?? [];
  const kinds = [...SERVER_STAMP_KINDS, 'none'];
  const bad = () => new InvalidInputError('sign.attachments', `a list of { id, stamp? }: upload ids of attached PDFs, stamp one of ${kinds.join(', ')}`, `danh sách { id, stamp? }: mã tệp PDF đính kèm, stamp là một trong ${kinds.join(', ')}`);
  if (!Array.isArray(list) || list.length > 100) throw bad();
  const pdfs: SignRequest['pdfs'] = [];
  for (const item of list as unknown[]) {
    const it = item as { id?: unknown; stamp?: unknown };
    if (!item || typeof item !== 'object' || typeof it.id !== 'string' || !UPLOAD_ID.test(it.id)) throw bad();
    if (it.stamp !== undefined && it.stamp !== null && (typeof it.stamp !== 'string' || !kinds.includes(it.stamp))) throw bad();
    const id = it.id.toLowerCase();
    if (pdfs.some((p) => p.id === id)) throw new InvalidInputError('sign.attachments', 'each attachment once', 'mỗi tệp một lần', id);
    pdfs.push({ id, ...(it.stamp && it.stamp !== 'none' ? { stamp: it.stamp as ServerStampKind } : {}) });
  }
  const message = v.message !== false;
  if (!message && !pdfs.length) throw new InvalidInputError('sign', 'something to sign: the message (message: true) or attached PDFs (attachments)', 'nội dung cần ký: chính thư (message: true) hoặc tệp PDF đính kèm (attachments)');
  return { serial: v.serial, pin: v.pin, message, pdfs };
}

/**
 * Replaces each chosen PDF attachment by the same PDF signed with the server-held key. Every choice is
 * checked before the first signature, so a bad request spends no PIN attempt; the first wrong PIN
 * stops everything and nothing is sent.
 */
async function signAttachments(msg: Outgoing, sign: SignRequest, deps: SendDeps, mailbox: string): Promise<void> {
  const targets = sign.pdfs.map((p) => {
    const attachment = msg.attachments.find((a) => a.id.toLowerCase() === p.id);
    if (!attachment) throw new InvalidInputError('sign.attachments', 'ids of this message\'s own attachments', 'mã tệp đính kèm của chính thư này', p.id);
    if (!isPdf(attachment.data)) throw new InvalidInputError('sign.attachments', 'PDF files only (a PDF starts with %PDF-)', 'chỉ ký được tệp PDF (bắt đầu bằng %PDF-)', attachment.filename);
    return { attachment, stamp: p.stamp };
  });
  if (!targets.length) return;
  if (!deps.kek) throw notConfigured('signing', 'chức năng ký số');
  const agency = await mailboxAgency(deps.db, mailbox);
  for (const { attachment, stamp } of targets) {
    const signed = await signPdfWithServerKey(deps.db, deps.kek, {
      serial: sign.serial, pin: sign.pin, holder: mailbox, pdf: new Uint8Array(attachment.data),
      // Time-stamped whenever a TSA is configured (our own one is, unless the server runs without /pki).
      level: deps.timestamper ? 'B-T' : 'B-B',
      ...(deps.timestamper ? { timestamper: deps.timestamper } : {}),
      ...(stamp ? { stamp: { kind: stamp } } : {}),
      ...(deps.dataDir ? { dataDir: deps.dataDir } : {}),
      ...(agency ? { agencyCode: agency.code } : {}),
      ...(deps.clientIp ? { ip: deps.clientIp } : {}),
    });
    attachment.data = Buffer.from(signed.pdf);
    attachment.size = attachment.data.length;
    attachment.contentType = 'application/pdf';
  }
}

/** The Bcc field of the copy in Sent: outside the signed entity, so the signature stays intact. */
async function bccField(msg: Outgoing): Promise<string> {
  if (!msg.bcc.length) return '';
  const only = await buildMime({ ...msg, to: [], cc: [], text: '', html: undefined, attachments: [], references: [], inReplyTo: undefined, subject: '' }, { messageId: '<x@x>', date: new Date(0) }, true);
  const head = only.toString('utf8').split('\r\n\r\n')[0]!;
  const m = /^Bcc:.*(?:\r\n[ \t].*)*/im.exec(head);
  return m ? `${m[0]}\r\n` : '';
}

async function dropDraft(ctx: MailContext, uid: number | undefined): Promise<void> {
  if (!uid) return;
  await ctx.pool.use(ctx.session, async (client) => {
    const drafts = await specialFolder(client, '\\Drafts');
    await inFolder(client, drafts, () => client.messageDelete([uid], { uid: true }));
  });
}

export interface SendDeps {
  db: Sequelize;
  kek?: Kek;
  submit?: Submitter;
  clientIp?: string;
  /** For signed PDF attachments: B-T when given, else B-B. */
  timestamper?: Timestamper;
  /** DATA: the stamp pictures (signature pictures, seals). */
  dataDir?: string;
}

export async function sendMessage(
  ctx: MailContext,
  deps: SendDeps,
  body: OutgoingBody,
): Promise<{ messageId: string; queued: string[]; delivered: string[] }> {
  if (!deps.submit) throw notConfigured('sending', 'chức năng gửi thư');
  const mailbox = ctx.session.mailbox;
  const draftUid = draftUidOf(body.draftUid);
  const sign = signRequest(body.sign);
  const msg = await outgoing(deps.db, mailbox, body, true);
  const ids = { messageId: newMessageId(msg.from.address), date: new Date() };
  // Signed attachments replace the uploads in the message that travels and in the copy in Sent.
  if (sign) await signAttachments(msg, sign, deps, mailbox);
  let raw = await buildMime(msg, ids, false);
  if (sign?.message) {
    if (!deps.kek) throw notConfigured('signing', 'chức năng ký số');
    // Signed before anything is sent: a wrong PIN (403, attempts left) sends nothing.
    const signed = await signSmimeWithServerKey(deps.db, deps.kek, { message: raw, serial: sign.serial, pin: sign.pin, holder: mailbox, ...(deps.clientIp ? { ip: deps.clientIp } : {}) });
    raw = Buffer.from(signed.message, 'utf8');
  }
  const recipients = [...msg.to, ...msg.cc, ...msg.bcc].map((r) => r.address);
  const result = await deps.submit({ mailbox, raw, envelopeFrom: msg.from.address, recipients, clientIp: deps.clientIp });

  // Sent: the message is out already, so a failure here is logged, never reported as "not sent".
  const log = logger().child({ svc: 'webmail' });
  try {
    // The copy in Sent is the signed message itself (with Bcc in the unsigned outer header).
    const copy = sign?.message ? Buffer.concat([Buffer.from(await bccField(msg), 'utf8'), raw]) : await buildMime(msg, ids, true);
    await ctx.pool.use(ctx.session, async (client) => client.append(await specialFolder(client, '\\Sent'), copy, ['\\Seen'], ids.date));
  } catch (err) {
    log.warn({ err: (err as Error).message, mailbox }, 'sent message not saved to Sent');
  }
  await dropDraft(ctx, draftUid).catch((err) => log.warn({ err: (err as Error).message, mailbox }, 'draft not removed after sending'));
  await deleteUploads(deps.db, mailbox, msg.attachments.map((a) => a.id));
  return { messageId: ids.messageId, ...result };
}

export async function saveDraft(ctx: MailContext, deps: { db: Sequelize }, body: OutgoingBody): Promise<{ uid: number }> {
  const draftUid = draftUidOf(body.draftUid);
  const msg = await outgoing(deps.db, ctx.session.mailbox, body, false);
  const ids = { messageId: newMessageId(msg.from.address), date: new Date() };
  const raw = await buildMime(msg, ids, true);
  const uid = await ctx.pool.use(ctx.session, async (client) => {
    const drafts = await specialFolder(client, '\\Drafts');
    const saved = await client.append(drafts, raw, ['\\Draft', '\\Seen'], ids.date);
    // Only once the new version is safely stored does the old one go.
    if (draftUid) await inFolder(client, drafts, () => client.messageDelete([draftUid], { uid: true }));
    return saved && saved.uid;
  });
  if (!uid) throw new Error('the mail store did not return the draft uid (UIDPLUS)');
  return { uid };
}
