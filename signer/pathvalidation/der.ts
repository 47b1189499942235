// Minimal DER reader/writer. We parse TBS bytes ourselves (instead of pkijs'
// decoded objects) because path validation needs things pkijs flattens or
// re-encodes: RDN grouping of names, raw serial bytes, implicit-tagged fields.

export const CLS_UNIVERSAL = 0;
export const CLS_CONTEXT = 2;

export const T = {
  BOOLEAN: 1,
  INTEGER: 2,
  BIT_STRING: 3,
  OCTET_STRING: 4,
  NULL: 5,
  OID: 6,
  ENUMERATED: 10,
  UTF8: 12,
  SEQUENCE: 16,
  SET: 17,
  PRINTABLE: 19,
  T61: 20,
  IA5: 22,
  UTC_TIME: 23,
  GENERALIZED_TIME: 24,
  VISIBLE: 26,
  UNIVERSAL_STRING: 28,
  BMP: 30,
} as const;

export interface Der {
  cls: number;
  cons: boolean;
  tag: number;
  /** whole TLV */
  raw: Uint8Array;
  content: Uint8Array;
  /** children, only for constructed encodings */
  kids: Der[];
}

export class DerError extends Error {}

function parseAt(buf: Uint8Array, off: number): { node: Der; end: number } {
  const start = off;
  if (off >= buf.length) throw new DerError('truncated DER');
  const b0 = buf[off++]!;
  const cls = b0 >> 6;
  const cons = (b0 & 0x20) !== 0;
  let tag = b0 & 0x1f;
  if (tag === 0x1f) {
    tag = 0;
    let b: number;
    do {
      if (off >= buf.length) throw new DerError('truncated tag');
      b = buf[off++]!;
      tag = tag * 128 + (b & 0x7f);
    } while (b & 0x80);
  }
  if (off >= buf.length) throw new DerError('truncated length');
  let len = buf[off++]!;
  if (len & 0x80) {
    const n = len & 0x7f;
    // Indefinite lengths are BER-only; certificates must be DER.
    if (n === 0 || n > 4) throw new DerError('unsupported length encoding');
    len = 0;
    for (let i = 0; i < n; i++) {
      if (off >= buf.length) throw new DerError('truncated length');
      len = len * 256 + buf[off++]!;
    }
  }
  const end = off + len;
  if (end > buf.length) throw new DerError('DER length exceeds buffer');
  const content = buf.subarray(off, end);
  const kids: Der[] = [];
  if (cons) {
    let p = 0;
    while (p < content.length) {
      const r = parseAt(content, p);
      kids.push(r.node);
      p = r.end;
    }
  }
  return { node: { cls, cons, tag, raw: buf.subarray(start, end), content, kids }, end };
}

export function parseDer(buf: Uint8Array): Der {
  const { node, end } = parseAt(buf, 0);
  if (end !== buf.length) throw new DerError('trailing bytes after DER value');
  return node;
}

export function isCtx(n: Der | undefined, tag: number): boolean {
  return !!n && n.cls === CLS_CONTEXT && n.tag === tag;
}

export function isUniv(n: Der | undefined, tag: number): boolean {
  return !!n && n.cls === CLS_UNIVERSAL && n.tag === tag;
}

