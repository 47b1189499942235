// A CSS tokenizer after CSS Syntax Level 3 (§4), used by css-filter.ts. The filter judges tokens, not
// text: a browser decodes escapes (`@\69mport`, `u\72l(`) and ends comments and strings exactly where
// this tokenizer does, so what the filter sees is what the browser would have seen. Escapes are
// decoded into the token values here and re-encoded by the serialiser, never passed through raw.

export type CssToken =
  | { type: 'ident' | 'function' | 'at-keyword' | 'hash'; value: string }
  | { type: 'string'; value: string }
  | { type: 'url' | 'bad-url' | 'bad-string' | 'CDO' | 'CDC' }
  | { type: 'number' | 'percentage'; repr: string }
  | { type: 'dimension'; repr: string; unit: string }
  | { type: 'whitespace' | 'comment' }
  | { type: 'delim'; value: string }
  | { type: ':' | ';' | ',' | '(' | ')' | '[' | ']' | '{' | '}' };

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isHex = (c: string | undefined) => c !== undefined && /^[0-9a-fA-F]$/.test(c);
const isWhitespace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n';
const isNameStart = (c: string | undefined) =>
  c !== undefined && (/^[A-Za-z_]$/.test(c) || c.codePointAt(0)! >= 0x80);
const isName = (c: string | undefined) => isNameStart(c) || isDigit(c) || c === '-';
const isNonPrintable = (c: string) => {
  const n = c.codePointAt(0)!;
  return n <= 8 || n === 0x0b || (n >= 0x0e && n <= 0x1f) || n === 0x7f;
};
const isValidEscape = (a: string | undefined, b: string | undefined) => a === '\\' && b !== '\n' && b !== undefined;

/** §3.3 preprocessing: one newline form, no NUL. Works on code points so astral characters stay whole. */
function preprocess(css: string): string[] {
  return Array.from(css.replace(/\r\n?|\f/g, '\n').replace(/\0/g, '\uFFFD'));
}

export function tokenizeCss(css: string): CssToken[] {
  const r: Reader = { s: preprocess(css), i: 0 };
  const out: CssToken[] = [];
  while (r.i < r.s.length) out.push(nextToken(r));
  return out;
}

/** The input as code points and the position of the next one to read. */
interface Reader {
  s: string[];
  i: number;
}

function startsIdent(r: Reader, a = r.s[r.i], b = r.s[r.i + 1], c = r.s[r.i + 2]): boolean {
  if (a === '-') return isNameStart(b) || b === '-' || isValidEscape(b, c);
  if (isNameStart(a)) return true;
  return isValidEscape(a, b);
}
function startsNumber(r: Reader, a = r.s[r.i], b = r.s[r.i + 1], c = r.s[r.i + 2]): boolean {
  if (a === '+' || a === '-') return isDigit(b) || (b === '.' && isDigit(c));
  if (a === '.') return isDigit(b);
  return isDigit(a);
}
// §4.3.7, called with the reader just after the backslash.
function consumeEscape(r: Reader): string {
  if (r.i >= r.s.length) return '\uFFFD';
  if (isHex(r.s[r.i])) {
    let hex = '';
    while (hex.length < 6 && isHex(r.s[r.i])) hex += r.s[r.i++];
    if (isWhitespace(r.s[r.i])) r.i++;
    const n = parseInt(hex, 16);
    return n === 0 || (n >= 0xd800 && n <= 0xdfff) || n > 0x10ffff ? '\uFFFD' : String.fromCodePoint(n);
  }
  return r.s[r.i++];
}
function consumeName(r: Reader): string {
  let name = '';
  for (;;) {
    if (isName(r.s[r.i])) name += r.s[r.i++];
    else if (isValidEscape(r.s[r.i], r.s[r.i + 1])) {
      r.i++;
      name += consumeEscape(r);
    } else return name;
  }
}
function consumeNumberRepr(r: Reader): string {
  let repr = '';
  if (r.s[r.i] === '+' || r.s[r.i] === '-') repr += r.s[r.i++];
  while (isDigit(r.s[r.i])) repr += r.s[r.i++];
  if (r.s[r.i] === '.' && isDigit(r.s[r.i + 1])) {
    repr += r.s[r.i++];
    while (isDigit(r.s[r.i])) repr += r.s[r.i++];
  }
  if ((r.s[r.i] === 'e' || r.s[r.i] === 'E') && (isDigit(r.s[r.i + 1]) || ((r.s[r.i + 1] === '+' || r.s[r.i + 1] === '-') && isDigit(r.s[r.i + 2])))) {
    repr += r.s[r.i++] + r.s[r.i++];
    while (isDigit(r.s[r.i])) repr += r.s[r.i++];
  }
  return repr;
}
function consumeNumeric(r: Reader): CssToken {
  const repr = consumeNumberRepr(r);
  if (startsIdent(r)) return { type: 'dimension', repr, unit: consumeName(r) };
  if (r.s[r.i] === '%') {
    r.i++;
    return { type: 'percentage', repr };
  }
  return { type: 'number', repr };
}
function consumeString(r: Reader, quote: string): CssToken {
  let value = '';
  for (;;) {
    const c = r.s[r.i];
    if (c === undefined) return { type: 'string', value };
    if (c === quote) {
      r.i++;
      return { type: 'string', value };
    }
    if (c === '\n') return { type: 'bad-string' }; // the newline is left for the next token
    if (c === '\\') {
      if (r.s[r.i + 1] === undefined) r.i++;
      else if (r.s[r.i + 1] === '\n') r.i += 2;
      else {
        r.i++;
        value += consumeEscape(r);
      }
      continue;
    }
    value += c;
    r.i++;
  }
}
// §4.3.14: skip to the end of a bad url so the next token starts where the browser's does.
function consumeBadUrlRemnants(r: Reader): CssToken {
  for (;;) {
    const c = r.s[r.i];
    if (c === undefined) return { type: 'bad-url' };
    if (c === ')') {
      r.i++;
      return { type: 'bad-url' };
    }
    if (isValidEscape(c, r.s[r.i + 1])) {
      r.i++;
      consumeEscape(r);
    } else r.i++;
  }
}
// §4.3.6: an unquoted url(…). Its content is not kept: the filter drops every url token.
function consumeUrl(r: Reader): CssToken {
  while (isWhitespace(r.s[r.i])) r.i++;
  for (;;) {
    const c = r.s[r.i];
    if (c === undefined) return { type: 'url' };
    if (c === ')') {
      r.i++;
      return { type: 'url' };
    }
    if (isWhitespace(c)) {
      while (isWhitespace(r.s[r.i])) r.i++;
      if (r.s[r.i] === ')' || r.s[r.i] === undefined) {
        if (r.s[r.i] === ')') r.i++;
        return { type: 'url' };
      }
      return consumeBadUrlRemnants(r);
    }
    if (c === '"' || c === "'" || c === '(' || isNonPrintable(c)) return consumeBadUrlRemnants(r);
    if (c === '\\') {
      if (isValidEscape(c, r.s[r.i + 1])) {
        r.i++;
        consumeEscape(r);
        continue;
      }
      return consumeBadUrlRemnants(r);
    }
    r.i++;
  }
}
function consumeIdentLike(r: Reader): CssToken {
  const name = consumeName(r);
  if (name.toLowerCase() === 'url' && r.s[r.i] === '(') {
    r.i++;
    while (isWhitespace(r.s[r.i]) && isWhitespace(r.s[r.i + 1])) r.i++;
    const next = isWhitespace(r.s[r.i]) ? r.s[r.i + 1] : r.s[r.i];
    if (next === '"' || next === "'") return { type: 'function', value: name };
    return consumeUrl(r);
  }
  if (r.s[r.i] === '(') {
    r.i++;
    return { type: 'function', value: name };
  }
  return { type: 'ident', value: name };
}

