// Where a new signature field goes (signer/pdf/fields.ts, placeholder.ts): into whatever form and
// annotation arrays the document already has, wherever they live.
import assert from 'node:assert/strict';
import { PDFArray, PDFDict, PDFDocument, PDFName, PDFRef, PDFString } from 'pdf-lib';
import { openPdf, pageRefs, prepareSignature, signatureFields } from '../../signer/pdf/index.js';
import { makeTestPdf } from '../support/pdf-fixtures.js';

const SIG = { signingTime: new Date('2026-03-15T02:30:00Z'), contentsBytes: 4096 };

/** A PDF whose catalog holds /AcroForm directly, with /Fields and page 2's /Annots as separate objects. */
async function pdfWithExistingForm(): Promise<Uint8Array> {
  const doc = await PDFDocument.load(await makeTestPdf({ pages: 2 }));
  const ctx = doc.context;
  const text = ctx.obj({ FT: 'Tx', T: PDFString.of('so_van_ban'), Type: 'Annot', Subtype: 'Widget', Rect: [50, 50, 200, 70] });
  const textRef = ctx.register(text);
  const fieldsRef = ctx.register(ctx.obj([textRef]));
  doc.catalog.set(PDFName.of('AcroForm'), ctx.obj({ Fields: fieldsRef, DA: PDFString.of('/Helv 0 Tf 0 g') }));
  const page2 = doc.getPage(1).node;
  page2.set(PDFName.of('Annots'), ctx.register(ctx.obj([textRef])));
  return doc.save({ useObjectStreams: false });
}

describe('PDF signature fields (signer/pdf/fields.ts)', function () {
  this.timeout(30_000);

  it('a new form: /AcroForm object with /SigFlags 3, one widget on page 1 with /Rect [0 0 0 0] and /F 132', async () => {
    const prepared = await prepareSignature(await makeTestPdf({ pages: 2 }), SIG);
    const doc = await openPdf(prepared.bytes);
    assert.ok(doc.catalog.get(PDFName.of('AcroForm')) instanceof PDFRef);
    const acro = doc.catalog.lookup(PDFName.of('AcroForm'), PDFDict);
    assert.equal(acro.get(PDFName.of('SigFlags'))!.toString(), '3');
    const [field] = signatureFields(doc.context, doc.catalog);
    assert.equal(field!.name, 'Signature1');
    assert.equal(prepared.fieldName, 'Signature1');
    assert.equal(field!.field.get(PDFName.of('F'))!.toString(), '132');
    assert.equal(field!.field.get(PDFName.of('Rect'))!.toString(), '[ 0 0 0 0 ]');
    assert.equal(field!.field.get(PDFName.of('P'))!.toString(), pageRefs(doc)[0]!.toString());
    const annots = doc.context.lookup(pageRefs(doc)[0]!, PDFDict).lookup(PDFName.of('Annots'), PDFArray);
    assert.equal(annots.get(annots.size() - 1)!.toString(), field!.ref!.toString());
    assert.equal(field!.value!.get(PDFName.of('Type'))!.toString(), '/Sig');
  });

  it('an existing form: keeps its fields, updates the /Fields and /Annots objects where they live, and picks an unused name', async () => {
    const original = await pdfWithExistingForm();
    const before = await openPdf(original);
    const fieldsRef = before.catalog.lookup(PDFName.of('AcroForm'), PDFDict).get(PDFName.of('Fields')) as PDFRef;
    const page2Ref = pageRefs(before)[1]!;
    const annotsRef = before.context.lookup(page2Ref, PDFDict).get(PDFName.of('Annots')) as PDFRef;

    const prepared = await prepareSignature(original, SIG, { page: 1, rect: [400, 40, 560, 110] });
    const appended = Buffer.from(prepared.bytes.subarray(original.length)).toString('latin1');
    assert.match(appended, new RegExp(`\\n${fieldsRef.objectNumber} 0 obj\\n`), 'the /Fields array object is written again');
    assert.match(appended, new RegExp(`\\n${annotsRef.objectNumber} 0 obj\\n`), 'the /Annots array object is written again');
    assert.match(appended, new RegExp(`\\n${before.catalogRef.objectNumber} 0 obj\\n`), 'the catalog holds the form directly, so it is written again');
    assert.doesNotMatch(appended, new RegExp(`\\n${page2Ref.objectNumber} 0 obj\\n`), 'the page itself is unchanged');

    const after = await openPdf(prepared.bytes);
    const acro = after.catalog.lookup(PDFName.of('AcroForm'), PDFDict);
    assert.equal(acro.get(PDFName.of('DA'))!.toString(), '(/Helv 0 Tf 0 g)', 'other form entries are kept');
    assert.equal(acro.get(PDFName.of('SigFlags'))!.toString(), '3');
    assert.equal(acro.lookup(PDFName.of('Fields'), PDFArray).size(), 2);
    const sig = signatureFields(after.context, after.catalog);
    assert.deepEqual(sig.map((s) => s.name), ['Signature1']);
    assert.equal(sig[0]!.field.get(PDFName.of('Rect'))!.toString(), '[ 400 40 560 110 ]');
    assert.equal(sig[0]!.field.get(PDFName.of('P'))!.toString(), page2Ref.toString());

    const again = await prepareSignature(prepared.bytes, SIG);
    const names = signatureFields((await openPdf(again.bytes)).context, (await openPdf(again.bytes)).catalog).map((s) => s.name);
    assert.deepEqual(names, ['Signature1', 'Signature2']);
  });

  it('the appearance hook adds its objects to the update and the widget points at them', async () => {
    const prepared = await prepareSignature(await makeTestPdf({ pages: 1 }), SIG, {
      rect: [50, 50, 250, 100],
      appearance: ({ context, add }) => add(context.formXObject([], { BBox: [0, 0, 200, 50] })),
    });
    const doc = await openPdf(prepared.bytes);
    const [field] = signatureFields(doc.context, doc.catalog);
    const ap = field!.field.lookup(PDFName.of('AP'), PDFDict).get(PDFName.of('N')) as PDFRef;
    const xobject = doc.context.lookup(ap);
    assert.ok(xobject, 'the appearance stream is in the file');
    assert.match(Buffer.from(prepared.bytes).toString('latin1'), /\/Subtype \/Form/);
  });

  it('refuses a page that does not exist, in both languages', async () => {
    await assert.rejects(prepareSignature(await makeTestPdf({ pages: 2 }), SIG, { page: 5 }), (e: Error & { messageVi?: string }) => {
      assert.match(e.message, /page 6 does not exist \(the document has 2\)/);
      assert.match(e.messageVi!, /trang 6 không tồn tại/);
      return true;
    });
  });
});
