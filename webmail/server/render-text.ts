// text/plain → HTML. Everything is escaped; the only markup produced is ours: a wrapper that keeps the line
// breaks, and links for absolute http, https and mailto URLs. javascript:, data:, `www.` and bare addresses
// stay text (351). The href is the WHATWG parser's serialisation of the URL, escaped again for the
// attribute, so a quote in the text cannot end the attribute (352).

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

// A URL starts at a word boundary that is not inside another URL or address (`x//https://…`, `a@https:`)
// and runs to whitespace, `<`, `>` or a double quote.
const URL_IN_TEXT = /(?<![\p{L}\p{N}_/:.@+-])(?:https?:\/\/|mailto:)[^\s<>"]+/giu;

/** Sentence punctuation after a URL is not part of it; a closing bracket is, when the URL opened it. */
function trimTrailing(candidate: string): string {
  let url = candidate;
  for (;;) {
    const last = url.at(-1);
    if (last && '.,;:!?\'*'.includes(last)) url = url.slice(0, -1);
    else if (last && ')]}'.includes(last)) {
      const open = { ')': '(', ']': '[', '}': '{' }[last]!;
      if (url.split(open).length >= url.split(last).length) return url;
      url = url.slice(0, -1);
    } else return url;
  }
}

function linkHref(candidate: string): string | undefined {
  try {
    const url = new URL(candidate);
    if (url.protocol === 'mailto:') return url.pathname ? url.href : undefined;
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/** Escaped text with http(s)/mailto links, in a block that keeps line breaks and wraps long lines. */
export function textToSafeHtml(text: string): string {
  let out = '';
  let last = 0;
  for (const m of text.matchAll(URL_IN_TEXT)) {
    const start = m.index;
    const candidate = trimTrailing(m[0]);
    const href = linkHref(candidate);
    if (!href) continue;
    out += escapeHtml(text.slice(last, start));
    out += `<a href="${escapeHtml(href)}" target="_blank" rel="noopener noreferrer">${escapeHtml(candidate)}</a>`;
    last = start + candidate.length;
  }
  out += escapeHtml(text.slice(last));
  return `<div style="white-space:pre-wrap;overflow-wrap:anywhere">${out}</div>`;
}
