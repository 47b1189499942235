// Message HTML → safe HTML, with one DOMPurify instance over one jsdom window, created when the module is
// first loaded. DOMPurify does the parsing, the element/attribute allow-lists and the mXSS defences; the
// hooks below add the mail-specific policy: URLs (sanitize-url.ts), CSS (css-filter.ts), cid: parts and
// remote images. sanitize() is synchronous, so the per-call state the hooks read (`current`) cannot be
// seen by another call.
import createDOMPurify, { type Config, type UponSanitizeAttributeHookEvent, type WindowLike } from 'dompurify';
import { JSDOM, VirtualConsole } from 'jsdom';
import { filterStyleAttribute, filterStylesheet } from './css-filter.js';
import { classifyImageSource, safeLinkHref } from './sanitize-url.js';

export interface SanitizeOptions {
  allowRemote: boolean;
  imageProxyUrl: (url: string) => string;
  /** Same-origin URL of the inline part with this Content-ID (no angle brackets), or undefined if none. */
  cidUrl: (cid: string) => string | undefined;
  /** Same-origin URL of a related part whose Content-Location is exactly this remote URL (RFC 2557). */
  locationUrl?: (url: string) => string | undefined;
}

export interface SanitizedParts {
  /** Filtered `<style>` elements of the message head, serialised; they go into our document head. */
  headStyles: string;
  /** The children of the message body, serialised; they go inside a `<div>` of ours. */
  bodyHtml: string;
  blockedRemote: number;
}

// A silent console: jsdom would log every CSS parse error of a message.
const { window } = new JSDOM('<!DOCTYPE html><title></title>', { virtualConsole: new VirtualConsole() });
const purify = createDOMPurify(window as unknown as WindowLike);

// Elements removed with their content: their content is either code, a second document, or markup whose
// parsing depends on the scripting flag (noscript) or on cloning (template).
const FORBID_WITH_CONTENT = ['script', 'noscript', 'template', 'iframe', 'frame', 'frameset', 'object', 'embed',
  'applet', 'audio', 'video', 'noembed', 'noframes', 'xmp', 'plaintext', 'title', 'select', 'datalist'];
// Elements removed but whose text stays readable (a button label, a form's paragraphs).
const FORBID_KEEP_CONTENT = ['form', 'input', 'button', 'textarea', 'option', 'optgroup', 'output', 'meta', 'link',
  'base', 'source', 'track', 'picture', 'slot', 'shadow', 'content', 'element', 'decorator', 'menuitem', 'dialog',
  'selectedcontent', 'isindex', 'keygen', 'portal'];

const CONFIG: Config & { RETURN_DOM: true } = {
  USE_PROFILES: { html: true }, // no SVG, no MathML: their animation, filter and style elements load and run things
  WHOLE_DOCUMENT: true, // keeps <head><style>, which ordinary mail relies on; we re-assemble the document ourselves
  RETURN_DOM: true,
  FORBID_TAGS: [...FORBID_WITH_CONTENT, ...FORBID_KEEP_CONTENT],
  ADD_FORBID_CONTENTS: FORBID_WITH_CONTENT,
  // Attributes that load, submit, or hand the page to something else. `style`, `src` and `href` stay:
  // the hooks below decide them. `target` and `rel` are set by us on links.
  FORBID_ATTR: ['action', 'formaction', 'form', 'method', 'enctype', 'background', 'poster', 'srcset', 'sizes',
    'ping', 'srcdoc', 'target', 'rel', 'download', 'integrity', 'crossorigin', 'nonce', 'autofocus', 'loading',
    'popover', 'popovertarget', 'popovertargetaction', 'command', 'commandfor', 'xmlns', 'part',
    'exportparts', 'slot'],
  // Links: http, https, mailto; fragments and plain words (align="center") pass; any other scheme fails.
  // This is the second line: the hooks already rewrote every URL they allow into URL.href form.
  ALLOWED_URI_REGEXP: /^(?:(?:https?|mailto):|[^a-z]|[a-z+.-]+(?:[^a-z+.\-:]|$))/i,
  ALLOW_DATA_ATTR: false,
};

