// Our incremental writer (PDF 32000-1 §7.5.6). pdf-lib's save() rewrites the whole file, which
// moves every byte an earlier signature covers; here the original bytes are kept exactly and the
// new and changed objects are appended, followed by a cross-reference section whose /Prev points
// at the previous one, a trailer and %%EOF.

import { PDFArray, PDFDict, PDFName, PDFNumber, PDFRawStream, PDFRef, type PDFObject } from 'pdf-lib';
import type { OpenedPdf } from './document.js';
import { latin1, objectBytes, pdfError } from './syntax.js';

export interface WrittenUpdate {
  /** The original bytes followed by the update. */
  bytes: Uint8Array;
  /** Where each written object starts and ends (from `N G obj` to after `endobj`), by object number. */
  offsets: Map<number, { start: number; end: number }>;
  /** Offset of the new cross-reference section (the next update's /Prev). */
  xrefOffset: number;
}

/** Trailer entries an update repeats; /Encrypt never appears because encrypted files are refused. */
const CARRIED_TRAILER_KEYS = ['Root', 'Info', 'ID'];

export class IncrementalUpdate {
  private readonly changed = new Map<number, PDFRef>();
  private readonly firstNewNumber: number;

  constructor(private readonly doc: OpenedPdf) {
    this.firstNewNumber = doc.last.size;
  }

  /** Adds a new object; every object registered in the context from now on is written too. */
  add(object: PDFObject): PDFRef {
    return this.doc.context.register(object);
  }

  /** Reserves a number for an object given later with set(). */
  newRef(): PDFRef {
    return this.doc.context.nextRef();
  }

  /** Writes `object` as the new version of `ref` (an existing object changed, or a reserved one). */
  set(ref: PDFRef, object: PDFObject): void {
    this.doc.context.assign(ref, object);
    this.changed.set(ref.objectNumber, ref);
  }

  /** Marks an existing object, already changed in place in the context, to be written again. */
  touch(ref: PDFRef): void {
    const object = this.doc.context.lookup(ref);
    if (!object) throw new Error(`IncrementalUpdate.touch: object ${ref.tag} does not exist`);
    this.changed.set(ref.objectNumber, ref);
  }

  /**
   * The array `holder` keeps under `key` (made when missing), and how to save a change to it: as
   * its own object when it is one, otherwise by writing the holder (`holderRef`) again.
   */
  editableArray(holder: PDFDict, holderRef: PDFRef, key: string): { arr: PDFArray; save: () => void } {
    const raw = holder.get(PDFName.of(key));
    if (raw instanceof PDFRef) {
      const arr = this.doc.context.lookup(raw);
      if (arr instanceof PDFArray) return { arr, save: () => this.touch(raw) };
    }
    const arr = raw instanceof PDFArray ? raw : PDFArray.withContext(this.doc.context);
    holder.set(PDFName.of(key), arr);
    return { arr, save: () => this.touch(holderRef) };
  }

  private objectsToWrite(): [PDFRef, PDFObject][] {
    const refs = new Map(this.changed);
    for (const [ref] of this.doc.context.enumerateIndirectObjects()) {
      if (ref.objectNumber >= this.firstNewNumber) refs.set(ref.objectNumber, ref);
    }
    return [...refs.values()]
      .sort((a, b) => a.objectNumber - b.objectNumber)
      .map((ref) => [ref, this.doc.context.lookup(ref)!] as [PDFRef, PDFObject]);
  }

