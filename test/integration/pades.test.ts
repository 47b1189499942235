// PAdES signatures as incremental updates (signer/pdf), judged by Poppler's pdfsig, openssl cms and
// openssl ts, and by our own verifyPdf.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PDFDict, PDFName, PDFRawStream, PDFRef, decodePDFRawStream } from 'pdf-lib';
import type { Sequelize } from 'sequelize';
import { loadKek } from '../../core/kek.js';
import { loadPkcs12, parseSignedData, type LoadedIdentity } from '../../signer/cms/index.js';
import { OID } from '../../signer/cms/attributes.js';
import { activeIssuingCa, caChain, localTimestamper, pem, toDer } from '../../signer/index.js';
import { openPdf, signPdf, verifyPdf, type PadesLevel } from '../../signer/pdf/index.js';
import { TestPki, cliPki, makeTestPdf, pdfsig } from '../support/pdf-fixtures.js';

const latin1 = (b: Uint8Array) => Buffer.from(b).toString('latin1');

/** The signatures as they sit in the file, read with regular expressions, not with our parser. */
function rawSignatures(bytes: Uint8Array): { byteRange: number[]; contentsAt: number; cms: Buffer }[] {
  const text = latin1(bytes);
  return [...text.matchAll(/\/ByteRange \[(\d+) (\d+) (\d+) (\d+) *\]/g)].map((m) => {
    const contentsAt = text.indexOf('/Contents <', m.index) + '/Contents '.length;
    const end = text.indexOf('>', contentsAt);
    return { byteRange: m.slice(1, 5).map(Number), contentsAt, cms: Buffer.from(text.slice(contentsAt + 1, end), 'hex') };
  });
}

/** The DER CMS without the placeholder's zero padding. */
function trimmedCms(contents: Uint8Array): Buffer {
  const b = Buffer.from(contents);
  const n = b[1]! & 0x7f;
  return b.subarray(0, b[1]! < 0x80 ? 2 + b[1]! : 2 + n + b.readUIntBE(2, n));
}

function timestampToken(cms: Uint8Array): Buffer | undefined {
  const si = parseSignedData(trimmedCms(cms)).signerInfos[0]!;
  const attr = si.unsignedAttrs?.attributes.find((a) => a.type === OID.signatureTimeStampToken);
  return attr ? Buffer.from(attr.values[0]!.toBER(false)) : undefined;
}

function signatureValue(cms: Uint8Array): Buffer {
  return Buffer.from(parseSignedData(trimmedCms(cms)).signerInfos[0]!.signature.valueBlock.valueHexView);
}

const run = (cmd: string, args: string[]) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
};

