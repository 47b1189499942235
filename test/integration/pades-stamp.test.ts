// Visible signature stamps (signer/pdf/stamp*.ts) on PAdES signatures, judged by Poppler: pdfsig
// for the signatures, pdftotext for the Vietnamese text, pdffonts for the embedded subsets, and
// pdftoppm's rendering (decoded with test/support/png.ts) for where the blue signature and the red
// seal land.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PDFArray, PDFDict, PDFName, PDFNumber, PDFRawStream, decodePDFRawStream } from 'pdf-lib';
import type { Sequelize } from 'sequelize';
import { loadPkcs12, type LoadedIdentity } from '../../signer/cms/index.js';
import { loadStampProfile, openPdf, signPdf, signatureFields, verifyPdf, type LoadedStampProfile } from '../../signer/pdf/index.js';
import { repoRoot } from '../support/cli.js';
import { TestPki, cliPki, makeLetter, pdfsig } from '../support/pdf-fixtures.js';
import { cropImage, decodePng, drawSeal, drawSignature, encodePng, type RgbaImage } from '../support/png.js';

type Rect = [number, number, number, number];

const PAGE: [number, number] = [595.28, 841.89];
const STAMPS = path.join(repoRoot, 'certs', 'stamps');
const SIGNING_TIME = new Date('2026-03-15T02:30:00Z');
/** Poppler's word box is the font's ascent + descent high: 0.928 + 0.236 em for DejaVu Sans. */
const DEJAVU_BOX_EM = 1.164;

const run = (cmd: string, args: string[]) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

/** A stream-valued entry (pdf-lib's typed lookup knows no PDFRawStream). */
function rawStream(dict: PDFDict, key: string): PDFRawStream {
  const value = dict.lookup(PDFName.of(key));
  assert.ok(value instanceof PDFRawStream, `/${key} is a stream`);
  return value;
}

interface Widget {
  name: string;
  rect: Rect;
  form: PDFRawStream;
  content: string;
}

async function widgets(pdf: Uint8Array): Promise<Widget[]> {
  const doc = await openPdf(pdf);
  return signatureFields(doc.context, doc.catalog).map((f) => {
    const rect = f.field.lookup(PDFName.of('Rect'), PDFArray).asArray().map((n) => (n as PDFNumber).asNumber()) as Rect;
    const form = rawStream(f.field.lookup(PDFName.of('AP'), PDFDict), 'N');
    return { name: f.name, rect, form, content: Buffer.from(decodePDFRawStream(form).decode()).toString('latin1') };
  });
}

/** The rectangles (page space) where a widget's appearance paints images: `w 0 0 h x y cm /ImN Do` inside a form at the widget's corner. */
function imageRects(w: Widget): Rect[] {
  return [...w.content.matchAll(/([\d.]+) 0 0 ([\d.]+) ([\d.-]+) ([\d.-]+) cm \/Im\d+ Do/g)].map((m) => {
    const [width, height, x, y] = m.slice(1, 5).map(Number) as [number, number, number, number];
    return [w.rect[0] + x, w.rect[1] + y, w.rect[0] + x + width, w.rect[1] + y + height];
  });
}

