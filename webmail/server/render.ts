// Safe rendering of a message for the webmail (issue #5): headers as data, the body as a sanitised
// document for a sandboxed iframe, attachments as a list of ids, and warnings about the sender.
// webmail/README.md "Safe rendering" says what is removed and how the client must frame the result.
import { simpleParser, type AddressObject, type EmailAddress, type ParsedMail } from 'mailparser';
import { frameDocument } from './render-document.js';
import { isDecodableCharset, scanMime } from './render-mime.js';
import { contentIdOf, partFilename, partIdOf } from './render-parts.js';
import { textToSafeHtml } from './render-text.js';
import type { Address, AttachmentInfo, RenderedMessage, RenderOptions, Warning } from './render-types.js';
import { warnings } from './render-warnings.js';
import { sanitizeParts } from './sanitize-html.js';
import { authenticationWarnings, classifySender } from './sender.js';

export type { Address, AttachmentInfo, RenderedMessage, RenderOptions, Warning, WarningCode } from './render-types.js';
export { classifySender } from './sender.js';
export { textToSafeHtml } from './render-text.js';
export { extractPart, partResponseHeaders } from './render-parts.js';
export { frameDocument } from './render-document.js';

type SanitizeHtmlOptions = Pick<RenderOptions, 'allowRemote' | 'imageProxyUrl'> & {
  cidUrl: (cid: string) => string | undefined;
  /** Optional: same-origin URL for a remote URL that a related part names in Content-Location. */
  locationUrl?: (url: string) => string | undefined;
  /** Optional: the webmail origin, for the CSP of the document (see RenderOptions.origin). */
  origin?: string;
};

/**
 * Sanitises message HTML into a complete document for the message iframe. Remote images are dropped
 * and counted unless allowRemote, in which case they go through imageProxyUrl; cid: images go to cidUrl.
 */
export function sanitizeHtml(html: string, opts: SanitizeHtmlOptions): { html: string; blockedRemote: number } {
  const sources = new ImageSources(opts.origin);
  const parts = sanitizeParts(html, {
    allowRemote: opts.allowRemote,
    imageProxyUrl: (u) => sources.use(opts.imageProxyUrl(u)),
    cidUrl: (cid) => sources.useOptional(opts.cidUrl(cid)),
    locationUrl: opts.locationUrl && ((u) => sources.useOptional(opts.locationUrl!(u))),
  });
  return { html: frameDocument({ ...parts, imageSources: sources.list() }), blockedRemote: parts.blockedRemote };
}

/**
 * Records the origins of the image URLs written into a document, for its CSP img-src, and makes
 * root-relative URLs absolute when the webmail origin is known (a sandboxed srcdoc frame has an opaque
 * origin, so 'self' there is not reliably the webmail).
 */
class ImageSources {
  private readonly origins = new Set<string>();
  private readonly base: string | undefined;

  constructor(origin: string | undefined) {
    try {
      this.base = origin ? new URL(origin).origin : undefined;
    } catch {
      this.base = undefined;
    }
    if (this.base === 'null') this.base = undefined;
  }

  use(url: string): string {
    let absolute: URL | undefined;
    try {
      absolute = new URL(url);
    } catch {
      absolute = this.base ? new URL(url, this.base) : undefined;
    }
    if (!absolute) {
      this.origins.add("'self'");
      return url;
    }
    this.origins.add(absolute.origin);
    return absolute.href;
  }

  useOptional(url: string | undefined): string | undefined {
    return url === undefined ? undefined : this.use(url);
  }

  list(): string[] {
    // Nothing used: still name the webmail, so the CSP never reads as "images from anywhere".
    return this.origins.size ? [...this.origins] : [this.base ?? "'self'"];
  }
}

function toAddresses(field: AddressObject | AddressObject[] | undefined): Address[] {
  const flat = (list: EmailAddress[]): Address[] =>
    list.flatMap((a) =>
      a.group ? flat(a.group) : a.address ? [{ name: cleanName(a.name), address: a.address.trim() }] : [],
    );
  return (Array.isArray(field) ? field : field ? [field] : []).flatMap((f) => flat(f.value));
}

// Names are shown as text; line breaks and controls would still disturb notifications and reply headers.
// eslint-disable-next-line no-control-regex -- control characters are what is removed
const cleanName = (name: string | undefined) => (name ?? '').replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();

function headerDate(parsed: ParsedMail): string | null {
  // mailparser substitutes the current time for an unreadable Date header; report "no date" instead.
  const line = parsed.headerLines?.find((h) => h.key === 'date')?.line;
  const value = line?.slice(line.indexOf(':') + 1).trim();
  if (!value || Number.isNaN(Date.parse(value)) || !parsed.date || Number.isNaN(parsed.date.getTime())) return null;
  return parsed.date.toISOString();
}

