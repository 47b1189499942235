// The signature dictionary with room for the CMS (§12.8.1): the file is laid out once with a
// zero-filled /Contents and a fixed-width /ByteRange; the ByteRange is then patched in place
// and, after signing, the CMS is written into the zeros. No byte moves after layout.

import { PDFDict, PDFHexString, PDFName, type PDFRef } from 'pdf-lib';
import { openPdf } from './document.js';
import { addSignatureField, type WidgetOptions } from './fields.js';
import { IncrementalUpdate } from './incremental.js';
import { PdfLiteral, indexOfBytes, latin1, pdfDate, pdfError, pdfText } from './syntax.js';

export interface SignatureDictionaryInput {
  /** The claimed signing time, written as /M (PAdES keeps it out of the CMS). */
  signingTime: Date;
  /** Room for the DER CMS, in bytes (the hex string is twice as long). */
  contentsBytes: number;
  name?: string;
  reason?: string;
  location?: string;
  contactInfo?: string;
}

export interface PreparedSignature {
  /** The whole file with the placeholder; /ByteRange already final. */
  bytes: Uint8Array;
  byteRange: [number, number, number, number];
  fieldName: string;
}

/** Ten digits per number: files up to 9,999,999,999 bytes. */
const RANGE_DIGITS = 10;
const RANGE_PLACEHOLDER = `[${Array.from({ length: 4 }, () => '0'.repeat(RANGE_DIGITS)).join(' ')}]`;

function signatureDictionary(doc: Awaited<ReturnType<typeof openPdf>>, input: SignatureDictionaryInput): PDFDict {
  const d = PDFDict.withContext(doc.context);
  const set = (key: string, value: Parameters<PDFDict['set']>[1]) => d.set(PDFName.of(key), value);
  set('Type', PDFName.of('Sig'));
  set('Filter', PDFName.of('Adobe.PPKLite'));
  set('SubFilter', PDFName.of('ETSI.CAdES.detached'));
  set('M', pdfDate(input.signingTime));
  if (input.name) set('Name', pdfText(input.name));
  if (input.reason) set('Reason', pdfText(input.reason));
  if (input.location) set('Location', pdfText(input.location));
  if (input.contactInfo) set('ContactInfo', pdfText(input.contactInfo));
  set('ByteRange', new PdfLiteral(RANGE_PLACEHOLDER));
  set('Contents', PDFHexString.of('0'.repeat(input.contentsBytes * 2)));
  return d;
}

/** Finds `key` followed by `opener` inside the object's bytes; returns the opener's offset. */
function locate(bytes: Uint8Array, region: { start: number; end: number }, key: string, opener: string): number {
  const at = indexOfBytes(bytes, latin1(`/${key} ${opener}`), region.start, region.end);
  if (at < 0) throw new Error(`the signature dictionary has no /${key} placeholder`);
  return at + key.length + 2;
}

/** Appends an incremental update holding an empty signature of `input.contentsBytes` bytes. */
export async function prepareSignature(pdf: Uint8Array, input: SignatureDictionaryInput, widget?: WidgetOptions): Promise<PreparedSignature> {
  if (!Number.isInteger(input.contentsBytes) || input.contentsBytes < 256) {
    throw pdfError('INVALID_INPUT', 'the space reserved for the signature must be at least 256 bytes', 'dung lượng dành cho chữ ký phải từ 256 byte');
  }
  const doc = await openPdf(pdf);
  const update = new IncrementalUpdate(doc);
  const sigRef: PDFRef = update.add(signatureDictionary(doc, input));
  const fieldName = await addSignatureField(doc, update, sigRef, widget);
  const written = update.write();
  const bytes = written.bytes;
  const region = written.offsets.get(sigRef.objectNumber)!;

  const rangeAt = locate(bytes, region, 'ByteRange', '[');
  const contentsStart = locate(bytes, region, 'Contents', '<');
  const contentsEnd = contentsStart + 2 + input.contentsBytes * 2;
  if (bytes[contentsEnd - 1] !== 0x3e) throw new Error('the /Contents placeholder is not where it was laid out');
  const byteRange: PreparedSignature['byteRange'] = [0, contentsStart, contentsEnd, bytes.length - contentsEnd];

  // Patch in place: same width, the numbers left-aligned and padded with spaces before "]".
  const text = `[${byteRange.join(' ')}`.padEnd(RANGE_PLACEHOLDER.length - 1, ' ') + ']';
  if (text.length !== RANGE_PLACEHOLDER.length) throw pdfError('PDF_TOO_LARGE', 'the PDF is too large to sign', 'tệp PDF quá lớn để ký');
  bytes.set(latin1(text), rangeAt);
  return { bytes, byteRange, fieldName };
}

/** The bytes a signature covers: everything but the /Contents hex string. */
export function signedBytes(bytes: Uint8Array, byteRange: readonly number[]): Uint8Array {
  const [a, b, c, d] = byteRange as [number, number, number, number];
  return new Uint8Array(Buffer.concat([bytes.subarray(a, a + b), bytes.subarray(c, c + d)]));
}

/** Writes the CMS into the placeholder; refuses one that does not fit rather than cut it. */
export function embedSignature(prepared: PreparedSignature, cms: Uint8Array): Uint8Array {
  const [, start, end] = prepared.byteRange;
  const room = (end - start - 2) / 2;
  if (cms.length > room) {
    throw pdfError(
      'PDF_SIGNATURE_TOO_LARGE',
      `the signature (${cms.length} bytes) does not fit the ${room} bytes reserved in the PDF; sign again with more room (contentsSize)`,
      `chữ ký (${cms.length} byte) không vừa chỗ ${room} byte đã dành trong tệp PDF; hãy ký lại với dung lượng lớn hơn (contentsSize)`,
    );
  }
  const out = prepared.bytes;
  out.set(latin1(Buffer.from(cms).toString('hex').toUpperCase()), start + 1);
  return out;
}
