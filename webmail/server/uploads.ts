import { randomUUID } from 'node:crypto';
import { QueryTypes, type Sequelize } from 'sequelize';
import { simpleParser } from 'mailparser';
import { GovmailError, InvalidInputError } from '../../core/errors.js';
import { partFilename, partIdOf } from './render-parts.js';

/**
 * Attachments uploaded before sending, kept in PostgreSQL so any node can send them. They belong to
 * the mailbox that uploaded them (another mailbox asking for the id gets "not found"), are deleted
 * once sent, and are dropped after 24 hours whatever happens.
 */
export const UPLOAD_HOURS = 24;

export interface Upload {
  id: string;
  filename: string;
  size: number;
  contentType: string;
}

const TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/;

export function cleanFilename(name: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what is removed
  const base = String(name ?? '').normalize('NFC').replace(/[\u0000-\u001f\u007f]/g, '').split(/[/\\]/).pop()!.trim().slice(0, 200);
  return base || 'tep-dinh-kem';
}

export async function saveUpload(db: Sequelize, mailbox: string, file: { filename: string; contentType: string; data: Buffer }): Promise<Upload> {
  const contentType = TYPE.test((file.contentType ?? '').toLowerCase()) ? file.contentType.toLowerCase() : 'application/octet-stream';
  const upload = { id: randomUUID(), filename: cleanFilename(file.filename), size: file.data.length, contentType };
  await db.query('INSERT INTO webmail_uploads (id, mailbox, filename, content_type, size, data) VALUES ($1, $2, $3, $4, $5, $6)', {
    bind: [upload.id, mailbox, upload.filename, upload.contentType, upload.size, file.data],
  });
  await db.query(`DELETE FROM webmail_uploads WHERE created_at < now() - interval '${UPLOAD_HOURS} hours'`);
  return upload;
}

/** The named uploads of this mailbox, in the order asked; any id that is not its own is "not found". */
export async function loadUploads(db: Sequelize, mailbox: string, ids: unknown): Promise<Array<Upload & { data: Buffer }>> {
  if (ids === undefined) return [];
  if (!Array.isArray(ids) || ids.length > 100 || !ids.every((id) => typeof id === 'string' && /^[0-9a-f-]{36}$/i.test(id))) {
    throw new InvalidInputError('attachments', 'a list of upload ids from /uploads', 'danh sách mã tệp từ /uploads');
  }
  if (!ids.length) return [];
  const rows = await db.query<{ id: string; filename: string; size: number; content_type: string; data: Buffer }>(
    `SELECT id, filename, size, content_type, data FROM webmail_uploads WHERE id = ANY($1::uuid[]) AND mailbox = $2 AND created_at > now() - interval '${UPLOAD_HOURS} hours'`,
    { bind: [ids, mailbox], type: QueryTypes.SELECT },
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => {
    const r = byId.get(id.toLowerCase());
    if (!r) throw new GovmailError('NOT_FOUND', `attachment not found (expired or not yours): ${id}`, `không tìm thấy tệp đính kèm (đã hết hạn hoặc không phải của bạn): ${id}`, 404);
    return { id: r.id, filename: r.filename, size: r.size, contentType: r.content_type, data: r.data };
  });
}

export async function deleteUploads(db: Sequelize, mailbox: string, ids: string[]): Promise<void> {
  if (ids.length) await db.query('DELETE FROM webmail_uploads WHERE id = ANY($1::uuid[]) AND mailbox = $2', { bind: [ids, mailbox] });
}

/**
 * Forwarding keeps the original's attachments: the chosen parts of a message the user can read become
 * uploads of theirs, so compose shows them like files they added (and can remove) and /send needs no
 * second way of attaching. Any part id the message does not have is "not found".
 */
export async function uploadsFromMessage(db: Sequelize, mailbox: string, raw: Buffer, partIds: string[]): Promise<Upload[]> {
  const parsed = await simpleParser(raw, { keepCidLinks: true, skipHtmlToText: true, skipTextToHtml: true });
  const parts = partIds.map((id) => {
    const part = parsed.attachments.find((a) => partIdOf(a) === id);
    if (!part) throw new GovmailError('NOT_FOUND', `the message has no attachment ${id}`, `thư không có tệp đính kèm ${id}`, 404);
    return part;
  });
  const saved: Upload[] = [];
  for (const p of parts) saved.push(await saveUpload(db, mailbox, { filename: partFilename(p), contentType: p.contentType || 'application/octet-stream', data: p.content }));
  return saved;
}