const near = (actual: number, expected: number, tolerance: number, what: string) => assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} (expected ${expected} ± ${tolerance})`);

interface Word {
  text: string;
  xMin: number;
  yMin: number;
  xMax: number;
  yMax: number;
}

/** `pdftotext -bbox` words of one page (y from the top of the page, as Poppler gives them). */
function words(file: string, page: number): Word[] {
  const html = run('pdftotext', ['-bbox', '-f', String(page), '-l', String(page), file, '-']);
  return [...html.matchAll(/<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<\/word>/g)].map((m) => ({
    xMin: Number(m[1]), yMin: Number(m[2]), xMax: Number(m[3]), yMax: Number(m[4]), text: m[5]!.replace(/&amp;/g, '&'),
  }));
}

type Colour = 'blue' | 'red';
const isBlue = (r: number, g: number, b: number) => b >= 110 && b - r >= 60 && b - g >= 50;
const isRed = (r: number, g: number, b: number) => r >= 150 && r - g >= 80 && r - b >= 80;

/** Counts the pixels of a colour inside and outside a page rectangle (72 dpi: one pixel per point). */
function countColour(image: RgbaImage, colour: Colour, region: Rect, pageHeight: number, margin = 1.5): { inside: number; outside: number } {
  const test = colour === 'blue' ? isBlue : isRed;
  let inside = 0;
  let outside = 0;
  for (let py = 0; py < image.height; py++) {
    for (let px = 0; px < image.width; px++) {
      const i = (py * image.width + px) * 4;
      if (!test(image.data[i]!, image.data[i + 1]!, image.data[i + 2]!)) continue;
      const [x, y] = [px + 0.5, pageHeight - (py + 0.5)];
      const within = x >= region[0] - margin && x <= region[2] + margin && y >= region[1] - margin && y <= region[3] + margin;
      if (within) inside++;
      else outside++;
    }
  }
  return { inside, outside };
}

const intersect = (a: Rect, b: Rect): Rect => [Math.max(a[0], b[0]), Math.max(a[1], b[1]), Math.min(a[2], b[2]), Math.min(a[3], b[3])];

describe('visible PAdES stamps (signer/pdf/stamp*.ts), judged by pdfsig, pdftotext, pdffonts and pdftoppm', function () {
  this.timeout(180_000);
  let dir: string;
  let pki: TestPki;
  let nssdir: string;
  let leader: LoadedIdentity;
  let clerk: LoadedIdentity;
  let person: LoadedStampProfile;
  let organisation: LoadedStampProfile;
  let letter: Uint8Array;
  let signedByLeader: Uint8Array;
  let sealed: Uint8Array;
  const f = (name: string) => path.join(dir, name);
  const save = (name: string, bytes: Uint8Array) => {
    writeFileSync(f(name), bytes);
    return f(name);
  };

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pades-stamp-'));
    pki = new TestPki(path.join(dir, 'pki'));
    pki.makeCas();
    const anh = pki.issue('anh', '/C=VN/ST=Bắc Ninh/O=Sở Nội vụ tỉnh Bắc Ninh/title=Phó Giám đốc/CN=Nguyễn Văn Ánh/UID=CCCD:027080001234',
      ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
      'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\nextendedKeyUsage=emailProtection\nsubjectAltName=email:anh@snv.bacninh.gov.vn');
    const vanthu = pki.organisation();
    pki.tsa();
    nssdir = pki.nssDb();
    [leader, clerk] = await Promise.all([anh, vanthu].map((id) => loadPkcs12(readFileSync(id.p12), id.password)));

    // The shipped profiles, with pictures drawn here (a blue signature, a red seal; transparent).
    person = { ...loadStampProfile(path.join(STAMPS, 'person.json')), images: { signature: encodePng(drawSignature()) } };
    organisation = { ...loadStampProfile(path.join(STAMPS, 'organisation.json')), images: { seal: encodePng(drawSeal()) } };
    // The API signs a file with a classic xref table, the command line one with an xref stream.
    letter = await makeLetter({ agency: 'SỞ NỘI VỤ TỈNH BẮC NINH', xref: 'table' });
    save('letter.pdf', letter);
    save('letter-stream.pdf', await makeLetter({ agency: 'SỞ NỘI VỤ TỈNH BẮC NINH', xref: 'stream' }));
    signedByLeader = (await signPdf({ pdf: letter, certificate: leader.certificate, chain: leader.chain, privateKey: leader.privateKey, stamp: person, signingTime: SIGNING_TIME, reason: 'Phê duyệt' })).pdf;
    save('leader.pdf', signedByLeader);
    sealed = (await signPdf({ pdf: signedByLeader, certificate: clerk.certificate, chain: clerk.chain, privateKey: clerk.privateKey, stamp: organisation, level: 'B-T', timestamper: pki.timestamper(), signingTime: SIGNING_TIME, reason: 'Phát hành' })).pdf;
    save('sealed.pdf', sealed);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the leader\'s stamp: a widget on the last page hanging from "Nơi nhận:", drawn by a form XObject of its size with an embedded font subset and a soft-masked image', async () => {
    const [w] = await widgets(signedByLeader);
    const doc = await openPdf(signedByLeader);
    const field = signatureFields(doc.context, doc.catalog)[0]!.field;
    const pages = doc.catalog.lookup(PDFName.of('Pages'), PDFDict).lookup(PDFName.of('Kids'), PDFArray);
    assert.equal(field.get(PDFName.of('P'))!.toString(), pages.get(1).toString(), 'on page 2 of 2 ("last")');
    const [x1, y1, x2, y2] = w!.rect;
    near(y2, 400 + 13, 0.01, 'top = baseline of "Nơi nhận:" + dy 13');
    near((x1 + x2) / 2, 430, 0.01, 'centred on x = 430');
    assert.ok(x2 - x1 > 100 && y2 - y1 > 100, `a real block: ${w!.rect.join(' ')}`);
    assert.equal(w!.form.dict.get(PDFName.of('Subtype'))!.toString(), '/Form');
    const bbox = w!.form.dict.lookup(PDFName.of('BBox'), PDFArray).asArray().map((n) => (n as PDFNumber).asNumber());
    near(bbox[2]!, x2 - x1, 0.01, 'BBox width');
    near(bbox[3]!, y2 - y1, 0.01, 'BBox height');

    const resources = w!.form.dict.lookup(PDFName.of('Resources'), PDFDict);
    const font = resources.lookup(PDFName.of('Font'), PDFDict).lookup(PDFName.of('F2'), PDFDict);
    assert.equal(font.get(PDFName.of('Subtype'))!.toString(), '/Type0');
    assert.equal(font.get(PDFName.of('Encoding'))!.toString(), '/Identity-H');
    assert.match(font.get(PDFName.of('BaseFont'))!.toString(), /^\/[A-Z]{6}\+DejaVuSans-Bold$/);
    assert.ok(font.lookup(PDFName.of('ToUnicode')) instanceof PDFRawStream, 'a /ToUnicode map');
    const cid = font.lookup(PDFName.of('DescendantFonts'), PDFArray).lookup(0, PDFDict);
    const fontFile = rawStream(cid.lookup(PDFName.of('FontDescriptor'), PDFDict), 'FontFile2');
    const subsetBytes = decodePDFRawStream(fontFile).decode().length;
    assert.ok(subsetBytes > 1000 && subsetBytes < readFileSync('/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf').length / 10, `a subset, not the whole font: ${subsetBytes} bytes`);

    const image = rawStream(resources.lookup(PDFName.of('XObject'), PDFDict), 'Im1');
    assert.equal(image.dict.get(PDFName.of('Subtype'))!.toString(), '/Image');
    assert.ok(image.dict.lookup(PDFName.of('SMask')) instanceof PDFRawStream, 'transparency as a soft mask');
    const [img] = imageRects(w!);
    assert.ok(img![1] > y1 + 12 && img![3] < y2 - 24, 'the signature picture sits between the position lines above and the name below');
    near(img![3] - img![1], 56, 0.01, 'picture height from the profile');
  });

  it('the clerk\'s seal: 36 mm (102 pt) across, over the left third of the leader\'s signature picture, level with it', async () => {
    const [leaderWidget, sealWidget] = await widgets(sealed);
    const [signature] = imageRects(leaderWidget!);
    const seal = sealWidget!.rect;
    near(seal[2] - seal[0], (36 / 25.4) * 72, 0.01, 'seal width (real size)');
    near(seal[3] - seal[1], (36 / 25.4) * 72, 0.01, 'seal height (a round seal)');
    const overlap = (seal[2] - signature![0]) / (signature![2] - signature![0]);
    near(overlap, 1 / 3, 0.005, 'share of the signature picture the seal covers, from its left');
    assert.ok(seal[0] < signature![0], 'the seal stands out on the left');
    near((seal[1] + seal[3]) / 2, (signature![1] + signature![3]) / 2, 0.01, 'vertical middle');
    const [sealImage] = imageRects(sealWidget!);
    assert.deepEqual(sealImage!.map((v) => Math.round(v * 100)), seal.map((v) => Math.round(v * 100)), 'the seal picture fills its widget');
  });

  it('both signatures stay valid: pdfsig says "Signature is Valid." for each, with a trusted certificate; verifyPdf agrees', async () => {
    const r = pdfsig(f('sealed.pdf'), { nssdir });
    assert.equal(r.signatures.length, 2, r.stdout);
    assert.equal(r.signatures[0]!.signatureValidation, 'Signature is Valid.', r.signatures[0]!.text);
    assert.equal(r.signatures[1]!.signatureValidation, 'Signature is Valid.', r.signatures[1]!.text);
    assert.deepEqual(r.signatures.map((s) => s.certificateValidation), ['Certificate is Trusted.', 'Certificate is Trusted.'], r.stdout);
    assert.deepEqual(r.signatures.map((s) => s.signerName), ['Nguyễn Văn Ánh', 'Văn phòng UBND tỉnh Bắc Ninh']);
    assert.deepEqual(r.signatures.map((s) => s.totalDocumentSigned), [false, true]);
    const ours = await verifyPdf(sealed);
    assert.deepEqual(ours.signatures.map((s) => [s.intact, s.byteRangeValid]), [[true, true], [true, true]]);
    assert.equal(ours.signatures[1]!.timestamp?.imprintMatches, true, 'the clerk signed at B-T');
    assert.ok(Buffer.from(sealed.subarray(0, signedByLeader.length)).equals(Buffer.from(signedByLeader)), 'appended: the leader\'s version is a prefix');
  });

  it('pdftotext gives back the position and the name with every diacritic; pdffonts lists embedded DejaVu subsets with ToUnicode', () => {
    const before = run('pdftotext', ['-f', '2', '-l', '2', f('letter.pdf'), '-']);
    for (const s of ['GIÁM ĐỐC', 'Nguyễn Văn Ánh']) assert.ok(!before.includes(s), `"${s}" is not in the letter before signing`);
    const text = run('pdftotext', ['-f', '2', '-l', '2', f('sealed.pdf'), '-']);
    for (const s of ['KT. GIÁM ĐỐC', 'PHÓ GIÁM ĐỐC', 'Nguyễn Văn Ánh']) assert.ok(text.includes(s), `"${s}" in:\n${text}`);
    const lines = text.split('\n');
    assert.ok(lines.indexOf('PHÓ GIÁM ĐỐC') < lines.indexOf('Nguyễn Văn Ánh'), 'the position above the name');

    const fonts = run('pdffonts', ['-f', '2', '-l', '2', f('sealed.pdf')]);
    const ours = fonts.split('\n').filter((l) => /^[A-Z]{6}\+DejaVuSans/.test(l));
    assert.ok(ours.some((l) => /^[A-Z]{6}\+DejaVuSans-Bold\s+CID TrueType\s+Identity-H\s+yes yes yes/.test(l)), fonts);
  });

  it('pdftoppm -r 72: blue pixels in the signature picture and red ones in the seal, none elsewhere; the signature shows through the seal', async () => {
    const [leaderWidget, sealWidget] = await widgets(sealed);
    const [signature] = imageRects(leaderWidget!);
    const seal = sealWidget!.rect;
    run('pdftoppm', ['-r', '72', '-png', '-f', '2', '-l', '2', '-singlefile', f('sealed.pdf'), f('page2')]);
    const page = decodePng(readFileSync(f('page2.png')));
    assert.deepEqual([page.width, page.height], [596, 842], 'one pixel per point, rounded up');

    const blue = countColour(page, 'blue', signature!, PAGE[1]);
    assert.ok(blue.inside > 300, `blue ink in the signature picture: ${blue.inside}`);
    assert.equal(blue.outside, 0, 'no blue outside the signature picture');
    const red = countColour(page, 'red', seal, PAGE[1]);
    assert.ok(red.inside > 1500, `red ink in the seal: ${red.inside}`);
    assert.equal(red.outside, 0, 'no red outside the seal');
    const underSeal = countColour(page, 'blue', intersect(signature!, seal), PAGE[1], 0);
    assert.ok(underSeal.inside > 20, `the signature under the seal stays visible (transparent seal): ${underSeal.inside} blue pixels`);

    // Before the seal, the same page has the blue signature and no red at all.
    run('pdftoppm', ['-r', '72', '-png', '-f', '2', '-l', '2', '-singlefile', f('leader.pdf'), f('leader2')]);
    const plain = decodePng(readFileSync(f('leader2.png')));
    assert.equal(countColour(plain, 'red', [0, 0, 0, 0], PAGE[1]).outside, 0);
    assert.ok(countColour(plain, 'blue', signature!, PAGE[1]).inside > blue.inside, 'the seal covers part of the signature');

    // The README's picture: the signature area at 144 dpi.
    run('pdftoppm', ['-r', '144', '-png', '-f', '2', '-l', '2', '-singlefile', f('sealed.pdf'), f('page2-144')]);
    const big = decodePng(readFileSync(f('page2-144.png')));
    const top = (PAGE[1] - 420) * 2;
    mkdirSync(path.join(repoRoot, 'docs', 'screenshots'), { recursive: true });
    writeFileSync(path.join(repoRoot, 'docs', 'screenshots', 'pades-stamp.png'), encodePng(cropImage(big, 40 * 2, top, 560 * 2, top + 130 * 2), { alpha: false }));
  });

  it('the copy profile: a 10 pt text block at the top right of page 1 with the document number and the signing time in ISO 8601 +07:00', async () => {
    const copy = loadStampProfile(path.join(STAMPS, 'copy.json'));
    const r = await signPdf({ pdf: sealed, certificate: clerk.certificate, chain: clerk.chain, privateKey: clerk.privateKey, stamp: { ...copy, values: { documentNumber: '456/SNV-VP' } }, signingTime: SIGNING_TIME });
    const file = save('copy.pdf', r.pdf);
    const p = pdfsig(file, { nssdir });
    assert.deepEqual(p.signatures.map((s) => s.signatureValidation), Array(3).fill('Signature is Valid.'), p.stdout);

    const all = words(file, 1);
    const time = all.find((w) => w.text.includes('+07:00'));
    assert.ok(time, JSON.stringify(all.slice(0, 10)));
    assert.match(time.text, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+07:00$/);
    assert.equal(time.text, '2026-03-15T09:30:00+07:00', 'the /M time, in Vietnam time');
    const number = all.find((w) => w.text === '456/SNV-VP' && w.yMin < 100)!;
    const org = all.filter((w) => w.yMin < number.yMin && w.yMin < 100);
    assert.equal(org.map((w) => w.text).join(' '), 'Văn phòng UBND tỉnh Bắc Ninh', 'the clerk certificate\'s name on the first line');
    const block = [...org, number, time];
    for (const w of block) near((w.yMax - w.yMin) / DEJAVU_BOX_EM, 10, 0.05, `font size of "${w.text}"`);
    near(Math.max(...block.map((w) => w.xMax)), PAGE[0] - 42 - 2, 0.5, 'right edge: 42 pt margin + 2 pt padding');
    near(Math.min(...block.map((w) => w.yMin)), 20 + 2 + 1, 1, 'top: 20 pt margin + padding + half the leading');
    assert.ok(Math.min(...block.map((w) => w.xMin)) > PAGE[0] / 2, 'in the right half');
    assert.ok(org[0]!.yMin < number.yMin && number.yMin < time.yMin, 'name, number, time from top to bottom');
  });

  describe('govmail sign --visible (our own CA, PostgreSQL)', () => {
    let db: Sequelize;
    let cli: Awaited<ReturnType<typeof cliPki>>['cli'];

    before(async () => {
      ({ db, cli } = await cliPki(f, path.join(dir, 'data'), [
        { name: 'anh', profile: 'individual', subject: { commonName: 'Nguyễn Văn Ánh', organization: 'Sở Nội vụ', title: 'Phó Giám đốc', email: 'anh@snv.thu.gov.vn', cccd: '027080001234' } },
        { name: 'vanthu', profile: 'organisation', subject: { commonName: 'Văn phòng Sở Nội vụ', organization: 'Sở Nội vụ tỉnh Thử Nghiệm', mst: '2300123456', email: 'vanthu@snv.thu.gov.vn' } },
      ], 'p-256'));
    });
    after(async () => db?.close());

    it('signs with the shipped person, organisation (B-T) and copy profiles; the stamps and signatures hold', async () => {
      const one = await cli(['sign', f('letter-stream.pdf'), '--key-p12', f('anh.p12'), '--password-stdin', '--visible', path.join(STAMPS, 'person.json'), '--out', f('cli-1.pdf')], 'mat-khau-dai');
      assert.equal(one.code, 0, one.stderr);
      const two = await cli(['sign', f('cli-1.pdf'), '--key-p12', f('vanthu.p12'), '--password-stdin', '--visible', path.join(STAMPS, 'organisation.json'), '--level', 'B-T', '--out', f('cli-2.pdf')], 'mat-khau-dai');
      assert.equal(two.code, 0, two.stderr);
      const three = await cli(['sign', f('cli-2.pdf'), '--key-p12', f('vanthu.p12'), '--password-stdin', '--visible', path.join(STAMPS, 'copy.json'), '--copy-type', 'SAO Y', '--out', f('cli-3.pdf')], 'mat-khau-dai');
      assert.equal(three.code, 0, three.stderr);

      const p = pdfsig(f('cli-3.pdf'), { nocert: true });
      assert.deepEqual(p.signatures.map((s) => s.signatureValidation), Array(3).fill('Signature is Valid.'), p.stdout);
      const [personWidget, sealWidget, copyWidget] = await widgets(readFileSync(f('cli-3.pdf')));
      const [signature] = imageRects(personWidget!);
      near((sealWidget!.rect[2] - signature![0]) / (signature![2] - signature![0]), 1 / 3, 0.005, 'seal overlap');
      near(copyWidget!.rect[2], PAGE[0] - 42, 0.01, 'copy block at the right margin');
      const page2 = run('pdftotext', ['-f', '2', '-l', '2', f('cli-3.pdf'), '-']);
      assert.ok(page2.includes('Nguyễn Văn Ánh') && page2.includes('PHÓ GIÁM ĐỐC'), page2);
      const page1 = words(f('cli-3.pdf'), 1).filter((w) => w.yMin < 60).map((w) => w.text).join(' ');
      assert.match(page1, /Văn phòng Sở Nội vụ SAO Y \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00/);
    });

    it('a bad profile, a missing value and --visible on a non-PDF are refused before any signing, in both languages', async () => {
      const bad = JSON.parse(readFileSync(path.join(STAMPS, 'person.json'), 'utf8'));
      bad.lines[3].size = 0;
      bad.images.signature = path.join(STAMPS, 'mau-chu-ky.png');
      writeFileSync(f('bad.json'), JSON.stringify(bad));
      const r = await cli(['sign', f('letter.pdf'), '--key-p12', f('anh.p12'), '--password-stdin', '--visible', f('bad.json'), '--out', f('bad.pdf')], 'mat-khau-dai');
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /STAMP_PROFILE_INVALID/);
      assert.match(r.stderr, /mẫu chữ ký hiển thị bad\.json: lines\[3\]\.size: phải từ 4 trở lên \(nhận được 0\)/);
      assert.match(r.stderr, /stamp profile bad\.json: lines\[3\]\.size: must be at least 4 \(got 0\)/);
      assert.throws(() => readFileSync(f('bad.pdf')), /ENOENT/, 'nothing written');

      const missing = await cli(['sign', f('letter.pdf'), '--key-p12', f('vanthu.p12'), '--password-stdin', '--visible', path.join(STAMPS, 'copy.json'), '--out', f('missing.pdf')], 'mat-khau-dai');
      assert.equal(missing.code, 2, missing.stderr);
      assert.match(missing.stderr, /STAMP_VALUE_MISSING.*cần \{documentNumber\|copyType\}.*needs \{documentNumber\|copyType\}/);

      writeFileSync(f('to-trinh.txt'), 'Tờ trình\n');
      const txt = await cli(['sign', f('to-trinh.txt'), '--key-p12', f('anh.p12'), '--password-stdin', '--visible', path.join(STAMPS, 'person.json')], 'mat-khau-dai');
      assert.equal(txt.code, 2, txt.stderr);
      assert.match(txt.stderr, /--visible: cần tệp PDF ký PAdES/);
    });
  });
});
