// Reading what a page (or an appearance stream) draws, enough to place a stamp: where each glyph of
// text sits, with its Unicode text (through the font's /ToUnicode map), and where images are
// painted. A small interpreter of the content-stream operators for text, the CTM and XObjects
// (PDF 32000-1 §8.2, §9.4); colours, paths and clipping are ignored.

import { PDFArray, PDFDict, PDFName, PDFNumber, PDFRawStream, PDFRef, decodePDFRawStream, type PDFContext, type PDFObject } from 'pdf-lib';

/** [a b c d e f] as in `cm`: x' = a·x + c·y + e, y' = b·x + d·y + f. */
export type Matrix = [number, number, number, number, number, number];
export type Rect = [number, number, number, number];

const IDENTITY: Matrix = [1, 0, 0, 1, 0, 0];

/** `m` then `n`: the matrix that applies m first. */
export function multiply(m: Matrix, n: Matrix): Matrix {
  return [
    m[0] * n[0] + m[1] * n[2],
    m[0] * n[1] + m[1] * n[3],
    m[2] * n[0] + m[3] * n[2],
    m[2] * n[1] + m[3] * n[3],
    m[4] * n[0] + m[5] * n[2] + n[4],
    m[4] * n[1] + m[5] * n[3] + n[5],
  ];
}

export function apply(m: Matrix, x: number, y: number): [number, number] {
  return [m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]];
}