describe('PAdES signatures (signer/pdf), judged by pdfsig and openssl', function () {
  this.timeout(180_000);
  let dir: string;
  let pki: TestPki;
  let nssdir: string;
  let huong: LoadedIdentity;
  let ubnd: LoadedIdentity;
  let binh: LoadedIdentity;
  const f = (name: string) => path.join(dir, name);
  const save = (name: string, bytes: Uint8Array) => {
    writeFileSync(f(name), bytes);
    return f(name);
  };

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pades-'));
    pki = new TestPki(path.join(dir, 'pki'));
    pki.makeCas();
    const ids = [pki.person(), pki.organisation(), pki.person('binh', 'Trần Văn Bình', '001085001234')];
    pki.tsa();
    nssdir = pki.nssDb();
    [huong, ubnd, binh] = await Promise.all(ids.map((id) => loadPkcs12(readFileSync(id.p12), id.password)));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Signs in turn: a person (B-B), an organisation (B-T), another person (B-B). */
  async function signThreeTimes(original: Uint8Array, prefix: string) {
    const signers: { id: LoadedIdentity; level: PadesLevel; reason: string; location: string }[] = [
      { id: huong, level: 'B-B', reason: 'Đã kiểm tra nội dung', location: 'Sở Nội vụ tỉnh Bắc Ninh' },
      { id: ubnd, level: 'B-T', reason: 'Phát hành văn bản', location: 'Bắc Ninh' },
      { id: binh, level: 'B-B', reason: 'Đã xem', location: 'Hà Nội' },
    ];
    const versions = [original];
    const files: string[] = [];
    for (const [i, s] of signers.entries()) {
      const r = await signPdf({ pdf: versions[i]!, certificate: s.id.certificate, chain: s.id.chain, privateKey: s.id.privateKey, level: s.level, timestamper: pki.timestamper(), reason: s.reason, location: s.location });
      versions.push(r.pdf);
      files.push(save(`${prefix}-${i + 1}.pdf`, r.pdf));
    }
    return { versions, files };
  }

  for (const xref of ['table', 'stream'] as const) {
    describe(`${xref === 'table' ? 'classic xref table' : 'xref stream'} input, 20 pages of Vietnamese text`, () => {
      let versions: Uint8Array[];
      let files: string[];
      before(async () => {
        ({ versions, files } = await signThreeTimes(await makeTestPdf({ pages: 20, xref }), xref));
      });

      it('one signature (a person): pdfsig says valid, certificate trusted, the total document signed', () => {
        const r = pdfsig(files[0]!, { nssdir });
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.equal(r.signatures.length, 1, r.stdout);
        const [s] = r.signatures;
        assert.equal(s!.signatureValidation, 'Signature is Valid.', s!.text);
        assert.equal(s!.certificateValidation, 'Certificate is Trusted.', s!.text);
        assert.equal(s!.signatureType, 'ETSI.CAdES.detached');
        assert.equal(s!.signerName, 'Nguyễn Thị Hương');
        assert.equal(s!.totalDocumentSigned, true, s!.text);
      });

      it('two signatures (then an organisation, time-stamped): the first stays valid and reports the later update', () => {
        const r = pdfsig(files[1]!, { nssdir });
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.deepEqual(r.signatures.map((s) => s.signatureValidation), ['Signature is Valid.', 'Signature is Valid.'], r.stdout);
        assert.deepEqual(r.signatures.map((s) => s.certificateValidation), ['Certificate is Trusted.', 'Certificate is Trusted.'], r.stdout);
        assert.deepEqual(r.signatures.map((s) => s.signerName), ['Nguyễn Thị Hương', 'Văn phòng UBND tỉnh Bắc Ninh']);
        assert.deepEqual(r.signatures.map((s) => s.totalDocumentSigned), [false, true], r.stdout);
      });

      it('three signatures: every one valid in pdfsig and in verifyPdf, in signing order; only the last covers the file', async () => {
        const r = pdfsig(files[2]!, { nssdir });
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.equal(r.signatures.length, 3);
        for (const s of r.signatures) {
          assert.equal(s.signatureValidation, 'Signature is Valid.', s.text);
          assert.equal(s.certificateValidation, 'Certificate is Trusted.', s.text);
        }
        assert.deepEqual(r.signatures.map((s) => s.totalDocumentSigned), [false, false, true]);
        assert.deepEqual(r.signatures.map((s) => s.signerName), ['Nguyễn Thị Hương', 'Văn phòng UBND tỉnh Bắc Ninh', 'Trần Văn Bình']);

        const ours = await verifyPdf(versions[3]!);
        assert.deepEqual(ours.signatures.map((s) => s.fieldName), ['Signature1', 'Signature2', 'Signature3']);
        assert.deepEqual(ours.signatures.map((s) => [s.byteRangeValid, s.intact, s.changed]), [[true, true, false], [true, true, false], [true, true, false]]);
        assert.deepEqual(ours.signatures.map((s) => s.coversWholeDocument), [false, false, true]);
        assert.deepEqual(ours.signatures.map((s) => s.laterRevisions), [2, 1, 0]);
        assert.match(ours.signatures[1]!.signer!.subject, /CN=Văn phòng UBND tỉnh Bắc Ninh/);
        assert.match(ours.signatures[1]!.signer!.subject, /UID=MST:2300123456/);
        assert.equal(ours.signatures[1]!.timestamp?.imprintMatches, true);
        assert.equal(ours.signatures[0]!.timestamp, undefined, 'B-B has no time-stamp');
        assert.equal(ours.revisions, 4);
      });

      it('each signature is appended: every earlier version is a byte-for-byte prefix, with the same kind of xref', async () => {
        for (let i = 1; i < versions.length; i++) {
          const prev = versions[i - 1]!;
          const next = versions[i]!;
          assert.ok(Buffer.from(next.subarray(0, prev.length)).equals(Buffer.from(prev)), `version ${i} starts with version ${i - 1}`);
          const doc = await openPdf(next);
          assert.equal(doc.last.xref, xref);
          assert.equal(doc.last.trailer.get(PDFName.of('Prev'))?.toString(), String((await openPdf(prev)).last.startxref));
        }
        // A second signature reuses the form made by the first: one /AcroForm with /SigFlags 3 and three fields.
        const doc = await openPdf(versions[3]!);
        const acro = doc.catalog.lookup(PDFName.of('AcroForm'), PDFDict);
        assert.equal(acro.get(PDFName.of('SigFlags'))?.toString(), '3');
        assert.equal(acro.lookup(PDFName.of('Fields'))!.toString().match(/ R/g)!.length, 3);
        assert.ok(doc.catalog.get(PDFName.of('AcroForm')) instanceof PDFRef);
      });

      it('a byte changed in the first revision: verifyPdf says changed and pdfsig reports a digest mismatch, for all three', async () => {
        const tampered = Buffer.from(versions[3]!);
        // The document title, in the Info dictionary of the original file: inside every signed range.
        const at = latin1(tampered).indexOf('/Title <FEFF') + '/Title <FEFF'.length + 3;
        assert.ok(at < versions[0]!.length);
        tampered[at] = tampered[at] === 0x33 ? 0x34 : 0x33;
        const file = save(`${xref}-tampered.pdf`, tampered);
        const ours = await verifyPdf(tampered);
        assert.deepEqual(ours.signatures.map((s) => [s.changed, s.intact, s.cms?.subIndication]), Array(3).fill([true, false, 'HASH_FAILURE']));
        const r = pdfsig(file, { nssdir });
        assert.deepEqual(r.signatures.map((s) => s.signatureValidation), Array(3).fill('Digest Mismatch.'), r.stdout);
      });

      it('a byte changed in the last update only breaks the last signature', async () => {
        const tampered = Buffer.from(versions[3]!);
        const sigs = rawSignatures(tampered);
        // A byte of the last signature's widget (its /Rect), inside the last signed range only.
        const at = latin1(tampered).lastIndexOf('/Rect [ 0 0 0 0 ]') + '/Rect [ '.length;
        assert.ok(at > sigs[2]!.byteRange[2]!);
        tampered[at] = 0x31;
        const ours = await verifyPdf(tampered);
        assert.deepEqual(ours.signatures.map((s) => s.changed), [false, false, true]);
        const r = pdfsig(save(`${xref}-tampered-last.pdf`, tampered), { nssdir });
        assert.deepEqual(r.signatures.map((s) => s.signatureValidation), ['Signature is Valid.', 'Signature is Valid.', 'Digest Mismatch.'], r.stdout);
      });
    });
  }

  describe('the signature dictionary and the CMS in it', () => {
    let signed: Uint8Array;
    before(async () => {
      const r = await signPdf({ pdf: await makeTestPdf({ pages: 2 }), certificate: ubnd.certificate, chain: ubnd.chain, privateKey: ubnd.privateKey, level: 'B-T', timestamper: pki.timestamper(), reason: 'Phát hành văn bản', location: 'Thành phố Bắc Ninh', signingTime: new Date('2026-03-15T02:30:00Z') });
      signed = r.pdf;
      assert.ok(r.cmsBytes <= r.reservedBytes);
    });

    it('/ByteRange starts at 0, leaves out exactly the /Contents hex string and ends at %%EOF', () => {
      const [sig] = rawSignatures(signed);
      const [a, b, c, d] = sig!.byteRange as [number, number, number, number];
      assert.equal(a, 0);
      assert.equal(b, sig!.contentsAt, 'the gap starts at "<"');
      assert.equal(signed[b], 0x3c);
      assert.equal(signed[c - 1], 0x3e, 'and ends after ">"');
      assert.match(latin1(signed.subarray(b + 1, c - 1)), /^[0-9A-F]+$/);
      assert.equal(c + d, signed.length);
      assert.equal(latin1(signed.subarray(-6)), '%%EOF\n');
    });

    it('has /Filter /Adobe.PPKLite, /SubFilter /ETSI.CAdES.detached, /M in Vietnam time and Vietnamese /Reason as UTF-16BE', async () => {
      const doc = await openPdf(signed);
      const field = doc.catalog.lookup(PDFName.of('AcroForm'), PDFDict).lookup(PDFName.of('Fields'))!.toString().match(/(\d+) 0 R/)!;
      const widget = doc.context.lookup(PDFRef.of(Number(field[1])), PDFDict);
      assert.equal(widget.get(PDFName.of('Rect'))!.toString(), '[ 0 0 0 0 ]', 'invisible by default');
      assert.equal(widget.get(PDFName.of('FT'))!.toString(), '/Sig');
      const sig = widget.lookup(PDFName.of('V'), PDFDict);
      assert.equal(sig.get(PDFName.of('Type'))!.toString(), '/Sig');
      assert.equal(sig.get(PDFName.of('Filter'))!.toString(), '/Adobe.PPKLite');
      assert.equal(sig.get(PDFName.of('SubFilter'))!.toString(), '/ETSI.CAdES.detached');
      assert.equal(sig.get(PDFName.of('M'))!.toString(), "(D:20260315093000+07'00')");
      assert.match(sig.get(PDFName.of('Reason'))!.toString(), /^<FEFF/);
      assert.match(latin1(signed), /\/Reason <FEFF0050006800E100740020006800E0006E006800/, '"Phát hành" in UTF-16BE');
      const ours = await verifyPdf(signed);
      assert.equal(ours.signatures[0]!.signingTime?.toISOString(), '2026-03-15T02:30:00.000Z');
    });

    it('the CMS has content-type, message-digest and signing-certificate-v2 and no signing-time (openssl cms -print); openssl cms -verify accepts it', async () => {
      const [sig] = rawSignatures(signed);
      const cms = save('dict.p7s', sig!.cms);
      const printed = run('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', cms]);
      assert.equal(printed.code, 0, printed.out);
      // Only the signer's own signed attributes: the TSA's token (an unsigned attribute) has a signing-time of its own.
      const signedAttrs = /signedAttrs:\n([\s\S]*?)\n\s+signatureAlgorithm:/.exec(printed.out)![1]!;
      assert.deepEqual([...signedAttrs.matchAll(/object: (\S+) \(/g)].map((m) => m[1]), ['contentType', 'messageDigest', 'id-smime-aa-signingCertificateV2']);
      assert.doesNotMatch(signedAttrs, /signingTime/);
      assert.match(printed.out, /unsignedAttrs:\n\s+object: id-smime-aa-timeStampToken \(1\.2\.840\.113549\.1\.9\.16\.2\.14\)/);
      assert.match(printed.out, /eContent: <ABSENT>/, 'detached');
      const ours = await verifyPdf(signed);
      assert.equal(ours.signatures[0]!.cmsSigningTimeAttribute, false);

      const [, b, c, d] = sig!.byteRange as [number, number, number, number];
      const content = save('dict.signed-bytes', Buffer.concat([signed.subarray(0, b), signed.subarray(c, c + d)]));
      const v = run('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', cms, '-content', content, '-CAfile', pki.f('root.pem'), '-purpose', 'any', '-out', '/dev/null']);
      assert.match(v.out, /Verification successful/);
    });

    it('B-T: openssl ts reads the token in the unsigned attribute, and its imprint is the SHA-256 of the signature value', () => {
      const [sig] = rawSignatures(signed);
      const token = timestampToken(sig!.cms)!;
      assert.ok(token, 'id-aa-signatureTimeStampToken is present');
      const printed = run('openssl', ['ts', '-reply', '-token_in', '-in', save('dict.tst', token), '-text']);
      assert.equal(printed.code, 0, printed.out);
      assert.match(printed.out, /Hash Algorithm: sha256/);
      const imprint = createHash('sha256').update(signatureValue(sig!.cms)).digest('hex');
      const shown = /Message data:\n([\s\S]*?)\nSerial number/.exec(printed.out)![1]!.replace(/^\s*[0-9a-f]+ - /gim, '').replace(/ {2,}.*$/gm, '').replace(/[\s-]/g, '').toLowerCase();
      assert.equal(shown, imprint);
      const verified = run('openssl', ['ts', '-verify', '-token_in', '-in', f('dict.tst'), '-digest', imprint, '-sha256', '-CAfile', pki.f('root.pem'), '-untrusted', pki.f('issuing.pem')]);
      assert.match(verified.out, /Verification: OK/);
    });

    it('a /ByteRange moved in place is caught as malformed', async () => {
      const broken = Buffer.from(signed);
      const text = latin1(broken);
      const at = text.indexOf('/ByteRange [0 ') + '/ByteRange [0 '.length;
      broken[at] = broken[at] === 0x31 ? 0x32 : 0x31; // the gap no longer starts at "<"
      const ours = await verifyPdf(broken);
      assert.equal(ours.signatures[0]!.byteRangeValid, false);
      assert.match(ours.signatures[0]!.byteRangeProblem!, /gap/);
    });

    it('refuses B-T without a TSA, and a CMS larger than the room reserved (it never truncates)', async () => {
      const pdf = await makeTestPdf({ pages: 1 });
      await assert.rejects(signPdf({ pdf, certificate: huong.certificate, chain: huong.chain, privateKey: huong.privateKey, level: 'B-T' }), (e: Error & { code?: string; messageVi?: string }) => {
        assert.equal(e.code, 'INVALID_INPUT');
        assert.match(e.message, /B-T needs a time-stamping authority/);
        assert.match(e.messageVi!, /cần máy chủ cấp dấu thời gian/);
        return true;
      });
      await assert.rejects(signPdf({ pdf, certificate: huong.certificate, chain: huong.chain, privateKey: huong.privateKey, contentsSize: 1024 }), (e: Error & { code?: string }) => {
        assert.equal(e.code, 'PDF_SIGNATURE_TOO_LARGE');
        assert.match(e.message, /does not fit the 1024 bytes reserved/);
        return true;
      });
    });
  });

  describe('B-LT: a Document Security Store after the signature', () => {
    let first: Uint8Array;
    let second: Uint8Array;
    before(async () => {
      const common = { timestamper: pki.timestamper(), revocation: pki.revocationSource(), level: 'B-LT' as const };
      first = (await signPdf({ pdf: await makeTestPdf({ pages: 3, xref: 'stream' }), certificate: huong.certificate, chain: huong.chain, privateKey: huong.privateKey, ...common })).pdf;
      second = (await signPdf({ pdf: first, certificate: ubnd.certificate, chain: ubnd.chain, privateKey: ubnd.privateKey, ...common })).pdf;
    });

    it('adds /DSS with the chain, a CRL and an OCSP answer, and a /VRI entry keyed by the SHA-1 of /Contents', async () => {
      const doc = await openPdf(first);
      const dss = doc.catalog.lookup(PDFName.of('DSS'), PDFDict);
      const streams = (key: string) => {
        const refs = dss.lookup(PDFName.of(key))!.toString().match(/\d+ 0 R/g) ?? [];
        return refs.map((r) => Buffer.from(decodePDFRawStream(doc.context.lookup(PDFRef.of(Number(r.split(' ')[0]))) as PDFRawStream).decode()));
      };
      const certs = streams('Certs');
      assert.equal(certs.length, 3, 'signer, issuing CA, root');
      assert.ok(certs.some((c) => c.equals(Buffer.from(toDer(huong.certificate)))));
      const crl = run('openssl', ['crl', '-inform', 'DER', '-in', save('dss.crl', streams('CRLs')[0]!), '-noout', '-issuer']);
      assert.match(crl.out, /GovMail Test Issuing CA/);
      const ocsp = run('openssl', ['ocsp', '-respin', save('dss.ocsp', streams('OCSPs')[0]!), '-resp_text', '-noverify']);
      assert.match(ocsp.out, /Cert Status: good/);

      const [sig] = rawSignatures(first);
      const key = createHash('sha1').update(sig!.cms).digest('hex').toUpperCase();
      const vri = dss.lookup(PDFName.of('VRI'), PDFDict);
      assert.ok(vri.get(PDFName.of(key)), `VRI ${key}`);
      const ours = await verifyPdf(first);
      assert.deepEqual(ours.signatures[0]!.vri, { key, present: true });
      assert.equal(ours.signatures[0]!.timestamp?.imprintMatches, true, 'B-LT includes B-T');
    });

    it('a second B-LT signer: the store grows without repeats, both signatures stay valid in pdfsig', async () => {
      const ours = await verifyPdf(second);
      assert.deepEqual(ours.dss && { certificates: ours.dss.certificates, vri: ours.dss.vri.length }, { certificates: 4, vri: 2 }, 'the CA certificates are stored once');
      assert.deepEqual(ours.signatures.map((s) => [s.intact, s.vri.present, s.laterRevisions]), [[true, true, 3], [true, true, 1]]);
      const r = pdfsig(save('blt.pdf', second), { nssdir });
      assert.deepEqual(r.signatures.map((s) => s.signatureValidation), ['Signature is Valid.', 'Signature is Valid.'], r.stdout);
      assert.deepEqual(r.signatures.map((s) => s.totalDocumentSigned), [false, false], 'the DSS update follows each signature');
    });
  });

  describe('with our own CA and TSA (PostgreSQL): B-T in process and the govmail commands', () => {
    let db: Sequelize;
    let cli: Awaited<ReturnType<typeof cliPki>>['cli'];
    let data: string;

    before(async () => {
      data = path.join(dir, 'data');
      ({ db, cli } = await cliPki(f, data, [
        { name: 'huong', profile: 'individual', subject: { commonName: 'Nguyễn Thị Hương', organization: 'Sở Nội vụ', title: 'Chuyên viên', email: 'huong@snv.thu.gov.vn', cccd: '027190001234' } },
        { name: 'vanthu', profile: 'organisation', subject: { commonName: 'Văn phòng UBND tỉnh', organization: 'UBND tỉnh Thử Nghiệm', mst: '2300123456', email: 'vanthu@thu.gov.vn' } },
      ], 'rsa-2048'));
      writeFileSync(f('our-chain.pem'), (await caChain(db, await activeIssuingCa(db))).map((c) => pem('CERTIFICATE', toDer(c))).join(''));
    });
    after(async () => db?.close());

    it('B-T with localTimestamper: the token from our TSA verifies with openssl ts against our CA, imprint = SHA-256 of the signature', async () => {
      const timestamper = localTimestamper(db, loadKek(data), { pkiUrl: 'http://ca.thu.gov.vn/pki', dataDir: data });
      const r = await signPdf({ pdf: await makeTestPdf({ pages: 20 }), certificate: huong.certificate, chain: huong.chain, privateKey: huong.privateKey, level: 'B-T', timestamper });
      const [sig] = rawSignatures(r.pdf);
      const token = timestampToken(sig!.cms)!;
      const imprint = createHash('sha256').update(signatureValue(sig!.cms)).digest('hex');
      const verified = run('openssl', ['ts', '-verify', '-token_in', '-in', save('ours.tst', token), '-digest', imprint, '-sha256', '-CAfile', f('our-chain.pem')]);
      assert.match(verified.out, /Verification: OK/);
      const ours = await verifyPdf(r.pdf);
      assert.deepEqual([ours.signatures[0]!.timestamp?.imprintMatches, ours.signatures[0]!.timestamp?.tokenIntact], [true, true]);
      assert.match(ours.signatures[0]!.timestamp!.tsa!, /TSA|Dấu thời gian|UBND tỉnh Thử Nghiệm/);
      const p = pdfsig(save('ours-bt.pdf', r.pdf), { nocert: true });
      assert.equal(p.signatures[0]?.signatureValidation, 'Signature is Valid.', p.stdout);
    });

    it('govmail sign FILE.pdf (a person, then the agency at --level B-T) and govmail verify FILE.pdf --json; pdfsig agrees', async () => {
      writeFileSync(f('cong-van.pdf'), await makeTestPdf({ pages: 20 }));
      const one = await cli(['sign', f('cong-van.pdf'), '--key-p12', f('huong.p12'), '--password-stdin', '--reason', 'Đã kiểm tra', '--location', 'Sở Nội vụ'], 'mat-khau-dai');
      assert.equal(one.code, 0, one.stderr);
      assert.match(one.stderr, /PAdES B-B, Signature1\): .*cong-van\.signed\.pdf/);
      const two = await cli(['sign', f('cong-van.signed.pdf'), '--key-p12', f('vanthu.p12'), '--password-stdin', '--level', 'B-T', '--out', f('cong-van.2.pdf')], 'mat-khau-dai');
      assert.equal(two.code, 0, two.stderr);

      const v = await cli(['verify', f('cong-van.2.pdf'), '--json']);
      assert.equal(v.code, 0, v.stdout + v.stderr);
      const report = JSON.parse(v.stdout);
      assert.equal(report.signatures.length, 2);
      // The ETSI EN 319 102-1 report (signer/validation): the indication per signature, the coverage under `coverage`.
      assert.equal(report.overall, 'TOTAL-PASSED');
      assert.deepEqual(report.signatures.map((s: { indication: string }) => s.indication), ['TOTAL-PASSED', 'TOTAL-PASSED']);
      assert.deepEqual(report.signatures.map((s: { coverage: { wholeDocument: boolean } }) => s.coverage.wholeDocument), [false, true]);
      assert.match(report.signatures[0].signer.subject, /CN=Nguyễn Thị Hương/);
      assert.match(report.signatures[1].signer.subject, /CN=Văn phòng UBND tỉnh/);
      assert.equal(report.signatures[1].timestamp.imprintMatches, true);
      assert.equal(report.signatures[0].timestamp, undefined);

      const p = pdfsig(f('cong-van.2.pdf'), { nocert: true });
      assert.equal(p.code, 0);
      assert.deepEqual(p.signatures.map((s) => s.signatureValidation), ['Signature is Valid.', 'Signature is Valid.'], p.stdout);

      const text = await cli(['verify', f('cong-van.2.pdf')]);
      assert.match(text.stdout, /Chữ ký \/ signature #1 \(Signature1\): TOTAL-PASSED/);
      assert.match(text.stdout, /Phủ toàn bộ tệp \/ covers the whole document: không \/ no \(1 lần cập nhật sau/);
    });

    it('govmail verify exits 1 on a changed PDF; a wrong --level is refused; other files still get a CMS .p7s', async () => {
      const tampered = readFileSync(f('cong-van.2.pdf'));
      const at = latin1(tampered).indexOf('/Title <FEFF') + '/Title <FEFF'.length + 3;
      tampered[at] = tampered[at] === 0x33 ? 0x34 : 0x33;
      writeFileSync(f('tampered.pdf'), tampered);
      const bad = await cli(['verify', f('tampered.pdf')]);
      assert.equal(bad.code, 1, bad.stdout + bad.stderr);
      assert.match(bad.stdout, /ĐÃ BỊ THAY ĐỔI \/ CHANGED/);
      assert.match(bad.stdout, /TOTAL-FAILED \/ HASH_FAILURE/);

      const level = await cli(['sign', f('cong-van.pdf'), '--key-p12', f('huong.p12'), '--password-stdin', '--level', 'B-X'], 'mat-khau-dai');
      assert.notEqual(level.code, 0);
      assert.match(level.stderr, /--level: cần B-B hoặc B-T/);

      writeFileSync(f('to-trinh.txt'), 'Tờ trình số 45/TTr-SNV\n');
      const txt = await cli(['sign', f('to-trinh.txt'), '--key-p12', f('huong.p12'), '--password-stdin'], 'mat-khau-dai');
      assert.equal(txt.code, 0, txt.stderr);
      const v = run('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', f('to-trinh.txt.p7s'), '-content', f('to-trinh.txt'), '-CAfile', f('our-chain.pem'), '-purpose', 'any', '-out', '/dev/null']);
      assert.match(v.out, /Verification successful/);
    });
  });
});
