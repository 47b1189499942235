// Stamp profiles (signer/pdf/stamp-profile.ts): the shipped examples, the bilingual errors that name
// the faulty field, templates and Vietnam time; and where a profile puts its stamp on a page
// (signer/pdf/stamp.ts, stamp-content.ts), without signing.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fontkit from '@pdf-lib/fontkit';
import { PDFDict, PDFDocument } from 'pdf-lib';
import { openPdf, pageRefs } from '../../signer/pdf/index.js';
import { findText, pageContent } from '../../signer/pdf/stamp-content.js';
import { StampProfileError, fillTemplate, loadStampProfile, parseStampProfile, type StampProfile } from '../../signer/pdf/stamp-profile.js';
import { stampPlacement, vietnamDate, vietnamIsoTime } from '../../signer/pdf/stamp.js';
import { repoRoot } from '../support/cli.js';
import { decodePng, drawSignature, encodePng } from '../support/png.js';

const STAMPS = path.join(repoRoot, 'certs', 'stamps');
const DEJAVU = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';
const A4: [number, number] = [595.28, 841.89];
const shipped = (name: string) => JSON.parse(readFileSync(path.join(STAMPS, name), 'utf8')) as Record<string, any>;

/** Pages of text drawn by pdf-lib, each a list of [text, x, y, size]. */
async function pdfWith(pages: [string, number, number, number][][]): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.registerFontkit(fontkit);
  const font = await doc.embedFont(readFileSync(DEJAVU), { subset: true });
  for (const lines of pages) {
    const page = doc.addPage(A4);
    for (const [text, x, y, size] of lines) page.drawText(text, { x, y, size, font });
  }
  return doc.save();
}

function refused(fn: () => unknown, field: string, en: RegExp, vi: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof StampProfileError, String(e));
    assert.equal(e.code, 'STAMP_PROFILE_INVALID');
    assert.equal(e.field, field);
    assert.ok(e.message.includes(`: ${field}: `), e.message);
    assert.ok(e.messageVi.includes(`: ${field}: `), e.messageVi);
    assert.match(e.message, en);
    assert.match(e.messageVi, vi);
    return true;
  });
}

