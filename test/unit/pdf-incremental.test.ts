// Our incremental writer (signer/pdf/incremental.ts), checked byte by byte and by Poppler's reader.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PDFDict, PDFName, PDFNumber, PDFParser, PDFRef, PDFString } from 'pdf-lib';
import { IncrementalUpdate, openPdf, pageRefs, readLastRevision } from '../../signer/pdf/index.js';
import { pdfDate } from '../../signer/pdf/syntax.js';
import { makeTestPdf } from '../support/pdf-fixtures.js';

const text = (b: Uint8Array) => Buffer.from(b).toString('latin1');

/** pdfinfo's complaints: Poppler prints "Syntax Error"/"Syntax Warning" when it has to rebuild a broken xref. */
function popplerComplaints(bytes: Uint8Array, dir: string): string {
  const file = path.join(dir, `check-${Math.random().toString(36).slice(2)}.pdf`);
  writeFileSync(file, bytes);
  const r = spawnSync('pdfinfo', [file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stderr.trim();
}

/** Appends an update that changes the first page's /Rotate and adds one new object referenced from the catalog. */
async function smallUpdate(pdf: Uint8Array) {
  const doc = await openPdf(pdf);
  const update = new IncrementalUpdate(doc);
  const pageRef = pageRefs(doc)[0]!;
  doc.context.lookup(pageRef, PDFDict).set(PDFName.of('Rotate'), PDFNumber.of(90));
  update.touch(pageRef);
  const note = PDFDict.withContext(doc.context);
  note.set(PDFName.of('Ghi-chu'), PDFString.of('cap nhat tang dan'));
  const noteRef = update.add(note);
  doc.catalog.set(PDFName.of('GovmailNote'), noteRef);
  update.touch(doc.catalogRef);
  return { doc, written: update.write(), pageRef, noteRef };
}

describe('PDF incremental writer (signer/pdf/incremental.ts)', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'pdf-incremental-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('classic xref input: keeps the original bytes, appends objects, a 20-byte-entry table and a trailer with /Prev', async () => {
    const original = await makeTestPdf({ pages: 3, xref: 'table' });
    const before = readLastRevision(original, (await openPdf(original)).context);
    assert.equal(before.xref, 'table');
    const { written, pageRef, noteRef } = await smallUpdate(original);
    const out = written.bytes;
    assert.ok(Buffer.from(out.subarray(0, original.length)).equals(Buffer.from(original)), 'the original bytes are a prefix of the output');
    assert.equal(noteRef.objectNumber, before.size, 'new objects are numbered from the trailer /Size');

    const tail = text(out.subarray(original.length));
    const table = /xref\n([\s\S]*?)trailer\n/.exec(tail)![1]!;
    const entries: [number, number][] = [];
    let current = 0;
    for (const line of table.split('\n')) {
      const sub = /^(\d+) (\d+)$/.exec(line);
      if (sub) current = Number(sub[1]);
      else if (line) {
        assert.match(`${line}\n`, /^\d{10} \d{5} n\r\n$/, 'each entry is exactly 20 bytes');
        entries.push([current++, Number(line.slice(0, 10))]);
      }
    }
    assert.deepEqual(entries.map(([n]) => n).sort((a, b) => a - b), [pageRef.objectNumber, before.size, catalogNumber(out)].sort((a, b) => a - b));
    for (const [num, offset] of entries) assert.match(text(out.subarray(offset, offset + 20)), new RegExp(`^${num} 0 obj\\n`), `entry ${num} points at its object`);
    assert.match(tail, new RegExp(`/Prev ${before.startxref}\\n`));
    assert.match(tail, new RegExp(`/Size ${before.size + 1}\\n`));
    assert.match(tail, new RegExp(`startxref\\n${written.xrefOffset}\\n%%EOF\\n$`));
    assert.equal(text(out.subarray(written.xrefOffset, written.xrefOffset + 5)), 'xref\n');

    const after = await openPdf(out);
    assert.equal(after.last.startxref, written.xrefOffset);
    assert.equal(after.context.lookup(pageRefs(after)[0]!, PDFDict).get(PDFName.of('Rotate'))?.toString(), '90');
    assert.ok(after.catalog.get(PDFName.of('GovmailNote')) instanceof PDFRef);
    assert.equal(popplerComplaints(out, dir), '', 'Poppler reads the update without repairing the xref');
  });

  it('xref-stream input: the update is an xref stream with /Prev, numbered after the previous stream', async () => {
    const original = await makeTestPdf({ pages: 3, xref: 'stream' });
    const doc = await openPdf(original);
    assert.equal(doc.last.xref, 'stream');
    // The xref stream's own number is not an object pdf-lib keeps: /Size must win over pdf-lib's count.
    const parsed = await PDFParser.forBytesWithOptions(original).parseDocument();
    assert.ok(doc.last.size > parsed.largestObjectNumber + 1, 'the fixture has an object number pdf-lib does not see');
    const { written, noteRef } = await smallUpdate(original);
    const out = written.bytes;
    assert.ok(Buffer.from(out.subarray(0, original.length)).equals(Buffer.from(original)));
    assert.equal(noteRef.objectNumber, doc.last.size);

    const after = await openPdf(out);
    assert.equal(after.last.xref, 'stream');
    assert.equal(after.last.startxref, written.xrefOffset);
    const dict = after.last.trailer;
    assert.equal(dict.get(PDFName.of('Prev'))?.toString(), String(doc.last.startxref));
    assert.equal(dict.get(PDFName.of('Root'))?.toString(), doc.catalogRef.toString());
    const head = /^(\d+) 0 obj/.exec(text(out.subarray(written.xrefOffset, written.xrefOffset + 20)))!;
    assert.equal(Number(head[1]), after.last.size - 1, 'the xref stream takes the last number');

    // Decode the rows ourselves: every type-1 entry must point at "N 0 obj".
    const w = dict.lookup(PDFName.of('W'))!.toString().match(/\d+/g)!.map(Number);
    const index = dict.lookup(PDFName.of('Index'))!.toString().match(/\d+/g)!.map(Number);
    const body = text(out.subarray(written.xrefOffset));
    const start = body.indexOf('stream\n') + 'stream\n'.length;
    const rows = Buffer.from(body.slice(start, start + Number(dict.get(PDFName.of('Length'))!.toString())), 'latin1');
    const rowWidth = w[0]! + w[1]! + w[2]!;
    let row = 0;
    for (let i = 0; i < index.length; i += 2) {
      for (let n = index[i]!; n < index[i]! + index[i + 1]!; n++, row++) {
        assert.equal(rows[row * rowWidth], 1);
        const offset = rows.readUIntBE(row * rowWidth + w[0]!, w[1]!);
        assert.match(text(out.subarray(offset, offset + 16)), new RegExp(`^${n} 0 obj`));
      }
    }
    assert.equal(row * rowWidth, rows.length);
    assert.equal(popplerComplaints(out, dir), '');
  });

  it('starts the update on a new line when the file ends right after %%EOF', async () => {
    // pdf-lib ends its files with "%%EOF" and no end-of-line.
    const trimmed = await makeTestPdf({ pages: 1, xref: 'table' });
    assert.equal(text(trimmed.subarray(-5)), '%%EOF');
    const { written } = await smallUpdate(trimmed);
    assert.equal(text(written.bytes.subarray(trimmed.length - 5, trimmed.length + 1)), '%%EOF\n');
    assert.equal(popplerComplaints(written.bytes, dir), '');
  });

  it('refuses what is not a PDF with a bilingual error', async () => {
    await assert.rejects(openPdf(new TextEncoder().encode('Công văn số 123')), (e: Error & { code?: string; messageVi?: string }) => {
      assert.equal(e.code, 'PDF_INVALID');
      assert.match(e.messageVi!, /không phải PDF/);
      assert.match(e.message, /not a PDF/);
      return true;
    });
  });

  it('writes /M in Vietnam time with the +07\'00\' offset', () => {
    assert.equal(pdfDate(new Date('2026-03-15T02:30:05Z')).toString(), "(D:20260315093005+07'00')");
    assert.equal(pdfDate(new Date('2026-12-31T20:00:00Z')).toString(), "(D:20270101030000+07'00')");
  });
});

/** The catalog's object number in a file (from its last trailer). */
function catalogNumber(bytes: Uint8Array): number {
  const m = [...text(bytes).matchAll(/\/Root (\d+) 0 R/g)];
  return Number(m[m.length - 1]![1]);
}
