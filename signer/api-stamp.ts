// Visible stamps for signatures made with a server-held key (signer/api.ts, the webmail): the caller
// picks the kind and, if it wants, the page and a box; what the stamp says comes from the signer's
// certificate — whose subject was written from our records (name, position, agency) — and its
// pictures from the data folder (stamp-images.ts). Nothing the caller sends ends up as a name, a
// position or a seal.

import { GovmailError, InvalidInputError } from '../core/errors.js';
import { parseStampProfile, type StampProfile } from './pdf/stamp-profile.js';
import type { StampOptions } from './pdf/stamp.js';
import { loadStampImage } from './stamp-images.js';

export const SERVER_STAMP_KINDS = ['person', 'organisation', 'copy'] as const;
export type ServerStampKind = (typeof SERVER_STAMP_KINDS)[number];

export interface ServerStampBox {
  /** Lower-left corner, points from the page's lower-left corner. */
  x: number;
  y: number;
  width?: number;
  height?: number;
}

/** What a caller may say about a stamp: its kind, and optionally where. */
export interface ServerStampRequest {
  kind: ServerStampKind;
  /** "first", "last" or a page number from 1; default: last (person, organisation), 1 (copy). */
  page?: 'first' | 'last' | number;
  /** Overrides the kind's usual place. */
  box?: ServerStampBox;
  /** Copy stamps: the form of copy ("SAO Y", "TRÍCH SAO"), when the document has no number. */
  copyType?: string;
}

/** Field names as the caller knows them (the HTTP form's, or the plain function's). */
export interface StampFieldNames {
  kind: string;
  page: string;
  box: string;
  copyType: string;
}

const PLAIN_NAMES: StampFieldNames = { kind: 'stamp.kind', page: 'stamp.page', box: 'stamp.box', copyType: 'stamp.copyType' };
export const FORM_NAMES: StampFieldNames = { kind: 'stamp', page: 'stampPage', box: 'stampBox', copyType: 'copyType' };

const MAX_POINTS = 14400;

function page(value: unknown, field: string): ServerStampRequest['page'] {
  if (value === undefined || value === null || value === '') return undefined;
  if (value === 'first' || value === 'last') return value;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,5}$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 10000) throw new InvalidInputError(field, '"first", "last" or a page number from 1', '"first", "last" hoặc số trang từ 1', String(value).slice(0, 40));
  return n;
}

function box(value: unknown, field: string): ServerStampBox | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  // "x,y" or "x,y,width,height" in a form; an object in code.
  const parts = typeof value === 'string'
    ? value.split(',').map((s) => (/^\s*\d+(\.\d+)?\s*$/.test(s) ? Number(s) : NaN))
    : typeof value === 'object' ? [(value as ServerStampBox).x, (value as ServerStampBox).y, (value as ServerStampBox).width, (value as ServerStampBox).height].filter((v, i) => i < 2 || v !== undefined) : [];
  const ok = (parts.length === 2 || parts.length === 4) && parts.every((n) => typeof n === 'number' && Number.isFinite(n) && n >= 0 && n <= MAX_POINTS) && (parts.length === 2 || (parts[2]! > 0 && parts[3]! > 0));
  if (!ok) {
    throw new InvalidInputError(field, 'x,y or x,y,width,height in points (1/72 inch) from the page\'s lower-left corner, each 0–14400', 'x,y hoặc x,y,rộng,cao tính bằng điểm (1/72 inch) từ góc dưới bên trái trang, mỗi số 0–14400', typeof value === 'string' ? value.slice(0, 60) : undefined);
  }
  const [x, y, width, height] = parts as number[];
  return { x: x!, y: y!, ...(width !== undefined ? { width, height: height! } : {}) };
}

/**
 * Checks a stamp request (from code: an object; from a form: strings) before anything else happens.
 * Undefined when no stamp is wanted; `page`/`box`/`copyType` without a kind are refused.
 */
