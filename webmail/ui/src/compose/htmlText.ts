const BLOCKS = new Set(['ADDRESS', 'ARTICLE', 'ASIDE', 'DIV', 'DL', 'DT', 'DD', 'FOOTER', 'FORM', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'HEADER', 'HR', 'LI', 'OL', 'P', 'PRE', 'SECTION', 'TABLE', 'TR', 'UL']);
const SKIP = new Set(['HEAD', 'SCRIPT', 'STYLE', 'TEMPLATE', 'TITLE', 'NOSCRIPT']);

/** Collects text, making sure a block starts on a new line without piling up empty ones. */
class Lines {
  out = '';
  add(text: string) {
    this.out += text;
  }
  newline() {
    this.out += '\n';
  }
  block() {
    if (this.out && !this.out.endsWith('\n')) this.out += '\n';
  }
}

function walk(node: Node, lines: Lines, pre: boolean): void {
  if (node.nodeType === Node.TEXT_NODE) {
    const text = (node.textContent ?? '').replace(/\u00a0/g, ' ');
    lines.add(pre ? text : text.replace(/[ \t\r\n]+/g, ' '));
    return;
  }
  if (node.nodeType !== Node.ELEMENT_NODE && node.nodeType !== Node.DOCUMENT_FRAGMENT_NODE) return;
  const tag = (node as Element).tagName ?? '';
  if (SKIP.has(tag)) return;
  if (tag === 'BR') return lines.newline();
  if (tag === 'BLOCKQUOTE') {
    const inner = new Lines();
    node.childNodes.forEach((c) => walk(c, inner, pre));
    lines.block();
    lines.add(inner.out.replace(/\n$/, '').split('\n').map((l) => (l.startsWith('>') ? `>${l}` : `> ${l}`)).join('\n'));
    lines.block();
    return;
  }
  const isBlock = BLOCKS.has(tag);
  if (isBlock) lines.block();
  node.childNodes.forEach((c) => walk(c, lines, pre || tag === 'PRE'));
  if (isBlock) lines.block();
}

/**
 * The plain text of some HTML, with line breaks where it had blocks and <br>s, and `> ` before quoted
 * lines. Works on detached or inert nodes (innerText needs the node to be rendered).
 */
export function htmlText(root: Node): string {
  const lines = new Lines();
  walk(root, lines, false);
  return lines.out
    .split('\n')
    .map((l) => l.replace(/ +$/, ''))
    .join('\n')
    .replace(/^\n+|\n+$/g, '');
}
