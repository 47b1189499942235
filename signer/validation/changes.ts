// What the revisions appended after a signature changed ("modification detection", minimal).
//
// The document as signed (the bytes up to the end of the signed revision) is compared object by
// object with the document as it is now. Signing allows later revisions to add signature fields
// and their widgets (with appearances), signature and document time-stamp dictionaries, the DSS,
// and to update the form dictionary and the pages' /Annots for these. Anything else (page
// content, pages, other annotations, other form fields, metadata, ...) is reported as a warning:
// the signed bytes are intact, but what a reader sees may differ from what was signed.

import { createHash } from 'node:crypto';
import { PDFArray, PDFDict, PDFName, PDFRawStream, PDFRef, PDFStream, type PDFContext, type PDFObject } from 'pdf-lib';
import { openPdf, type OpenedPdf } from '../pdf/document.js';
import { finding } from './messages.js';
import type { CoverageReport, Finding } from './types.js';

type Zone = 'doc' | 'annots' | 'form' | 'fields' | 'sig' | 'dss';

interface Reach {
  zones: Set<Zone>;
  /** The key under which the object was first found. */
  key: string;
}

const N = (s: string) => PDFName.of(s);
const ALLOWED_CATALOG_KEYS = new Set(['AcroForm', 'DSS', 'Extensions']);
const ALLOWED_ZONES = new Set<Zone>(['annots', 'form', 'fields', 'sig', 'dss']);

function dictOf(o: PDFObject | undefined): PDFDict | undefined {
  if (o instanceof PDFDict) return o;
  if (o instanceof PDFStream) return o.dict;
  return undefined;
}

function nameOf(d: PDFDict, key: string): string | undefined {
  const v = d.get(N(key));
  return v instanceof PDFName ? v.decodeText() : undefined;
}

/** A signature field, or a widget whose parent is one (/FT is inheritable). */
function isSignatureField(ctx: PDFContext, d: PDFDict): boolean {
  for (let node: PDFDict | undefined = d, depth = 0; node && depth < 8; depth++) {
    const ft = nameOf(node, 'FT');
    if (ft) return ft === 'Sig';
    const parent = node.get(N('Parent'));
    node = dictOf(parent instanceof PDFRef ? ctx.lookup(parent) : parent);
  }
  return false;
}

function isSignatureDict(d: PDFDict): boolean {
  const t = nameOf(d, 'Type');
  return t === 'Sig' || t === 'DocTimeStamp';
}

/** Every object reachable from the trailer, with the zones it is reachable in. */
function reachability(doc: OpenedPdf): Map<string, Reach> {
  const ctx = doc.context;
  const reach = new Map<string, Reach>();
  const seen = new Set<string>();
  const stack: [PDFObject, Zone, string][] = [[doc.catalogRef, 'doc', 'Root']];
  const info = doc.last.trailer.get(N('Info')) ?? ctx.trailerInfo.Info;
  if (info instanceof PDFRef) stack.push([info, 'doc', 'Info']);
  let budget = 2_000_000;
  while (stack.length && budget-- > 0) {
    const [obj, zone, key] = stack.pop()!;
    let target: PDFObject | undefined = obj;
    if (obj instanceof PDFRef) {
      const rec = reach.get(obj.tag) ?? { zones: new Set<Zone>(), key };
      rec.zones.add(zone);
      reach.set(obj.tag, rec);
      const mark = `${obj.tag}|${zone}`;
      if (seen.has(mark)) continue;
      seen.add(mark);
      target = ctx.lookup(obj);
    }
    if (target instanceof PDFArray) {
      for (let i = 0; i < target.size(); i++) stack.push([target.get(i), zone, key]);
      continue;
    }
    const d = dictOf(target);
    if (!d) continue;
    let z: Zone = zone;
    if (isSignatureDict(d)) z = 'sig';
    else if (zone === 'annots' || zone === 'fields') z = isSignatureField(ctx, d) ? 'sig' : 'doc';
    else if (isSignatureField(ctx, d)) z = 'sig';
    const isCatalog = d === doc.catalog;
    const isPage = nameOf(d, 'Type') === 'Page';
    for (const [k, v] of d.entries()) {
      const name = k.decodeText();
      // Back-pointers from widgets and fields lead to pages and parents found on their own way.
      if ((z === 'sig' || z === 'form') && (name === 'P' || name === 'Parent')) continue;
      let child: Zone = z;
      if (isCatalog) child = name === 'DSS' ? 'dss' : name === 'AcroForm' ? 'form' : 'doc';
      else if (z === 'form' && name === 'Fields') child = 'fields';
      else if (z === 'doc' && isPage && name === 'Annots') child = 'annots';
      stack.push([v, child, name]);
    }
  }
  return reach;
}