  write(): WrittenUpdate {
    const { bytes: original, last } = this.doc;
    const parts: Uint8Array[] = [original];
    let pos = original.length;
    const push = (chunk: Uint8Array) => {
      parts.push(chunk);
      pos += chunk.length;
    };
    // An update starts on a new line even when the file's %%EOF has none after it.
    const lastByte = original[original.length - 1];
    if (lastByte !== 0x0a && lastByte !== 0x0d) push(latin1('\n'));

    const offsets = new Map<number, { start: number; end: number }>();
    const entries: { ref: PDFRef; offset: number }[] = [];
    const writeObject = (ref: PDFRef, object: PDFObject) => {
      const start = pos;
      push(latin1(`${ref.objectNumber} ${ref.generationNumber} obj\n`));
      push(objectBytes(object));
      push(latin1('\nendobj\n'));
      offsets.set(ref.objectNumber, { start, end: pos });
      entries.push({ ref, offset: start });
    };
    const objects = this.objectsToWrite();
    if (objects.length === 0) throw new Error('IncrementalUpdate.write: nothing to write');
    for (const [ref, object] of objects) writeObject(ref, object);

    const trailer = PDFDict.withContext(this.doc.context);
    for (const key of CARRIED_TRAILER_KEYS) {
      const value = last.trailer.get(PDFName.of(key));
      if (value) trailer.set(PDFName.of(key), value);
    }
    trailer.set(PDFName.of('Prev'), PDFNumber.of(last.startxref));

    const xrefOffset = pos;
    if (last.xref === 'table') {
      const size = Math.max(last.size, ...entries.map((e) => e.ref.objectNumber + 1));
      trailer.set(PDFName.of('Size'), PDFNumber.of(size));
      push(latin1(xrefTable(entries)));
      push(latin1('trailer\n'));
      push(objectBytes(trailer));
      push(latin1(`\nstartxref\n${xrefOffset}\n%%EOF\n`));
    } else {
      const ref = this.newRef();
      entries.push({ ref, offset: xrefOffset });
      const stream = xrefStream(this.doc, trailer, entries, Math.max(last.size, ref.objectNumber + 1));
      writeObject(ref, stream);
      push(latin1(`startxref\n${xrefOffset}\n%%EOF\n`));
    }
    return { bytes: new Uint8Array(Buffer.concat(parts)), offsets, xrefOffset };
  }
}

/** Runs of consecutive object numbers: one cross-reference subsection each. */
function subsections<T extends { ref: PDFRef }>(entries: T[]): T[][] {
  const sorted = [...entries].sort((a, b) => a.ref.objectNumber - b.ref.objectNumber);
  const runs: T[][] = [];
  for (const e of sorted) {
    const run = runs[runs.length - 1];
    if (run && run[run.length - 1]!.ref.objectNumber + 1 === e.ref.objectNumber) run.push(e);
    else runs.push([e]);
  }
  return runs;
}

/** A classic table: each entry exactly 20 bytes (§7.5.4), "nnnnnnnnnn ggggg n\r\n". */
function xrefTable(entries: { ref: PDFRef; offset: number }[]): string {
  let out = 'xref\n';
  for (const run of subsections(entries)) {
    out += `${run[0]!.ref.objectNumber} ${run.length}\n`;
    for (const e of run) {
      if (e.offset > 9_999_999_999) throw pdfError('PDF_TOO_LARGE', 'the PDF is larger than 10 GB', 'tệp PDF lớn hơn 10 GB');
      out += `${String(e.offset).padStart(10, '0')} ${String(e.ref.generationNumber).padStart(5, '0')} n\r\n`;
    }
  }
  return out;
}

const bytesFor = (n: number) => Math.max(1, Math.ceil(Math.log2(n + 1) / 8));

/** A cross-reference stream (§7.5.8), uncompressed: type-1 rows [1, offset, generation]. */
function xrefStream(doc: OpenedPdf, trailer: PDFDict, entries: { ref: PDFRef; offset: number }[], size: number): PDFRawStream {
  const runs = subsections(entries);
  const offsetWidth = bytesFor(Math.max(...entries.map((e) => e.offset)));
  const genWidth = bytesFor(Math.max(...entries.map((e) => e.ref.generationNumber)));
  const rowWidth = 1 + offsetWidth + genWidth;
  const data = new Uint8Array(entries.length * rowWidth);
  let at = 0;
  const index: number[] = [];
  for (const run of runs) {
    index.push(run[0]!.ref.objectNumber, run.length);
    for (const e of run) {
      data[at] = 1;
      writeBigEndian(data, at + 1, offsetWidth, e.offset);
      writeBigEndian(data, at + 1 + offsetWidth, genWidth, e.ref.generationNumber);
      at += rowWidth;
    }
  }
  const dict = PDFDict.withContext(doc.context);
  dict.set(PDFName.of('Type'), PDFName.of('XRef'));
  dict.set(PDFName.of('Size'), PDFNumber.of(size));
  dict.set(PDFName.of('Index'), numbers(doc, index));
  dict.set(PDFName.of('W'), numbers(doc, [1, offsetWidth, genWidth]));
  for (const [key, value] of trailer.entries()) dict.set(key, value);
  return PDFRawStream.of(dict, data);
}

function numbers(doc: OpenedPdf, values: number[]): PDFArray {
  const arr = PDFArray.withContext(doc.context);
  for (const v of values) arr.push(PDFNumber.of(v));
  return arr;
}

function writeBigEndian(out: Uint8Array, at: number, width: number, value: number): void {
  for (let i = width - 1, v = value; i >= 0; i--, v = Math.floor(v / 256)) out[at + i] = v % 256;
}
