import { randomBytes } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import addressparser from 'nodemailer/lib/addressparser/index.js';
import { InvalidInputError } from '../../core/errors.js';
import type { Upload } from './uploads.js';

/**
 * MIME for what the webmail sends or saves as a draft, built by nodemailer's MailComposer: names and
 * subjects in Vietnamese become RFC 2047 encoded words, long lines are folded, attachments get RFC 2231
 * names. Everything a user typed is data handed to MailComposer, never pasted into header text.
 */
export interface Mailbox {
  name: string;
  address: string;
}

export interface Outgoing {
  from: Mailbox;
  to: Mailbox[];
  cc: Mailbox[];
  bcc: Mailbox[];
  subject: string;
  text: string;
  html?: string;
  inReplyTo?: string;
  references: string[];
  attachments: Array<Upload & { data: Buffer }>;
}

const ADDRESS = /^[^\s@<>()",;:\\[\]]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,63}$/;
// eslint-disable-next-line no-control-regex -- control characters are what is refused
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Recipients as the client sends them: a list of "Name <a@b>" / "a@b" strings or {name, address}. */
export function parseRecipients(field: string, value: unknown, { required = false } = {}): Mailbox[] {
  if (value === undefined || value === null || value === '') {
    if (required) throw new InvalidInputError(field, 'at least one address', 'ít nhất một địa chỉ');
    return [];
  }
  const items = Array.isArray(value) ? value : [value];
  const out: Mailbox[] = [];
  for (const item of items) {
    const parsed =
      typeof item === 'string'
        ? addressparser(item, { flatten: true })
        : item && typeof item === 'object' && typeof (item as any).address === 'string'
          ? [{ name: String((item as any).name ?? ''), address: (item as any).address }]
          : [];
    if (!parsed.length) throw new InvalidInputError(field, 'e-mail addresses such as nguyenvana@example.gov.vn', 'địa chỉ thư như nguyenvana@example.gov.vn', String(item).slice(0, 100));
    for (const a of parsed) {
      const address = a.address.trim();
      if (!ADDRESS.test(address) || CONTROL.test(a.name ?? '')) throw new InvalidInputError(field, 'e-mail addresses such as nguyenvana@example.gov.vn', 'địa chỉ thư như nguyenvana@example.gov.vn', address || a.name);
      out.push({ name: (a.name ?? '').trim().slice(0, 200), address });
    }
  }
  if (required && !out.length) throw new InvalidInputError(field, 'at least one address', 'ít nhất một địa chỉ');
  return out;
}

/** A Message-ID in <…> form; anything else (or a line break) is refused. */
export function messageIdList(field: string, value: unknown): string[] {
  if (value === undefined || value === null || value === '') return [];
  const items = Array.isArray(value) ? value : String(value).split(/\s+/);
  const ids = items.map((v) => String(v).trim()).filter(Boolean);
  if (ids.length > 100 || !ids.every((id) => /^<[^<>\s]{1,500}>$/.test(id))) {
    throw new InvalidInputError(field, 'message ids such as <abc@example.gov.vn>', 'mã thư dạng <abc@example.gov.vn>');
  }
  return ids;
}

export function newMessageId(fromAddress: string): string {
  const domain = fromAddress.slice(fromAddress.lastIndexOf('@') + 1) || 'govmail.local';
  return `<${Date.now().toString(36)}.${randomBytes(12).toString('hex')}@${domain}>`;
}

/**
 * The message bytes. `keepBcc` for the copy in Sent or Drafts (the sender sees whom they Bcc'd); the
 * copy that travels never carries Bcc.
 */
export async function buildMime(o: Outgoing, ids: { messageId: string; date: Date }, keepBcc: boolean): Promise<Buffer> {
  const options = {
    from: o.from,
    to: o.to,
    cc: o.cc,
    bcc: o.bcc,
    subject: o.subject,
    text: o.text,
    ...(o.html ? { html: o.html } : {}),
    ...(o.inReplyTo ? { inReplyTo: o.inReplyTo } : {}),
    ...(o.references.length ? { references: o.references } : {}),
    messageId: ids.messageId,
    date: ids.date,
    attachments: o.attachments.map((a) => ({ filename: a.filename, content: a.data, contentType: a.contentType })),
    headers: { 'X-Mailer': 'GovMail Webmail' },
    // Browsers send text with bare \n; mail travels with CRLF only (smtp refuses bare line ends).
    // MailComposer reads `newline` although nodemailer's types do not list it.
    newline: 'windows',
  };
  const node = new MailComposer(options as ConstructorParameters<typeof MailComposer>[0]).compile();
  (node as any).keepBcc = keepBcc;
  return node.build();
}
