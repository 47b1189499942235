// Issue #14: PKCS#12 files that every reader opens — the modern default (PBES2/AES-256, HMAC-SHA-256)
// and, on request, the legacy one (3DES, HMAC-SHA1) for gpgsm 2.2 and old Windows — each with the
// holder's friendlyName and a localKeyId. Judged by openssl pkcs12, NSS pk12util and gpgsm.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Sequelize } from 'sequelize';
import { allMigrations } from '../../cli/migrations.js';
import { govmail } from '../support/cli.js';
import { gpgsmHome, gpgsmImportP12, stopGpgAgent, tool } from '../support/interop-tools.js';
import { freshDatabase, testDataDir } from '../support/postgres.js';

const HOLDER = 'Nguyễn Thị Hương';
// gpgsm 2.2 turns a passphrase into the PKCS#12 BMPString byte by byte, not from UTF-8, so a
// non-ASCII password opens in OpenSSL and NSS but not in gpgsm 2.2 (whoever wrote the file): the
// legacy file, made for gpgsm, is tested with an ASCII one; the modern one with Vietnamese.
const LEGACY_PASSWORD = 'mat-khau-cu-2026';
const MODERN_PASSWORD = 'Mật khẩu mới 2026';
const pemDer = (pem: string) => Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
const hexSpaced = (b: Buffer) => b.toString('hex').toUpperCase().match(/../g)!.join(' ');

