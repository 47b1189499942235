import { plainQuote, type ComposeStart } from './quote';

const SIGNATURE_KEY = 'gm_webmail_signature';
export const loadSignature = (): string => localStorage.getItem(SIGNATURE_KEY) ?? '';
export const saveSignature = (text: string): void => localStorage.setItem(SIGNATURE_KEY, text);

/** Lines of text as text nodes and <br>s: the only way text gets into the editor (never as HTML). */
export function textLines(text: string): DocumentFragment {
  const frag = document.createDocumentFragment();
  text.split('\n').forEach((line, i) => {
    if (i > 0) frag.append(document.createElement('br'));
    if (line) frag.append(document.createTextNode(line));
  });
  return frag;
}

function block(tag: string, text: string, className?: string): HTMLElement {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text) el.append(textLines(text));
  else el.append(document.createElement('br'));
  return el;
}

/** The starting plain text: the user's line, the signature, then the quote or the forwarded message. */
export function initialPlainText(start: ComposeStart, signature: string): string {
  if (start.body !== undefined) return start.body;
  const parts = ['', ''];
  if (signature) parts.push(`-- \n${signature}`, '');
  const quote = plainQuote(start);
  if (quote) parts.push(quote);
  return parts.join('\n');
}

/** Fills the rich-text editor with the same content, built node by node. */
export function fillRichEditor(editor: HTMLElement, start: ComposeStart, signature: string): void {
  editor.replaceChildren();
  if (start.body !== undefined) {
    editor.append(block('div', start.body));
    return;
  }
  editor.append(block('div', ''), block('div', ''));
  if (signature) editor.append(block('div', `-- \n${signature}`, 'signature'));
  if (!start.quoteIntro) return;
  editor.append(block('div', ''), block('div', start.quoteIntro));
  editor.append(block(start.cite ? 'blockquote' : 'div', start.quoted, start.cite ? 'quote' : undefined));
}

/** Plain text → the editor, keeping line breaks (used when switching from plain to rich). */
export function setEditorText(editor: HTMLElement, text: string): void {
  editor.replaceChildren(block('div', text));
}

/** A complete HTML document around what the user wrote, so the mail reads the same everywhere. */
export function htmlDocument(bodyHtml: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"></head><body><div style="font-family: Arial, sans-serif; font-size: 14px">${bodyHtml}</div></body></html>`;
}
