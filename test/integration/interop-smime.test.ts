// Issue #14: what we sign is accepted by the software recipients run — OpenSSL, NSS (Thunderbird) and
// gpgsm — and carries the certificate exactly as our CA issued it. The CA is RSA: a certificate that a
// PKCS#12 reader re-encodes gains a NULL in its outer signatureAlgorithm and fails at every peer.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Sequelize } from 'sequelize';
import { allMigrations } from '../../cli/migrations.js';
import { govmail } from '../support/cli.js';
import { cmsutilVerify, gpgsmHome, gpgsmVerify, nssDatabase, splitMultipartSigned, stopGpgAgent, tool } from '../support/interop-tools.js';
import { freshDatabase, testDataDir } from '../support/postgres.js';

const PASSWORD = 'Mật khẩu ký số 2026';
const pemDer = (pem: string) => Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');

describe('interop: .p7s and S/MIME from our PKCS#12 and from an openssl-made one (openssl, NSS cmsutil, gpgsm)', function () {
  this.timeout(180_000);
  let dir: string;
  let db: Sequelize;
  let env: NodeJS.ProcessEnv;
  let nss: string;
  let gpg: NodeJS.ProcessEnv;
  let issuedDer: Buffer;
  const f = (n: string) => path.join(dir, n);
  const run = (args: string[], input?: string) => govmail([...args, '--data', dir], { env, input });

  before(async () => {
    dir = testDataDir('govmail-interop-smime-');
    const fresh = await freshDatabase(allMigrations());
    db = fresh.db;
    env = { DATABASE_URL: fresh.url, GOVMAIL_LOG_LEVEL: 'warn', GOVMAIL_PKI_URL: 'http://ca.thu.gov.vn/pki' };
    const init = await run(['ca', 'init', '--organization', 'UBND tỉnh Thử Nghiệm', '--province', 'Thử Nghiệm', '--algorithm', 'rsa-2048']);
    assert.equal(init.code, 0, init.stderr);
    const chain = (await run(['ca', 'export'])).stdout;
    const blocks = chain.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/g)!;
    writeFileSync(f('issuing.pem'), blocks[0]!);
    writeFileSync(f('root.pem'), blocks[1]!);

    writeFileSync(f('subject.json'), JSON.stringify({ commonName: 'Nguyễn Thị Hương', organization: 'Sở Nội vụ', title: 'Chuyên viên', email: 'huong@snv.thu.gov.vn', cccd: '001190004321' }));
    const issued = await run(['cert', 'issue', '--profile', 'individual', '--subject-json', f('subject.json'), '--p12', f('huong.p12'), '--password-stdin', '--out', f('huong.pem')], PASSWORD);
    assert.equal(issued.code, 0, issued.stderr);
    issuedDer = pemDer(readFileSync(f('huong.pem'), 'utf8'));

    // The same identity in a PKCS#12 we did not write: openssl pkcs12 -export from the issued certificate and key.
    const key = tool('openssl', ['pkcs12', '-in', f('huong.p12'), '-passin', `pass:${PASSWORD}`, '-nocerts', '-nodes', '-out', f('huong.key')]);
    assert.equal(key.code, 0, key.out);
    const exp = tool('openssl', ['pkcs12', '-export', '-in', f('huong.pem'), '-inkey', f('huong.key'), '-certfile', f('issuing.pem'), '-name', 'Nguyễn Thị Hương', '-passout', `pass:${PASSWORD}`, '-out', f('openssl.p12')]);
    assert.equal(exp.code, 0, exp.out);

    nss = nssDatabase(f('nss'), readFileSync(f('root.pem'), 'utf8'));
    gpg = gpgsmHome(f('gnupg'), readFileSync(f('root.pem'), 'utf8'));
  });
  after(async () => {
    if (gpg) stopGpgAgent(gpg);
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const p12 of ['huong.p12', 'openssl.p12']) {
    describe(`signing with ${p12 === 'huong.p12' ? 'our PKCS#12' : 'a PKCS#12 from openssl pkcs12 -export'}`, () => {
      const tag = p12.replace('.p12', '');

      it('govmail sign: the .p7s carries the issued certificate byte for byte; openssl cms, cmsutil and gpgsm accept it', async () => {
        writeFileSync(f('to-trinh.txt'), 'Tờ trình số 45/TTr-SNV về việc tuyển dụng công chức năm 2026.\n');
        const signed = await run(['sign', f('to-trinh.txt'), '--key-p12', f(p12), '--password-stdin', '--out', f(`${tag}.p7s`)], PASSWORD);
        assert.equal(signed.code, 0, signed.stderr);
        const p7s = readFileSync(f(`${tag}.p7s`));
        assert.ok(p7s.includes(issuedDer), 'the SignedData holds the exact DER of the issued certificate');

        const ossl = tool('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', f(`${tag}.p7s`), '-content', f('to-trinh.txt'), '-CAfile', f('root.pem'), '-purpose', 'smimesign', '-out', '/dev/null']);
        assert.match(ossl.out, /Verification successful/, ossl.out);
        const nssResult = cmsutilVerify(nss, f(`${tag}.p7s`), f('to-trinh.txt'));
        assert.equal(nssResult.code, 0, nssResult.out);
        const gpgsm = gpgsmVerify(gpg, f(`${tag}.p7s`), f('to-trinh.txt'));
        assert.match(gpgsm.out, /Good signature from/, gpgsm.out);
        assert.equal(gpgsm.code, 0, gpgsm.out);
      });

      it('govmail smime sign: openssl smime -purpose smimesign, cmsutil and gpgsm accept the mail', async () => {
        writeFileSync(f('thu.eml'), 'From: huong@snv.thu.gov.vn\nTo: vanthu@ubnd.thu.gov.vn\nSubject: =?UTF-8?B?VGjGsCBt4budaQ==?=\nDate: Mon, 7 Dec 2026 09:00:00 +0700\n\nKính gửi Văn thư,\nĐề nghị tiếp nhận tờ trình.\n');
        const s = await run(['smime', 'sign', f('thu.eml'), '--key-p12', f(p12), '--password-stdin', '--out', f(`${tag}.eml`)], PASSWORD);
        assert.equal(s.code, 0, s.stderr);
        const ossl = tool('openssl', ['smime', '-verify', '-in', f(`${tag}.eml`), '-CAfile', f('root.pem'), '-purpose', 'smimesign', '-out', '/dev/null']);
        assert.match(ossl.out, /Verification successful/, ossl.out);

        const { signedEntity, signature } = splitMultipartSigned(readFileSync(f(`${tag}.eml`), 'utf8'));
        assert.ok(signature.includes(issuedDer), 'the S/MIME signature holds the exact DER of the issued certificate');
        writeFileSync(f(`${tag}-entity.txt`), signedEntity);
        writeFileSync(f(`${tag}-smime.p7s`), signature);
        const nssResult = cmsutilVerify(nss, f(`${tag}-smime.p7s`), f(`${tag}-entity.txt`));
        assert.equal(nssResult.code, 0, nssResult.out);
        const gpgsm = gpgsmVerify(gpg, f(`${tag}-smime.p7s`), f(`${tag}-entity.txt`));
        assert.match(gpgsm.out, /Good signature from/, gpgsm.out);
      });
    });
  }
});
