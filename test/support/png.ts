// A tiny PNG encoder and decoder over node:zlib, and a drawing surface for test images: the
// stamps' signature and seal pictures are drawn here (never downloaded), and the pages Poppler
// renders are decoded here to count pixels by colour.

import { crc32, deflateSync, inflateSync } from 'node:zlib';

export interface RgbaImage {
  width: number;
  height: number;
  /** width × height × 4 bytes, rows top to bottom. */
  data: Uint8Array;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, body: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])) >>> 0, 0);
  return Buffer.concat([head, body, crc]);
}

/** Encodes 8-bit RGBA (colour type 6) or, with `alpha: false`, RGB (colour type 2) dropping alpha. */
export function encodePng(image: RgbaImage, o: { alpha?: boolean } = {}): Uint8Array {
  const alpha = o.alpha ?? true;
  const channels = alpha ? 4 : 3;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(image.width, 0);
  ihdr.writeUInt32BE(image.height, 4);
  ihdr[8] = 8;
  ihdr[9] = alpha ? 6 : 2;
  const raw = Buffer.alloc(image.height * (1 + image.width * channels));
  for (let y = 0, at = 0; y < image.height; y++) {
    raw[at++] = 0; // filter: none
    for (let x = 0; x < image.width; x++) {
      const i = (y * image.width + x) * 4;
      for (let c = 0; c < channels; c++) raw[at++] = image.data[i + c]!;
    }
  }
  return new Uint8Array(Buffer.concat([SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))]));
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Decodes an 8-bit, non-interlaced PNG (grey, RGB, palette, grey+alpha, RGBA) to RGBA. */
export function decodePng(bytes: Uint8Array): RgbaImage {
  const buf = Buffer.from(bytes);
  if (!buf.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG');
  let width = 0;
  let height = 0;
  let colourType = 0;
  let palette: Buffer | undefined;
  let transparency: Buffer | undefined;
  const idat: Buffer[] = [];
  for (let at = 8; at < buf.length; ) {
    const length = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    const body = buf.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      if (body[8] !== 8) throw new Error(`bit depth ${body[8]} is not supported`);
      colourType = body[9]!;
      if (body[12] !== 0) throw new Error('interlaced PNGs are not supported');
    } else if (type === 'PLTE') palette = body;
    else if (type === 'tRNS') transparency = body;
    else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    at += 12 + length;
  }
  const channels = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[colourType];
  if (!channels) throw new Error(`colour type ${colourType} is not supported`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const rows = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? rows[y * stride + x - channels]! : 0;
      const b = y > 0 ? rows[(y - 1) * stride + x]! : 0;
      const c = x >= channels && y > 0 ? rows[(y - 1) * stride + x - channels]! : 0;
      const predictor = [0, a, b, (a + b) >> 1, paeth(a, b, c)][filter];
      if (predictor === undefined) throw new Error(`unknown PNG filter ${filter}`);
      rows[y * stride + x] = (line[x]! + predictor) & 0xff;
    }
  }
  const data = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    const s = rows.subarray(p * channels, (p + 1) * channels);
    let rgba: number[];
    if (colourType === 0) rgba = [s[0]!, s[0]!, s[0]!, 255];
    else if (colourType === 2) rgba = [s[0]!, s[1]!, s[2]!, 255];
    else if (colourType === 3) rgba = [palette![s[0]! * 3]!, palette![s[0]! * 3 + 1]!, palette![s[0]! * 3 + 2]!, transparency?.[s[0]!] ?? 255];
    else if (colourType === 4) rgba = [s[0]!, s[0]!, s[0]!, s[1]!];
    else rgba = [s[0]!, s[1]!, s[2]!, s[3]!];
    data.set(rgba, p * 4);
  }
  return { width, height, data };
}

/** The part of an image inside [x0, x1) × [y0, y1) (pixels, top-left origin). */
export function cropImage(image: RgbaImage, x0: number, y0: number, x1: number, y1: number): RgbaImage {
  const [l, t] = [Math.max(0, Math.floor(x0)), Math.max(0, Math.floor(y0))];
  const [r, b] = [Math.min(image.width, Math.ceil(x1)), Math.min(image.height, Math.ceil(y1))];
  const out = new Uint8Array((r - l) * (b - t) * 4);
  for (let y = t; y < b; y++) out.set(image.data.subarray((y * image.width + l) * 4, (y * image.width + r) * 4), (y - t) * (r - l) * 4);
  return { width: r - l, height: b - t, data: out };
}

export type Rgb = [number, number, number];

/** A transparent RGBA surface with anti-aliased discs, strokes and polygons (alpha-composited "over"). */
export class Canvas implements RgbaImage {
  readonly data: Uint8Array;

  constructor(readonly width: number, readonly height: number) {
    // Transparent black: where the alpha channel is lost, the background shows as black, not white.
    this.data = new Uint8Array(width * height * 4);
  }