export function parseStampRequest(input: { kind?: unknown; page?: unknown; box?: unknown; copyType?: unknown } | undefined, names: StampFieldNames = PLAIN_NAMES): ServerStampRequest | undefined {
  if (input === undefined || input === null) return undefined;
  if (typeof input !== 'object') throw new InvalidInputError(names.kind, `one of ${SERVER_STAMP_KINDS.join(', ')}`, `một trong ${SERVER_STAMP_KINDS.join(', ')}`);
  const kind = typeof input.kind === 'string' ? input.kind.trim() : input.kind;
  if (kind === undefined || kind === null || kind === '' || kind === 'none') {
    const stray = (['page', 'box', 'copyType'] as const).find((k) => input[k] !== undefined && input[k] !== null && input[k] !== '');
    if (stray) throw new InvalidInputError(names[stray], `a stamp kind too (${names.kind}: ${SERVER_STAMP_KINDS.join(', ')})`, `kèm loại chữ ký hiển thị (${names.kind}: ${SERVER_STAMP_KINDS.join(', ')})`);
    return undefined;
  }
  if (typeof kind !== 'string' || !(SERVER_STAMP_KINDS as readonly string[]).includes(kind)) {
    throw new InvalidInputError(names.kind, `one of ${SERVER_STAMP_KINDS.join(', ')}`, `một trong ${SERVER_STAMP_KINDS.join(', ')} (cá nhân, cơ quan, bản sao)`, String(kind).slice(0, 40));
  }
  let copyType: string | undefined;
  if (input.copyType !== undefined && input.copyType !== null && input.copyType !== '') {
    const c = typeof input.copyType === 'string' ? input.copyType.normalize('NFC').trim() : '';
    if (!c || c.length > 60 || !/^[\p{L}\p{N} .,/()_-]+$/u.test(c)) throw new InvalidInputError(names.copyType, 'the form of copy, at most 60 letters, digits, spaces and . , / ( ) _ -, e.g. "SAO Y"', 'hình thức bản sao, tối đa 60 ký tự gồm chữ, số, dấu cách và . , / ( ) _ -, ví dụ "SAO Y"', String(input.copyType).slice(0, 60));
    if (kind !== 'copy') throw new InvalidInputError(names.copyType, 'only with a copy stamp', 'chỉ dùng với chữ ký trên bản sao (copy)');
    copyType = c;
  }
  const p = page(input.page, names.page);
  const b = box(input.box, names.box);
  return { kind: kind as ServerStampKind, ...(p !== undefined ? { page: p } : {}), ...(b ? { box: b } : {}), ...(copyType ? { copyType } : {}) };
}

/** The certificate profile each kind is for: a person's stamp shows a person, a seal an organisation. */
const KIND_PROFILES: Record<ServerStampKind, readonly string[]> = {
  person: ['individual'],
  organisation: ['organisation'],
  copy: ['organisation', 'individual'],
};

const KIND_VI: Record<ServerStampKind, string> = { person: 'cá nhân', organisation: 'cơ quan (con dấu)', copy: 'bản sao' };

/** Where the leader signs on an official letter: level with "Nơi nhận:", centred at x = 430 pt (certs/stamps/person.json). */
const PERSON_ANCHOR = { type: 'anchor', text: 'Nơi nhận:', occurrence: 'last', centerX: 430, dy: 13 } as const;
/** Without "Nơi nhận:" in the document: the bottom right corner of the page. */
const PERSON_CORNER = { type: 'corner', corner: 'bottom-right', marginX: 56, marginY: 36 } as const;

