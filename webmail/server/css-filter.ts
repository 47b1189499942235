// The CSS filter for message HTML: `style` attributes and `<style>` elements. It tokenizes the CSS the way
// a browser does (render-css-tokens.ts), keeps only rules and declarations that cannot load anything or
// escape the message pane, and writes the survivors back out from the tokens. Nothing of the input is
// copied verbatim, so an escape, comment or quote the filter did not understand cannot reach the browser.
//
// Dropped: every url token and url()/src()/image-set()/image()/cross-fade()/element()/paint()/var()/env()/
// expression()/attr() — anything but the short list of value functions below; custom properties; @import
// and every at-rule that is not a plain grouping rule; behavior/-moz-binding; position: fixed and sticky.
import { tokenizeCss, type CssToken } from './render-css-tokens.js';

type CssNode =
  | { kind: 'token'; token: CssToken }
  | { kind: 'block'; open: '{' | '(' | '['; children: CssNode[] }
  | { kind: 'function'; name: string; children: CssNode[] };

// Value functions that compute a colour, length, shape or transform and never fetch. Vendor prefixes are
// stripped before the look-up (-webkit-linear-gradient), so -webkit-image-set stays out with image-set.
const VALUE_FUNCTIONS = new Set([
  'rgb', 'rgba', 'hsl', 'hsla', 'hwb', 'lab', 'lch', 'oklab', 'oklch', 'color', 'color-mix', 'light-dark',
  'calc', 'min', 'max', 'clamp', 'round', 'mod', 'rem', 'abs', 'sign',
  'linear-gradient', 'radial-gradient', 'conic-gradient', 'repeating-linear-gradient',
  'repeating-radial-gradient', 'repeating-conic-gradient',
  'translate', 'translatex', 'translatey', 'translatez', 'translate3d', 'scale', 'scalex', 'scaley', 'scalez',
  'scale3d', 'rotate', 'rotatex', 'rotatey', 'rotatez', 'rotate3d', 'skew', 'skewx', 'skewy', 'matrix',
  'matrix3d', 'perspective', 'cubic-bezier', 'steps', 'linear',
  'blur', 'brightness', 'contrast', 'drop-shadow', 'grayscale', 'hue-rotate', 'invert', 'opacity', 'saturate', 'sepia',
  'counter', 'counters', 'local', 'format', 'rect', 'inset', 'circle', 'ellipse', 'polygon',
  'minmax', 'repeat', 'fit-content',
]);
// Functional pseudo-classes in selectors. Selectors never fetch, but an unknown function may be a value
// function smuggled into a prelude of @supports, so the list is closed here too.
const SELECTOR_FUNCTIONS = new Set([
  'not', 'is', 'where', 'has', 'nth-child', 'nth-last-child', 'nth-of-type', 'nth-last-of-type', 'lang', 'dir',
]);
// Properties that run code, bind behaviour or make an element a link in some engine (Opera's -o-link).
const FORBIDDEN_PROPERTIES = new Set(['behavior', '-ms-behavior', '-moz-binding', 'binding', '-o-link', '-o-link-source']);
// A string naming a script or document URL has no business in a message's CSS, whatever the property.
const SCRIPT_SCHEME = /(?:java|vb|live)script:|mocha:|data:text\/html|data:image\/svg/;
const mentionsScriptUrl = (value: string) =>
  // eslint-disable-next-line no-control-regex -- controls and spaces hide a scheme from a naive match
  SCRIPT_SCHEME.test(value.replace(/[\u0000-\u0020\u007f-\u00a0\u2000-\u200f\u2028-\u202f\u205f\u3000\ufeff]/g, '').toLowerCase());
// Grouping at-rules whose block holds rules; the rest of the at-rules are dropped.
const RULE_GROUPS = new Set(['media', 'supports', 'container', 'layer', 'keyframes']);
// At-rules whose block holds declarations.
const DECLARATION_GROUPS = new Set(['font-face', 'page']);
const MAX_DEPTH = 24;

const unprefixed = (name: string) => name.toLowerCase().replace(/^-(?:webkit|moz|ms|o)-/, '');

/** Groups tokens into blocks and functions (CSS Syntax §5.4.7-9), iteratively so deep nesting cannot
 *  exhaust the stack. Blocks left open at the end are closed, as a browser closes them at end of input. */
