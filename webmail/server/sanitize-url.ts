// URL decisions for message HTML. Values arrive from the DOM, so character references are already decoded.
// Each check parses the value with the WHATWG URL parser, the same parser the browser will use, which also
// strips the leading/trailing C0 controls and spaces and the embedded TAB/LF/CR that hide `java\tscript:`.
// What is written back is the parser's own serialisation (URL.href), never the message's spelling.

const LINK_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);
const REMOTE_PROTOCOLS = new Set(['http:', 'https:']);
// Raster types only: an SVG image cannot run script inside <img>, but the README of the corpus asks for
// raster data: images, and nothing in ordinary mail needs SVG data: URLs.
const DATA_IMAGE = /^data:image\/(?:png|gif|jpeg|jpg|webp)[;,]/i;

// The URL parser's own trimming: C0 controls and space at either end (WHATWG URL, basic URL parser step 1).
// eslint-disable-next-line no-control-regex -- the controls are what is trimmed
const C0_OR_SPACE_AT_ENDS = /^[\u0000-\u0020]+|[\u0000-\u0020]+$/g;
// eslint-disable-next-line no-control-regex -- a fragment with controls or spaces is not one we keep
const PLAIN_FRAGMENT = /^#[^\u0000-\u0020]*$/;

function parseAbsolute(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/**
 * The href a message link may keep: an absolute http, https or mailto URL (normalised), or a fragment
 * (`#section`, a jump inside the message). Anything else — relative paths, which would resolve against the
 * webmail origin, javascript:, data:, vbscript:, cid: — returns undefined and the link loses its href.
 */
export function safeLinkHref(value: string): string | undefined {
  const trimmed = value.replace(C0_OR_SPACE_AT_ENDS, '');
  if (PLAIN_FRAGMENT.test(trimmed)) return trimmed;
  const url = parseAbsolute(value);
  return url && LINK_PROTOCOLS.has(url.protocol) ? url.href : undefined;
}

export type ImageSource =
  | { kind: 'cid'; contentId: string }
  | { kind: 'data'; url: string }
  | { kind: 'remote'; url: string }
  | { kind: 'unusable' };

/** Sorts an `<img src>` into what the sanitiser does with it: inline part, inline data, remote, or nothing. */
export function classifyImageSource(value: string): ImageSource {
  // Protocol-relative `//host/x` would load from the remote host over the webmail's scheme: treat it as remote.
  const trimmed = value.replace(C0_OR_SPACE_AT_ENDS, '');
  const url = parseAbsolute(trimmed.startsWith('//') ? 'https:' + trimmed : trimmed);
  if (!url) return { kind: 'unusable' };
  if (url.protocol === 'cid:') return { kind: 'cid', contentId: decodeContentId(url.href.slice(4)) };
  if (url.protocol === 'data:') return DATA_IMAGE.test(url.href) ? { kind: 'data', url: url.href } : { kind: 'unusable' };
  if (REMOTE_PROTOCOLS.has(url.protocol)) return { kind: 'remote', url: url.href };
  return { kind: 'unusable' };
}

/** RFC 2392: a cid: URL carries the Content-ID (without <>) percent-encoded. */
function decodeContentId(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return encoded;
  }
}

/** A Content-ID header value as used for look-up: without the angle brackets and surrounding space. */
export function normalizeContentId(contentId: string): string {
  return contentId.trim().replace(/^<(.*)>$/s, '$1').trim();
}
