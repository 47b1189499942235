// A light walk over the MIME tree, for two facts mailparser does not report: the declared charset of each
// text part (mailparser decodes a charset it cannot handle — UTF-7 in 360 — as UTF-8 without saying so)
// and whether the multipart structure is broken (no boundary, boundary never found, no closing boundary).
// Part numbers follow IMAP (RFC 3501 §6.4.5), like mailparser's partId.

export interface MimeLeaf {
  partId: string;
  contentType: string;
  charset?: string;
  /** Content-Disposition: attachment, or a filename: not a body part. */
  attachment: boolean;
}

export interface MimeScan {
  leaves: MimeLeaf[];
  broken: boolean;
}

const MAX_DEPTH = 32;
const MAX_PARTS = 2000;

function parseHeaders(block: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of block.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
  }
  return headers;
}

/** The value and parameters of a structured header (Content-Type, Content-Disposition). */
export function parseParams(value: string): { value: string; params: Map<string, string> } {
  const params = new Map<string, string>();
  const semi = value.indexOf(';');
  const main = (semi === -1 ? value : value.slice(0, semi)).trim().toLowerCase();
  const re = /;\s*([^=\s;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]*)/g;
  for (const m of value.matchAll(re)) {
    const key = m[1].toLowerCase();
    if (!params.has(key)) params.set(key, m[2].startsWith('"') ? m[2].slice(1, -1).replace(/\\(.)/g, '$1') : m[2]);
  }
  return { value: main, params };
}

export function scanMime(raw: Buffer): MimeScan {
  const leaves: MimeLeaf[] = [];
  let broken = false;
  let seen = 0;

  const walk = (text: string, partId: string, depth: number) => {
    if (++seen > MAX_PARTS || depth > MAX_DEPTH) {
      broken = true;
      return;
    }
    const split = /\r?\n\r?\n/.exec(text);
    const headers = parseHeaders(split ? text.slice(0, split.index) : text);
    const body = split ? text.slice(split.index + split[0].length) : '';
    const type = parseParams(headers.get('content-type') ?? 'text/plain');
    const disposition = parseParams(headers.get('content-disposition') ?? '');
    const boundary = type.params.get('boundary');
    if (type.value.startsWith('multipart/')) {
      if (!boundary) {
        broken = true;
        return;
      }
      const escaped = boundary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const delimiter = new RegExp(`(?:^|\\r?\\n)--${escaped}(--)?[ \\t]*(?=\\r?\\n|$)`, 'g');
      const marks = [...body.matchAll(delimiter)];
      const close = marks.findIndex((m) => m[1] === '--');
      if (marks.length === 0 || close === -1) broken = true;
      // Each part runs from the end of one delimiter line to the start of the next; without a closing
      // delimiter the last part runs to the end, as mailparser reads it.
      const count = close === -1 ? marks.length : close;
      for (let k = 0; k < count; k++) {
        const from = marks[k].index + marks[k][0].length;
        const to = k + 1 < marks.length ? marks[k + 1].index : body.length;
        const child = body.slice(from, to).replace(/^[ \t]*\r?\n/, '');
        walk(child, partId ? `${partId}.${k + 1}` : String(k + 1), depth + 1);
      }
      return;
    }
    leaves.push({
      partId: partId || '1',
      contentType: type.value || 'text/plain',
      charset: type.params.get('charset')?.trim().toLowerCase(),
      attachment: disposition.value === 'attachment' || disposition.params.has('filename') || type.params.has('name'),
    });
  };

  walk(raw.toString('latin1'), '', 0);
  return { leaves, broken };
}

// mailparser refuses these names and decodes the bytes as UTF-8 instead (libmime, UNSUPPORTED_CODECS).
const REFUSED = /^(?:(?:cs)?unicode11)?utf7(?:imap)?$|^base64$|^hex$/;
// Charsets mailparser decodes (through iconv-lite) that the WHATWG Encoding Standard, and so TextDecoder,
// does not list: the Vietnamese legacy ones and old DOS code pages.
const DECODABLE_BEYOND_WHATWG = new Set(['viscii', 'tcvn', 'tcvn5712', 'tcvn57121', 'cp437', 'cp737', 'cp775',
  'cp850', 'cp852', 'cp855', 'cp856', 'cp857', 'cp858', 'cp860', 'cp861', 'cp862', 'cp863', 'cp864', 'cp865',
  'cp866', 'cp869', 'cp922', 'cp1046', 'cp1124', 'cp1125', 'cp1129', 'cp1133', 'cp1161', 'cp1162', 'cp1163',
  'armscii8', 'pt154', 'rk1048', 'mik', 'cp720', 'georgianacademy', 'georgianps', 'binary', '7bit', '8bit']);

/** Whether mailparser turns text in this charset into the right characters. */
export function isDecodableCharset(label: string): boolean {
  const compact = label.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (REFUSED.test(compact)) return false;
  if (DECODABLE_BEYOND_WHATWG.has(compact)) return true;
  try {
    new TextDecoder(label.trim());
    return true;
  } catch {
    return false;
  }
}
