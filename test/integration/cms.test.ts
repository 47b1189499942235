// CMS / CAdES-BES / S/MIME signatures, judged by the openssl CLI.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import {
  loadCertificate,
  loadPkcs12,
  loadPrivateKey,
  signCms,
  signSmime,
  verifyCms,
  verifySmime,
  type ChainValidator,
  type LoadedIdentity,
} from '../../signer/cms/index.js';

let dir: string;

function openssl(args: string[], input?: string | Uint8Array): Buffer {
  return execFileSync('openssl', args, {
    cwd: dir,
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(input !== undefined ? { input } : {}),
  });
}

/** Runs openssl and returns status and output without throwing. */
function opensslTry(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'latin1' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function file(name: string): string {
  return path.join(dir, name);
}

function write(name: string, data: string | Uint8Array): string {
  fs.writeFileSync(file(name), data);
  return file(name);
}

const LEAF_EXT = [
  'basicConstraints=CA:FALSE',
  'keyUsage=critical,digitalSignature,nonRepudiation',
  'extendedKeyUsage=emailProtection',
  'subjectKeyIdentifier=hash',
  'authorityKeyIdentifier=keyid',
].join('\n');

/** Issues a leaf signed by `ca` and exports it as PKCS#12 with the CA certificate. */
function issueLeaf(name: string, keyArgs: string[], subject: string, email: string, ca = 'ca'): void {
  openssl(['genpkey', ...keyArgs, '-out', `${name}.key`]);
  openssl(['req', '-new', '-utf8', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`]);
  write(`${name}.ext`, `${LEAF_EXT}\nsubjectAltName=email:${email}\n`);
  openssl([
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.pem`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-days',
    '30',
    '-sha256',
    '-extfile',
    `${name}.ext`,
    '-out',
    `${name}.pem`,
  ]);
  openssl([
    'pkcs12',
    '-export',
    '-in',
    `${name}.pem`,
    '-inkey',
    `${name}.key`,
    '-certfile',
    `${ca}.pem`,
    '-passout',
    'pass:Mật-khẩu 1',
    '-out',
    `${name}.p12`,
  ]);
}

function makeCa(name: string, cn: string): void {
  openssl([
    'req',
    '-x509',
    '-utf8',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.pem`,
    '-days',
    '60',
    '-sha256',
    '-subj',
    cn,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-addext',
    'subjectKeyIdentifier=hash',
  ]);
}

/** Test validator: the leaf must be signed by the given CA. */
function issuedBy(ca: pkijs.Certificate): ChainValidator {
  return async (leaf) => {
    const ok = await leaf.verify(ca);
    return ok
      ? { status: 'valid', code: 'OK', message: 'Chain valid', messageVi: 'Chuỗi hợp lệ', path: [leaf, ca] }
      : {
          status: 'invalid',
          code: 'CHAIN_CONSTRAINTS_FAILURE',
          message: 'Not issued by the test CA',
          messageVi: 'Không do CA thử nghiệm cấp',
          path: [leaf],
        };
  };
}

const content = new Uint8Array(
  Buffer.from('Công văn số 123/UBND — nội dung thử nghiệm.\r\nDòng thứ hai.\r\n', 'utf8'),
);

describe('CMS / CAdES-BES / S/MIME (signer/cms)', function () {
  this.timeout(60_000);

  let ca: pkijs.Certificate;
  let rsa: LoadedIdentity;
  let ec: LoadedIdentity;
  let validator: ChainValidator;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'govmail-cms-'));
    makeCa('ca', '/C=VN/O=GovMail Test/CN=GovMail Test Root CA');
    makeCa('other', '/C=VN/O=Elsewhere/CN=Other CA');
    issueLeaf(
      'rsa',
      ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
      '/C=VN/O=Bộ Thử Nghiệm/CN=Nguyễn Văn An',
      'an@bo.gov.vn',
    );
    issueLeaf(
      'ec',
      ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
      '/C=VN/O=Bộ Thử Nghiệm/CN=Trần Thị Bình',
      'binh@bo.gov.vn',
    );
    issueLeaf(
      'stranger',
      ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
      '/C=VN/CN=Người Lạ',
      'la@example.vn',
      'other',
    );
    ca = loadCertificate(fs.readFileSync(file('ca.pem'), 'utf8'));
    rsa = await loadPkcs12(fs.readFileSync(file('rsa.p12')), 'Mật-khẩu 1');
    ec = await loadPkcs12(fs.readFileSync(file('ec.p12')), 'Mật-khẩu 1');
    validator = issuedBy(ca);
  });

  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('keys', () => {
    it('loads RSA and EC PKCS#12 files: leaf, chain, CryptoKey', () => {
      for (const id of [rsa, ec]) {
        assert.equal(id.chain.length, 1);
        assert.equal(id.privateKey.type, 'private');
        assert.equal(id.privateKey.extractable, false);
      }
      assert.equal(rsa.privateKey.algorithm.name, 'RSASSA-PKCS1-v1_5');
      assert.equal(ec.privateKey.algorithm.name, 'ECDSA');
    });

    it('refuses a wrong password or a non-PKCS#12 file with a clear error', async () => {
      await assert.rejects(loadPkcs12(fs.readFileSync(file('rsa.p12')), 'wrong'), /PKCS#12/);
      await assert.rejects(loadPkcs12(new Uint8Array(randomBytes(200)), 'x'), /PKCS#12/);
    });
  });

  for (const kind of ['rsa', 'ec'] as const) {
    describe(`${kind === 'rsa' ? 'RSA-2048' : 'EC P-256'} signer`, () => {
      const id = (): LoadedIdentity => (kind === 'rsa' ? rsa : ec);

      it('detached signature passes openssl cms -verify (with -cades) and our verifier', async () => {
        const signingTime = new Date('2025-03-04T05:06:07.890Z');
        const p7s = await signCms({
          content,
          certificate: id().certificate,
          privateKey: id().privateKey,
          chain: id().chain,
          signingTime,
        });
        write(`${kind}-det.p7s`, p7s);
        write(`${kind}-content.bin`, content);
        const r = opensslTry([
          'cms',
          '-verify',
          '-binary',
          '-inform',
          'DER',
          '-in',
          `${kind}-det.p7s`,
          '-content',
          `${kind}-content.bin`,
          '-CAfile',
          'ca.pem',
          '-cades',
          '-out',
          `${kind}-det.out`,
        ]);
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stderr, /Verification successful/);

        const report = await verifyCms({ p7s, content, validateChain: validator });
        assert.equal(report.indication, 'TOTAL-PASSED', report.message);
        assert.equal(report.integrity, true);
        assert.equal(report.chainStatus, 'valid');
        assert.equal(report.signingTime?.toISOString(), '2025-03-04T05:06:07.000Z');
        assert.equal(report.signer?.email, kind === 'rsa' ? 'an@bo.gov.vn' : 'binh@bo.gov.vn');
        assert.match(
          report.signer!.subject,
          kind === 'rsa' ? /^CN=Nguyễn Văn An,O=Bộ Thử Nghiệm,C=VN$/ : /Trần Thị Bình/,
        );
        assert.match(report.messageVi, /hợp lệ/);
        assert.deepEqual(report.content, content);
      });

      it('enveloping signature passes openssl cms -verify, which outputs the content', async () => {
        const p7s = await signCms({
          content,
          detached: false,
          certificate: id().certificate,
          privateKey: id().privateKey,
          chain: id().chain,
        });
        write(`${kind}-env.p7s`, p7s);
        const r = opensslTry([
          'cms',
          '-verify',
          '-inform',
          'DER',
          '-in',
          `${kind}-env.p7s`,
          '-CAfile',
          'ca.pem',
          '-cades',
          '-out',
          `${kind}-env.out`,
        ]);
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(new Uint8Array(fs.readFileSync(file(`${kind}-env.out`))), content);

        const report = await verifyCms({ p7s, validateChain: validator });
        assert.equal(report.indication, 'TOTAL-PASSED', report.message);
        assert.deepEqual(report.content, content);
      });

      it('carries signing-certificate-v2, content-type, message-digest and signing-time', async () => {
        const p7s = await signCms({ content, certificate: id().certificate, privateKey: id().privateKey });
        write(`${kind}-print.p7s`, p7s);
        const printed = openssl([
          'cms',
          '-cmsout',
          '-print',
          '-inform',
          'DER',
          '-in',
          `${kind}-print.p7s`,
        ]).toString('latin1');
        assert.match(printed, /signingCertificateV2|1\.2\.840\.113549\.1\.9\.16\.2\.47/);
        assert.match(printed, /contentType/);
        assert.match(printed, /messageDigest/);
        assert.match(printed, /signingTime/);
        // PEM input is accepted too.
        const pem = `-----BEGIN CMS-----\n${Buffer.from(p7s).toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CMS-----\n`;
        const report = await verifyCms({
          p7s: new Uint8Array(Buffer.from(pem)),
          content,
          validateChain: validator,
        });
        assert.equal(report.indication, 'TOTAL-PASSED');
      });

      it('accepts openssl cms -sign output (detached and enveloping)', async () => {
        write(`${kind}-in.bin`, content);
        for (const extra of [[], ['-nodetach'], ['-cades']]) {
          openssl([
            'cms',
            '-sign',
            '-binary',
            '-md',
            'sha256',
            '-in',
            `${kind}-in.bin`,
            '-signer',
            `${kind}.pem`,
            '-inkey',
            `${kind}.key`,
            '-certfile',
            'ca.pem',
            '-outform',
            'DER',
            '-out',
            `${kind}-ossl.p7s`,
            ...extra,
          ]);
          const p7s = new Uint8Array(fs.readFileSync(file(`${kind}-ossl.p7s`)));
          const detached = !extra.includes('-nodetach');
          const report = await verifyCms({ p7s, ...(detached ? { content } : {}), validateChain: validator });
          assert.equal(report.indication, 'TOTAL-PASSED', `${extra.join(' ')}: ${report.message}`);
          assert.deepEqual(report.content, content);
        }
      });

      it('tampered content fails with HASH_FAILURE, a broken signature with SIG_CRYPTO_FAILURE', async () => {
        const p7s = await signCms({ content, certificate: id().certificate, privateKey: id().privateKey });
        const tampered = content.slice();
        tampered[5] ^= 0x01;
        const r1 = await verifyCms({ p7s, content: tampered, validateChain: validator });
        assert.equal(r1.indication, 'TOTAL-FAILED');
        assert.equal(r1.subIndication, 'HASH_FAILURE');
        assert.equal(r1.integrity, false);
        assert.match(r1.messageVi, /bị thay đổi/);

        const broken = p7s.slice();
        broken[broken.length - 1] ^= 0x01; // last byte of the signature value
        const r2 = await verifyCms({ p7s: broken, content, validateChain: validator });
        assert.equal(r2.indication, 'TOTAL-FAILED');
        assert.equal(r2.subIndication, 'SIG_CRYPTO_FAILURE');
      });
    });
  }

  describe('indications', () => {
    let p7s: Uint8Array;
    before(async () => {
      p7s = await signCms({
        content,
        certificate: rsa.certificate,
        privateKey: rsa.privateKey,
        chain: rsa.chain,
        hash: 'SHA-384',
      });
    });

    it('signs with SHA-384 and SHA-512 (openssl agrees)', async () => {
      write('sha384.p7s', p7s);
      write('sha-content.bin', content);
      const r = opensslTry([
        'cms',
        '-verify',
        '-binary',
        '-inform',
        'DER',
        '-in',
        'sha384.p7s',
        '-content',
        'sha-content.bin',
        '-CAfile',
        'ca.pem',
        '-out',
        '/dev/null',
      ]);
      assert.equal(r.status, 0, r.stderr);
      const p512 = await signCms({
        content,
        certificate: ec.certificate,
        privateKey: ec.privateKey,
        hash: 'SHA-512',
      });
      assert.equal(
        (await verifyCms({ p7s: p512, content, validateChain: validator })).indication,
        'TOTAL-PASSED',
      );
    });

    it('without a chain validator: INDETERMINATE / NO_CERTIFICATE_CHAIN_FOUND, integrity good', async () => {
      const r = await verifyCms({ p7s, content });
      assert.equal(r.indication, 'INDETERMINATE');
      assert.equal(r.subIndication, 'NO_CERTIFICATE_CHAIN_FOUND');
      assert.equal(r.integrity, true);
    });

    it('detached without content: INDETERMINATE / SIGNED_DATA_NOT_FOUND', async () => {
      const r = await verifyCms({ p7s, validateChain: validator });
      assert.equal(r.indication, 'INDETERMINATE');
      assert.equal(r.subIndication, 'SIGNED_DATA_NOT_FOUND');
    });

    it('revoked: TOTAL-FAILED / REVOKED; revocation unknown: INDETERMINATE / TRY_LATER', async () => {
      const revoked: ChainValidator = async (leaf) => ({
        status: 'invalid',
        code: 'REVOKED',
        message: 'Certificate revoked',
        messageVi: 'Chứng thư số đã bị thu hồi',
        path: [leaf, ca],
        revocation: { status: 'revoked' },
      });
      const r1 = await verifyCms({ p7s, content, validateChain: revoked });
      assert.equal(r1.indication, 'TOTAL-FAILED');
      assert.equal(r1.subIndication, 'REVOKED');
      assert.equal(r1.integrity, true);
      assert.deepEqual(r1.revocation, { status: 'revoked' });

      const later: ChainValidator = async (leaf) => ({
        status: 'indeterminate',
        code: 'TRY_LATER',
        message: 'OCSP unreachable',
        messageVi: 'Không kết nối được OCSP',
        path: [leaf, ca],
      });
      const r2 = await verifyCms({ p7s, content, validateChain: later });
      assert.equal(r2.indication, 'INDETERMINATE');
      assert.equal(r2.subIndication, 'TRY_LATER');
    });

    it('a signer from another CA is not TOTAL-PASSED', async () => {
      const key = loadPrivateKey(fs.readFileSync(file('stranger.key'), 'utf8'));
      const cert = loadCertificate(fs.readFileSync(file('stranger.pem')));
      const sig = await signCms({ content, certificate: cert, privateKey: key });
      const r = await verifyCms({ p7s: sig, content, validateChain: validator });
      assert.equal(r.indication, 'INDETERMINATE');
      assert.equal(r.subIndication, 'CHAIN_CONSTRAINTS_FAILURE');
      assert.equal(r.integrity, true);
    });

    it('a certificate swapped for another one with the same key is caught by signing-certificate-v2', async () => {
      // Same key, new certificate (different serial) from the same CA.
      openssl([
        'x509',
        '-req',
        '-in',
        'rsa.csr',
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-days',
        '30',
        '-sha256',
        '-extfile',
        'rsa.ext',
        '-out',
        'rsa2.pem',
      ]);
      const twin = loadCertificate(fs.readFileSync(file('rsa2.pem')));
      const original = await signCms({ content, certificate: rsa.certificate, privateKey: rsa.privateKey });
      const ci = new pkijs.ContentInfo({ schema: asn1js.fromBER(original).result });
      const sd = new pkijs.SignedData({ schema: ci.content });
      sd.certificates = [twin];
      sd.signerInfos[0]!.sid = new pkijs.IssuerAndSerialNumber({
        issuer: twin.issuer,
        serialNumber: twin.serialNumber,
      });
      const swapped = new pkijs.ContentInfo({ contentType: ci.contentType, content: sd.toSchema(true) })
        .toSchema()
        .toBER(false);
      const r = await verifyCms({ p7s: new Uint8Array(swapped), content, validateChain: validator });
      assert.equal(r.indication, 'INDETERMINATE');
      assert.equal(r.subIndication, 'NO_SIGNING_CERTIFICATE_FOUND');
      assert.match(r.message, /signing-certificate/);
    });

    it('refuses a key that does not belong to the certificate, and SHA-1', async () => {
      await assert.rejects(
        signCms({ content, certificate: rsa.certificate, privateKey: ec.privateKey }),
        /does not belong/,
      );
      await assert.rejects(
        signCms({
          content,
          certificate: rsa.certificate,
          privateKey: rsa.privateKey,
          hash: 'SHA-1' as 'SHA-256',
        }),
        /unsupported hash/,
      );
    });

    it('garbage input gives a clear error, not a crash', async () => {
      await assert.rejects(
        verifyCms({ p7s: new Uint8Array(randomBytes(300)), content }),
        /Invalid CMS signature/,
      );
      await assert.rejects(
        verifyCms({ p7s: new Uint8Array(Buffer.from('hello, world')), content }),
        /Invalid CMS signature/,
      );
      await assert.rejects(
        verifyCms({ p7s: new Uint8Array([0x30, 0x82, 0x10]), content }),
        /Invalid CMS signature/,
      );
      const certDer = rsa.certificate.toSchema().toBER(false);
      await assert.rejects(verifyCms({ p7s: new Uint8Array(certDer), content }), /ContentInfo|SignedData/);
      await assert.rejects(verifyCms({ p7s: new Uint8Array(0) }), /empty/);
    });
  });

  describe('S/MIME multipart/signed', () => {
    const entity =
      'Content-Type: text/plain; charset=utf-8\r\n' +
      'Content-Transfer-Encoding: quoted-printable\r\n' +
      '\r\n' +
      'K=C3=ADnh g=E1=BB=ADi c=C3=A1c =C4=91=C6=A1n v=E1=BB=8B.\r\n' +
      'From the first line of a body.\r\n';
    const headers =
      'MIME-Version: 1.0\r\nFrom: an@bo.gov.vn\r\nTo: binh@bo.gov.vn\r\nSubject: Thử ký S/MIME\r\n';

    it('our multipart/signed passes openssl smime -verify and our verifier', async () => {
      for (const id of [rsa, ec]) {
        const signed = await signSmime({
          mime: entity,
          certificate: id.certificate,
          privateKey: id.privateKey,
          chain: id.chain,
        });
        assert.match(
          signed,
          /^Content-Type: multipart\/signed; protocol="application\/pkcs7-signature";\r\n\tmicalg=sha-256; boundary="/,
        );
        assert.match(signed, /Content-Disposition: attachment; filename="smime.p7s"/);
        for (const line of signed.split('\r\n')) assert.ok(line.length <= 78, `line too long: ${line}`);
        assert.ok(!/[^\r]\n/.test(signed), 'bare LF in output');
        const message = headers + signed;
        write('smime.eml', message);
        const r = opensslTry([
          'smime',
          '-verify',
          '-in',
          'smime.eml',
          '-CAfile',
          'ca.pem',
          '-out',
          'smime.out',
        ]);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(
          fs.readFileSync(file('smime.out'), 'latin1').replace(/\r\n/g, '\n'),
          entity.replace(/\r\n/g, '\n'),
        );

        const report = await verifySmime({ message, validateChain: validator });
        assert.equal(report.indication, 'TOTAL-PASSED', report.message);
        assert.equal(report.signedEntity, entity);

        // LF-only storage of the same message still verifies (canonicalised to CRLF).
        const lf = await verifySmime({ message: message.replace(/\r\n/g, '\n'), validateChain: validator });
        assert.equal(lf.indication, 'TOTAL-PASSED');

        const tampered = message.replace('first line', 'first lime');
        const bad = await verifySmime({ message: tampered, validateChain: validator });
        assert.equal(bad.indication, 'TOTAL-FAILED');
        assert.equal(bad.subIndication, 'HASH_FAILURE');
      }
    });

    it('verifies openssl smime -sign output (multipart/signed and opaque)', async () => {
      write('entity.txt', entity.replace(/\r\n/g, '\n'));
      for (const kind of ['rsa', 'ec']) {
        const out = openssl([
          'smime',
          '-sign',
          '-in',
          'entity.txt',
          '-signer',
          `${kind}.pem`,
          '-inkey',
          `${kind}.key`,
          '-certfile',
          'ca.pem',
          '-md',
          'sha256',
          '-from',
          'an@bo.gov.vn',
          '-to',
          'binh@bo.gov.vn',
          '-subject',
          'Test',
        ]).toString('latin1');
        assert.match(out, /multipart\/signed/);
        const report = await verifySmime({ message: out, validateChain: validator });
        assert.equal(report.indication, 'TOTAL-PASSED', report.message);
        assert.equal(report.signedEntity, entity);

        const opaque = openssl([
          'smime',
          '-sign',
          '-nodetach',
          '-in',
          'entity.txt',
          '-signer',
          `${kind}.pem`,
          '-inkey',
          `${kind}.key`,
          '-md',
          'sha256',
        ]).toString('latin1');
        const r2 = await verifySmime({ message: opaque, validateChain: validator });
        assert.equal(r2.indication, 'TOTAL-PASSED', r2.message);
        assert.equal(r2.signedEntity, entity);
      }
    });

    it('a message that is not S/MIME signed gives a clear error', async () => {
      await assert.rejects(verifySmime({ message: headers + entity }), /Not an S\/MIME signed message/);
      await assert.rejects(
        verifySmime({
          message:
            'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; boundary=x\r\n\r\n--x\r\nbody\r\n--x--\r\n',
        }),
        /two parts/,
      );
      await assert.rejects(
        signSmime({ mime: 'no header here', certificate: rsa.certificate, privateKey: rsa.privateKey }),
        /MIME entity/,
      );
    });
  });
});
