// Small pieces of PDF syntax that pdf-lib does not give us in the form a signature needs.

import { PDFHexString, PDFObject, PDFString } from 'pdf-lib';
import { GovmailError } from '../../core/errors.js';

/** A GovmailError about a PDF, Vietnamese first. */
export function pdfError(code: string, en: string, vi: string): GovmailError {
  return new GovmailError(code, en, vi);
}

export const latin1 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

/** Position of `needle` in `hay` between `from` and `to` (exclusive), or -1. */
export function indexOfBytes(hay: Uint8Array, needle: Uint8Array, from = 0, to = hay.length): number {
  const i = Buffer.from(hay.buffer, hay.byteOffset, to).indexOf(needle, from);
  return i;
}

/** Vietnam does not observe daylight saving: +07:00 all year. */
const VIETNAM_OFFSET_MINUTES = 7 * 60;

/** A PDF date string (PDF 32000-1 §7.9.4) in Vietnam time, e.g. D:20260315093000+07'00'. */
export function pdfDate(when: Date, offsetMinutes = VIETNAM_OFFSET_MINUTES): PDFString {
  if (Number.isNaN(when.getTime())) throw pdfError('INVALID_INPUT', 'signing time is not a valid date', 'thời điểm ký không hợp lệ');
  const local = new Date(when.getTime() + offsetMinutes * 60_000);
  const two = (n: number) => String(n).padStart(2, '0');
  const stamp =
    `${local.getUTCFullYear()}${two(local.getUTCMonth() + 1)}${two(local.getUTCDate())}` +
    `${two(local.getUTCHours())}${two(local.getUTCMinutes())}${two(local.getUTCSeconds())}`;
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return PDFString.of(`D:${stamp}${sign}${two(Math.floor(abs / 60))}'${two(abs % 60)}'`);
}

/** A text string as UTF-16BE with BOM in hex, so Vietnamese diacritics survive every reader. */
export function pdfText(text: string): PDFHexString {
  return PDFHexString.fromText(text);
}

/**
 * Literal PDF text written as is. Used for the placeholders a signature needs at a fixed width
 * (the /ByteRange array is patched in place after the file is laid out).
 */
export class PdfLiteral extends PDFObject {
  constructor(private readonly text: string) {
    super();
  }
  override clone(): PdfLiteral {
    return new PdfLiteral(this.text);
  }
  override toString(): string {
    return this.text;
  }
  override sizeInBytes(): number {
    return this.text.length;
  }
  override copyBytesInto(buffer: Uint8Array, offset: number): number {
    buffer.set(latin1(this.text), offset);
    return this.text.length;
  }
}

/** The bytes pdf-lib writes for one object. */
export function objectBytes(object: PDFObject): Uint8Array {
  const out = new Uint8Array(object.sizeInBytes());
  object.copyBytesInto(out, 0);
  return out;
}

/** True when the bytes start like a PDF (the header may follow up to 1 KB of junk, §7.5.2 in practice). */
export function isPdf(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.subarray(0, 1024)).toString('latin1').includes('%PDF-');
}
