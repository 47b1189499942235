// The pictures a server-made visible stamp needs: a holder's handwritten signature (person stamps) and
// an agency's seal (organisation stamps). They live in the data folder, put there by an administrator
// (`govmail stamp-image set`), never sent by whoever asks for a signature: a caller that could hand in
// the seal could seal anything with any agency's seal.
//
//   DATA/stamps/signatures/<mailbox>.png   per holder, e.g. nguyenvana@sonv.bacninh.gov.vn.png
//   DATA/stamps/seals/<AGENCY CODE>.png     per agency, e.g. SNV.png
//
// Files, not database rows, like DATA/profiles and DATA/trust: the data folder is shared by every node.

import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PngEmbedder } from 'pdf-lib';
import { InvalidInputError } from '../core/errors.js';
import { checkPng } from './pdf/stamp.js';

export type StampImageKind = 'signature' | 'seal';

/** A seal scanned at 600 dpi is well under this; anything larger is a mistake (a photo of the desk). */
export const STAMP_IMAGE_MAX_BYTES = 2 * 1024 * 1024;
/** Pixels per side. */
const MAX_SIDE = 4000;

const MAILBOX_RE = /^[a-z0-9._%+-]{1,64}@[a-z0-9-]+(\.[a-z0-9-]+)+$/;
const AGENCY_RE = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,39}$/;

/** The file of a picture; the owner is checked so that no name can point outside the folder. */
export function stampImageFile(dataDir: string, kind: StampImageKind, owner: string): string {
  if (kind === 'signature') {
    const mailbox = owner.trim().toLowerCase();
    if (!MAILBOX_RE.test(mailbox) || mailbox.includes('..')) throw new InvalidInputError('holder', 'the holder\'s mailbox address', 'địa chỉ hộp thư của người ký', owner);
    return path.join(dataDir, 'stamps', 'signatures', `${mailbox}.png`);
  }
  const code = owner.trim();
  if (!AGENCY_RE.test(code) || code.includes('..')) throw new InvalidInputError('agency', 'an agency code (letters, digits, . _ -)', 'mã cơ quan (chữ, số, . _ -)', owner);
  return path.join(dataDir, 'stamps', 'seals', `${code}.png`);
}

/**
 * Checks a picture the way a stamp will use it: a PNG with transparency (so the text and the signature
 * under a seal stay visible), of a sensible size, that decodes completely.
 */
export async function checkStampImage(png: Uint8Array, kind: StampImageKind): Promise<void> {
  const field = kind === 'signature' ? 'signature' : 'seal';
  if (png.length > STAMP_IMAGE_MAX_BYTES) throw new InvalidInputError(field, `a PNG of at most ${STAMP_IMAGE_MAX_BYTES / 1024 / 1024} MiB`, `ảnh PNG tối đa ${STAMP_IMAGE_MAX_BYTES / 1024 / 1024} MiB`);
  const { width, height } = checkPng(png, `${field}.png`, field);
  if (width > MAX_SIDE || height > MAX_SIDE) throw new InvalidInputError(field, `a picture of at most ${MAX_SIDE} × ${MAX_SIDE} pixels`, `ảnh tối đa ${MAX_SIDE} × ${MAX_SIDE} điểm ảnh`, `${width} × ${height}`);
  try {
    await PngEmbedder.for(png);
  } catch (e) {
    throw new InvalidInputError(field, 'a PNG that decodes completely', 'ảnh PNG đọc được trọn vẹn', (e as Error).message.slice(0, 100));
  }
}

/** Stores (or replaces) a picture; written to a temporary file first so a reader never sees half of it. */
export async function saveStampImage(dataDir: string, kind: StampImageKind, owner: string, png: Uint8Array): Promise<string> {
  const file = stampImageFile(dataDir, kind, owner);
  await checkStampImage(png, kind);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o750 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, png, { mode: 0o640 });
  renameSync(tmp, file);
  return file;
}

export function removeStampImage(dataDir: string, kind: StampImageKind, owner: string): boolean {
  const file = stampImageFile(dataDir, kind, owner);
  if (!existsSync(file)) return false;
  rmSync(file);
  return true;
}

/** The stored picture, or undefined when there is none. */
export function loadStampImage(dataDir: string | undefined, kind: StampImageKind, owner: string | undefined): Uint8Array | undefined {
  if (!dataDir || !owner) return undefined;
  const file = stampImageFile(dataDir, kind, owner);
  try {
    return new Uint8Array(readFileSync(file));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}