describe('interop: PKCS#12 modern and legacy (openssl pkcs12, pk12util, gpgsm --import)', function () {
  this.timeout(180_000);
  let dir: string;
  let db: Sequelize;
  let env: NodeJS.ProcessEnv;
  let gpg: NodeJS.ProcessEnv | undefined;
  const f = (n: string) => path.join(dir, n);
  const run = (args: string[], input?: string) => govmail([...args, '--data', dir], { env, input });
  const issue = (name: string, password: string, extra: string[] = []) =>
    run(['cert', 'issue', '--profile', 'individual', '--subject-json', f('subject.json'), '--p12', f(`${name}.p12`), '--password-stdin', '--out', f(`${name}.pem`), ...extra], password);

  before(async () => {
    dir = testDataDir('govmail-interop-p12-');
    const fresh = await freshDatabase(allMigrations());
    db = fresh.db;
    env = { DATABASE_URL: fresh.url, GOVMAIL_LOG_LEVEL: 'warn', GOVMAIL_PKI_URL: 'http://ca.thu.gov.vn/pki' };
    const init = await run(['ca', 'init', '--organization', 'UBND tỉnh Thử Nghiệm', '--algorithm', 'rsa-2048']);
    assert.equal(init.code, 0, init.stderr);
    const blocks = (await run(['ca', 'export'])).stdout.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/g)!;
    writeFileSync(f('issuing.pem'), blocks[0]!);
    writeFileSync(f('root.pem'), blocks[1]!);
    writeFileSync(f('subject.json'), JSON.stringify({ commonName: HOLDER, organization: 'Sở Nội vụ', email: 'huong@snv.thu.gov.vn', cccd: '001190004321' }));
  });
  after(async () => {
    if (gpg) stopGpgAgent(gpg);
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('--legacy: warns on stderr (vi + en); openssl pkcs12 -legacy shows 3DES for key and certificates and a SHA-1 MAC', async () => {
    const r = await issue('legacy', LEGACY_PASSWORD, ['--legacy']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Cảnh báo: PKCS#12 kiểu cũ .* yếu hơn .* \/ Warning: a legacy PKCS#12 .* weaker .*old Windows and gpgsm 2\.2/);
    const info = tool('openssl', ['pkcs12', '-legacy', '-info', '-nokeys', '-in', f('legacy.p12'), '-passin', `pass:${LEGACY_PASSWORD}`]);
    assert.equal(info.code, 0, info.out);
    assert.match(info.out, /MAC: sha1, Iteration 2048/);
    assert.match(info.out, /PKCS7 Encrypted data: pbeWithSHA1And3-KeyTripleDES-CBC/);
    assert.match(info.out, /Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC/);
    assert.doesNotMatch(info.out, /PBES2|AES/);
  });

  it('pk12util lists the legacy file with the friendlyName (diacritics intact) on the key and the certificate', () => {
    const r = tool('pk12util', ['-l', f('legacy.p12'), '-W', LEGACY_PASSWORD]);
    assert.equal(r.code, 0, r.out);
    assert.equal(r.out.split(`Friendly Name: ${HOLDER}`).length - 1, 2, r.out);
    assert.match(r.out, /PKCS #12 V2 PBE With SHA-1 And 3KEY Triple DES-CBC/);
  });

  it('gpgsm 2.2 imports the legacy file with a loopback passphrase, secret key included', () => {
    gpg = gpgsmHome(f('gnupg'), readFileSync(f('root.pem'), 'utf8'));
    const r = gpgsmImportP12(gpg, f('legacy.p12'), LEGACY_PASSWORD);
    assert.match(r.out, /secret keys imported: 1/, r.out);
    const list = tool('gpgsm', ['--batch', '--list-secret-keys', '--with-colons'], { env: gpg });
    const fingerprint = createHash('sha1').update(pemDer(readFileSync(f('legacy.pem'), 'utf8'))).digest('hex').toUpperCase();
    assert.ok(list.out.includes(fingerprint), list.out);
  });

  it('the modern file: openssl pkcs12 -info shows PBES2/AES-256, SHA-256 MAC, the friendlyName as openssl writes it and the localKeyId on both bags', async () => {
    const r = await issue('modern', MODERN_PASSWORD);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /legacy|kiểu cũ/);
    const info = tool('openssl', ['pkcs12', '-info', '-nokeys', '-in', f('modern.p12'), '-passin', `pass:${MODERN_PASSWORD}`]);
    assert.equal(info.code, 0, info.out);
    assert.match(info.out, /MAC: sha256/);
    assert.match(info.out, /Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 100000, PRF hmacWithSHA256/);
    // OpenSSL 3.0 prints a BMPString friendlyName lossily (one byte a character): compare with the line
    // it prints for a file it wrote itself with -name and the same holder.
    const key = tool('openssl', ['pkcs12', '-in', f('modern.p12'), '-passin', `pass:${MODERN_PASSWORD}`, '-nocerts', '-nodes', '-out', f('modern.key')]);
    assert.equal(key.code, 0, key.out);
    const exp = tool('openssl', ['pkcs12', '-export', '-in', f('modern.pem'), '-inkey', f('modern.key'), '-name', HOLDER, '-passout', 'pass:x', '-out', f('by-openssl.p12')]);
    assert.equal(exp.code, 0, exp.out);
    const theirs = tool('openssl', ['pkcs12', '-info', '-nokeys', '-in', f('by-openssl.p12'), '-passin', 'pass:x']).out;
    const nameLine = (out: string) => /friendlyName: (.*)/.exec(out)?.[1];
    assert.ok(nameLine(theirs), theirs);
    assert.equal(nameLine(info.out), nameLine(theirs));
    const localKeyId = hexSpaced(createHash('sha1').update(pemDer(readFileSync(f('modern.pem'), 'utf8'))).digest());
    const withKey = tool('openssl', ['pkcs12', '-info', '-nodes', '-in', f('modern.p12'), '-passin', `pass:${MODERN_PASSWORD}`]).out;
    assert.equal(withKey.split(`localKeyID: ${localKeyId}`).length - 1, 2, 'the same localKeyID on the key bag and the holder’s certificate bag');
    assert.equal(withKey.split('friendlyName: ').length - 1, 2, 'a friendlyName on the key bag and the holder’s certificate bag');
    const nss = tool('pk12util', ['-l', f('modern.p12'), '-W', MODERN_PASSWORD]);
    assert.equal(nss.out.split(`Friendly Name: ${HOLDER}`).length - 1, 2, nss.out);
  });

  it('a certificate from the legacy file signs as issued, byte for byte (openssl cms -verify)', async () => {
    writeFileSync(f('cv.txt'), 'Công văn 7/SNV.\n');
    const s = await run(['sign', f('cv.txt'), '--key-p12', f('legacy.p12'), '--password-stdin', '--out', f('cv.p7s')], LEGACY_PASSWORD);
    assert.equal(s.code, 0, s.stderr);
    assert.ok(readFileSync(f('cv.p7s')).includes(pemDer(readFileSync(f('legacy.pem'), 'utf8'))));
    const v = tool('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', f('cv.p7s'), '-content', f('cv.txt'), '-CAfile', f('root.pem'), '-out', '/dev/null']);
    assert.match(v.out, /Verification successful/, v.out);
  });

  // The CLI exits 2 for an error it explains (cli/io.ts reportFailure, since the skeleton), 1 for others.
  it('bad input: --legacy without --p12, a wrong password — exit 2 with the reason in Vietnamese and English, no stack trace, nothing written', async () => {
    const noP12 = await run(['cert', 'issue', '--profile', 'individual', '--subject-json', f('subject.json'), '--server-key', '--legacy'], '123456');
    assert.equal(noP12.code, 2, noP12.stderr);
    assert.match(noP12.stderr, /--legacy: cần cả --p12 OUT .* \/ --legacy: expected --p12 OUT as well/);
    assert.doesNotMatch(noP12.stderr, /\n\s+at /);
    const wrong = await run(['sign', f('cv.txt'), '--key-p12', f('legacy.p12'), '--password-stdin', '--out', f('never.p7s')], 'not-the-password');
    assert.equal(wrong.code, 2, wrong.stderr);
    assert.match(wrong.stderr, /PKCS#12: sai mật khẩu .* \/ PKCS#12: wrong password/);
    assert.doesNotMatch(wrong.stderr, /\n\s+at /);
    assert.equal(tool('test', ['-e', f('never.p7s')]).code, 1, 'no output file');
  });
});