function toNodes(tokens: CssToken[]): CssNode[] {
  const root: CssNode[] = [];
  const stack: Array<{ close: string; children: CssNode[] }> = [{ close: '', children: root }];
  for (const token of tokens) {
    const top = stack[stack.length - 1];
    if (token.type === top.close) {
      stack.pop();
      continue;
    }
    if (token.type === '{' || token.type === '(' || token.type === '[') {
      const node: CssNode = { kind: 'block', open: token.type, children: [] };
      top.children.push(node);
      stack.push({ close: { '{': '}', '(': ')', '[': ']' }[token.type], children: node.children });
    } else if (token.type === 'function') {
      const node: CssNode = { kind: 'function', name: token.value, children: [] };
      top.children.push(node);
      stack.push({ close: ')', children: node.children });
    } else top.children.push({ kind: 'token', token });
  }
  return root;
}

const isBlank = (n: CssNode) => n.kind === 'token' && (n.token.type === 'whitespace' || n.token.type === 'comment');

function trimBlank(nodes: CssNode[]): CssNode[] {
  let a = 0;
  let b = nodes.length;
  while (a < b && isBlank(nodes[a])) a++;
  while (b > a && isBlank(nodes[b - 1])) b--;
  return nodes.slice(a, b);
}

/** True when a component value list may be written back: nothing that loads, nothing that breaks out. */
function isHarmless(nodes: CssNode[], functions: Set<string>, depth = 0): boolean {
  if (depth > MAX_DEPTH) return false;
  for (const n of nodes) {
    if (n.kind === 'function') {
      if (!functions.has(unprefixed(n.name)) || !isHarmless(n.children, functions, depth + 1)) return false;
    } else if (n.kind === 'block') {
      if (n.open === '{' || !isHarmless(n.children, functions, depth + 1)) return false;
    } else {
      const t = n.token;
      switch (t.type) {
        case 'url': case 'bad-url': case 'bad-string': case 'CDO': case 'CDC': case 'at-keyword':
        case ')': case ']': case '}': case '{': case ';':
          return false;
        case 'delim':
          if (t.value === '<' || t.value === '\\' || t.value === '@') return false;
          break;
        case 'string':
          if (mentionsScriptUrl(t.value)) return false;
      }
    }
  }
  return true;
}

function filterDeclaration(nodes: CssNode[]): string | undefined {
  const d = trimBlank(nodes);
  const first = d[0];
  if (!first || first.kind !== 'token' || first.token.type !== 'ident') return undefined;
  const property = first.token.value.toLowerCase();
  if (property.startsWith('--') || FORBIDDEN_PROPERTIES.has(property)) return undefined;
  let k = 1;
  while (k < d.length && isBlank(d[k])) k++;
  const colon = d[k];
  if (!colon || colon.kind !== 'token' || colon.token.type !== ':') return undefined;
  const value = trimBlank(d.slice(k + 1));
  if (value.length === 0 || !isHarmless(value, VALUE_FUNCTIONS)) return undefined;
  if (property === 'position' && value.some((n) => n.kind === 'token' && n.token.type === 'ident' && /^(?:-webkit-)?(?:fixed|sticky)$/i.test(n.token.value))) return undefined;
  return `${serializeIdent(first.token.value)}:${serialize(value)}`;
}

/** Splits a declaration list at top-level semicolons; segments holding a `{}` block (nested rules,
 *  at-rules) are dropped whole. */
function filterDeclarationNodes(nodes: CssNode[]): string[] {
  const kept: string[] = [];
  let segment: CssNode[] = [];
  const flush = () => {
    const hasBlock = segment.some((n) => n.kind === 'block' && n.open === '{');
    const decl = hasBlock ? undefined : filterDeclaration(segment);
    if (decl) kept.push(decl);
    segment = [];
  };
  for (const n of nodes) {
    if (n.kind === 'token' && n.token.type === ';') flush();
    else segment.push(n);
  }
  flush();
  return kept;
}

function filterRules(nodes: CssNode[], depth: number): string[] {
  const out: string[] = [];
  if (depth > MAX_DEPTH) return out;
  let prelude: CssNode[] = [];
  for (const n of nodes) {
    if (prelude.length === 0 && (isBlank(n) || (n.kind === 'token' && (n.token.type === 'CDO' || n.token.type === 'CDC')))) continue;
    const atRule = prelude[0]?.kind === 'token' && prelude[0].token.type === 'at-keyword';
    if (n.kind === 'token' && n.token.type === ';' && atRule) {
      prelude = []; // a statement at-rule (@import, @charset, @namespace, @layer a;): always dropped
      continue;
    }
    if (!(n.kind === 'block' && n.open === '{')) {
      prelude.push(n);
      continue;
    }
    const rule = filterRule(prelude, n.children, depth);
    if (rule) out.push(rule);
    prelude = [];
  }
  return out; // a prelude left without a block at the end is invalid CSS and is dropped
}

