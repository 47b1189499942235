// PAdES B-LT (ETSI EN 319 142-1 §5.4): the validation material (certificates, CRLs, OCSP answers)
// goes into a Document Security Store in the catalog, written as one more incremental update so
// the signatures before it stay intact.

import { createHash } from 'node:crypto';
import { PDFArray, PDFDict, PDFName, PDFRawStream, PDFRef, decodePDFRawStream, type PDFObject } from 'pdf-lib';
import { openPdf, type OpenedPdf } from './document.js';
import { IncrementalUpdate } from './incremental.js';

export interface ValidationMaterial {
  /** DER certificates (the signer's chain, the TSA's, OCSP responders'). */
  certificates?: Uint8Array[];
  /** DER CRLs. */
  crls?: Uint8Array[];
  /** DER OCSPResponse answers. */
  ocsps?: Uint8Array[];
}

export interface DssEntry {
  /** The decoded /Contents of the signature the material validates, zero padding included. */
  signatureContents: Uint8Array;
  material: ValidationMaterial;
}

const KINDS = [
  { key: 'Certs', vri: 'Cert', pick: (m: ValidationMaterial) => m.certificates },
  { key: 'CRLs', vri: 'CRL', pick: (m: ValidationMaterial) => m.crls },
  { key: 'OCSPs', vri: 'OCSP', pick: (m: ValidationMaterial) => m.ocsps },
] as const;

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The /VRI key of a signature: upper-case hex SHA-1 of its /Contents bytes (§5.4.2.2). */
export function vriKey(signatureContents: Uint8Array): string {
  return createHash('sha1').update(signatureContents).digest('hex').toUpperCase();
}

/** A dictionary `holder` keeps under `key` (made when missing), with how to save a change to it. */
function editableDict(update: IncrementalUpdate, doc: OpenedPdf, holder: PDFDict, holderRef: PDFRef, key: string) {
  const raw = holder.get(PDFName.of(key));
  if (raw instanceof PDFRef && doc.context.lookup(raw) instanceof PDFDict) {
    return { dict: doc.context.lookup(raw, PDFDict), ref: raw, save: () => update.touch(raw) };
  }
  if (raw instanceof PDFDict) return { dict: raw, ref: holderRef, save: () => update.touch(holderRef) };
  const dict = PDFDict.withContext(doc.context);
  const ref = update.add(dict);
  holder.set(PDFName.of(key), ref);
  return { dict, ref, save: () => update.touch(holderRef) };
}

/** Streams already in the store, by the SHA-256 of their content, so nothing is stored twice. */
function existingStreams(doc: OpenedPdf, arr: PDFArray): Map<string, PDFRef> {
  const known = new Map<string, PDFRef>();
  for (let i = 0; i < arr.size(); i++) {
    const ref = arr.get(i);
    const stream = ref instanceof PDFRef ? doc.context.lookup(ref) : undefined;
    if (ref instanceof PDFRef && stream instanceof PDFRawStream) known.set(sha256(decodePDFRawStream(stream).decode()), ref);
  }
  return known;
}

/** Appends an incremental update adding the material to the catalog's /DSS (and its /VRI entries). */
export async function addDss(pdf: Uint8Array, entries: DssEntry[]): Promise<Uint8Array> {
  const doc = await openPdf(pdf);
  const update = new IncrementalUpdate(doc);
  const dss = editableDict(update, doc, doc.catalog, doc.catalogRef, 'DSS');
  dss.dict.set(PDFName.of('Type'), PDFName.of('DSS'));
  const vri = editableDict(update, doc, dss.dict, dss.ref, 'VRI');

  const stores = KINDS.map((kind) => {
    const store = update.editableArray(dss.dict, dss.ref, kind.key);
    return { ...kind, store, known: existingStreams(doc, store.arr), added: false };
  });
  for (const entry of entries) {
    const perSignature = PDFDict.withContext(doc.context);
    for (const kind of stores) {
      const refs: PDFObject[] = [];
      for (const der of kind.pick(entry.material) ?? []) {
        const hash = sha256(der);
        let ref = kind.known.get(hash);
        if (!ref) {
          ref = update.add(doc.context.flateStream(der));
          kind.known.set(hash, ref);
          kind.store.arr.push(ref);
          kind.added = true;
        }
        if (!refs.includes(ref)) refs.push(ref);
      }
      if (refs.length) perSignature.set(PDFName.of(kind.vri), doc.context.obj(refs));
    }
    vri.dict.set(PDFName.of(vriKey(entry.signatureContents)), update.add(perSignature));
  }
  for (const kind of stores) if (kind.added) kind.store.save();
  vri.save();
  dss.save();
  return update.write().bytes;
}
