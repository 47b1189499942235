// The file's last cross-reference section and trailer: what an incremental update continues from.
// pdf-lib parses objects front to back and forgets where the sections were, so we read the tail.

import { PDFDict, PDFName, PDFNumber, PDFObjectParser, PDFRawStream, type PDFContext } from 'pdf-lib';
import { latin1, pdfError } from './syntax.js';

export interface LastRevision {
  /** Offset of the last cross-reference section: the next update's /Prev. */
  startxref: number;
  /** A classic `xref` table or a cross-reference stream (PDF 1.5): the next update uses the same kind. */
  xref: 'table' | 'stream';
  /** The trailer dictionary (for a stream: the stream's dictionary). */
  trailer: PDFDict;
  /** /Size: one more than the highest object number in use; new objects are numbered from here. */
  size: number;
}

const damaged = (why: string, whyVi: string) =>
  pdfError(
    'PDF_DAMAGED',
    `the PDF's cross-reference section cannot be read (${why}); open and save it again in a PDF editor`,
    `không đọc được bảng tham chiếu chéo của tệp PDF (${whyVi}); hãy mở và lưu lại tệp bằng phần mềm PDF`,
  );

/** Reads the offset after the final `startxref` (PDF 32000-1 §7.5.5: within the last bytes of the file). */
function finalStartxref(bytes: Uint8Array): number {
  const tailStart = Math.max(0, bytes.length - 2048);
  const tail = Buffer.from(bytes.subarray(tailStart)).toString('latin1');
  const at = tail.lastIndexOf('startxref');
  if (at < 0) throw damaged('no startxref at the end of the file', 'không có startxref ở cuối tệp');
  const m = /^startxref\s+(\d+)/.exec(tail.slice(at));
  if (!m) throw damaged('startxref is not followed by an offset', 'startxref không có vị trí đi kèm');
  const offset = Number(m[1]);
  if (offset <= 0 || offset >= tailStart + at) throw damaged(`startxref ${offset} is outside the file`, `startxref ${offset} nằm ngoài tệp`);
  return offset;
}

function parseAt(bytes: Uint8Array, offset: number, context: PDFContext) {
  return PDFObjectParser.forBytes(bytes.subarray(offset), context).parseObject();
}

export function readLastRevision(bytes: Uint8Array, context: PDFContext): LastRevision {
  const startxref = finalStartxref(bytes);
  const head = Buffer.from(bytes.subarray(startxref, startxref + 64)).toString('latin1');
  let trailer: PDFDict;
  let xref: LastRevision['xref'];
  if (head.startsWith('xref')) {
    xref = 'table';
    const rest = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    const at = rest.indexOf(latin1('trailer'), startxref);
    if (at < 0) throw damaged('the xref table has no trailer', 'bảng xref không có trailer');
    const dict = parseAt(bytes, at + 'trailer'.length, context);
    if (!(dict instanceof PDFDict)) throw damaged('the trailer is not a dictionary', 'trailer không phải từ điển');
    trailer = dict;
  } else {
    const m = /^(\d+)\s+(\d+)\s+obj\b/.exec(head);
    if (!m) throw damaged(`no xref table or xref stream at offset ${startxref}`, `không có bảng xref hoặc luồng xref tại vị trí ${startxref}`);
    xref = 'stream';
    const stream = parseAt(bytes, startxref + m[0].length, context);
    if (!(stream instanceof PDFRawStream) || stream.dict.get(PDFName.of('Type')) !== PDFName.of('XRef')) {
      throw damaged(`the object at offset ${startxref} is not an xref stream`, `đối tượng tại vị trí ${startxref} không phải luồng xref`);
    }
    trailer = stream.dict;
  }
  const size = trailer.get(PDFName.of('Size'));
  if (!(size instanceof PDFNumber) || size.asNumber() < 1) throw damaged('the trailer has no /Size', 'trailer thiếu /Size');
  return { startxref, xref, trailer, size: size.asNumber() };
}

/**
 * Where each revision ends: just after each `%%EOF` marker (`eof`), or after its end-of-line too
 * (`end`). A signature's /ByteRange must end at one of these: the end of the revision it signed.
 */
export function revisionEnds(bytes: Uint8Array): { eof: number; end: number }[] {
  const ends: { eof: number; end: number }[] = [];
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const marker = latin1('%%EOF');
  for (let at = buf.indexOf(marker); at >= 0; at = buf.indexOf(marker, at + marker.length)) {
    const eof = at + marker.length;
    let end = eof;
    if (buf[end] === 0x0d) end++;
    if (buf[end] === 0x0a) end++;
    ends.push({ eof, end });
  }
  return ends;
}