function filterRule(prelude: CssNode[], block: CssNode[], depth: number): string | undefined {
  const head = prelude[0];
  if (!head) return undefined;
  if (head.kind === 'token' && head.token.type === 'at-keyword') {
    const name = unprefixed(head.token.value);
    const rest = trimBlank(prelude.slice(1));
    if (!isHarmless(rest, SELECTOR_FUNCTIONS)) return undefined;
    const at = `@${serializeIdent(head.token.value)}${rest.length ? ' ' + serialize(rest) : ''}`;
    if (RULE_GROUPS.has(name)) {
      const inner = filterRules(block, depth + 1);
      return inner.length ? `${at}{${inner.join('')}}` : undefined;
    }
    if (DECLARATION_GROUPS.has(name)) {
      const decls = filterDeclarationNodes(block);
      return decls.length ? `${at}{${decls.join(';')}}` : undefined;
    }
    return undefined;
  }
  const selector = trimBlank(prelude);
  if (!isHarmless(selector, SELECTOR_FUNCTIONS)) return undefined;
  const decls = filterDeclarationNodes(block);
  return decls.length ? `${serialize(selector)}{${decls.join(';')}}` : undefined;
}

/** Filters the value of a `style` attribute. Returns '' when nothing survives. */
export function filterStyleAttribute(css: string): string {
  return filterDeclarationNodes(toNodes(tokenizeCss(css))).join(';');
}

/** Filters the text of a `<style>` element. The result never contains `<`, so it cannot close the element. */
export function filterStylesheet(css: string): string {
  return filterRules(toNodes(tokenizeCss(css)), 0).join('\n');
}

// ---- serialisation (CSSOM §2.1 "serialize an identifier/string", with every ASCII punctuation escaped
// in hex so that `<`, `>` and `&` never appear in the output) ----

const hexEscape = (c: string) => `\\${c.codePointAt(0)!.toString(16)} `;

function serializeName(name: string, asIdent: boolean): string {
  const cps = Array.from(name);
  if (asIdent && cps.length === 1 && cps[0] === '-') return '\\-';
  return cps
    .map((c, idx) => {
      const n = c.codePointAt(0)!;
      if (n === 0) return '\uFFFD';
      if (asIdent && /[0-9]/.test(c) && (idx === 0 || (idx === 1 && cps[0] === '-'))) return hexEscape(c);
      if (n >= 0x80 || /[A-Za-z0-9_-]/.test(c)) return c;
      return hexEscape(c);
    })
    .join('');
}

export const serializeIdent = (name: string) => serializeName(name, true);

export function serializeString(value: string): string {
  let out = '"';
  for (const c of value) {
    const n = c.codePointAt(0)!;
    if (n === 0) out += '\uFFFD';
    else if (n < 0x20 || n === 0x7f || c === '<' || c === '>' || c === '&') out += hexEscape(c);
    else if (c === '"' || c === '\\') out += '\\' + c;
    else out += c;
  }
  return out + '"';
}

function serializeToken(t: CssToken): string {
  switch (t.type) {
    case 'ident': return serializeIdent(t.value);
    case 'at-keyword': return '@' + serializeIdent(t.value);
    case 'hash': return '#' + serializeName(t.value, false);
    case 'string': return serializeString(t.value);
    case 'number': return t.repr;
    case 'percentage': return t.repr + '%';
    // A unit starting with e/E would read back as an exponent (1 + "e3" → 1e3).
    case 'dimension': return t.repr + (/^[eE]/.test(t.unit) ? hexEscape(t.unit[0]) + serializeName(t.unit.slice(1), false) : serializeIdent(t.unit));
    case 'whitespace': return ' ';
    case 'comment': return '/**/'; // keeps apart tokens a dropped comment separated (u/**/rl stays two idents)
    case 'delim': return t.value;
    case 'function': return serializeIdent(t.value) + '(';
    case 'url': case 'bad-url': case 'bad-string': case 'CDO': case 'CDC': return ''; // never kept by the filter
    default: return t.type;
  }
}

function serialize(nodes: CssNode[]): string {
  return nodes
    .map((n) => {
      if (n.kind === 'token') return serializeToken(n.token);
      if (n.kind === 'function') return `${serializeIdent(n.name)}(${serialize(n.children)})`;
      return n.open + serialize(n.children) + { '{': '}', '(': ')', '[': ']' }[n.open];
    })
    .join('');
}