function fingerprint(o: PDFObject): string {
  if (o instanceof PDFRawStream) return `${o.dict.toString()}\n${createHash('sha1').update(o.contents).digest('hex')}`;
  if (o instanceof PDFStream) return `${o.dict.toString()}\n${createHash('sha1').update(o.getContents()).digest('hex')}`;
  return o.toString();
}

function changedKeys(before: PDFDict, after: PDFDict): string[] {
  const keys = new Set([...before.keys(), ...after.keys()].map((k) => k.decodeText()));
  return [...keys].filter((k) => (before.get(N(k))?.toString() ?? '') !== (after.get(N(k))?.toString() ?? ''));
}

function elements(ctx: PDFContext, v: PDFObject | undefined): PDFObject[] {
  const arr = v instanceof PDFRef ? ctx.lookup(v) : v;
  if (!(arr instanceof PDFArray)) return [];
  const out: PDFObject[] = [];
  for (let i = 0; i < arr.size(); i++) out.push(arr.get(i));
  return out;
}

/** Elements of `after` that `before` did not have; undefined when `before` lost some. */
function added(before: PDFObject[], after: PDFObject[]): PDFObject[] | undefined {
  const b = before.map((x) => x.toString());
  const a = after.map((x) => x.toString());
  if (b.some((x) => !a.includes(x))) return undefined;
  return after.filter((x) => !b.includes(x.toString()));
}

/** Describes a new or changed object that signing does not allow. */
function describe(ctx: PDFContext, o: PDFObject, key: string, isNew: boolean): Finding {
  const d = dictOf(o);
  const type = d && nameOf(d, 'Type');
  const subtype = d && nameOf(d, 'Subtype');
  if (key === 'Contents' && o instanceof PDFStream) return finding('PAGE_CONTENT_CHANGED', 'Nội dung trang đã bị thay đổi', 'Page content was changed');
  if (type === 'Page') return isNew ? finding('PAGE_ADDED', 'Trang mới được thêm vào', 'A page was added') : finding('PAGE_CHANGED', 'Một trang đã bị thay đổi', 'A page was changed');
  if (type === 'Pages') return finding('PAGES_CHANGED', 'Cây trang (thứ tự, số trang) đã bị thay đổi', 'The page tree (order, number of pages) was changed');
  if (d && (type === 'Annot' || subtype) && key === 'Annots')
    return finding('ANNOTATION_CHANGED', `Chú thích (annotation${subtype ? ` /${subtype}` : ''}) được thêm hoặc sửa`, `An annotation${subtype ? ` (/${subtype})` : ''} was added or changed`);
  if (d && d.get(N('FT')) && !isSignatureField(ctx, d)) return finding('FORM_FIELD_CHANGED', 'Trường biểu mẫu (không phải chữ ký) được thêm hoặc sửa', 'A form field other than a signature was added or changed');
  if (key === 'Info' || key === 'Metadata') return finding('METADATA_CHANGED', 'Thông tin mô tả tài liệu (metadata) đã thay đổi', 'The document information (metadata) was changed');
  return finding('OBJECT_CHANGED', `Đối tượng PDF khác đã ${isNew ? 'được thêm' : 'bị thay đổi'} (${type ? `/${type}` : key})`, `Another PDF object was ${isNew ? 'added' : 'changed'} (${type ? `/${type}` : key})`);
}

