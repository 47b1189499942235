// Visible signature stamps: a stamp profile (stamp-profile.ts) laid out on the page the document
// has, and drawn as the signature widget's normal appearance — a form XObject whose text uses an
// embedded TrueType subset with a /ToUnicode map (so the words can be found and copied) and whose
// pictures are image XObjects with a soft mask from the PNG's alpha channel. pdf-lib only builds
// these objects inside the opened document; our incremental writer appends them.

import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fontkit from '@pdf-lib/fontkit';
import { CustomFontSubsetEmbedder, PDFArray, PDFContext, PDFDict, PDFName, PDFNumber, PDFRawStream, PDFRef, PngEmbedder } from 'pdf-lib';
import type * as pkijs from 'pkijs';
import { GovmailError } from '../../core/errors.js';
import { pageRefs, type OpenedPdf } from './document.js';
import { signatureFields, type AppearanceBuilder, type WidgetOptions } from './fields.js';
import { appearanceImages, findText, inherited, pageContent, type Rect } from './stamp-content.js';
import { StampProfileError, fillTemplate, type StampProfile, type StampValues } from './stamp-profile.js';

/** Debian's fonts-dejavu-core (installed by scripts/setup.sh): every Vietnamese letter, regular and bold. */
export const DEFAULT_STAMP_FONTS = {
  regular: '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  bold: '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf',
} as const;

export interface StampOptions {
  profile: StampProfile;
  /**
   * Values for the templates. signPdf adds the signer certificate's commonName, title,
   * organisation and organisationalUnit (unless given here) and the signing time.
   */
  values?: StampValues;
  /** PNG bytes by image name; loadStampProfile reads them from the paths in the profile. */
  images?: Record<string, Uint8Array>;
  /** The profile's file name, for messages. */
  source?: string;
}

/** Points per millimetre. */
export const POINTS_PER_MM = 72 / 25.4;

const VIETNAM_OFFSET_MS = 7 * 3600_000;
const two = (n: number) => String(n).padStart(2, '0');

/** ISO 8601 in Vietnam time (no daylight saving): 2026-03-15T09:30:00+07:00. */
export function vietnamIsoTime(when: Date): string {
  const l = new Date(when.getTime() + VIETNAM_OFFSET_MS);
  return `${l.getUTCFullYear()}-${two(l.getUTCMonth() + 1)}-${two(l.getUTCDate())}T${two(l.getUTCHours())}:${two(l.getUTCMinutes())}:${two(l.getUTCSeconds())}+07:00`;
}

/** dd/mm/yyyy in Vietnam time. */
export function vietnamDate(when: Date): string {
  const l = new Date(when.getTime() + VIETNAM_OFFSET_MS);
  return `${two(l.getUTCDate())}/${two(l.getUTCMonth() + 1)}/${l.getUTCFullYear()}`;
}

const SUBJECT_OIDS: [keyof StampValues, string][] = [
  ['commonName', '2.5.4.3'],
  ['title', '2.5.4.12'],
  ['organisation', '2.5.4.10'],
  ['organisationalUnit', '2.5.4.11'],
];

