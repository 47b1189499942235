// Attachments and inline parts: their ids, how to fetch one, and the headers to serve it with.
//
// partId is the IMAP part number of the MIME part ('2', '1.3'), as mailparser reports it; a message that
// is one non-multipart part (a bare PDF) has the single part '1'. The same id can be fetched straight
// from Dovecot with BODY.PEEK[<partId>] if the server prefers that to extractPart().
import { simpleParser, type Attachment } from 'mailparser';
import { normalizeContentId } from './sanitize-url.js';

export const partIdOf = (a: Pick<Attachment, 'partId'>): string => a.partId || '1';

export function partFilename(a: Pick<Attachment, 'filename' | 'partId'>): string {
  // Header-decoded file names may carry path separators or control characters; keep only the last name.
  // eslint-disable-next-line no-control-regex -- control characters are what is removed
  const base = (a.filename ?? '').replace(/[\u0000-\u001f\u007f]/g, '').split(/[/\\]/).pop()?.trim();
  return base || `part-${partIdOf(a).replace(/\./g, '-')}`;
}

export const contentIdOf = (a: Pick<Attachment, 'contentId'>): string | undefined =>
  a.contentId ? normalizeContentId(a.contentId) || undefined : undefined;

/** One part of the message by partId, decoded from its transfer encoding, or undefined if there is none. */
export async function extractPart(
  raw: Buffer,
  partId: string,
): Promise<{ filename: string; contentType: string; content: Buffer } | undefined> {
  const parsed = await simpleParser(raw, { keepCidLinks: true, skipHtmlToText: true, skipTextToHtml: true });
  const part = parsed.attachments.find((a) => partIdOf(a) === partId);
  return part && { filename: partFilename(part), contentType: part.contentType || 'application/octet-stream', content: part.content };
}

const TOKEN_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/;

/**
 * Response headers for serving a part. Always a download (Content-Disposition: attachment), never sniffed,
 * and sandboxed by CSP in case a browser renders it anyway: an HTML or SVG attachment opened from the
 * webmail origin must not run there (349, 346). An <img> in the message frame still shows an image part
 * served this way. Do not add Cross-Origin-Resource-Policy: the message frame is an opaque origin, and
 * CORP same-origin/same-site would stop its images.
 */
export function partResponseHeaders(part: { filename: string; contentType: string }): Record<string, string> {
  const type = part.contentType.toLowerCase().trim();
  const ascii = part.filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(part.filename).replace(/['()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  return {
    'Content-Type': TOKEN_TYPE.test(type) ? type : 'application/octet-stream',
    'Content-Disposition': `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`,
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'private, no-store',
  };
}
