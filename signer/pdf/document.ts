// Opening a PDF for reading with pdf-lib's parser (never its writer: see incremental.ts).

import { PDFArray, PDFDict, PDFName, PDFParser, PDFRef, type PDFContext } from 'pdf-lib';
import { readLastRevision, type LastRevision } from './revision.js';
import { isPdf, pdfError } from './syntax.js';

export interface OpenedPdf {
  bytes: Uint8Array;
  /** Every object at its latest revision (pdf-lib reads the updates in file order). */
  context: PDFContext;
  catalogRef: PDFRef;
  catalog: PDFDict;
  last: LastRevision;
}

export async function openPdf(bytes: Uint8Array): Promise<OpenedPdf> {
  if (!(bytes instanceof Uint8Array) || !isPdf(bytes)) {
    throw pdfError('PDF_INVALID', 'the file is not a PDF (no %PDF- header)', 'tệp không phải PDF (không có phần đầu %PDF-)');
  }
  let context: PDFContext;
  try {
    context = await PDFParser.forBytesWithOptions(bytes).parseDocument();
  } catch (e) {
    throw pdfError('PDF_INVALID', `the PDF cannot be parsed (${(e as Error).message})`, `không phân tích được tệp PDF (${(e as Error).message})`);
  }
  const last = readLastRevision(bytes, context);
  if (last.trailer.get(PDFName.of('Encrypt')) || context.trailerInfo.Encrypt) {
    throw pdfError(
      'PDF_ENCRYPTED',
      'the PDF is encrypted (password-protected); remove the protection before signing',
      'tệp PDF đã được mã hoá (có mật khẩu); hãy bỏ bảo vệ trước khi ký',
    );
  }
  const root = last.trailer.get(PDFName.of('Root')) ?? context.trailerInfo.Root;
  const catalog = root instanceof PDFRef ? context.lookup(root) : undefined;
  if (!(root instanceof PDFRef) || !(catalog instanceof PDFDict)) {
    throw pdfError('PDF_DAMAGED', 'the PDF has no document catalog (/Root)', 'tệp PDF không có danh mục tài liệu (/Root)');
  }
  // New objects continue from the trailer's /Size: the cross-reference streams pdf-lib skipped
  // still own their numbers, and pdf-lib's own counter only knows the objects it kept.
  context.largestObjectNumber = Math.max(context.largestObjectNumber, last.size - 1);
  return { bytes, context, catalogRef: root, catalog, last };
}

/** The page objects in document order (walking /Pages /Kids; no pdf-lib page wrappers, which normalise and so change pages). */
export function pageRefs(doc: OpenedPdf): PDFRef[] {
  const out: PDFRef[] = [];
  const seen = new Set<string>();
  const walk = (ref: unknown): void => {
    if (!(ref instanceof PDFRef) || seen.has(ref.tag)) return;
    seen.add(ref.tag);
    const node = doc.context.lookup(ref);
    if (!(node instanceof PDFDict)) return;
    const type = node.get(PDFName.of('Type'));
    if (type === PDFName.of('Page')) {
      out.push(ref);
      return;
    }
    const kids = node.lookup(PDFName.of('Kids'));
    if (kids instanceof PDFArray) for (let i = 0; i < kids.size(); i++) walk(kids.get(i));
  };
  walk(doc.catalog.get(PDFName.of('Pages')));
  return out;
}