export function decodeOid(n: Der): string {
  const c = n.content;
  const parts: number[] = [];
  let v = 0;
  for (let i = 0; i < c.length; i++) {
    v = v * 128 + (c[i]! & 0x7f);
    if (!(c[i]! & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  const first = parts.shift() ?? 0;
  const a = first < 80 ? Math.floor(first / 40) : 2;
  return [a, first - a * 40, ...parts].join('.');
}

export function decodeInt(n: Der): bigint {
  const c = n.content;
  if (c.length === 0) return 0n;
  let v = 0n;
  for (const b of c) v = (v << 8n) | BigInt(b);
  if (c[0]! & 0x80) v -= 1n << BigInt(c.length * 8);
  return v;
}

export function decodeBool(n: Der): boolean {
  return n.content.length > 0 && n.content[0] !== 0;
}

/** Set bit numbers (bit 0 = most significant bit of the first byte). */
export function decodeBits(n: Der): Set<number> {
  const bits = new Set<number>();
  const c = n.content;
  for (let i = 1; i < c.length; i++) {
    for (let b = 0; b < 8; b++) if (c[i]! & (0x80 >> b)) bits.add((i - 1) * 8 + b);
  }
  return bits;
}

export function bitStringBytes(n: Der): Uint8Array {
  return n.content.subarray(1);
}

export function decodeTime(n: Der): Date {
  const s = Buffer.from(n.content).toString('latin1');
  let m: RegExpMatchArray | null;
  if (n.tag === T.UTC_TIME) {
    m = s.match(/^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)?Z$/);
    if (!m) throw new DerError(`bad UTCTime ${s}`);
    // RFC 5280 4.1.2.5.1: YY >= 50 means 19YY.
    const yy = Number(m[1]);
    const year = yy >= 50 ? 1900 + yy : 2000 + yy;
    return new Date(
      Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0)),
    );
  }
  m = s.match(/^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)?(\d\d)?(?:[.,](\d+))?Z$/);
  if (!m) throw new DerError(`bad GeneralizedTime ${s}`);
  const ms = m[7] ? Math.round(Number(`0.${m[7]}`) * 1000) : 0;
  return new Date(
    Date.UTC(
      Number(m[1]),
      Number(m[2]) - 1,
      Number(m[3]),
      Number(m[4]),
      Number(m[5] ?? 0),
      Number(m[6] ?? 0),
      ms,
    ),
  );
}

/** Decode the character content of any ASN.1 string type; undefined if not a string. */
export function decodeString(n: Der): string | undefined {
  if (n.cls !== CLS_UNIVERSAL) return undefined;
  const buf = Buffer.from(n.content);
  switch (n.tag) {
    case T.UTF8:
      return buf.toString('utf8');
    case T.PRINTABLE:
    case T.IA5:
    case T.VISIBLE:
    case 18: // NumericString
      return buf.toString('latin1');
    case T.T61:
      // Teletex is almost always Latin-1 in practice.
      return buf.toString('latin1');
    case T.BMP: {
      let s = '';
      for (let i = 0; i + 1 < buf.length; i += 2) s += String.fromCharCode((buf[i]! << 8) | buf[i + 1]!);
      return s;
    }
    case T.UNIVERSAL_STRING: {
      let s = '';
      for (let i = 0; i + 3 < buf.length; i += 4) s += String.fromCodePoint(buf.readUInt32BE(i));
      return s;
    }
    default:
      return undefined;
  }
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

/** Bytes the DER length of `len` takes (short form below 128, else 0x8N and N big-endian bytes). */
function lengthSize(len: number): number {
  if (len < 0x80) return 1;
  let n = 1;
  for (let v = len; v > 0; v = Math.floor(v / 256)) n++;
  return n;
}

/** Writes identifier and length at `at`; returns where the content starts. */
function writeHeader(out: Uint8Array, at: number, identifier: number, len: number): number {
  out[at] = identifier;
  const size = lengthSize(len);
  if (size === 1) {
    out[at + 1] = len;
    return at + 2;
  }
  out[at + 1] = 0x80 | (size - 1);
  for (let i = size - 1, v = len; i >= 1; i--, v = Math.floor(v / 256)) out[at + 1 + i] = v & 0xff;
  return at + 1 + size;
}

/**
 * Encode a TLV with a single-byte identifier. One allocation: CMS signing builds a dozen of these per
 * signature, and at P-256 speeds the copies were a visible share of the time.
 */
export function encodeTlv(identifier: number, content: Uint8Array): Uint8Array {
  const out = Buffer.allocUnsafe(1 + lengthSize(content.length) + content.length);
  out.set(content, writeHeader(out, 0, identifier, content.length));
  return out;
}

export function encodeSequence(...items: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const item of items) len += item.length;
  const out = Buffer.allocUnsafe(1 + lengthSize(len) + len);
  let at = writeHeader(out, 0, 0x30, len);
  for (const item of items) {
    out.set(item, at);
    at += item.length;
  }
  return out;
}