/** Compares the signed revision (bytes up to `signedEnd`) with the document as it is now. */
export async function laterChanges(bytes: Uint8Array, signedEnd: number, now: OpenedPdf, cache: Map<number, Promise<OpenedPdf>>): Promise<Pick<CoverageReport, 'laterChanges' | 'changes'>> {
  let before: OpenedPdf;
  try {
    let p = cache.get(signedEnd);
    if (!p) cache.set(signedEnd, (p = openPdf(bytes.subarray(0, signedEnd))));
    before = await p;
  } catch {
    return { laterChanges: 'other', changes: [finding('REVISION_UNREADABLE', 'Không đọc được phiên bản tài liệu đã ký để so sánh', 'The signed revision cannot be read for comparison')] };
  }
  const ctx = now.context;
  const reach = reachability(now);
  const disallowed = new Map<string, Finding>();
  let signatures = 0;
  let timestamps = 0;
  let dss = false;
  let form = false;
  const refuse = (f: Finding) => disallowed.set(f.code, f);

  for (const [ref, obj] of ctx.enumerateIndirectObjects()) {
    const rec = reach.get(ref.tag);
    if (!rec) continue; // unreachable: it changes nothing a reader sees
    const old = before.context.lookup(ref);
    const onlyAllowed = [...rec.zones].every((z) => ALLOWED_ZONES.has(z));
    const d = dictOf(obj);
    if (!old) {
      if (!onlyAllowed) refuse(describe(ctx, obj, rec.key, true));
      else if (d && nameOf(d, 'Type') === 'Sig') signatures++;
      else if (d && nameOf(d, 'Type') === 'DocTimeStamp') timestamps++;
      else if (rec.zones.has('dss')) dss = true;
      continue;
    }
    if (fingerprint(old) === fingerprint(obj)) continue;
    const od = dictOf(old);
    if (ref === now.catalogRef && od && d) {
      const keys = changedKeys(od, d);
      const other = keys.filter((k) => !ALLOWED_CATALOG_KEYS.has(k));
      if (other.length) refuse(other.every((k) => k === 'Metadata') ? describe(ctx, obj, 'Metadata', false) : finding('CATALOG_CHANGED', `Danh mục tài liệu đã bị thay đổi (${other.map((k) => `/${k}`).join(', ')})`, `The document catalog was changed (${other.map((k) => `/${k}`).join(', ')})`));
      if (keys.includes('DSS')) dss = true;
      if (keys.includes('AcroForm')) form = true;
      continue;
    }
    if (od && d && nameOf(d, 'Type') === 'Page') {
      const keys = changedKeys(od, d);
      if (keys.some((k) => k !== 'Annots')) refuse(describe(ctx, obj, rec.key, false));
      else {
        const extra = added(elements(before.context, od.get(N('Annots'))), elements(ctx, d.get(N('Annots'))));
        const ok = extra?.every((x) => {
          const a = dictOf(x instanceof PDFRef ? ctx.lookup(x) : x);
          return a !== undefined && isSignatureField(ctx, a);
        });
        if (!ok) refuse(finding('ANNOTATION_CHANGED', 'Chú thích trên trang được thêm, bỏ hoặc sửa', 'Annotations on a page were added, removed or changed'));
      }
      continue;
    }
    if (!onlyAllowed) {
      refuse(describe(ctx, obj, rec.key, false));
      continue;
    }
    if (obj instanceof PDFArray && (rec.zones.has('annots') || rec.zones.has('fields'))) {
      if (!added(elements(before.context, old), elements(ctx, obj))) refuse(finding('ANNOTATION_CHANGED', 'Chú thích hoặc trường biểu mẫu đã bị gỡ bỏ', 'Annotations or form fields were removed'));
      form ||= rec.zones.has('fields');
      continue;
    }
    if (od && d && rec.zones.has('sig') && isSignatureField(ctx, d) && od.get(N('V')) && changedKeys(od, d).some((k) => k !== 'AP' && k !== 'AS')) {
      refuse(finding('SIGNATURE_FIELD_CHANGED', 'Một trường chữ ký đã ký bị thay đổi', 'A signed signature field was changed'));
      continue;
    }
    if (rec.zones.has('dss')) dss = true;
    if (rec.zones.has('form')) form = true;
  }

  const changes: Finding[] = [];
  if (signatures) changes.push(finding('SIGNATURES_ADDED', `Thêm ${signatures} chữ ký`, `${signatures} signature${signatures === 1 ? '' : 's'} added`));
  if (timestamps) changes.push(finding('DOCUMENT_TIMESTAMPS_ADDED', `Thêm ${timestamps} dấu thời gian tài liệu`, `${timestamps} document time-stamp${timestamps === 1 ? '' : 's'} added`));
  if (dss) changes.push(finding('DSS_UPDATED', 'Thêm dữ liệu kiểm tra dài hạn (DSS)', 'Long-term validation data (DSS) added'));
  if (form) changes.push(finding('FORM_UPDATED', 'Cập nhật biểu mẫu (AcroForm) cho chữ ký', 'The form (AcroForm) updated for signatures'));
  changes.push(...disallowed.values());
  return { laterChanges: disallowed.size ? 'other' : 'signatures', changes };
}