  /** Paints `colour` over pixel (x, y) with coverage 0..1. */
  blend(x: number, y: number, colour: Rgb, coverage: number): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height || coverage <= 0) return;
    const i = (y * this.width + x) * 4;
    const a = Math.min(1, coverage);
    const under = this.data[i + 3]! / 255;
    const out = a + under * (1 - a);
    for (let c = 0; c < 3; c++) this.data[i + c] = Math.round((colour[c]! * a + this.data[i + c]! * under * (1 - a)) / out);
    this.data[i + 3] = Math.round(out * 255);
  }

  /** Paints every pixel whose centre's signed distance `inside(x, y)` (positive inside) is within reach. */
  private shade(box: [number, number, number, number], inside: (x: number, y: number) => number, colour: Rgb): void {
    const [x0, y0, x1, y1] = box.map(Math.round) as [number, number, number, number];
    for (let y = Math.max(0, y0); y <= Math.min(this.height - 1, y1); y++) {
      for (let x = Math.max(0, x0); x <= Math.min(this.width - 1, x1); x++) this.blend(x, y, colour, Math.max(0, Math.min(1, inside(x + 0.5, y + 0.5) + 0.5)));
    }
  }

  disc(cx: number, cy: number, r: number, colour: Rgb): void {
    this.shade([cx - r - 1, cy - r - 1, cx + r + 1, cy + r + 1], (x, y) => r - Math.hypot(x - cx, y - cy), colour);
  }

  ring(cx: number, cy: number, inner: number, outer: number, colour: Rgb): void {
    this.shade([cx - outer - 1, cy - outer - 1, cx + outer + 1, cy + outer + 1], (x, y) => {
      const d = Math.hypot(x - cx, y - cy);
      return Math.min(outer - d, d - inner);
    }, colour);
  }

  /** A pen of `width` pixels along the points (a polyline), without double-painting its own overlaps. */
  stroke(points: [number, number][], width: number, colour: Rgb): void {
    const r = width / 2;
    const xs = points.map((p) => p[0]);
    const ys = points.map((p) => p[1]);
    const segDistance = (x: number, y: number, [ax, ay]: [number, number], [bx, by]: [number, number]) => {
      const [dx, dy] = [bx - ax, by - ay];
      const t = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy || 1)));
      return Math.hypot(x - ax - t * dx, y - ay - t * dy);
    };
    this.shade([Math.min(...xs) - r - 1, Math.min(...ys) - r - 1, Math.max(...xs) + r + 1, Math.max(...ys) + r + 1], (x, y) => {
      let best = Infinity;
      for (let i = 1; i < points.length; i++) best = Math.min(best, segDistance(x, y, points[i - 1]!, points[i]!));
      return r - best;
    }, colour);
  }

  /** A filled polygon (even-odd rule, 4× supersampled edges). */
  polygon(points: [number, number][], colour: Rgb): void {
    const inside = (x: number, y: number) => {
      let odd = false;
      for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
        const [xi, yi] = points[i]!;
        const [xj, yj] = points[j]!;
        if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) odd = !odd;
      }
      return odd;
    };
    const xs = points.map((p) => p[0]);
    const ys = points.map((p) => p[1]);
    for (let y = Math.max(0, Math.floor(Math.min(...ys))); y <= Math.min(this.height - 1, Math.ceil(Math.max(...ys))); y++) {
      for (let x = Math.max(0, Math.floor(Math.min(...xs))); x <= Math.min(this.width - 1, Math.ceil(Math.max(...xs))); x++) {
        let n = 0;
        for (const [sx, sy] of [[0.25, 0.25], [0.75, 0.25], [0.25, 0.75], [0.75, 0.75]] as const) if (inside(x + sx, y + sy)) n++;
        this.blend(x, y, colour, n / 4);
      }
    }
  }
}

export const SIGNATURE_BLUE: Rgb = [18, 46, 168];
export const SEAL_RED: Rgb = [214, 24, 32];

/** A blue, handwriting-like signature on a transparent background: a looping flourish and an underline. */
export function drawSignature(width = 360, height = 140): Canvas {
  const c = new Canvas(width, height);
  const flourish: [number, number][] = [];
  for (let i = 0; i <= 400; i++) {
    const t = i / 400;
    const x = width * (0.08 + 0.8 * t) + 16 * Math.sin(13 * Math.PI * t);
    const y = height * (0.45 - 0.18 * t) - 30 * Math.sin(6 * Math.PI * t) * (1 - 0.4 * t) + 9 * Math.cos(21 * Math.PI * t);
    flourish.push([x, y]);
  }
  c.stroke(flourish, 5, SIGNATURE_BLUE);
  const underline: [number, number][] = [];
  for (let i = 0; i <= 60; i++) {
    const t = i / 60;
    underline.push([width * (0.18 + 0.72 * t), height * 0.78 - 10 * Math.sin(Math.PI * t)]);
  }
  c.stroke(underline, 4, SIGNATURE_BLUE);
  return c;
}

/** A red round seal on a transparent background: two rings, a ring of letter-like marks between them, a star. */
export function drawSeal(size = 400): Canvas {
  const c = new Canvas(size, size);
  const m = size / 2;
  c.ring(m, m, m * 0.93, m * 0.99, SEAL_RED);
  c.ring(m, m, m * 0.66, m * 0.7, SEAL_RED);
  for (let i = 0; i < 36; i++) {
    if (i % 9 === 8) continue; // gaps between "words"
    const a = (i / 36) * 2 * Math.PI;
    const [dx, dy] = [Math.cos(a), Math.sin(a)];
    const along = (r: number): [number, number] => [m + dx * r, m + dy * r];
    c.stroke([along(m * 0.74), along(m * 0.88)], m * 0.035, SEAL_RED);
    c.stroke([along(m * 0.74), [m + dx * m * 0.81 - dy * m * 0.05, m + dy * m * 0.81 + dx * m * 0.05]], m * 0.03, SEAL_RED);
  }
  const star: [number, number][] = [];
  for (let i = 0; i < 10; i++) {
    const a = -Math.PI / 2 + (i * Math.PI) / 5;
    const r = i % 2 === 0 ? m * 0.45 : m * 0.18;
    star.push([m + r * Math.cos(a), m + r * Math.sin(a)]);
  }
  c.polygon(star, SEAL_RED);
  return c;
}
