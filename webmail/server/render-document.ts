// The document the webmail puts in the message iframe (srcdoc). Its CSP <meta> is defence in depth: the
// content is already sanitised, and the iframe must also be sandboxed without allow-scripts (README).
// Images may come only from the origins the renderer itself wrote into the document (parts, proxy) and
// from data: URLs; styles only inline; nothing else at all (no fonts, frames, media, connections, forms).

export interface FrameContent {
  /** Serialised, filtered <style> elements to put in <head>. */
  headStyles?: string;
  /** Serialised, sanitised body content; placed inside a <div> of ours. */
  bodyHtml: string;
  /** CSP sources for img-src besides data: (origins, or 'self'). */
  imageSources: string[];
}

// Readable defaults; wide content scrolls inside the frame instead of widening it; positioned content is
// anchored to our wrapper. The message's own styles come after these and may override them, but only
// inside the frame: nothing in it can reach the webmail page around it.
const BASE_STYLE =
  'html{color-scheme:light}' +
  'body{margin:0;padding:12px 16px;background:#fff;color:#1f1f1f;' +
  'font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;overflow-wrap:break-word}' +
  '.govmail-message{position:relative;overflow-x:auto}' +
  'img{max-width:100%;height:auto}' +
  'pre{white-space:pre-wrap}';

export function contentSecurityPolicy(imageSources: string[]): string {
  const img = [...new Set(imageSources), 'data:'].join(' ');
  return `default-src 'none'; img-src ${img}; style-src 'unsafe-inline'; form-action 'none'; base-uri 'none'`;
}

/** A complete HTML document. Every argument is already safe HTML; the attribute values here are ours. */
export function frameDocument(content: FrameContent): string {
  const csp = contentSecurityPolicy(content.imageSources).replace(/"/g, '&quot;');
  return (
    '<!DOCTYPE html><html><head><meta charset="utf-8">' +
    `<meta http-equiv="Content-Security-Policy" content="${csp}">` +
    '<base target="_blank">' +
    `<style>${BASE_STYLE}</style>${content.headStyles ?? ''}</head>` +
    `<body><div class="govmail-message">${content.bodyHtml}</div></body></html>`
  );
}