/** The bounding box of a rectangle's corners after `m`. */
export function transformRect(m: Matrix, [x1, y1, x2, y2]: Rect): Rect {
  const corners = [apply(m, x1, y1), apply(m, x2, y1), apply(m, x1, y2), apply(m, x2, y2)];
  const xs = corners.map((c) => c[0]);
  const ys = corners.map((c) => c[1]);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

// ---------------------------------------------------------------------------------------------
// Lexing (§7.2, §7.3): content streams and CMaps share the object syntax.

type Operand =
  | { t: 'num'; v: number }
  | { t: 'name'; v: string }
  | { t: 'str'; v: string } // bytes as latin1
  | { t: 'arr'; v: Operand[] }
  | { t: 'other' };
type Token = Operand | { t: 'op'; v: string } | { t: 'open' } | { t: 'close' } | { t: 'dictOpen' } | { t: 'dictClose' };

const WHITE = new Set([0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20]);
const DELIM = new Set([...'()<>[]{}/%'].map((c) => c.charCodeAt(0)));
const isRegular = (c: number) => !WHITE.has(c) && !DELIM.has(c);

function* lex(src: string): Generator<Token> {
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src.charCodeAt(i);
    if (WHITE.has(c)) {
      i++;
    } else if (c === 0x25) {
      while (i < n && src[i] !== '\n' && src[i] !== '\r') i++;
    } else if (c === 0x28) {
      let depth = 1;
      let out = '';
      i++;
      while (i < n && depth > 0) {
        const ch = src[i++]!;
        if (ch === '\\') {
          const e = src[i++] ?? '';
          const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', '(': '(', ')': ')', '\\': '\\' };
          if (e in simple) out += simple[e];
          else if (/[0-7]/.test(e)) {
            let oct = e;
            while (oct.length < 3 && /[0-7]/.test(src[i] ?? '')) oct += src[i++];
            out += String.fromCharCode(parseInt(oct, 8) & 0xff);
          } else if (e === '\r') {
            if (src[i] === '\n') i++;
          } else if (e !== '\n') out += e;
        } else if (ch === '(') {
          depth++;
          out += ch;
        } else if (ch === ')') {
          if (--depth > 0) out += ch;
        } else out += ch;
      }
      yield { t: 'str', v: out };
    } else if (c === 0x3c && src[i + 1] === '<') {
      i += 2;
      yield { t: 'dictOpen' };
    } else if (c === 0x3e && src[i + 1] === '>') {
      i += 2;
      yield { t: 'dictClose' };
    } else if (c === 0x3c) {
      const end = src.indexOf('>', i);
      const hex = src.slice(i + 1, end < 0 ? n : end).replace(/[^0-9a-fA-F]/g, '');
      i = end < 0 ? n : end + 1;
      yield { t: 'str', v: Buffer.from(hex.length % 2 ? `${hex}0` : hex, 'hex').toString('latin1') };
    } else if (c === 0x5b) {
      i++;
      yield { t: 'open' };
    } else if (c === 0x5d) {
      i++;
      yield { t: 'close' };
    } else if (c === 0x2f) {
      let j = i + 1;
      while (j < n && isRegular(src.charCodeAt(j))) j++;
      yield { t: 'name', v: src.slice(i + 1, j).replace(/#([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))) };
      i = j;
    } else if (DELIM.has(c)) {
      i++; // a stray ">", "{" or "}"
    } else {
      let j = i;
      while (j < n && isRegular(src.charCodeAt(j))) j++;
      const word = src.slice(i, j);
      i = j;
      if (/^[+-]?(\d+\.?\d*|\.\d+)$/.test(word)) yield { t: 'num', v: Number(word) };
      else if (word === 'true' || word === 'false' || word === 'null') yield { t: 'other' };
      else {
        yield { t: 'op', v: word };
        if (word === 'ID') {
          // Inline image data: binary up to whitespace + "EI" + whitespace (§8.9.7).
          const m = /\sEI(?=[\s]|$)/g;
          m.lastIndex = i + 1;
          const found = m.exec(src);
          i = found ? found.index + found[0].length : n;
        }
      }
    }
  }
}

/** Groups tokens into operators with their operands. */
function* operations(src: string): Generator<{ op: string; args: Operand[] }> {
  let args: Operand[] = [];
  const arrays: Operand[][] = [];
  let dictDepth = 0;
  for (const tok of lex(src)) {
    if (tok.t === 'dictOpen') dictDepth++;
    else if (tok.t === 'dictClose') {
      if (--dictDepth === 0) args.push({ t: 'other' });
    } else if (dictDepth > 0) continue;
    else if (tok.t === 'open') arrays.push([]);
    else if (tok.t === 'close') {
      const arr = arrays.pop();
      if (arr) (arrays.length ? arrays[arrays.length - 1]! : args).push({ t: 'arr', v: arr });
    } else if (tok.t === 'op') {
      if (arrays.length) continue;
      yield { op: tok.v, args };
      args = [];
    } else (arrays.length ? arrays[arrays.length - 1]! : args).push(tok);
  }
}

// ---------------------------------------------------------------------------------------------
// Fonts: how many bytes a code takes, its width and its Unicode text.

interface FontInfo {
  twoByte: boolean;
  /** Glyph-space units per text-space unit for widths (1000, or from a Type 3 /FontMatrix). */
  widthScale: number;
  width(code: number): number;
  text(code: number): string;
}

function streamBytes(object: PDFObject | undefined): Uint8Array | undefined {
  if (!(object instanceof PDFRawStream)) return undefined;
  try {
    return decodePDFRawStream(object).decode();
  } catch {
    return undefined; // a filter we cannot decode: read nothing rather than guess
  }
}

const latin1 = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');
const codeOf = (s: string) => [...s].reduce((n, ch) => n * 256 + ch.charCodeAt(0), 0);
/** A /ToUnicode destination: UTF-16BE bytes (a lone byte, which some writers emit, is taken as is). */
function utf16(bytes: string): string {
  if (bytes.length % 2) return bytes;
  return Buffer.from(bytes, 'latin1').swap16().toString('utf16le');
}

/** A /ToUnicode CMap's bfchar and bfrange entries (§9.10.3). */
export function parseToUnicode(bytes: Uint8Array): Map<number, string> {
  const map = new Map<number, string>();
  for (const { op, args } of operations(latin1(bytes))) {
    if (op === 'endbfchar') {
      for (let i = 0; i + 1 < args.length; i += 2) {
        const [src, dst] = [args[i]!, args[i + 1]!];
        if (src.t === 'str' && dst.t === 'str') map.set(codeOf(src.v), utf16(dst.v));
      }
    } else if (op === 'endbfrange') {
      for (let i = 0; i + 2 < args.length; i += 3) {
        const [lo, hi, dst] = [args[i]!, args[i + 1]!, args[i + 2]!];
        if (lo.t !== 'str' || hi.t !== 'str') continue;
        const [from, to] = [codeOf(lo.v), codeOf(hi.v)];
        if (to < from || to - from > 65535) continue;
        for (let code = from; code <= to; code++) {
          if (dst.t === 'arr') {
            const item = dst.v[code - from];
            if (item?.t === 'str') map.set(code, utf16(item.v));
          } else if (dst.t === 'str') {
            const base = utf16(dst.v);
            const last = base.charCodeAt(base.length - 1) + (code - from);
            map.set(code, base.slice(0, -1) + String.fromCharCode(last));
          }
        }
      }
    }
  }
  return map;
}

const num = (o: PDFObject | undefined) => (o instanceof PDFNumber ? o.asNumber() : undefined);

function fontInfo(context: PDFContext, font: PDFDict): FontInfo {
  const look = (key: string, dict = font) => {
    const v = dict.get(PDFName.of(key));
    return v instanceof PDFRef ? context.lookup(v) : v;
  };
  const subtype = look('Subtype');
  const toUnicodeBytes = streamBytes(look('ToUnicode'));
  const toUnicode = toUnicodeBytes ? parseToUnicode(toUnicodeBytes) : new Map<number, string>();
  const cp1252 = new TextDecoder('windows-1252');

  if (subtype === PDFName.of('Type0')) {
    const descendants = look('DescendantFonts');
    const cid = descendants instanceof PDFArray ? context.lookup(descendants.get(0)) : undefined;
    const widths = new Map<number, number>();
    let dw = 1000;
    if (cid instanceof PDFDict) {
      dw = num(look('DW', cid)) ?? 1000;
      const w = look('W', cid);
      if (w instanceof PDFArray) {
        const items = w.asArray().map((o) => (o instanceof PDFRef ? context.lookup(o) : o));
        for (let i = 0; i < items.length; ) {
          const first = num(items[i]);
          const next = items[i + 1];
          if (first === undefined) break;
          if (next instanceof PDFArray) {
            next.asArray().forEach((v, k) => widths.set(first + k, num(v instanceof PDFRef ? context.lookup(v) : v) ?? dw));
            i += 2;
          } else {
            const [last, width] = [num(next), num(items[i + 2])];
            if (last === undefined || width === undefined) break;
            for (let c = first; c <= last && c - first < 65536; c++) widths.set(c, width);
            i += 3;
          }
        }
      }
    }
    // Identity-H and the other 2-byte CMaps (CID-keyed fonts in Vietnamese documents use them).
    return { twoByte: true, widthScale: 1000, width: (c) => widths.get(c) ?? dw, text: (c) => toUnicode.get(c) ?? '' };
  }

  const first = num(look('FirstChar')) ?? 0;
  const w = look('Widths');
  const widths = w instanceof PDFArray ? w.asArray().map((o) => num(o instanceof PDFRef ? context.lookup(o) : o) ?? 0) : [];
  const descriptor = look('FontDescriptor');
  const missing = (descriptor instanceof PDFDict ? num(look('MissingWidth', descriptor)) : undefined) ?? (widths.length ? 0 : 500);
  let widthScale = 1000;
  if (subtype === PDFName.of('Type3')) {
    const fm = look('FontMatrix');
    const a = fm instanceof PDFArray ? num(fm.get(0)) : undefined;
    if (a) widthScale = 1 / a;
  }
  return {
    twoByte: false,
    widthScale,
    width: (c) => widths[c - first] ?? missing,
    text: (c) => toUnicode.get(c) ?? cp1252.decode(new Uint8Array([c])),
  };
}

// ---------------------------------------------------------------------------------------------
// Interpreting.

export interface Glyph {
  text: string;
  /** Origin on the baseline, in the space of the stream's caller (page space for a page). */
  x: number;
  y: number;
  /** Where the next glyph would start. */
  endX: number;
  endY: number;
  /** The font size after every transformation (the em's height in user space). */
  size: number;
}

export interface DrawnContent {
  glyphs: Glyph[];
  /** The area each painted image XObject covers. */
  images: Rect[];
}

interface TextState {
  font?: FontInfo;
  size: number;
  charSpacing: number;
  wordSpacing: number;
  scale: number;
  leading: number;
  rise: number;
}

interface State {
  ctm: Matrix;
  text: TextState;
}

const MAX_FORM_DEPTH = 8;

function asMatrix(o: PDFObject | undefined): Matrix | undefined {
  if (!(o instanceof PDFArray) || o.size() !== 6) return undefined;
  const v = o.asArray().map((x) => num(x));
  return v.every((x) => x !== undefined) ? (v as Matrix) : undefined;
}

/** Runs a content stream (page or form) and reports the glyphs and images it draws. */
export function interpret(context: PDFContext, content: Uint8Array, resources: PDFDict | undefined, ctm: Matrix = IDENTITY): DrawnContent {
  const out: DrawnContent = { glyphs: [], images: [] };
  const fonts = new Map<PDFDict, FontInfo>();
  run(context, latin1(content), resources, ctm, out, fonts, 0);
  return out;
}

function lookupDict(context: PDFContext, dict: PDFDict | undefined, key: string): PDFDict | undefined {
  const v = dict?.get(PDFName.of(key));
  const d = v instanceof PDFRef ? context.lookup(v) : v;
  return d instanceof PDFDict ? d : undefined;
}

function run(context: PDFContext, src: string, resources: PDFDict | undefined, ctm: Matrix, out: DrawnContent, fonts: Map<PDFDict, FontInfo>, depth: number): void {
  let state: State = { ctm, text: { size: 0, charSpacing: 0, wordSpacing: 0, scale: 1, leading: 0, rise: 0 } };
  const stack: State[] = [];
  let tm: Matrix = IDENTITY;
  let tlm: Matrix = IDENTITY;
  const n = (args: Operand[], i: number) => {
    const a = args[i];
    return a?.t === 'num' ? a.v : 0;
  };
  const moveLine = (tx: number, ty: number) => {
    tlm = multiply([1, 0, 0, 1, tx, ty], tlm);
    tm = tlm;
  };

  const show = (bytes: string) => {
    const ts = state.text;
    const font = ts.font;
    if (!font) return;
    const step = font.twoByte ? 2 : 1;
    for (let i = 0; i + step <= bytes.length; i += step) {
      const code = codeOf(bytes.slice(i, i + step));
      const m = multiply(tm, state.ctm);
      const [x, y] = apply(m, 0, ts.rise);
      const tx = ((font.width(code) / font.widthScale) * ts.size + ts.charSpacing + (!font.twoByte && code === 32 ? ts.wordSpacing : 0)) * ts.scale;
      tm = multiply([1, 0, 0, 1, tx, 0], tm);
      const [endX, endY] = apply(multiply(tm, state.ctm), 0, ts.rise);
      out.glyphs.push({ text: font.text(code), x, y, endX, endY, size: Math.abs(ts.size) * Math.hypot(m[2], m[3]) });
    }
  };

  for (const { op, args } of operations(src)) {
    switch (op) {
      case 'q':
        stack.push({ ctm: state.ctm, text: { ...state.text } });
        break;
      case 'Q':
        state = stack.pop() ?? state;
        break;
      case 'cm':
        state.ctm = multiply([n(args, 0), n(args, 1), n(args, 2), n(args, 3), n(args, 4), n(args, 5)], state.ctm);
        break;
      case 'BT':
        tm = tlm = IDENTITY;
        break;
      case 'Tf': {
        const name = args[0]?.t === 'name' ? args[0].v : '';
        const fontDict = lookupDict(context, lookupDict(context, resources, 'Font'), name);
        if (fontDict) {
          if (!fonts.has(fontDict)) fonts.set(fontDict, fontInfo(context, fontDict));
          state.text.font = fonts.get(fontDict);
        } else delete state.text.font;
        state.text.size = n(args, 1);
        break;
      }
      case 'Td':
        moveLine(n(args, 0), n(args, 1));
        break;
      case 'TD':
        state.text.leading = -n(args, 1);
        moveLine(n(args, 0), n(args, 1));
        break;
      case 'Tm':
        tm = tlm = [n(args, 0), n(args, 1), n(args, 2), n(args, 3), n(args, 4), n(args, 5)];
        break;
      case 'T*':
        moveLine(0, -state.text.leading);
        break;
      case 'TL':
        state.text.leading = n(args, 0);
        break;
      case 'Tc':
        state.text.charSpacing = n(args, 0);
        break;
      case 'Tw':
        state.text.wordSpacing = n(args, 0);
        break;
      case 'Tz':
        state.text.scale = n(args, 0) / 100;
        break;
      case 'Ts':
        state.text.rise = n(args, 0);
        break;
      case 'Tj':
        if (args[0]?.t === 'str') show(args[0].v);
        break;
      case "'":
        moveLine(0, -state.text.leading);
        if (args[0]?.t === 'str') show(args[0].v);
        break;
      case '"':
        state.text.wordSpacing = n(args, 0);
        state.text.charSpacing = n(args, 1);
        moveLine(0, -state.text.leading);
        if (args[2]?.t === 'str') show(args[2].v);
        break;
      case 'TJ':
        if (args[0]?.t === 'arr') {
          for (const item of args[0].v) {
            if (item.t === 'str') show(item.v);
            else if (item.t === 'num') tm = multiply([1, 0, 0, 1, (-item.v / 1000) * state.text.size * state.text.scale, 0], tm);
          }
        }
        break;
      case 'Do': {
        const name = args[0]?.t === 'name' ? args[0].v : '';
        const raw = lookupDict(context, resources, 'XObject')?.get(PDFName.of(name));
        const xobject = raw instanceof PDFRef ? context.lookup(raw) : raw;
        if (!(xobject instanceof PDFRawStream)) break;
        const subtype = xobject.dict.get(PDFName.of('Subtype'));
        if (subtype === PDFName.of('Image')) {
          out.images.push(transformRect(state.ctm, [0, 0, 1, 1]));
        } else if (subtype === PDFName.of('Form') && depth < MAX_FORM_DEPTH) {
          const bytes = streamBytes(xobject);
          const formMatrix = asMatrix(xobject.dict.lookup(PDFName.of('Matrix'))) ?? IDENTITY;
          const formResources = lookupDict(context, xobject.dict, 'Resources') ?? resources;
          if (bytes) run(context, latin1(bytes), formResources, multiply(formMatrix, state.ctm), out, fonts, depth + 1);
        }
        break;
      }
      default:
        break;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Pages, text search and appearance streams.

/** An inheritable page attribute (§7.7.3.4): the page's own, else its nearest ancestor's. */
export function inherited(context: PDFContext, page: PDFDict, key: string): PDFObject | undefined {
  const seen = new Set<PDFDict>();
  for (let node: PDFDict | undefined = page; node && !seen.has(node); ) {
    seen.add(node);
    const v = node.get(PDFName.of(key));
    if (v !== undefined) return v instanceof PDFRef ? context.lookup(v) : v;
    const parent: PDFObject | undefined = node.get(PDFName.of('Parent'));
    const p: PDFObject | undefined = parent instanceof PDFRef ? context.lookup(parent) : parent;
    node = p instanceof PDFDict ? p : undefined;
  }
  return undefined;
}

/** The glyphs and images a page draws, in page space. */
export function pageContent(context: PDFContext, page: PDFDict): DrawnContent {
  const raw = page.get(PDFName.of('Contents'));
  const contents = raw instanceof PDFRef ? context.lookup(raw) : raw;
  const parts = contents instanceof PDFArray ? contents.asArray().map((o) => (o instanceof PDFRef ? context.lookup(o) : o)) : [contents];
  // Streams of one page are one content stream cut anywhere but inside a token (§7.8.2).
  const bytes = Buffer.concat(parts.flatMap((p) => {
    const b = streamBytes(p);
    return b ? [b, Buffer.from('\n')] : [];
  }));
  const resources = inherited(context, page, 'Resources');
  return interpret(context, bytes, resources instanceof PDFDict ? resources : undefined);
}

export interface TextMatch {
  /** The first glyph's origin (left end of its baseline). */
  x: number;
  baseline: number;
  /** Where the last glyph ends. */
  right: number;
  size: number;
}

/**
 * Finds `needle` in the text the glyphs make, reading them in drawing order: a jump to another
 * line or a gap wider than a fifth of the font size counts as a space. Compared after canonical
 * decomposition (NFD) with runs of white space made one, so "ễ" matches whether a generator drew
 * it as one glyph or as "e" + two marks.
 */
export function findText(glyphs: Glyph[], needle: string, occurrence: 'first' | 'last' | number = 'first'): TextMatch | undefined {
  const want = needle.normalize('NFD').replace(/\s+/g, ' ').trim();
  if (!want) return undefined;
  let hay = '';
  const owner: number[] = [];
  const push = (s: string, g: number) => {
    for (const unit of s) {
      if (/\s/.test(unit)) {
        if (hay.endsWith(' ') || hay === '') continue;
        hay += ' ';
        owner.push(g);
      } else {
        hay += unit;
        for (let k = 0; k < unit.length; k++) owner.push(g);
      }
    }
  };
  glyphs.forEach((g, i) => {
    const prev = glyphs[i - 1];
    if (prev) {
      const newLine = Math.abs(g.y - prev.y) > 0.5 * Math.max(g.size, prev.size) || g.x < prev.x - g.size;
      if (newLine || g.x - prev.endX > 0.2 * g.size) push(' ', i);
    }
    push(g.text.normalize('NFD'), i);
  });
  const starts: number[] = [];
  for (let at = hay.indexOf(want); at >= 0; at = hay.indexOf(want, at + 1)) starts.push(at);
  const pick = occurrence === 'first' ? 0 : occurrence === 'last' ? starts.length - 1 : occurrence - 1;
  const start = starts[pick];
  if (start === undefined) return undefined;
  const first = glyphs[owner[start]!]!;
  const last = glyphs[owner[start + want.length - 1]!]!;
  return { x: first.x, baseline: first.y, right: last.endX, size: first.size };
}

/**
 * The images a widget's normal appearance paints, in page space (§12.5.5: the form's /BBox after
 * its /Matrix is fitted onto the annotation's /Rect).
 */
export function appearanceImages(context: PDFContext, widget: PDFDict, rect: Rect): Rect[] {
  const ap = lookupDict(context, widget, 'AP');
  const raw = ap?.get(PDFName.of('N'));
  const form = raw instanceof PDFRef ? context.lookup(raw) : raw;
  if (!(form instanceof PDFRawStream)) return [];
  const bbox = form.dict.lookup(PDFName.of('BBox'));
  const box = bbox instanceof PDFArray && bbox.size() === 4 ? (bbox.asArray().map((o) => num(o) ?? 0) as Rect) : undefined;
  const bytes = streamBytes(form);
  if (!box || !bytes) return [];
  const matrix = asMatrix(form.dict.lookup(PDFName.of('Matrix'))) ?? IDENTITY;
  const [bx1, by1, bx2, by2] = transformRect(matrix, box);
  if (bx2 <= bx1 || by2 <= by1) return [];
  const sx = (rect[2] - rect[0]) / (bx2 - bx1);
  const sy = (rect[3] - rect[1]) / (by2 - by1);
  const fit: Matrix = [sx, 0, 0, sy, rect[0] - bx1 * sx, rect[1] - by1 * sy];
  const drawn = interpret(context, bytes, lookupDict(context, form.dict, 'Resources'), multiply(matrix, fit));
  return drawn.images;
}
