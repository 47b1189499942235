// Visible signature stamps as data (certs/stamps/*.json): where a stamp goes on the page and what
// it shows, line by line — a person's position and name around their signature image, an
// organisation's seal over the leader's signature, a copy's text block at the top right of page 1.
// The schema is checked here and every fault is reported in Vietnamese and English, naming the field.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { GovmailError } from '../../core/errors.js';

/** Values a line's template may name: `{commonName}`, or `{documentNumber|copyType}` for the first one present. */
export const STAMP_PLACEHOLDERS = [
  'commonName', // the signer certificate's CN
  'title', // its title attribute (2.5.4.12)
  'organisation', // O
  'organisationalUnit', // OU
  'documentNumber', // số và ký hiệu văn bản, from the signing call
  'copyType', // hình thức bản sao, from the signing call
  'signingTime', // ISO 8601 in Vietnam time: 2026-03-15T09:30:00+07:00
  'signingDate', // dd/mm/yyyy in Vietnam time
] as const;
export type StampPlaceholder = (typeof STAMP_PLACEHOLDERS)[number];

/** Bilingual texts for the faults the schema reports by key. */
const MESSAGES = {
  colour: { en: 'a colour written #RRGGBB, e.g. #0000FF', vi: 'màu dạng #RRGGBB, ví dụ #0000FF' },
  imageName: { en: 'a name of letters, digits, "-" or "_"', vi: 'tên gồm chữ, số, "-" hoặc "_"' },
  page: { en: '"first", "last" or a page number from 1', vi: '"first", "last" hoặc số trang từ 1' },
  occurrence: { en: '"first", "last" or a number from 1', vi: '"first", "last" hoặc một số từ 1' },
  imageSize: { en: 'exactly one of height (points) and diameterMm', vi: 'đúng một trong height (điểm) và diameterMm' },
} as const;
type MessageKey = keyof typeof MESSAGES;

const colour = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'colour');
const imageName = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'imageName');
const points = (max: number) => z.number().finite().min(0).max(max);
const size = z.number().finite().positive().max(2000);
const occurrence = z.custom<'first' | 'last' | number>((v) => v === 'first' || v === 'last' || (Number.isInteger(v) && (v as number) >= 1), 'occurrence');

const textLine = z
  .object({
    kind: z.literal('text'),
    /** A template: literal text with `{placeholder}`s. */
    text: z.string().min(1).max(300),
    /** Points; default the profile's fontSize. */
    size: z.number().finite().min(4).max(72).optional(),
    bold: z.boolean().default(false),
    color: colour.optional(),
    align: z.enum(['left', 'center', 'right']).optional(),
    /** Left out when a value it names is missing (otherwise signing stops and names the value). */
    optional: z.boolean().default(false),
  })
  .strict();

const imageLine = z
  .object({
    kind: z.literal('image'),
    /** A key of the profile's `images`. */
    image: imageName,
    /** Height in points (1/72 inch); the width follows the picture's proportions. */
    height: z.number().finite().positive().max(1000).optional(),
    /** Real size: the picture's width in millimetres (a seal's diameter); the height follows. */
    diameterMm: z.number().finite().positive().max(200).optional(),
    align: z.enum(['left', 'center', 'right']).optional(),
  })
  .strict();

// A line is an image when it names one, text otherwise; `kind` is implied, never written.
const line = z.preprocess(
  (v) => (v && typeof v === 'object' && !Array.isArray(v) ? { ...v, kind: 'image' in v ? 'image' : 'text' } : v),
  z.discriminatedUnion('kind', [textLine, imageLine]).superRefine((l, ctx) => {
    if (l.kind === 'image' && (l.height === undefined) === (l.diameterMm === undefined)) ctx.addIssue({ code: 'custom', message: 'imageSize', path: ['height'] });
  }),
);

const box = { width: size.optional(), height: size.optional() };

const position = z.discriminatedUnion('type', [
  /** The stamp's lower-left corner at (x, y) points from the page's lower-left corner. */
  z.object({ type: z.literal('box'), x: points(14400), y: points(14400), ...box }).strict(),
  /**
   * The stamp's top edge `dy` points above the baseline of a text found on the page; its left edge
   * at `x`, or its middle at `centerX`, or its left edge `dx` from the text's start.
   */
  z
    .object({
      type: z.literal('anchor'),
      text: z.string().min(1).max(200),
      occurrence: occurrence.default('last'),
      x: points(14400).optional(),
      centerX: points(14400).optional(),
      dx: z.number().finite().min(-2000).max(2000).default(0),
      dy: z.number().finite().min(-2000).max(2000).default(0),
      ...box,
    })
    .strict(),
  /** In a corner of the page, `marginX`/`marginY` points from its edges. */
  z
    .object({
      type: z.literal('corner'),
      corner: z.enum(['top-right', 'top-left', 'bottom-right', 'bottom-left']),
      marginX: points(2000).default(42),
      marginY: points(2000).default(28),
      ...box,
    })
    .strict(),
  /**
   * Over an earlier visible signature on the page (an organisation's seal over the leader's
   * signature): the stamp's right edge covers `overlap` of the target's width from its left, and
   * its middle is level with the target's (`dy` points higher). The target is the signature picture
   * in that widget (`target: "image"`, the widget itself when it has none) or the whole widget.
   */
  z
    .object({
      type: z.literal('signature'),
      field: z.string().min(1).max(200).optional(),
      target: z.enum(['image', 'block']).default('image'),
      overlap: z.number().finite().gt(0).max(1).default(1 / 3),
      dy: z.number().finite().min(-2000).max(2000).default(0),
    })
    .strict(),
]);