/** Parses, classifies and renders one message. Never throws for a malformed message. */
export async function renderMessage(raw: Buffer, opts: RenderOptions): Promise<RenderedMessage> {
  const scan = scanMime(raw);
  let parsed: ParsedMail;
  try {
    parsed = await simpleParser(raw, { keepCidLinks: true });
  } catch {
    return unreadable(raw, opts);
  }
  const messageWarnings: Warning[] = [];
  if (scan.broken) messageWarnings.push(warnings.brokenMime());

  // A body part whose charset mailparser cannot decode arrives as undecoded bytes: never feed it to the
  // HTML path (a UTF-7 +ADw-script+AD4- is only text as long as nobody decodes it), show it as text.
  const bodyParts = scan.leaves.filter((l) => !l.attachment && (l.contentType === 'text/html' || l.contentType === 'text/plain'));
  const undecodable = bodyParts.filter((l) => l.charset && !isDecodableCharset(l.charset));
  for (const charset of new Set(undecodable.map((l) => l.charset!))) messageWarnings.push(warnings.charsetUnsupported(charset));
  const htmlUsable = typeof parsed.html === 'string' && parsed.html !== '' && !undecodable.some((l) => l.contentType === 'text/html');

  const attachments: AttachmentInfo[] = parsed.attachments.map((a) => ({
    partId: partIdOf(a),
    filename: partFilename(a),
    contentType: (a.contentType || 'application/octet-stream').toLowerCase(),
    size: a.size ?? a.content?.length ?? 0,
    inline: false,
    ...(contentIdOf(a) ? { contentId: contentIdOf(a) } : {}),
  }));
  const shown = (partId: string) => {
    const info = attachments.find((x) => x.partId === partId);
    if (info) info.inline = true;
    return opts.partUrl(partId);
  };
  // Only image parts are shown inline; an <img> pointing at a text/html part would show nothing anyway.
  const images = attachments.filter((a) => a.contentType.startsWith('image/'));
  const byContentId = (cid: string) =>
    images.find((a) => a.contentId === cid) ?? images.find((a) => a.contentId?.toLowerCase() === cid.toLowerCase());
  const locations = new Map<string, string>();
  for (const a of parsed.attachments) {
    const location = a.headers?.get('content-location');
    if (typeof location === 'string' && a.contentType?.startsWith('image/')) locations.set(location.trim(), partIdOf(a));
  }

  let html: string;
  let blockedRemote = 0;
  if (htmlUsable) {
    const out = sanitizeHtml(parsed.html as string, {
      allowRemote: opts.allowRemote,
      imageProxyUrl: opts.imageProxyUrl,
      origin: opts.origin,
      cidUrl: (cid) => {
        const part = byContentId(cid);
        return part && shown(part.partId);
      },
      locationUrl: (url) => {
        const partId = locations.get(url);
        return partId && shown(partId);
      },
    });
    html = out.html;
    blockedRemote = out.blockedRemote;
  } else {
    const text = parsed.text || (typeof parsed.html === 'string' ? parsed.html : '');
    html = frameDocument({ bodyHtml: textToSafeHtml(text), imageSources: [originOrSelf(opts.origin)] });
  }

  const from = toAddresses(parsed.from)[0] ?? null;
  const sender = parsed.headers.has('sender') ? (toAddresses(parsed.headers.get('sender') as AddressObject)[0] ?? null) : undefined;
  return {
    subject: parsed.subject ?? '',
    from,
    ...(sender !== undefined ? { sender } : {}),
    replyTo: toAddresses(parsed.replyTo),
    to: toAddresses(parsed.to),
    cc: toAddresses(parsed.cc),
    date: headerDate(parsed),
    messageId: parsed.messageId ?? null,
    html,
    text: parsed.text ?? '',
    blockedRemote,
    attachments,
    warnings: [...classifySender(from, opts), ...authenticationWarnings(parsed.headerLines ?? [], opts.authservId, from?.address?.split('@').pop() ?? ''), ...messageWarnings],
  };
}

function originOrSelf(origin: string | undefined): string {
  try {
    const o = origin ? new URL(origin).origin : 'null';
    return o === 'null' ? "'self'" : o;
  } catch {
    return "'self'";
  }
}

/** mailparser gave up: show the raw source as escaped text, with the broken-mime warning. */
function unreadable(raw: Buffer, opts: RenderOptions): RenderedMessage {
  const text = raw.subarray(0, 1 << 20).toString('utf8');
  return {
    subject: '', from: null, replyTo: [], to: [], cc: [], date: null, messageId: null,
    html: frameDocument({ bodyHtml: textToSafeHtml(text), imageSources: [originOrSelf(opts.origin)] }),
    text,
    blockedRemote: 0,
    attachments: [],
    warnings: [...classifySender(null, opts), warnings.brokenMime()],
  };
}