// What URL parsers of any age ignore: whitespace and controls, anywhere in the value.
// eslint-disable-next-line no-control-regex -- controls and spaces hide a scheme from a naive match
const compactValue = (v: string) => v.replace(/[\u0000-\u0020\u007f-\u00a0\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f\u3000\ufeff]/g, '').toLowerCase();
const SCRIPT_SCHEME = /(?:java|vb|live)script:|mocha:|data:text\/html|data:application\/xhtml|data:image\/svg/;

let current: { opts: SanitizeOptions; blocked: number } | undefined;

function imageSource(value: string, opts: SanitizeOptions, state: { blocked: number }): string | undefined {
  const src = classifyImageSource(value);
  switch (src.kind) {
    case 'cid':
      return opts.cidUrl(src.contentId);
    case 'data':
      return src.url;
    case 'remote': {
      const local = opts.locationUrl?.(src.url);
      if (local) return local;
      if (opts.allowRemote) return opts.imageProxyUrl(src.url);
      state.blocked++;
      return undefined;
    }
    default:
      return undefined;
  }
}

purify.addHook('uponSanitizeElement', (node, data) => {
  // Raw text of an HTML <style>: keep only what the CSS filter writes back (never contains `<`).
  if (data.tagName === 'style' && (node as Element).namespaceURI === 'http://www.w3.org/1999/xhtml') {
    node.textContent = filterStylesheet(node.textContent ?? '');
  }
});

purify.addHook('uponSanitizeAttribute', (node, data: UponSanitizeAttributeHookEvent) => {
  const state = current;
  if (!state) return;
  const tag = node.nodeName.toLowerCase();
  const name = data.attrName;
  if (name.startsWith('on')) {
    data.keepAttr = false; // DOMPurify drops them too; stated here so the policy reads in one place
    return;
  }
  if (SCRIPT_SCHEME.test(compactValue(data.attrValue))) {
    data.keepAttr = false; // even in a title: no attribute carries a script URL an old engine might follow
    return;
  }
  if (name === 'is') {
    // DOMPurify cannot remove `is` (the serialiser writes it back) and, returning a DOM, drops the whole
    // element with its text instead. A customized built-in needs a script-defined element: inert here.
    data.forceKeepAttr = true;
    return;
  }
  let value: string | undefined = data.attrValue;
  if (name === 'style') value = filterStyleAttribute(value) || undefined;
  else if (name === 'href') value = tag === 'a' || tag === 'area' ? safeLinkHref(value) : undefined;
  else if (name === 'src') value = tag === 'img' ? imageSource(value, state.opts, state) : undefined;
  else if (name === 'cite' || name === 'longdesc' || (name === 'usemap' && !value.startsWith('#'))) value = undefined;
  if (value === undefined) data.keepAttr = false;
  else data.attrValue = value;
});

purify.addHook('afterSanitizeAttributes', (node) => {
  const tag = node.nodeName.toLowerCase();
  if ((tag === 'a' || tag === 'area') && node.hasAttribute('href')) {
    // A srcdoc frame resolves "#x" against the webmail page, so following it would navigate the
    // message frame to the webmail itself: in-message anchors lose their href. Every other link opens
    // outside the frame, without opener or referrer.
    if (node.getAttribute('href')!.startsWith('#')) node.removeAttribute('href');
    else {
      node.setAttribute('target', '_blank');
      node.setAttribute('rel', 'noopener noreferrer');
    }
  }
  if (tag === 'img') node.setAttribute('referrerpolicy', 'no-referrer');
});

/** Sanitises a message's HTML and returns the pieces our document template assembles (render-document.ts). */
export function sanitizeParts(html: string, opts: SanitizeOptions): SanitizedParts {
  const state = { opts, blocked: 0 };
  current = state;
  let root: Node;
  try {
    root = purify.sanitize(html, CONFIG);
  } finally {
    current = undefined;
  }
  const doc = root as Element;
  const head = doc.querySelector('head');
  const body = doc.querySelector('body');
  const headStyles = head ? Array.from(head.querySelectorAll('style'), (s) => s.outerHTML).join('') : '';
  // The message <body> element itself (and its attributes) is never used: only its children (358).
  return { headStyles, bodyHtml: body ? body.innerHTML : '', blockedRemote: opts.allowRemote ? 0 : state.blocked };
}
