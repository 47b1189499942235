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
  const s = preprocess(css);
  let i = 0;
  const out: CssToken[] = [];

  const startsIdent = (a = s[i], b = s[i + 1], c = s[i + 2]): boolean => {
    if (a === '-') return isNameStart(b) || b === '-' || isValidEscape(b, c);
    if (isNameStart(a)) return true;
    return isValidEscape(a, b);
  };
  const startsNumber = (a = s[i], b = s[i + 1], c = s[i + 2]): boolean => {
    if (a === '+' || a === '-') return isDigit(b) || (b === '.' && isDigit(c));
    if (a === '.') return isDigit(b);
    return isDigit(a);
  };
  // §4.3.7, called with i just after the backslash.
  const consumeEscape = (): string => {
    if (i >= s.length) return '\uFFFD';
    if (isHex(s[i])) {
      let hex = '';
      while (hex.length < 6 && isHex(s[i])) hex += s[i++];
      if (isWhitespace(s[i])) i++;
      const n = parseInt(hex, 16);
      return n === 0 || (n >= 0xd800 && n <= 0xdfff) || n > 0x10ffff ? '\uFFFD' : String.fromCodePoint(n);
    }
    return s[i++];
  };
  const consumeName = (): string => {
    let name = '';
    for (;;) {
      if (isName(s[i])) name += s[i++];
      else if (isValidEscape(s[i], s[i + 1])) {
        i++;
        name += consumeEscape();
      } else return name;
    }
  };
  const consumeNumberRepr = (): string => {
    let repr = '';
    if (s[i] === '+' || s[i] === '-') repr += s[i++];
    while (isDigit(s[i])) repr += s[i++];
    if (s[i] === '.' && isDigit(s[i + 1])) {
      repr += s[i++];
      while (isDigit(s[i])) repr += s[i++];
    }
    if ((s[i] === 'e' || s[i] === 'E') && (isDigit(s[i + 1]) || ((s[i + 1] === '+' || s[i + 1] === '-') && isDigit(s[i + 2])))) {
      repr += s[i++] + s[i++];
      while (isDigit(s[i])) repr += s[i++];
    }
    return repr;
  };
  const consumeNumeric = (): CssToken => {
    const repr = consumeNumberRepr();
    if (startsIdent()) return { type: 'dimension', repr, unit: consumeName() };
    if (s[i] === '%') {
      i++;
      return { type: 'percentage', repr };
    }
    return { type: 'number', repr };
  };
  const consumeString = (quote: string): CssToken => {
    let value = '';
    for (;;) {
      const c = s[i];
      if (c === undefined) return { type: 'string', value };
      if (c === quote) {
        i++;
        return { type: 'string', value };
      }
      if (c === '\n') return { type: 'bad-string' }; // the newline is left for the next token
      if (c === '\\') {
        if (s[i + 1] === undefined) i++;
        else if (s[i + 1] === '\n') i += 2;
        else {
          i++;
          value += consumeEscape();
        }
        continue;
      }
      value += c;
      i++;
    }
  };
  // §4.3.14: skip to the end of a bad url so the next token starts where the browser's does.
  const consumeBadUrlRemnants = (): CssToken => {
    for (;;) {
      const c = s[i];
      if (c === undefined) return { type: 'bad-url' };
      if (c === ')') {
        i++;
        return { type: 'bad-url' };
      }
      if (isValidEscape(c, s[i + 1])) {
        i++;
        consumeEscape();
      } else i++;
    }
  };
  // §4.3.6: an unquoted url(…). Its content is not kept: the filter drops every url token.
  const consumeUrl = (): CssToken => {
    while (isWhitespace(s[i])) i++;
    for (;;) {
      const c = s[i];
      if (c === undefined) return { type: 'url' };
      if (c === ')') {
        i++;
        return { type: 'url' };
      }
      if (isWhitespace(c)) {
        while (isWhitespace(s[i])) i++;
        if (s[i] === ')' || s[i] === undefined) {
          if (s[i] === ')') i++;
          return { type: 'url' };
        }
        return consumeBadUrlRemnants();
      }
      if (c === '"' || c === "'" || c === '(' || isNonPrintable(c)) return consumeBadUrlRemnants();
      if (c === '\\') {
        if (isValidEscape(c, s[i + 1])) {
          i++;
          consumeEscape();
          continue;
        }
        return consumeBadUrlRemnants();
      }
      i++;
    }
  };
  const consumeIdentLike = (): CssToken => {
    const name = consumeName();
    if (name.toLowerCase() === 'url' && s[i] === '(') {
      i++;
      while (isWhitespace(s[i]) && isWhitespace(s[i + 1])) i++;
      const next = isWhitespace(s[i]) ? s[i + 1] : s[i];
      if (next === '"' || next === "'") return { type: 'function', value: name };
      return consumeUrl();
    }
    if (s[i] === '(') {
      i++;
      return { type: 'function', value: name };
    }
    return { type: 'ident', value: name };
  };

  while (i < s.length) {
    const c = s[i];
    if (c === '/' && s[i + 1] === '*') {
      const end = s.indexOf('*', i + 2);
      let j = end;
      while (j !== -1 && s[j + 1] !== '/') j = s.indexOf('*', j + 1);
      i = j === -1 ? s.length : j + 2;
      out.push({ type: 'comment' });
    } else if (isWhitespace(c)) {
      while (isWhitespace(s[i])) i++;
      out.push({ type: 'whitespace' });
    } else if (c === '"' || c === "'") {
      i++;
      out.push(consumeString(c));
    } else if (c === '#') {
      if (isName(s[i + 1]) || isValidEscape(s[i + 1], s[i + 2])) {
        i++;
        out.push({ type: 'hash', value: consumeName() });
      } else {
        i++;
        out.push({ type: 'delim', value: c });
      }
    } else if (c === '+' || c === '.') {
      if (startsNumber()) out.push(consumeNumeric());
      else {
        i++;
        out.push({ type: 'delim', value: c });
      }
    } else if (c === '-') {
      if (startsNumber()) out.push(consumeNumeric());
      else if (s[i + 1] === '-' && s[i + 2] === '>') {
        i += 3;
        out.push({ type: 'CDC' });
      } else if (startsIdent()) out.push(consumeIdentLike());
      else {
        i++;
        out.push({ type: 'delim', value: c });
      }
    } else if (c === '<' && s[i + 1] === '!' && s[i + 2] === '-' && s[i + 3] === '-') {
      i += 4;
      out.push({ type: 'CDO' });
    } else if (c === '@') {
      i++;
      if (startsIdent()) out.push({ type: 'at-keyword', value: consumeName() });
      else out.push({ type: 'delim', value: c });
    } else if (c === '\\') {
      if (isValidEscape(c, s[i + 1])) out.push(consumeIdentLike());
      else {
        i++;
        out.push({ type: 'delim', value: c });
      }
    } else if (isDigit(c)) out.push(consumeNumeric());
    else if (isNameStart(c)) out.push(consumeIdentLike());
    else if (':;,()[]{}'.includes(c)) {
      i++;
      out.push({ type: c as ':' });
    } else {
      i++;
      out.push({ type: 'delim', value: c });
    }
  }
  return out;
}