/** The stamp values a certificate's subject gives: CN, title, O, OU. */
export function certificateStampValues(cert: pkijs.Certificate): StampValues {
  const out: StampValues = {};
  for (const [key, oid] of SUBJECT_OIDS) {
    const tv = cert.subject.typesAndValues.find((t) => t.type === oid);
    const value = (tv?.value as { valueBlock?: { value?: unknown } } | undefined)?.valueBlock?.value;
    if (typeof value === 'string' && value.trim()) out[key] = value.trim();
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Pictures: transparent PNGs only.

interface PngInfo {
  width: number;
  height: number;
}

/** Reads a PNG's size and refuses one without transparency (the seal must not hide the signature under it). */
export function checkPng(bytes: Uint8Array, source: string, name: string): PngInfo {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const field = `images.${name}`;
  if (b.length < 33 || b.readUInt32BE(0) !== 0x89504e47 || b.toString('latin1', 12, 16) !== 'IHDR') {
    throw new StampProfileError(source, field, 'is not a PNG image', 'không phải ảnh PNG');
  }
  const width = b.readUInt32BE(16);
  const height = b.readUInt32BE(20);
  const colourType = b[25]!;
  let transparent = colourType === 4 || colourType === 6;
  for (let at = 8; !transparent && at + 8 <= b.length; ) {
    const length = b.readUInt32BE(at);
    const type = b.toString('latin1', at + 4, at + 8);
    if (type === 'tRNS') transparent = true;
    if (type === 'IDAT' || type === 'IEND') break;
    at += 12 + length;
  }
  if (!transparent) {
    throw new StampProfileError(source, field, 'must be a PNG with a transparent background (an alpha channel), so the text and signature under it stay visible', 'phải là ảnh PNG nền trong suốt (có kênh alpha) để chữ và chữ ký bên dưới vẫn nhìn thấy');
  }
  if (!width || !height) throw new StampProfileError(source, field, 'has no pixels', 'không có điểm ảnh');
  return { width, height };
}

// ---------------------------------------------------------------------------------------------
// Layout.

type Rgb = [number, number, number];
type Align = 'left' | 'center' | 'right';

type Item =
  | { kind: 'text'; text: string; size: number; font: 'regular' | 'bold'; color: Rgb; align: Align; width: number; height: number; line: number }
  | { kind: 'image'; name: string; bytes: Uint8Array; align: Align; width: number; height: number; line: number };

const rgb = (hex: string): Rgb => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255) as Rgb;
const fmt = (n: number) => (Math.round(n * 1000) / 1000).toString();

interface LoadedFont {
  embedder: CustomFontSubsetEmbedder;
  path: string;
  ascent: number;
  descent: number;
}

type Fontkit = Parameters<typeof CustomFontSubsetEmbedder.for>[0];
type ParsedFont = ReturnType<Fontkit['create']>;

/** A small most-recently-used cache: fonts and pictures are the same from one signing to the next. */
class Recent<V> {
  private readonly entries = new Map<string, V>();
  constructor(private readonly limit: number) {}
  async get(key: string, make: () => V | Promise<V>): Promise<V> {
    let value = this.entries.get(key);
    if (value === undefined) value = await make();
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.limit) this.entries.delete(this.entries.keys().next().value!);
    return value;
  }
}

/**
 * Font files by path. Only the bytes are kept: a parsed fontkit font carries state from one subset to
 * the next (seen: a glyph of one signing's stamp missing from the next document's subset, "Lê Qu ng
 * Tuấn"), so each signing parses its own.
 */
const fontFiles = new Recent<Uint8Array>(8);