describe('stamp profiles (signer/pdf/stamp-profile.ts)', function () {
  this.timeout(30_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'stamp-profile-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the shipped profiles (certs/stamps/*.json) are valid, and the pictures they name are transparent PNGs', () => {
    const files = readdirSync(STAMPS).filter((f) => f.endsWith('.json')).sort();
    assert.deepEqual(files, ['copy.json', 'organisation.json', 'person.json']);
    for (const file of files) {
      const loaded = loadStampProfile(path.join(STAMPS, file));
      for (const [name, png] of Object.entries(loaded.images)) {
        const image = decodePng(png);
        const alphas = new Set<number>();
        for (let i = 3; i < image.data.length; i += 4) alphas.add(image.data[i]!);
        assert.ok(alphas.has(0) && alphas.has(255), `${file} ${name}: transparent background and opaque ink`);
      }
    }
    const person = loadStampProfile(path.join(STAMPS, 'person.json')).profile;
    assert.deepEqual(person.lines.map((l) => (l.kind === 'text' ? l.text : `[${l.image}]`)), ['KT. GIÁM ĐỐC', 'PHÓ GIÁM ĐỐC', '[signature]', '{commonName}']);
    const organisation = loadStampProfile(path.join(STAMPS, 'organisation.json')).profile;
    assert.deepEqual(organisation.position, { type: 'signature', target: 'image', overlap: 0.3333, dy: 0 });
    assert.equal(organisation.lines[0]!.kind === 'image' && organisation.lines[0]!.diameterMm, 36);
    const copy = loadStampProfile(path.join(STAMPS, 'copy.json')).profile;
    assert.deepEqual([copy.page, copy.fontSize, copy.position.type === 'corner' && copy.position.corner], [1, 10, 'top-right']);
  });

  it('a profile with a bad value is refused, in Vietnamese and English, naming the field', () => {
    const person = shipped('person.json');
    const organisation = shipped('organisation.json');
    const bad = (base: Record<string, any>, change: (p: Record<string, any>) => void) => {
      const p = structuredClone(base);
      change(p);
      return () => parseStampProfile(p, 'person.json');
    };
    refused(bad(person, (p) => (p.fontSize = -1)), 'fontSize', /must be at least 4 \(got -1\)/, /phải từ 4 trở lên \(nhận được -1\)/);
    refused(bad(person, (p) => (p.lines[1].size = 'lớn')), 'lines[1].size', /must be of type number \(got "lớn"\)/, /phải có kiểu number/);
    refused(bad(person, (p) => (p.position.type = 'middle')), 'position.type', /one of box, anchor, corner, signature/, /phải là một trong box, anchor, corner, signature/);
    refused(bad(person, (p) => (p.lines[3].text = '{tenNguoiKy}')), 'lines[3].text', /unknown value \{tenNguoiKy\}/, /giá trị \{tenNguoiKy\} không tồn tại/);
    refused(bad(person, (p) => (p.color = '#12345')), 'color', /#RRGGBB/, /màu dạng #RRGGBB/);
    refused(bad(person, (p) => (p.page = 0)), 'page', /"first", "last" or a page number/, /số trang từ 1/);
    refused(bad(person, (p) => (p.lines[2].image = 'chu-ky')), 'lines[2].image', /not one of the images declared/, /không có trong danh sách ảnh/);
    refused(bad(person, (p) => (p.lines[2].diameterMm = 30)), 'lines[2].height', /exactly one of height/, /đúng một trong height/);
    refused(bad(person, (p) => (p.colour = '#0000FF')), 'colour', /not a key this profile knows/, /không phải khoá hợp lệ/);
    refused(bad(person, (p) => (p.lines = [])), 'lines', /at least 1 item/, /ít nhất 1 phần tử/);
    refused(bad(organisation, (p) => (p.position.overlap = 1.5)), 'position.overlap', /at most 1 \(got 1.5\)/, /không được lớn hơn 1/);
    refused(bad(organisation, (p) => (p.lines[0].diameterMm = 0)), 'lines[0].diameterMm', /greater than 0/, /phải lớn hơn 0/);
    refused(bad(organisation, (p) => (p.lines = [{ text: 'Đã ký' }])), 'lines', /needs an image line/, /cần một dòng ảnh/);
    // The same profile, untouched, is accepted: the faults above are the changes.
    assert.doesNotThrow(() => parseStampProfile(structuredClone(person)));
    assert.doesNotThrow(() => parseStampProfile(structuredClone(organisation)));
  });

  it('loading: unreadable JSON and a missing picture are refused naming the file and the image', () => {
    writeFileSync(path.join(dir, 'hong.json'), '{ "page": "last", ');
    refused(() => loadStampProfile(path.join(dir, 'hong.json')), '(file)', /cannot be read as JSON/, /không đọc được tệp JSON/);
    writeFileSync(path.join(dir, 'person.json'), JSON.stringify(shipped('person.json')));
    refused(() => loadStampProfile(path.join(dir, 'person.json')), 'images.signature', /cannot read .*mau-chu-ky\.png \(ENOENT\)/, /không đọc được .*mau-chu-ky\.png/);
    writeFileSync(path.join(dir, 'mau-chu-ky.png'), encodePng(drawSignature()));
    assert.equal(loadStampProfile(path.join(dir, 'person.json')).images.signature!.length, readFileSync(path.join(dir, 'mau-chu-ky.png')).length);
  });

  it('templates: values, the first present of {a|b}, literal braces, and what is missing', () => {
    assert.deepEqual(fillTemplate('Số: {documentNumber|copyType}', { copyType: 'SAO Y' }), { text: 'Số: SAO Y', missing: [] });
    assert.deepEqual(fillTemplate('{documentNumber|copyType}', { documentNumber: '12/QĐ-UBND', copyType: 'SAO Y' }).text, '12/QĐ-UBND');
    assert.deepEqual(fillTemplate('{{commonName}} = {commonName}', { commonName: 'Nguyễn Văn Ánh' }).text, '{commonName} = Nguyễn Văn Ánh');
    assert.deepEqual(fillTemplate('{title}: {commonName}', { commonName: 'Ánh', title: '  ' }), { missing: ['title'] });
  });

  it('signing time in ISO 8601, Vietnam time (+07:00, no daylight saving), also across midnight', () => {
    assert.equal(vietnamIsoTime(new Date('2026-03-15T02:30:00Z')), '2026-03-15T09:30:00+07:00');
    assert.equal(vietnamIsoTime(new Date('2026-12-31T20:05:09Z')), '2027-01-01T03:05:09+07:00');
    assert.equal(vietnamIsoTime(new Date('2026-07-01T12:00:00Z')), '2026-07-01T19:00:00+07:00');
    assert.equal(vietnamDate(new Date('2026-12-31T20:05:09Z')), '01/01/2027');
  });
});

describe('placing a stamp on a page (signer/pdf/stamp.ts, stamp-content.ts)', function () {
  this.timeout(30_000);
  const signature = encodePng(drawSignature());
  const profile = (name: string, change?: (p: Record<string, any>) => void): StampProfile => {
    const p = shipped(name);
    change?.(p);
    return parseStampProfile(p, name);
  };

  it('finds a text anchor by its Unicode text, split across drawing operations, first or last occurrence', async () => {
    const doc = await openPdf(await pdfWith([[
      ['Nơi nhận:', 60, 300, 12],
      ['- Như trên;', 60, 285, 11],
      ['Nơi', 70, 150, 10],
      ['nhận:', 92, 150, 10],
    ]]));
    const { glyphs } = pageContent(doc.context, doc.context.lookup(pageRefs(doc)[0]!, PDFDict));
    const first = findText(glyphs, 'Nơi nhận:', 'first')!;
    assert.ok(Math.abs(first.x - 60) < 0.01 && Math.abs(first.baseline - 300) < 0.01 && Math.abs(first.size - 12) < 0.01, JSON.stringify(first));
    const last = findText(glyphs, 'Nơi  nhận:', 'last')!;
    assert.ok(Math.abs(last.x - 70) < 0.01 && Math.abs(last.baseline - 150) < 0.01, JSON.stringify(last));
    assert.ok(last.right > 92, 'ends after the second piece');
    assert.equal(findText(glyphs, 'Nơi nhận:', 3), undefined);
    assert.equal(findText(glyphs, 'Nơi nhân:'), undefined, 'a different diacritic is a different word');
    // Written decomposed (e + combining marks) it still matches the precomposed page text.
    assert.ok(findText(glyphs, 'Như trên;'.normalize('NFD')));
  });

  it('person: the block hangs from the anchor\'s baseline + dy, centred on centerX, as wide as its widest line', async () => {
    const doc = await openPdf(await pdfWith([[['Trang 1', 60, 780, 12]], [['Nơi nhận:', 60, 300, 12]]]));
    const placed = await stampPlacement(doc, { profile: profile('person.json'), images: { signature } }, { commonName: 'Nguyễn Văn Ánh' });
    assert.equal(placed.page, 1, '"last" is the second of two pages');
    const [x1, y1, x2, y2] = placed.rect;
    assert.ok(Math.abs(y2 - (300 + 13)) < 0.01, `top ${y2}`);
    assert.ok(Math.abs((x1 + x2) / 2 - 430) < 0.01, `centre ${(x1 + x2) / 2}`);
    const imageWidth = (56 * 360) / 140;
    assert.ok(Math.abs(x2 - x1 - (imageWidth + 4)) < 0.01, `width ${x2 - x1}: the signature picture is the widest line`);
    assert.ok(Math.abs(y2 - y1 - (3 * 12 * 1.3 + 56 + 4)) < 0.01, `height ${y2 - y1}`);
  });

  it('copy: top right of page 1, the margins from the page edges, 10 pt lines', async () => {
    const doc = await openPdf(await pdfWith([[['Trang 1', 60, 780, 12]], [['Trang 2', 60, 780, 12]]]));
    const placed = await stampPlacement(doc, { profile: profile('copy.json') }, { commonName: 'Văn phòng UBND tỉnh Bắc Ninh', copyType: 'SAO Y', signingTime: '2026-03-15T09:30:00+07:00' });
    assert.equal(placed.page, 0);
    const [, y1, x2, y2] = placed.rect;
    assert.ok(Math.abs(x2 - (A4[0] - 42)) < 0.01 && Math.abs(y2 - (A4[1] - 20)) < 0.01, placed.rect.join(' '));
    assert.ok(Math.abs(y2 - y1 - (3 * 10 * 1.2 + 4)) < 0.01, `three 10 pt lines: ${y2 - y1}`);
  });

  it('refuses what cannot be placed: a page beyond the document, a missing value, an absent anchor, no signature to seal, an opaque picture', async () => {
    const doc = await openPdf(await pdfWith([[['Nơi nhận:', 60, 300, 12]]]));
    const values = { commonName: 'Nguyễn Văn Ánh' };
    await assert.rejects(stampPlacement(doc, { profile: profile('person.json', (p) => (p.page = 3)), images: { signature } }, values), (e: StampProfileError) => {
      assert.equal(e.field, 'page');
      assert.match(e.message, /page 3 does not exist \(the document has 1\)/);
      assert.match(e.messageVi, /trang 3 không tồn tại/);
      return true;
    });
    await assert.rejects(stampPlacement(doc, { profile: profile('copy.json') }, { commonName: 'Văn phòng', signingTime: 'x' }), (e: Error & { code: string; messageVi: string }) => {
      assert.equal(e.code, 'STAMP_VALUE_MISSING');
      assert.match(e.message, /lines\[1\]\.text needs \{documentNumber\|copyType\}/);
      assert.match(e.messageVi, /lines\[1\]\.text cần \{documentNumber\|copyType\}/);
      return true;
    });
    await assert.rejects(stampPlacement(doc, { profile: profile('person.json', (p) => (p.position.text = 'Nơi gửi:')), images: { signature } }, values), (e: StampProfileError) => {
      assert.equal(e.field, 'position.text');
      assert.match(e.messageVi, /không tìm thấy "Nơi gửi:"/);
      return true;
    });
    await assert.rejects(stampPlacement(doc, { profile: profile('organisation.json'), images: { seal: signature } }, values), (e: StampProfileError) => {
      assert.equal(e.field, 'position');
      assert.match(e.message, /no visible signature on page 1/);
      return true;
    });
    const opaque = encodePng(drawSignature(), { alpha: false });
    await assert.rejects(stampPlacement(doc, { profile: profile('person.json'), images: { signature: opaque } }, values), (e: StampProfileError) => {
      assert.equal(e.field, 'images.signature');
      assert.match(e.message, /transparent background/);
      assert.match(e.messageVi, /nền trong suốt/);
      return true;
    });
    await assert.rejects(stampPlacement(doc, { profile: profile('person.json', (p) => (p.position.centerX = 590)), images: { signature } }, values), (e: StampProfileError) => {
      assert.equal(e.field, 'position');
      assert.match(e.message, /falls outside page 1/);
      return true;
    });
  });
});