function profileFor(req: ServerStampRequest, hasPicture: boolean, fallback: boolean): StampProfile {
  const position = req.box ? { type: 'box', ...req.box } : undefined;
  switch (req.kind) {
    case 'person':
      return parseStampProfile({
        page: req.page ?? 'last',
        position: position ?? (fallback ? PERSON_CORNER : PERSON_ANCHOR),
        fontSize: 12,
        lineSpacing: 1.3,
        images: hasPicture ? { signature: 'signature.png' } : {},
        lines: [
          { text: '{title}', bold: true, optional: true },
          ...(hasPicture ? [{ image: 'signature', height: 56 }] : []),
          { text: '{commonName}', bold: true },
        ],
      }, 'person');
    case 'organisation':
      return parseStampProfile({
        page: req.page ?? 'last',
        position: position ?? { type: 'signature', target: 'image', overlap: 0.3333 },
        padding: 0,
        images: { seal: 'seal.png' },
        lines: [{ image: 'seal', diameterMm: 36 }],
      }, 'organisation');
    case 'copy':
      return parseStampProfile({
        page: req.page ?? 1,
        position: position ?? { type: 'corner', corner: 'top-right', marginX: 42, marginY: 20 },
        fontSize: 10,
        lineSpacing: 1.2,
        align: 'left',
        lines: [{ text: '{commonName}' }, { text: '{documentNumber|copyType}', optional: true }, { text: '{signingTime}' }],
      }, 'copy');
  }
}

/** A stamp as signPdf takes it, and the one to try when the usual anchor is not in the document. */
export interface ResolvedStamp {
  stamp: StampOptions;
  /** A person stamp placed by "Nơi nhận:" falls back to the bottom right corner when the text is missing. */
  fallback?: StampOptions;
}

/**
 * Builds the stamp for a certificate and its holder: refuses a kind that does not fit the certificate,
 * and an organisation stamp without the agency's seal. Values come only from the certificate (signPdf
 * fills commonName, title, organisation) plus the document number and the form of copy.
 */
export function resolveServerStamp(
  req: ServerStampRequest,
  o: { certificateProfile: string; holder: string; agencyCode?: string; dataDir?: string; documentNumber?: string },
): ResolvedStamp {
  if (!KIND_PROFILES[req.kind].includes(o.certificateProfile)) {
    throw new GovmailError(
      'STAMP_NOT_FOR_CERTIFICATE',
      `a ${req.kind} stamp cannot be made with an ${o.certificateProfile} certificate (it needs ${KIND_PROFILES[req.kind].join(' or ')})`,
      `không thể đóng chữ ký hiển thị loại ${KIND_VI[req.kind]} bằng chứng thư loại ${o.certificateProfile} (cần ${KIND_PROFILES[req.kind].join(' hoặc ')})`,
      400,
    );
  }
  const values = { ...(o.documentNumber ? { documentNumber: o.documentNumber } : {}), ...(req.copyType ? { copyType: req.copyType } : {}) };
  if (req.kind === 'organisation') {
    const seal = loadStampImage(o.dataDir, 'seal', o.agencyCode);
    if (!seal) {
      throw new GovmailError(
        'STAMP_IMAGE_MISSING',
        `no seal is stored for agency ${o.agencyCode ?? '(unknown)'}: an administrator adds it with "govmail stamp-image set SEAL.png --agency ${o.agencyCode ?? 'CODE'}"`,
        `chưa có ảnh con dấu của cơ quan ${o.agencyCode ?? '(không rõ)'}: quản trị viên thêm bằng lệnh "govmail stamp-image set CON-DAU.png --agency ${o.agencyCode ?? 'MÃ'}"`,
        409,
      );
    }
    return { stamp: { profile: profileFor(req, true, false), images: { seal }, values, source: 'organisation' } };
  }
  if (req.kind === 'person') {
    // No stored picture: position and name only — still the signer's own words, and the seal can go over it.
    const picture = loadStampImage(o.dataDir, 'signature', o.holder);
    const images: Record<string, Uint8Array> = picture ? { signature: picture } : {};
    const stamp: StampOptions = { profile: profileFor(req, !!picture, false), images, values, source: 'person' };
    return req.box ? { stamp } : { stamp, fallback: { ...stamp, profile: profileFor(req, !!picture, true) } };
  }
  return { stamp: { profile: profileFor(req, false, false), values, source: 'copy' } };
}