async function loadFont(path: string): Promise<LoadedFont> {
  const data = await fontFiles.get(path, () => {
    try {
      return new Uint8Array(readFileSync(path));
    } catch (e) {
      throw new GovmailError(
        'STAMP_FONT_MISSING',
        `the stamp font ${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); install fonts-dejavu-core (scripts/setup.sh) or name a font in the profile's "fonts"`,
        `không đọc được phông chữ ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); hãy cài fonts-dejavu-core (scripts/setup.sh) hoặc chỉ định phông trong "fonts" của mẫu`,
      );
    }
  });
  let font: ParsedFont;
  try {
    font = fontkit.create(data);
  } catch (e) {
    throw new GovmailError('STAMP_FONT_MISSING', `the stamp font ${path} is not a TrueType/OpenType font (${(e as Error).message})`, `tệp ${path} không phải phông TrueType/OpenType (${(e as Error).message})`);
  }
  // A subset is named with a tag of six capital letters and "+" (§9.6.4); ligatures are off, so
  // every glyph stands for one character in /ToUnicode. Each signing gets its own subset.
  const tag = Array.from(randomBytes(6), (b) => String.fromCharCode(65 + (b % 26))).join('');
  const postscriptName = (font.postscriptName ?? 'Font').replace(/[^!-~]|[/()<>[\]{}%#]/g, '');
  const reuse: Fontkit = { create: () => font };
  const embedder = await CustomFontSubsetEmbedder.for(reuse, data, `${tag}+${postscriptName}`, { liga: false, rlig: false, clig: false, dlig: false });
  const upem = font.unitsPerEm;
  return { embedder, path, ascent: font.ascent / upem, descent: Math.abs(font.descent) / upem };
}

/** A PNG as a PDF image: its RGB samples and its alpha channel, each Flate-compressed (pdf-lib decodes it once). */
interface Picture {
  width: number;
  height: number;
  bits: number;
  rgb: Uint8Array;
  alpha?: Uint8Array;
}

const pictures = new Recent<Picture>(32);

async function picture(bytes: Uint8Array): Promise<Picture> {
  return pictures.get(createHash('sha256').update(bytes).digest('hex'), async () => {
    const scratch = PDFContext.create();
    const image = scratch.lookup(await (await PngEmbedder.for(bytes)).embedIntoContext(scratch));
    if (!(image instanceof PDFRawStream)) throw new Error('PngEmbedder made no image stream');
    const smask = image.dict.lookup(PDFName.of('SMask'));
    const n = (key: string) => (image.dict.get(PDFName.of(key)) as PDFNumber).asNumber();
    return { width: n('Width'), height: n('Height'), bits: n('BitsPerComponent'), rgb: image.contents, ...(smask instanceof PDFRawStream ? { alpha: smask.contents } : {}) };
  });
}

/** The image XObject (and its /SMask) in the document being signed. */
function embedPicture(context: PDFContext, p: Picture): PDFRef {
  const base = { Type: 'XObject', Subtype: 'Image', Width: p.width, Height: p.height, BitsPerComponent: p.bits, Filter: 'FlateDecode' };
  const smask = p.alpha ? context.register(PDFRawStream.of(context.obj({ ...base, ColorSpace: 'DeviceGray', Decode: [0, 1] }), p.alpha)) : undefined;
  return context.register(PDFRawStream.of(context.obj({ ...base, ColorSpace: 'DeviceRGB', ...(smask ? { SMask: smask } : {}) }), p.rgb));
}

interface Layout {
  pageIndex: number;
  rect: Rect;
  width: number;
  height: number;
  items: Item[];
  fonts: Partial<Record<'regular' | 'bold', LoadedFont>>;
  padding: number;
  lineSpacing: number;
}

function pageIndexOf(profile: StampProfile, count: number, source: string): number {
  const index = profile.page === 'first' ? 0 : profile.page === 'last' ? count - 1 : profile.page - 1;
  if (index < 0 || index >= count) {
    throw new StampProfileError(source, 'page', `page ${String(profile.page)} does not exist (the document has ${count})`, `trang ${String(profile.page)} không tồn tại (tài liệu có ${count} trang)`);
  }
  return index;
}

function rectOf(value: unknown): Rect | undefined {
  if (!(value instanceof PDFArray) || value.size() !== 4) return undefined;
  const v = value.asArray().map((o) => (o instanceof PDFNumber ? o.asNumber() : NaN));
  if (v.some((x) => !Number.isFinite(x))) return undefined;
  return [Math.min(v[0]!, v[2]!), Math.min(v[1]!, v[3]!), Math.max(v[0]!, v[2]!), Math.max(v[1]!, v[3]!)];
}

/** The earlier visible signature the stamp goes over: the named field, else the last one on the page. */
function targetSignature(doc: OpenedPdf, pageRef: PDFRef, position: Extract<StampProfile['position'], { type: 'signature' }>, source: string, pageNumber: number): Rect {
  const { context } = doc;
  const page = context.lookup(pageRef, PDFDict);
  const annots = page.lookup(PDFName.of('Annots'));
  const onPage = new Set(annots instanceof PDFArray ? annots.asArray().map((a) => (a instanceof PDFRef ? a.tag : '')) : []);
  const candidates: { name: string; widget: PDFDict; rect: Rect }[] = [];
  for (const f of signatureFields(context, doc.catalog)) {
    const kids = f.field.lookup(PDFName.of('Kids'));
    const widgets: { ref?: PDFRef; dict: PDFDict }[] = kids instanceof PDFArray
      ? kids.asArray().flatMap((k) => {
          const d = k instanceof PDFRef ? context.lookup(k) : k;
          return d instanceof PDFDict ? [{ ...(k instanceof PDFRef ? { ref: k } : {}), dict: d }] : [];
        })
      : [{ ...(f.ref ? { ref: f.ref } : {}), dict: f.field }];
    for (const w of widgets) {
      const rect = rectOf(w.dict.lookup(PDFName.of('Rect')));
      const p = w.dict.get(PDFName.of('P'));
      const here = (p instanceof PDFRef && p.tag === pageRef.tag) || (w.ref !== undefined && onPage.has(w.ref.tag));
      if (here && rect && rect[2] - rect[0] > 0 && rect[3] - rect[1] > 0 && f.value) candidates.push({ name: f.name, widget: w.dict, rect });
    }
  }
  const chosen = position.field ? candidates.filter((c) => c.name === position.field).pop() : candidates.pop();
  if (!chosen) {
    const which = position.field ? `signature field "${position.field}"` : 'signature';
    const whichVi = position.field ? `trường chữ ký "${position.field}"` : 'chữ ký';
    throw new StampProfileError(
      source,
      position.field ? 'position.field' : 'position',
      `there is no visible ${which} on page ${pageNumber} to place this stamp over; the leader signs with a visible stamp first`,
      `trang ${pageNumber} không có ${whichVi} hiển thị nào để đặt dấu lên; người có thẩm quyền phải ký hiển thị trước`,
    );
  }
  if (position.target === 'block') return chosen.rect;
  const images = appearanceImages(context, chosen.widget, chosen.rect);
  const area = (r: Rect) => (r[2] - r[0]) * (r[3] - r[1]);
  return images.sort((a, b) => area(b) - area(a))[0] ?? chosen.rect;
}

async function layout(doc: OpenedPdf, stamp: StampOptions, values: StampValues): Promise<Layout> {
  const { profile } = stamp;
  const source = stamp.source ?? 'profile';
  const { context } = doc;
  const pages = pageRefs(doc);
  const pageIndex = pageIndexOf(profile, pages.length, source);
  const pageRef = pages[pageIndex]!;
  const page = context.lookup(pageRef, PDFDict);
  const pageBox = rectOf(inherited(context, page, 'CropBox')) ?? rectOf(inherited(context, page, 'MediaBox')) ?? [0, 0, 595.28, 841.89];
  const rotate = inherited(context, page, 'Rotate');
  if (rotate instanceof PDFNumber && ((rotate.asNumber() % 360) + 360) % 360 !== 0) {
    throw new GovmailError('STAMP_PAGE_ROTATED', `page ${pageIndex + 1} is rotated (/Rotate ${rotate.asNumber()}); visible stamps are placed on unrotated pages only`, `trang ${pageIndex + 1} bị xoay (/Rotate ${rotate.asNumber()}); chỉ đặt chữ ký hiển thị trên trang không xoay`);
  }

  // The lines, with their values filled in and measured.
  const fonts: Layout['fonts'] = {};
  const fontFor = async (kind: 'regular' | 'bold') => (fonts[kind] ??= await loadFont(profile.fonts[kind] ?? DEFAULT_STAMP_FONTS[kind]));
  const items: Item[] = [];
  for (const [i, line] of profile.lines.entries()) {
    const align = line.align ?? profile.align;
    if (line.kind === 'text') {
      const filled = fillTemplate(line.text, values);
      if (filled.text === undefined) {
        if (line.optional) continue;
        const names = filled.missing.map((m) => `{${m}}`).join(', ');
        throw new GovmailError(
          'STAMP_VALUE_MISSING',
          `stamp profile ${source}: lines[${i}].text needs ${names}: pass it to signPdf (stamp.values) or on the command line (--document-number, --copy-type)`,
          `mẫu chữ ký hiển thị ${source}: lines[${i}].text cần ${names}: hãy truyền vào signPdf (stamp.values) hoặc dòng lệnh (--document-number, --copy-type)`,
        );
      }
      const text = filled.text.normalize('NFC').replace(/\s+/g, ' ').trim();
      if (!text) continue;
      const kind = line.bold ? 'bold' : 'regular';
      const font = await fontFor(kind);
      for (const ch of text) {
        if (!font.embedder.font.hasGlyphForCodePoint(ch.codePointAt(0)!)) {
          const cp = `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
          throw new GovmailError('STAMP_FONT_GLYPH', `the font ${font.path} has no glyph for "${ch}" (${cp}) in lines[${i}]`, `phông chữ ${font.path} không có ký tự "${ch}" (${cp}) ở lines[${i}]`);
        }
      }
      const size = line.size ?? profile.fontSize;
      items.push({ kind: 'text', text, size, font: kind, color: rgb(line.color ?? profile.color), align, width: font.embedder.widthOfTextAtSize(text, size), height: size * profile.lineSpacing, line: i });
    } else {
      const bytes = stamp.images?.[line.image];
      if (!bytes) {
        throw new StampProfileError(source, `images.${line.image}`, 'no picture was given for this image (signPdf stamp.images, or a file next to the profile)', 'chưa có ảnh cho mục này (stamp.images của signPdf, hoặc tệp cạnh tệp mẫu)');
      }
      const png = checkPng(bytes, source, line.image);
      const width = line.diameterMm !== undefined ? line.diameterMm * POINTS_PER_MM : (line.height! * png.width) / png.height;
      const height = line.diameterMm !== undefined ? (width * png.height) / png.width : line.height!;
      items.push({ kind: 'image', name: line.image, bytes, align, width, height, line: i });
    }
  }
  if (items.length === 0) throw new StampProfileError(source, 'lines', 'every line is optional and none has a value: the stamp would be empty', 'mọi dòng đều tuỳ chọn và không dòng nào có giá trị: dấu sẽ trống');

  // The box: given, or fitted to the lines. Text wider than a given width is set smaller.
  const pos = profile.position;
  const pad = profile.padding;
  const givenWidth = pos.type === 'signature' ? undefined : pos.width;
  const givenHeight = pos.type === 'signature' ? undefined : pos.height;
  if (givenWidth !== undefined) {
    const inner = givenWidth - 2 * pad;
    for (const item of items) {
      if (item.width <= inner) continue;
      const k = inner / item.width;
      if (item.kind === 'text') {
        if (item.size * k < 4) {
          throw new StampProfileError(source, 'position.width', `${fmt(givenWidth)} pt is too narrow for "${item.text}" (lines[${item.line}]) even at 4 pt`, `${fmt(givenWidth)} điểm quá hẹp cho "${item.text}" (lines[${item.line}]) kể cả cỡ chữ 4`);
        }
        item.size *= k;
        item.height *= k;
      } else {
        item.height *= k;
      }
      item.width = inner;
    }
  }
  const contentHeight = items.reduce((h, it) => h + it.height, 0) + 2 * pad;
  const width = givenWidth ?? Math.max(...items.map((it) => it.width)) + 2 * pad;
  const height = givenHeight ?? contentHeight;
  if (contentHeight > height + 0.01) {
    throw new StampProfileError(source, 'position.height', `${fmt(height)} pt is too low for the lines, which need ${fmt(contentHeight)} pt`, `${fmt(height)} điểm quá thấp, các dòng cần ${fmt(contentHeight)} điểm`);
  }

  let rect: Rect;
  const [px1, py1, px2, py2] = pageBox;
  if (pos.type === 'box') {
    rect = [px1 + pos.x, py1 + pos.y, px1 + pos.x + width, py1 + pos.y + height];
  } else if (pos.type === 'anchor') {
    const found = findText(pageContent(context, page).glyphs, pos.text, pos.occurrence);
    if (!found) {
      throw new StampProfileError(source, 'position.text', `"${pos.text}" (${String(pos.occurrence)} occurrence) is not on page ${pageIndex + 1}`, `không tìm thấy "${pos.text}" (lần xuất hiện ${String(pos.occurrence)}) trên trang ${pageIndex + 1}`);
    }
    const left = pos.centerX !== undefined ? px1 + pos.centerX - width / 2 : pos.x !== undefined ? px1 + pos.x : found.x + pos.dx;
    const top = found.baseline + pos.dy;
    rect = [left, top - height, left + width, top];
  } else if (pos.type === 'corner') {
    const left = pos.corner.endsWith('right') ? px2 - pos.marginX - width : px1 + pos.marginX;
    const bottom = pos.corner.startsWith('top') ? py2 - pos.marginY - height : py1 + pos.marginY;
    rect = [left, bottom, left + width, bottom + height];
  } else {
    const target = targetSignature(doc, pageRef, pos, source, pageIndex + 1);
    const right = target[0] + pos.overlap * (target[2] - target[0]);
    const middle = (target[1] + target[3]) / 2 + pos.dy;
    rect = [right - width, middle - height / 2, right, middle + height / 2];
  }
  rect = rect.map((v) => Math.round(v * 1000) / 1000) as Rect;
  const slack = 0.5;
  if (rect[0] < px1 - slack || rect[1] < py1 - slack || rect[2] > px2 + slack || rect[3] > py2 + slack) {
    throw new StampProfileError(
      source,
      'position',
      `the stamp [${rect.map(fmt).join(' ')}] falls outside page ${pageIndex + 1} [${pageBox.map(fmt).join(' ')}]`,
      `dấu [${rect.map(fmt).join(' ')}] nằm ngoài trang ${pageIndex + 1} [${pageBox.map(fmt).join(' ')}]`,
    );
  }
  return { pageIndex, rect, width: rect[2] - rect[0], height: rect[3] - rect[1], items, fonts, padding: pad, lineSpacing: profile.lineSpacing };
}

// ---------------------------------------------------------------------------------------------
// Drawing.

const FONT_RESOURCE = { regular: 'F1', bold: 'F2' } as const;

/** Builds the appearance form XObject (and its fonts and images) in the document's context. */
async function drawAppearance(l: Layout, { context, add }: AppearanceBuilder): Promise<PDFRef> {
  const ops: string[] = [];
  const xobjects: Record<string, PDFRef> = {};
  let y = l.height - l.padding;
  const xFor = (align: Align, w: number) => (align === 'left' ? l.padding : align === 'right' ? l.width - l.padding - w : (l.width - w) / 2);
  // Text first (each encodeText marks the glyphs the subset keeps), the fonts after.
  for (const item of l.items) {
    if (item.kind === 'text') {
      const font = l.fonts[item.font]!;
      const ink = (font.ascent + font.descent) * item.size;
      const baseline = y - (item.height - ink) / 2 - font.ascent * item.size;
      const hex = font.embedder.encodeText(item.text).toString();
      ops.push(`BT /${FONT_RESOURCE[item.font]} ${fmt(item.size)} Tf ${item.color.map(fmt).join(' ')} rg ${fmt(xFor(item.align, item.width))} ${fmt(baseline)} Td ${hex} Tj ET`);
    } else {
      const name = `Im${Object.keys(xobjects).length + 1}`;
      xobjects[name] = embedPicture(context, await picture(item.bytes));
      ops.push(`q ${fmt(item.width)} 0 0 ${fmt(item.height)} ${fmt(xFor(item.align, item.width))} ${fmt(y - item.height)} cm /${name} Do Q`);
    }
    y -= item.height;
  }
  const fontRefs: Record<string, PDFRef> = {};
  for (const kind of ['regular', 'bold'] as const) {
    const font = l.fonts[kind];
    // Writes the subset (only the glyphs used), its widths and the /ToUnicode CMap, complete now.
    if (font && l.items.some((i) => i.kind === 'text' && i.font === kind)) fontRefs[FONT_RESOURCE[kind]] = await font.embedder.embedIntoContext(context);
  }
  const resources: Record<string, Record<string, PDFRef>> = {};
  if (Object.keys(fontRefs).length) resources.Font = fontRefs;
  if (Object.keys(xobjects).length) resources.XObject = xobjects;
  const form = context.flateStream(`q\n${ops.join('\n')}\nQ\n`, {
    Type: 'XObject',
    Subtype: 'Form',
    BBox: [0, 0, Number(fmt(l.width)), Number(fmt(l.height))],
    Resources: resources,
  });
  return add(form);
}

/**
 * The widget options that place and draw a stamp. `values` are the template values (the signing
 * call's and the certificate's); the page, rectangle and appearance are decided once the document
 * is open, from its pages, its text and its earlier signatures.
 */
export function stampWidget(stamp: StampOptions, values: StampValues): WidgetOptions {
  return {
    resolve: async (doc) => {
      const l = await layout(doc, stamp, values);
      return { page: l.pageIndex, rect: l.rect, appearance: (builder) => drawAppearance(l, builder) };
    },
  };
}

/** Where a stamp would go and how large it is, without signing (for previews and tests). */
export async function stampPlacement(doc: OpenedPdf, stamp: StampOptions, values: StampValues): Promise<{ page: number; rect: Rect }> {
  const l = await layout(doc, stamp, values);
  return { page: l.pageIndex, rect: l.rect };
}

