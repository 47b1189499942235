// Signature validation with an ETSI EN 319 102-1 report (signer/validation): PDFs signed with our own
// CA and TSA (PostgreSQL), a foreign CA made with openssl, CMS .p7s and S/MIME messages; Poppler's
// pdfsig must agree on the valid and the tampered PDF, pdftotext must read the PDF report.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import Fastify from 'fastify';
import { PDFArray, PDFDict, PDFName, type PDFRef } from 'pdf-lib';
import type { Sequelize } from 'sequelize';
import { allMigrations } from '../../cli/migrations.js';
import { loadKek } from '../../core/kek.js';
import { loadPkcs12, signCms, signSmime, type LoadedIdentity } from '../../signer/cms/index.js';
import { currentCrl, getProfile, initCa, issueCertificate, listCas, localTimestamper, ourTrust, parseSubject, revokeCertificate, type Timestamper } from '../../signer/index.js';
import { IncrementalUpdate, openPdf, pageRefs, signPdf, type PadesLevel, type RevocationSource } from '../../signer/pdf/index.js';
import { RateLimiter, reportHtml, reportPdf, reportText, validateSignatures, verifyRoutes, type ValidationReport } from '../../signer/validation/index.js';
import { govmail } from '../support/cli.js';
import { TestPki, makeTestPdf, pdfsig } from '../support/pdf-fixtures.js';
import { freshDatabase, testDataDir } from '../support/postgres.js';

const PASSWORD = 'mat-khau-dai-2026';
const PKI_URL = 'http://127.0.0.1:9/pki'; // nothing listens there: no validator may depend on fetching
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const latin1 = (b: Uint8Array) => Buffer.from(b).toString('latin1');