const schema = z
  .object({
    title: z.object({ vi: z.string().min(1), en: z.string().min(1) }).strict().optional(),
    page: z.custom<'first' | 'last' | number>((v) => v === 'first' || v === 'last' || (Number.isInteger(v) && (v as number) >= 1), 'page').default('last'),
    position,
    /** TrueType fonts with every Vietnamese letter; default DejaVu Sans (fonts-dejavu-core). */
    fonts: z.object({ regular: z.string().min(1), bold: z.string().min(1) }).partial().strict().default({}),
    fontSize: z.number().finite().min(4).max(72).default(11),
    color: colour.default('#000000'),
    align: z.enum(['left', 'center', 'right']).default('center'),
    /** Line height as a multiple of the font size. */
    lineSpacing: z.number().finite().min(1).max(3).default(1.25),
    /** Space inside the stamp's edges, points. */
    padding: points(72).default(2),
    /** Pictures by name: transparent PNG files, relative to the profile's folder. */
    images: z.record(imageName, z.string().min(1)).default({}),
    lines: z.array(line).min(1).max(20),
  })
  .strict();

export type StampProfile = z.infer<typeof schema>;
export type StampLine = StampProfile['lines'][number];
export type StampTextLine = Extract<StampLine, { kind: 'text' }>;
export type StampImageLine = Extract<StampLine, { kind: 'image' }>;
export type StampPosition = StampProfile['position'];

/** A stamp profile, or one of its images, that cannot be used; `field` names the offending value. */
export class StampProfileError extends GovmailError {
  constructor(
    readonly source: string,
    readonly field: string,
    en: string,
    vi: string,
  ) {
    super('STAMP_PROFILE_INVALID', `stamp profile ${source}: ${field}: ${en}`, `mẫu chữ ký hiển thị ${source}: ${field}: ${vi}`);
  }
}

