// Signature fields (PDF 32000-1 §12.7.4.5): the widget that shows a signature on a page, the
// catalog's /AcroForm that lists it, and the page's /Annots that places it.

import { PDFArray, PDFDict, PDFName, PDFNumber, PDFRef, PDFString, PDFHexString, type PDFContext, type PDFObject } from 'pdf-lib';
import { pageRefs, type OpenedPdf } from './document.js';
import type { IncrementalUpdate } from './incremental.js';
import { pdfError } from './syntax.js';

/** What the appearance hook may do: build objects and add them to the update. */
export interface AppearanceBuilder {
  context: PDFContext;
  /** Adds a new indirect object to the update (fonts, images, form XObjects). */
  add(object: PDFObject): PDFRef;
}

/**
 * Where and how the signature shows. Default: invisible (/Rect [0 0 0 0] on the first page).
 * A visible stamp gives a rectangle and an appearance: a form XObject (/Subtype /Form, /BBox
 * matching the rectangle's size) that the hook adds and returns.
 */
export interface WidgetOptions {
  /** 0-based page index; default 0. */
  page?: number;
  /** [x1, y1, x2, y2] in default user space (points). */
  rect?: [number, number, number, number];
  appearance?: (builder: AppearanceBuilder) => PDFRef | Promise<PDFRef>;
  /**
   * Decides the page, rectangle and appearance once the document is open (a stamp placed by the
   * page's size, its text or an earlier signature); what it returns replaces the fields above.
   */
  resolve?: (doc: OpenedPdf) => Promise<Omit<WidgetOptions, 'resolve'>>;
}

const ANNOTATION_PRINT = 4;
const ANNOTATION_LOCKED = 128;
/** SignaturesExist | AppendOnly (§12.7.2): viewers must save this file incrementally. */
const SIG_FLAGS = 3;

const name = (n: string) => PDFName.of(n);

function fieldName(field: PDFDict): string | undefined {
  const t = field.get(name('T'));
  return t instanceof PDFString || t instanceof PDFHexString ? t.decodeText() : undefined;
}

export interface SignatureFieldInfo {
  ref?: PDFRef;
  field: PDFDict;
  name: string;
  /** The signature dictionary (/V), absent for an empty field. */
  value?: PDFDict;
}

/** Every signature field of the form, walking /Fields and /Kids (/FT is inheritable). */
export function signatureFields(context: PDFContext, catalog: PDFDict): SignatureFieldInfo[] {
  const out: SignatureFieldInfo[] = [];
  const acro = catalog.lookup(name('AcroForm'));
  if (!(acro instanceof PDFDict)) return out;
  const seen = new Set<PDFDict>();
  const walk = (item: PDFObject | undefined, inheritedType: PDFObject | undefined, prefix: string) => {
    const ref = item instanceof PDFRef ? item : undefined;
    const field = ref ? context.lookup(ref) : item;
    if (!(field instanceof PDFDict) || seen.has(field)) return;
    seen.add(field);
    const type = field.get(name('FT')) ?? inheritedType;
    const own = fieldName(field);
    const full = own === undefined ? prefix : prefix ? `${prefix}.${own}` : own;
    const kids = field.lookup(name('Kids'));
    if (kids instanceof PDFArray) for (let i = 0; i < kids.size(); i++) walk(kids.get(i), type, full);
    if (type === name('Sig') && own !== undefined) {
      const v = field.lookup(name('V'));
      out.push({ ...(ref ? { ref } : {}), field, name: full, ...(v instanceof PDFDict ? { value: v } : {}) });
    }
  };
  const fields = acro.lookup(name('Fields'));
  if (fields instanceof PDFArray) for (let i = 0; i < fields.size(); i++) walk(fields.get(i), undefined, '');
  return out;
}

function unusedFieldName(existing: string[]): string {
  for (let n = existing.length + 1; ; n++) if (!existing.includes(`Signature${n}`)) return `Signature${n}`;
}

/**
 * Adds a signature field whose value is `signatureRef`, merged with its widget annotation, to the
 * page and the form. Changed objects are marked in the update; returns the field's name.
 */
export async function addSignatureField(doc: OpenedPdf, update: IncrementalUpdate, signatureRef: PDFRef, options: WidgetOptions = {}): Promise<string> {
  const { context, catalog, catalogRef } = doc;
  const widget = options.resolve ? { ...options, ...(await options.resolve(doc)) } : options;
  const pages = pageRefs(doc);
  const pageIndex = widget.page ?? 0;
  const pageRef = pages[pageIndex];
  if (!pageRef) {
    throw pdfError('INVALID_INPUT', `page ${pageIndex + 1} does not exist (the document has ${pages.length})`, `trang ${pageIndex + 1} không tồn tại (tài liệu có ${pages.length} trang)`);
  }
  const fieldTitle = unusedFieldName(signatureFields(context, catalog).map((f) => f.name));

  const field = PDFDict.withContext(context);
  field.set(name('Type'), name('Annot'));
  field.set(name('Subtype'), name('Widget'));
  field.set(name('FT'), name('Sig'));
  field.set(name('T'), PDFString.of(fieldTitle));
  field.set(name('V'), signatureRef);
  field.set(name('P'), pageRef);
  field.set(name('Rect'), context.obj(widget.rect ?? [0, 0, 0, 0]));
  field.set(name('F'), PDFNumber.of(ANNOTATION_PRINT | ANNOTATION_LOCKED));
  if (widget.appearance) {
    const ap = await widget.appearance({ context, add: (o) => update.add(o) });
    field.set(name('AP'), context.obj({ N: ap }));
  }
  const fieldRef = update.add(field);

  const page = context.lookup(pageRef, PDFDict);
  const annots = update.editableArray(page, pageRef, 'Annots');
  annots.arr.push(fieldRef);
  annots.save();

  // The form: reuse the catalog's /AcroForm (updating it where it lives), or make one.
  const acroRaw = catalog.get(name('AcroForm'));
  let acro: PDFDict;
  let acroRef: PDFRef | undefined;
  if (acroRaw instanceof PDFRef && context.lookup(acroRaw) instanceof PDFDict) {
    acroRef = acroRaw;
    acro = context.lookup(acroRaw, PDFDict);
  } else if (acroRaw instanceof PDFDict) {
    acro = acroRaw;
    update.touch(catalogRef);
  } else {
    acro = PDFDict.withContext(context);
    acroRef = update.add(acro);
    catalog.set(name('AcroForm'), acroRef);
    update.touch(catalogRef);
  }
  const fields = update.editableArray(acro, acroRef ?? catalogRef, 'Fields');
  fields.arr.push(fieldRef);
  fields.save();
  const flags = acro.get(name('SigFlags'));
  acro.set(name('SigFlags'), PDFNumber.of((flags instanceof PDFNumber ? flags.asNumber() : 0) | SIG_FLAGS));
  if (acroRef) update.touch(acroRef);
  return fieldTitle;
}