describe('signature validation (signer/validation): ETSI EN 319 102-1 report for PDF, .p7s and .eml', function () {
  this.timeout(180_000);
  const dir = testDataDir('govmail-validation-');
  const f = (name: string) => path.join(dir, name);
  const save = (name: string, bytes: Uint8Array | string) => {
    writeFileSync(f(name), bytes);
    return f(name);
  };
  const kek = loadKek(dir, {});
  let db: Sequelize;
  let dbUrl: string;
  let timestamper: Timestamper;
  let huong: LoadedIdentity;
  let vanthu: LoadedIdentity;
  let twoSigners: Uint8Array;
  let tampered: Uint8Array;
  let foreign: Uint8Array;

  const validate = async (bytes: Uint8Array, o: { now?: Date; data?: Uint8Array; fileName?: string } = {}) => validateSignatures(bytes, { trust: await ourTrust(db, kek), ...o });

  async function issue(profile: 'individual' | 'organisation', subject: Record<string, string>, validityDays?: number): Promise<LoadedIdentity & { serial: string }> {
    const p = getProfile(profile);
    const issued = await issueCertificate(db, kek, { profile: p, subject: parseSubject(subject, p), key: { kind: 'p12', password: PASSWORD, algorithm: 'rsa-2048' }, pkiUrl: PKI_URL, actor: 'test', ...(validityDays ? { validityDays } : {}) });
    return { ...(await loadPkcs12(issued.p12!, PASSWORD)), serial: issued.serial };
  }

  /** B-LT material from our own CA: the current CRLs of the issuing CA and of the root. */
  const ourRevocation: RevocationSource = async () => ({ crls: await Promise.all((await listCas(db)).map((ca) => currentCrl(db, kek, ca))) });

  const sign = async (pdf: Uint8Array, id: LoadedIdentity, level: PadesLevel, extra: { signingTime?: Date; reason?: string } = {}) =>
    (await signPdf({ pdf, certificate: id.certificate, chain: id.chain, privateKey: id.privateKey, level, timestamper, revocation: ourRevocation, ...extra })).pdf;

  const sub = (r: ValidationReport) => r.signatures.map((s) => [s.indication, s.subIndication]);

  before(async () => {
    const fresh = await freshDatabase(allMigrations());
    db = fresh.db;
    dbUrl = fresh.url;
    await initCa(db, kek, { organization: 'UBND tỉnh Thử Nghiệm', province: 'Thử Nghiệm', algorithm: 'p-256', pkiUrl: PKI_URL, actor: 'test' });
    timestamper = localTimestamper(db, kek, { pkiUrl: PKI_URL, dataDir: dir });
    huong = await issue('individual', { commonName: 'Nguyễn Thị Hương', organization: 'Sở Nội vụ tỉnh Thử Nghiệm', title: 'Chuyên viên', email: 'huong@snv.thu.gov.vn', cccd: '027190001234' });
    vanthu = await issue('organisation', { commonName: 'Văn phòng UBND tỉnh', organization: 'UBND tỉnh Thử Nghiệm', mst: '2300123456', email: 'vanthu@thu.gov.vn' });
    const original = await makeTestPdf({ pages: 3 });
    twoSigners = await sign(await sign(original, huong, 'B-T', { reason: 'Đã kiểm tra nội dung' }), vanthu, 'B-T', { reason: 'Phát hành văn bản' });
    tampered = Buffer.from(twoSigners);
    const at = latin1(tampered).indexOf('/Title <FEFF') + '/Title <FEFF'.length + 3;
    tampered[at] = tampered[at] === 0x33 ? 0x34 : 0x33;

    const pki = new TestPki(f('openssl-pki'));
    pki.makeCas();
    const stranger = await loadPkcs12(readFileSync(pki.person('la', 'Người Lạ', '001099009999').p12), pki.password);
    foreign = (await signPdf({ pdf: original, certificate: stranger.certificate, chain: stranger.chain, privateKey: stranger.privateKey })).pdf;
  });
  after(async () => {
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('PDF (PAdES)', () => {
    it('a person and an organisation, both B-T: TOTAL-PASSED for both, with the signer, the POE and the coverage; pdfsig agrees', async () => {
      const r = await validate(twoSigners, { fileName: 'cong-van.pdf' });
      assert.equal(r.fileType, 'pdf');
      assert.equal(r.overall, 'TOTAL-PASSED', reportText(r));
      assert.deepEqual(sub(r), [['TOTAL-PASSED', undefined], ['TOTAL-PASSED', undefined]]);
      const [a, b] = r.signatures as [ValidationReport['signatures'][0], ValidationReport['signatures'][0]];
      assert.equal(a.signer?.commonName, 'Nguyễn Thị Hương');
      assert.equal(a.signer?.title, 'Chuyên viên');
      assert.equal(a.signer?.organization, 'Sở Nội vụ tỉnh Thử Nghiệm');
      assert.deepEqual(a.signer?.identifiers, ['CCCD:027190001234']);
      assert.match(a.signer!.issuer, /UBND tỉnh Thử Nghiệm/);
      assert.equal(b.signer?.commonName, 'Văn phòng UBND tỉnh');
      assert.deepEqual(b.signer?.identifiers, ['MST:2300123456']);
      for (const s of r.signatures) {
        assert.equal(s.level, 'B-T');
        assert.equal(s.timestamp?.valid, true, JSON.stringify(s.timestamp));
        assert.equal(s.timestamp?.tsaKeyPurpose, true);
        assert.ok(s.poeTime && s.claimedSigningTime && Math.abs(s.poeTime.getTime() - s.claimedSigningTime.getTime()) < 5000, 'POE from the time-stamp, /M claimed');
        assert.equal(s.validationTime.getTime(), s.poeTime.getTime(), 'the chain is judged at the POE');
        assert.equal(s.claimedSigningTimeSource, '/M');
        assert.equal(s.chain.length, 3);
        assert.deepEqual([s.revocation.status, s.revocation.source], ['good', 'trust']);
        assert.deepEqual(s.errors, []);
      }
      assert.equal(a.reason, 'Đã kiểm tra nội dung');
      assert.deepEqual([a.coverage?.wholeDocument, a.coverage?.laterRevisions, a.coverage?.laterChanges], [false, 1, 'signatures']);
      assert.deepEqual(a.coverage?.changes.map((c) => c.code), ['SIGNATURES_ADDED', 'FORM_UPDATED']);
      assert.deepEqual([b.coverage?.wholeDocument, b.coverage?.laterChanges], [true, 'none']);

      const p = pdfsig(save('two.pdf', twoSigners), { nocert: true });
      assert.deepEqual(p.signatures.map((s) => s.signatureValidation), ['Signature is Valid.', 'Signature is Valid.'], p.stdout);
      assert.deepEqual(p.signatures.map((s) => s.totalDocumentSigned), [a.coverage?.wholeDocument, b.coverage?.wholeDocument]);
    });

    it('a changed byte: TOTAL-FAILED / HASH_FAILURE for both signatures; pdfsig says Digest Mismatch', async () => {
      const r = await validate(tampered);
      assert.equal(r.overall, 'TOTAL-FAILED');
      assert.equal(r.overallSubIndication, 'HASH_FAILURE');
      assert.deepEqual(sub(r), [['TOTAL-FAILED', 'HASH_FAILURE'], ['TOTAL-FAILED', 'HASH_FAILURE']]);
      assert.ok(r.signatures.every((s) => s.changed && !s.intact));
      assert.match(r.signatures[0]!.summary.vi, /Nội dung đã bị thay đổi/);
      const p = pdfsig(save('tampered.pdf', tampered), { nocert: true });
      assert.deepEqual(p.signatures.map((s) => s.signatureValidation), ['Digest Mismatch.', 'Digest Mismatch.'], p.stdout);
    });

    it('a signer from a CA made with openssl that we do not trust: INDETERMINATE / NO_CERTIFICATE_CHAIN_FOUND', async () => {
      const r = await validate(foreign);
      assert.deepEqual(sub(r), [['INDETERMINATE', 'NO_CERTIFICATE_CHAIN_FOUND']]);
      assert.equal(r.signatures[0]!.intact, true, 'the signature itself is intact');
      assert.equal(r.signatures[0]!.signer?.commonName, 'Người Lạ');
      assert.equal(r.overall, 'INDETERMINATE');
    });

    it('B-LT, the certificate revoked after signing: still TOTAL-PASSED (judged at the time-stamp with the DSS); without a time-stamp TOTAL-FAILED / REVOKED', async () => {
      const later = await issue('individual', { commonName: 'Lê Văn Sau', title: 'Chuyên viên', cccd: '001080000111' });
      const blt = await sign(await makeTestPdf({ pages: 1 }), later, 'B-LT');
      const bb = await sign(await makeTestPdf({ pages: 1 }), later, 'B-B');
      await sleep(1500); // CRL dates have whole seconds
      const { revokedAt } = await revokeCertificate(db, kek, later.serial, 'keyCompromise', 'test');

      const r = await validate(blt);
      const s = r.signatures[0]!;
      assert.deepEqual(sub(r), [['TOTAL-PASSED', undefined]], reportText(r));
      assert.equal(s.level, 'B-LT');
      assert.equal(s.revocation.source, 'dss');
      assert.equal(s.revocation.status, 'good');
      assert.ok(s.revocation.revokedAt && s.revocation.revokedAt > s.poeTime!, 'the later revocation is reported');
      assert.ok(s.notes.some((n) => n.code === 'REVOKED_AFTER_POE'));
      assert.ok(Math.abs(s.revocation.revokedAt.getTime() - revokedAt.getTime()) < 1000);
      // The DSS's CRL predates the revocation: the later revision holds only the DSS.
      assert.equal(s.coverage?.laterChanges, 'signatures');
      assert.ok(s.coverage?.changes.some((c) => c.code === 'DSS_UPDATED'));

      const plain = await validate(bb);
      assert.deepEqual(sub(plain), [['TOTAL-FAILED', 'REVOKED']]);
      assert.equal(plain.signatures[0]!.revocation.status, 'revoked');
    });

    it('B-LT, revoked before the time-stamp (the claimed /M is earlier): TOTAL-FAILED / REVOKED', async () => {
      const early = await issue('individual', { commonName: 'Phạm Thị Trước', cccd: '001080000222' });
      const { revokedAt } = await revokeCertificate(db, kek, early.serial, 'keyCompromise', 'test');
      await sleep(1500);
      const pdf = await sign(await makeTestPdf({ pages: 1 }), early, 'B-LT', { signingTime: new Date(revokedAt.getTime() - 60_000) });
      const r = await validate(pdf);
      const s = r.signatures[0]!;
      assert.deepEqual(sub(r), [['TOTAL-FAILED', 'REVOKED']], reportText(r));
      assert.ok(s.claimedSigningTime! < revokedAt && s.poeTime! > revokedAt);
      assert.equal(s.revocation.status, 'revoked');
      assert.ok(['dss', 'trust'].includes(s.revocation.source));
      assert.match(s.summary.vi, /thu hồi/);
    });

    it('no time-stamp, revoked later for a reason that does not touch the key (superseded): INDETERMINATE / REVOKED_NO_POE', async () => {
      const moved = await issue('individual', { commonName: 'Vũ Thị Chuyển', cccd: '001080000444' });
      const bb = await sign(await makeTestPdf({ pages: 1 }), moved, 'B-B');
      await sleep(1500);
      await revokeCertificate(db, kek, moved.serial, 'superseded', 'test');
      const r = await validate(bb);
      assert.deepEqual(sub(r), [['INDETERMINATE', 'REVOKED_NO_POE']], reportText(r));
      assert.equal(r.signatures[0]!.revocation.reason, 'superseded');
    });

    it('a certificate expired by the validation time: TOTAL-PASSED with a time-stamp, INDETERMINATE / OUT_OF_BOUNDS_NO_POE without', async () => {
      const brief = await issue('individual', { commonName: 'Đỗ Văn Ngắn', cccd: '001080000333' }, 1);
      const bt = await sign(await makeTestPdf({ pages: 1 }), brief, 'B-T');
      const bb = await sign(await makeTestPdf({ pages: 1 }), brief, 'B-B');
      const inThreeDays = new Date(Date.now() + 3 * 86_400_000);
      assert.ok(brief.certificate.notAfter.value < inThreeDays);

      const withTs = await validate(bt, { now: inThreeDays });
      assert.deepEqual(sub(withTs), [['TOTAL-PASSED', undefined]], reportText(withTs));
      assert.ok(withTs.signatures[0]!.notes.some((n) => n.code === 'EXPIRED_AFTER_POE'));
      const without = await validate(bb, { now: inThreeDays });
      assert.deepEqual(sub(without), [['INDETERMINATE', 'OUT_OF_BOUNDS_NO_POE']]);
      assert.deepEqual(sub(await validate(bb)), [['TOTAL-PASSED', undefined]], 'valid today');
    });

    /** An incremental update made with our own writer, changing page 1 as `edit` says. */
    async function editFirstPage(pdf: Uint8Array, edit: (u: IncrementalUpdate, page: PDFDict, pageRef: PDFRef, ctx: Awaited<ReturnType<typeof openPdf>>['context']) => void): Promise<Uint8Array> {
      const doc = await openPdf(pdf);
      const update = new IncrementalUpdate(doc);
      const [pageRef] = pageRefs(doc);
      edit(update, doc.context.lookup(pageRef!, PDFDict), pageRef!, doc.context);
      return update.write().bytes;
    }

    it('modification detection: later signatures and DSS are fine; changed page content or a new note annotation are warnings, the signatures stay valid', async () => {
      const drawn = await editFirstPage(twoSigners, (u, page, pageRef, ctx) => {
        const extra = u.add(ctx.flateStream('q 1 0 0 rg 100 100 200 40 re f Q'));
        const old = page.get(PDFName.of('Contents'))!;
        page.set(PDFName.of('Contents'), ctx.obj([...(old instanceof PDFArray ? old.asArray() : [old]), extra]));
        u.touch(pageRef);
      });
      const noted = await editFirstPage(twoSigners, (u, page, pageRef, ctx) => {
        const annots = u.editableArray(page, pageRef, 'Annots');
        annots.arr.push(u.add(ctx.obj({ Type: 'Annot', Subtype: 'Text', Rect: [10, 10, 30, 30] })));
        annots.save();
      });
      const codes = (r: ValidationReport, i: number) => r.signatures[i]!.coverage!.changes.map((c) => c.code).sort();

      const r1 = await validate(drawn);
      assert.deepEqual(sub(r1), [['TOTAL-PASSED', undefined], ['TOTAL-PASSED', undefined]], 'the signed bytes are intact');
      assert.deepEqual(r1.signatures.map((s) => s.coverage?.laterChanges), ['other', 'other']);
      assert.ok(r1.signatures.every((s) => s.warnings.some((w) => w.code === 'MODIFIED_AFTER_SIGNING')));
      assert.deepEqual(codes(r1, 1), ['PAGE_CHANGED', 'PAGE_CONTENT_CHANGED']);
      assert.deepEqual(codes(r1, 0), ['FORM_UPDATED', 'PAGE_CHANGED', 'PAGE_CONTENT_CHANGED', 'SIGNATURES_ADDED']);

      const r2 = await validate(noted);
      assert.deepEqual(sub(r2), [['TOTAL-PASSED', undefined], ['TOTAL-PASSED', undefined]]);
      assert.deepEqual(codes(r2, 1), ['ANNOTATION_CHANGED']);
      assert.match(r2.signatures[1]!.warnings.find((w) => w.code === 'MODIFIED_AFTER_SIGNING')!.vi, /Chú thích/);

      const p = pdfsig(save('changed.pdf', drawn), { nocert: true });
      assert.deepEqual(p.signatures.map((s) => s.signatureValidation), ['Signature is Valid.', 'Signature is Valid.'], 'pdfsig does not look at later changes');
    });

    it('a PDF whose object stream inflates to 80 MB is refused before pdf-lib parses it (no decompression bomb)', async () => {
      const packed = deflateSync(Buffer.alloc(80 * 1024 * 1024));
      const head = Buffer.from(`%PDF-1.7\n1 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length ${packed.length} >>\nstream\n`, 'latin1');
      const tail = Buffer.from('\nendstream\nendobj\ntrailer\n<< /Root 2 0 R /Size 3 >>\n%%EOF\n', 'latin1');
      const r = await validate(Buffer.concat([head, packed, tail]));
      assert.deepEqual(r.errors.map((e) => e.code), ['PDF_TOO_LARGE_UNPACKED']);
      assert.equal(r.signatures.length, 0);
      assert.equal(r.noSignature, false);
    });

    it('a PDF without a signature gets a clear "no signature" report', async () => {
      const r = await validate(await makeTestPdf({ pages: 1 }));
      assert.equal(r.noSignature, true);
      assert.equal(r.signatures.length, 0);
      assert.equal(r.overall, 'INDETERMINATE');
      assert.match(r.summary.vi, /không có chữ ký số/);
    });
  });

  describe('CMS .p7s and S/MIME messages', () => {
    const content = Buffer.from('Tờ trình số 45/TTr-SNV về việc tuyển dụng công chức năm 2026.\n', 'utf8');

    it('a detached .p7s with its data: TOTAL-PASSED; with other data: TOTAL-FAILED / HASH_FAILURE; without: SIGNED_DATA_NOT_FOUND', async () => {
      const p7s = await signCms({ content, detached: true, certificate: huong.certificate, privateKey: huong.privateKey, chain: huong.chain });
      const ok = await validate(p7s, { data: content, fileName: 'to-trinh.txt.p7s' });
      assert.equal(ok.fileType, 'cms');
      assert.deepEqual(sub(ok), [['TOTAL-PASSED', undefined]], reportText(ok));
      assert.equal(ok.signatures[0]!.claimedSigningTimeSource, 'signing-time');
      assert.equal(ok.signatures[0]!.level, 'B-B');
      assert.equal(ok.signatures[0]!.signer?.commonName, 'Nguyễn Thị Hương');

      const wrong = await validate(p7s, { data: Buffer.from('Tờ trình số 46/TTr-SNV', 'utf8') });
      assert.deepEqual(sub(wrong), [['TOTAL-FAILED', 'HASH_FAILURE']]);
      const none = await validate(p7s);
      assert.deepEqual(sub(none), [['INDETERMINATE', 'SIGNED_DATA_NOT_FOUND']]);
      const enveloping = await signCms({ content, detached: false, certificate: huong.certificate, privateKey: huong.privateKey, chain: huong.chain });
      assert.deepEqual(sub(await validate(enveloping)), [['TOTAL-PASSED', undefined]]);
    });

    it('a signed .eml (signSmime): TOTAL-PASSED; a changed body: TOTAL-FAILED / HASH_FAILURE', async () => {
      const entity = `Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nKính gửi Văn phòng UBND tỉnh,\r\nĐề nghị tiếp nhận công văn số 123.\r\n`;
      const signed = await signSmime({ mime: entity, certificate: huong.certificate, privateKey: huong.privateKey, chain: huong.chain });
      const message = `From: Nguyễn Thị Hương <huong@snv.thu.gov.vn>\r\nTo: vanthu@thu.gov.vn\r\nSubject: Cong van 123\r\nMIME-Version: 1.0\r\n${signed}`;
      const bytes = Buffer.from(message, 'utf8');
      const ok = await validate(bytes, { fileName: 'thu.eml' });
      assert.equal(ok.fileType, 'eml');
      assert.deepEqual(sub(ok), [['TOTAL-PASSED', undefined]], reportText(ok));
      assert.deepEqual(ok.signatures[0]!.warnings, [], 'the sender is the certificate holder');

      const changed = Buffer.from(message.replace('công văn số 123', 'công văn số 124'), 'utf8');
      assert.deepEqual(sub(await validate(changed)), [['TOTAL-FAILED', 'HASH_FAILURE']]);
      const other = Buffer.from(message.replace('From: Nguyễn Thị Hương <huong@snv.thu.gov.vn>', 'From: ke-gia-mao@example.com'), 'utf8');
      const spoofed = await validate(other);
      assert.ok(spoofed.signatures[0]!.warnings.some((w) => w.code === 'SENDER_NOT_IN_CERTIFICATE'));
      const unsigned = await validate(Buffer.from('From: a@b.vn\r\nSubject: x\r\nContent-Type: text/plain\r\n\r\nxin chào\r\n'));
      assert.equal(unsigned.noSignature, true);
    });
  });

  describe('rendering and the command line', () => {
    it('reportPdf: pdftotext reads back the Vietnamese labels, the signer and the indication', async () => {
      const pdf = await reportPdf(await validate(twoSigners, { fileName: 'công văn 123.pdf' }));
      const out = spawnSync('pdftotext', ['-enc', 'UTF-8', save('report.pdf', pdf), '-'], { encoding: 'utf8' });
      assert.equal(out.status, 0, out.stderr);
      const text = out.stdout.normalize('NFC');
      for (const expected of ['BÁO CÁO KIỂM TRA CHỮ KÝ SỐ', 'Hợp lệ', 'TOTAL-PASSED', 'Nguyễn Thị Hương', 'Văn phòng UBND tỉnh', 'Chuyên viên', 'Người ký / Signer', 'công văn 123.pdf']) {
        assert.ok(text.includes(expected), `${expected} in:\n${text}`);
      }
      const failed = await reportPdf(await validate(tampered));
      const ftext = spawnSync('pdftotext', ['-enc', 'UTF-8', save('report-bad.pdf', failed), '-'], { encoding: 'utf8' }).stdout.normalize('NFC');
      assert.ok(ftext.includes('Không hợp lệ') && ftext.includes('HASH_FAILURE'), ftext);
    });

    it('reportHtml escapes what comes from the file', async () => {
      const html = reportHtml(await validate(twoSigners, { fileName: '<script>alert(1)</script>.pdf' }), 'vi');
      assert.ok(!html.includes('<script>'));
      assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;.pdf'));
      assert.match(html, /<html lang="vi">/);
      assert.match(html, /Hợp lệ/);
    });

    it('govmail verify FILE.pdf [--json] [--pdf-report]: exit 0 valid, 1 failed, 2 indeterminate; .p7s with --data-file', async () => {
      const env = { DATABASE_URL: dbUrl, GOVMAIL_LOG_LEVEL: 'warn', GOVMAIL_PKI_URL: PKI_URL };
      const cli = (args: string[]) => govmail([...args, '--data', dir], { env });
      const ok = await cli(['verify', save('cli-ok.pdf', twoSigners), '--json', '--pdf-report', f('cli-report.pdf')]);
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      const json = JSON.parse(ok.stdout);
      assert.equal(json.overall, 'TOTAL-PASSED');
      assert.deepEqual(json.signatures.map((s: { indication: string }) => s.indication), ['TOTAL-PASSED', 'TOTAL-PASSED']);
      assert.equal(latin1(readFileSync(f('cli-report.pdf')).subarray(0, 5)), '%PDF-');

      const bad = await cli(['verify', save('cli-bad.pdf', tampered)]);
      assert.equal(bad.code, 1, bad.stdout + bad.stderr);
      assert.match(bad.stdout, /TOTAL-FAILED \/ HASH_FAILURE/);
      assert.match(bad.stdout, /Không hợp lệ \/ Invalid/);
      const unknown = await cli(['verify', save('cli-foreign.pdf', foreign)]);
      assert.equal(unknown.code, 2, unknown.stdout + unknown.stderr);
      assert.match(unknown.stdout, /INDETERMINATE \/ NO_CERTIFICATE_CHAIN_FOUND/);

      const data = save('to-trinh.txt', 'Tờ trình số 45\n');
      save('to-trinh.txt.p7s', await signCms({ content: readFileSync(data), detached: true, certificate: vanthu.certificate, privateKey: vanthu.privateKey, chain: vanthu.chain }));
      const p7s = await cli(['verify', f('to-trinh.txt.p7s'), '--data-file', data]);
      assert.equal(p7s.code, 0, p7s.stdout + p7s.stderr);
      assert.match(p7s.stdout, /^TOTAL-PASSED/);
    });

    it('the HTTP routes on their own: a token bucket per IP (429 with Retry-After), and 422 for a file that is not a signature container', async () => {
      const bucket = new RateLimiter(2, 6);
      assert.deepEqual([bucket.take('a', 0), bucket.take('a', 0), bucket.take('a', 0) > 0, bucket.take('b', 0)], [0, 0, true, 0]);
      assert.equal(bucket.take('a', 10_000), 0, 'one token back after 10 s at 6 per minute');

      const app = Fastify();
      await app.register(verifyRoutes, { db, kek, rate: { burst: 2, perMinute: 1 }, trust: () => ourTrust(db, kek) });
      const post = (body: Buffer, type: string) => app.inject({ method: 'POST', url: '/verify?format=json', payload: body, headers: { 'content-type': type } });
      const first = await post(Buffer.from(twoSigners), 'application/pdf');
      assert.equal(first.statusCode, 200, first.body);
      assert.equal(first.json().overall, 'TOTAL-PASSED');
      const notSigned = await post(Buffer.from('chỉ là văn bản thường, không phải chữ ký'), 'application/octet-stream');
      assert.equal(notSigned.statusCode, 422, notSigned.body);
      assert.equal(notSigned.json().error, 'UNSUPPORTED_FILE');
      const limited = await post(Buffer.from(twoSigners), 'application/pdf');
      assert.equal(limited.statusCode, 429);
      assert.ok(Number(limited.headers['retry-after']) > 0);
      await app.close();
    });
  });
});