/** `lines.2.size` → `lines[2].size`. */
function fieldPath(parts: (string | number)[]): string {
  return parts.reduce<string>((s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${p}` : p), '') || '(profile)';
}

function valueAt(input: unknown, parts: (string | number)[]): unknown {
  let v = input;
  for (const p of parts) v = v && typeof v === 'object' ? (v as Record<string | number, unknown>)[p] : undefined;
  return v;
}

const shown = (v: unknown) => {
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
};

/** What a zod issue means, in both languages. */
function describeIssue(issue: z.ZodIssue): { en: string; vi: string } {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.received === 'undefined') return { en: 'is required', vi: 'bắt buộc phải có' };
      if (issue.expected === 'integer') return { en: 'must be a whole number', vi: 'phải là số nguyên' };
      return { en: `must be of type ${issue.expected}`, vi: `phải có kiểu ${issue.expected}` };
    case 'too_small':
      if (issue.type === 'string') return { en: 'must not be empty', vi: 'không được để trống' };
      if (issue.type === 'array') return { en: `needs at least ${issue.minimum} item(s)`, vi: `cần ít nhất ${issue.minimum} phần tử` };
      return issue.inclusive
        ? { en: `must be at least ${issue.minimum}`, vi: `phải từ ${issue.minimum} trở lên` }
        : { en: `must be greater than ${issue.minimum}`, vi: `phải lớn hơn ${issue.minimum}` };
    case 'too_big':
      if (issue.type === 'string') return { en: `must be at most ${issue.maximum} characters`, vi: `dài tối đa ${issue.maximum} ký tự` };
      if (issue.type === 'array') return { en: `takes at most ${issue.maximum} items`, vi: `tối đa ${issue.maximum} phần tử` };
      return { en: `must be at most ${issue.maximum}`, vi: `không được lớn hơn ${issue.maximum}` };
    case 'invalid_enum_value':
      return { en: `must be one of ${issue.options.map(String).join(', ')}`, vi: `phải là một trong ${issue.options.map(String).join(', ')}` };
    case 'invalid_union_discriminator':
      return { en: `must be one of ${issue.options.map(String).join(', ')}`, vi: `phải là một trong ${issue.options.map(String).join(', ')}` };
    case 'invalid_literal':
      return { en: `must be ${shown(issue.expected)}`, vi: `phải là ${shown(issue.expected)}` };
    case 'unrecognized_keys':
      return { en: 'is not a key this profile knows (spelling?)', vi: 'không phải khoá hợp lệ của mẫu (sai chính tả?)' };
    default: {
      const known = MESSAGES[issue.message as MessageKey];
      if (known) return { en: `must be ${known.en}`, vi: `phải là ${known.vi}` };
      return { en: issue.message, vi: issue.message };
    }
  }
}

/** `{a}` and `{a|b}` in a template: the names, each alternative checked against STAMP_PLACEHOLDERS. */
export function templateNames(template: string): string[][] {
  return [...template.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1]!.split('|').map((n) => n.trim()));
}

/** The values a stamp's templates are filled with. */
export type StampValues = Partial<Record<StampPlaceholder, string>>;

/**
 * Fills a template; undefined when a placeholder has no value (every alternative missing or empty).
 * A literal brace is written `{{` or `}}`.
 */
export function fillTemplate(template: string, values: StampValues): { text?: string; missing: string[] } {
  const missing: string[] = [];
  const text = template
    .replace(/\{\{|\}\}|\{([^{}]*)\}/g, (whole, inner: string | undefined) => {
      if (inner === undefined) return whole[0]!;
      const names = inner.split('|').map((n) => n.trim());
      const value = names.map((n) => values[n as StampPlaceholder]).find((v) => v !== undefined && v.trim() !== '');
      if (value === undefined) missing.push(names.join('|'));
      return value ?? '';
    });
  return missing.length ? { missing } : { text, missing };
}

/**
 * Checks a parsed JSON value against the stamp profile schema and the rules across fields (an image
 * line names a declared image, templates name known values). `source` names the file in errors.
 */
export function parseStampProfile(input: unknown, source = 'profile'): StampProfile {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    // The preprocess adds `kind` to each line; a fault there is really the line's shape.
    const parts = [...issue.path.filter((p) => p !== 'kind'), ...(issue.code === 'unrecognized_keys' ? [issue.keys[0]!] : [])];
    const what = describeIssue(issue);
    const value = issue.code === 'unrecognized_keys' ? undefined : valueAt(input, parts);
    const got = value === undefined ? ['', ''] : [` (got ${shown(value)})`, ` (nhận được ${shown(value)})`];
    throw new StampProfileError(source, fieldPath(parts), `${what.en}${got[0]}`, `${what.vi}${got[1]}`);
  }
  const profile = parsed.data;
  for (const [i, l] of profile.lines.entries()) {
    if (l.kind === 'image' && !(l.image in profile.images)) {
      const declared = Object.keys(profile.images).join(', ') || '—';
      throw new StampProfileError(source, `lines[${i}].image`, `"${l.image}" is not one of the images declared in "images" (${declared})`, `"${l.image}" không có trong danh sách ảnh "images" (${declared})`);
    }
    if (l.kind === 'text') {
      for (const alternatives of templateNames(l.text)) {
        const unknown = alternatives.find((n) => !(STAMP_PLACEHOLDERS as readonly string[]).includes(n));
        if (unknown !== undefined) {
          const list = STAMP_PLACEHOLDERS.map((p) => `{${p}}`).join(', ');
          throw new StampProfileError(source, `lines[${i}].text`, `unknown value {${unknown}}; the values are ${list}`, `giá trị {${unknown}} không tồn tại; các giá trị là ${list}`);
        }
      }
    }
  }
  if (profile.position.type === 'signature' && !profile.lines.some((l) => l.kind === 'image')) {
    throw new StampProfileError(source, 'lines', 'a stamp placed over a signature (position.type "signature") needs an image line (the seal)', 'dấu đặt chồng lên chữ ký (position.type "signature") cần một dòng ảnh (con dấu)');
  }
  return profile;
}

/** A profile with its pictures read. */
export interface LoadedStampProfile {
  profile: StampProfile;
  /** PNG bytes by image name. */
  images: Record<string, Uint8Array>;
  /** The file it came from (for messages). */
  source: string;
}

/** Reads a profile file and the pictures it names (paths relative to the profile's folder). */
export function loadStampProfile(file: string): LoadedStampProfile {
  const source = path.basename(file);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new StampProfileError(source, '(file)', `cannot be read as JSON (${(e as Error).message})`, `không đọc được tệp JSON (${(e as Error).message})`);
  }
  const profile = parseStampProfile(json, source);
  const images: Record<string, Uint8Array> = {};
  for (const [name, rel] of Object.entries(profile.images)) {
    if (!profile.lines.some((l) => l.kind === 'image' && l.image === name)) continue;
    const at = path.resolve(path.dirname(file), rel);
    try {
      images[name] = new Uint8Array(readFileSync(at));
    } catch (e) {
      throw new StampProfileError(source, `images.${name}`, `cannot read ${at} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, `không đọc được ${at} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }
  return { profile, images, source };
}