/** §4.3.1: the token that starts at the reader's position; the reader moves past it. */
function nextToken(r: Reader): CssToken {
  const c = r.s[r.i];
  if (c === '/' && r.s[r.i + 1] === '*') {
    const end = r.s.indexOf('*', r.i + 2);
    let j = end;
    while (j !== -1 && r.s[j + 1] !== '/') j = r.s.indexOf('*', j + 1);
    r.i = j === -1 ? r.s.length : j + 2;
    return { type: 'comment' };
  } else if (isWhitespace(c)) {
    while (isWhitespace(r.s[r.i])) r.i++;
    return { type: 'whitespace' };
  } else if (c === '"' || c === "'") {
    r.i++;
    return consumeString(r, c);
  } else if (c === '#') {
    if (isName(r.s[r.i + 1]) || isValidEscape(r.s[r.i + 1], r.s[r.i + 2])) {
      r.i++;
      return { type: 'hash', value: consumeName(r) };
    } else {
      r.i++;
      return { type: 'delim', value: c };
    }
  } else if (c === '+' || c === '.') {
    if (startsNumber(r)) return consumeNumeric(r);
    else {
      r.i++;
      return { type: 'delim', value: c };
    }
  } else if (c === '-') {
    if (startsNumber(r)) return consumeNumeric(r);
    else if (r.s[r.i + 1] === '-' && r.s[r.i + 2] === '>') {
      r.i += 3;
      return { type: 'CDC' };
    } else if (startsIdent(r)) return consumeIdentLike(r);
    else {
      r.i++;
      return { type: 'delim', value: c };
    }
  } else if (c === '<' && r.s[r.i + 1] === '!' && r.s[r.i + 2] === '-' && r.s[r.i + 3] === '-') {
    r.i += 4;
    return { type: 'CDO' };
  } else if (c === '@') {
    r.i++;
    if (startsIdent(r)) return { type: 'at-keyword', value: consumeName(r) };
    else return { type: 'delim', value: c };
  } else if (c === '\\') {
    if (isValidEscape(c, r.s[r.i + 1])) return consumeIdentLike(r);
    else {
      r.i++;
      return { type: 'delim', value: c };
    }
  } else if (isDigit(c)) return consumeNumeric(r);
  else if (isNameStart(c)) return consumeIdentLike(r);
  else if (':;,()[]{}'.includes(c)) {
    r.i++;
    return { type: c as ':' };
  } else {
    r.i++;
    return { type: 'delim', value: c };
  }
}
