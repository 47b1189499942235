import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Sequelize } from 'sequelize';
import { allMigrations } from '../../cli/migrations.js';
import { govmail } from '../support/cli.js';
import { freshDatabase, testDataDir } from '../support/postgres.js';

const openssl = (args: string[]) => {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
};

describe('signer commands — ca, cert, sign, verify, smime (OpenSSL both ways)', function () {
  this.timeout(180_000);
  let dir: string;
  let db: Sequelize;
  let env: NodeJS.ProcessEnv;
  const f = (n: string) => path.join(dir, n);
  const run = (args: string[], input?: string) => govmail([...args, '--data', dir], { env, input });
  let serial: string;

  before(async () => {
    dir = testDataDir('govmail-signer-cli-');
    const fresh = await freshDatabase(allMigrations());
    db = fresh.db;
    env = { DATABASE_URL: fresh.url, GOVMAIL_LOG_LEVEL: 'warn', GOVMAIL_PKI_URL: 'http://ca.thu.gov.vn/pki' };
  });
  after(async () => {
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ca init, then ca export prints the chain with the root last', async () => {
    const init = await run(['ca', 'init', '--organization', 'UBND tỉnh Thử Nghiệm', '--province', 'Thử Nghiệm', '--algorithm', 'p-256']);
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout, /CA gốc \/ root CA: .*UBND tỉnh Thử Nghiệm Root CA/);
    const again = await run(['ca', 'init', '--organization', 'X']);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /already exists/);
    const exp = await run(['ca', 'export']);
    assert.equal(exp.code, 0, exp.stderr);
    const blocks = exp.stdout.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/g)!;
    assert.equal(blocks.length, 2);
    writeFileSync(f('issuing.pem'), blocks[0]);
    writeFileSync(f('root.pem'), blocks[1]);
    writeFileSync(f('chain.pem'), exp.stdout);
    const root = openssl(['x509', '-in', f('root.pem'), '-noout', '-subject', '-issuer', '-nameopt', 'utf8']).out.split('\n');
    assert.equal(root[0].replace('subject=', ''), root[1].replace('issuer=', ''), 'the last certificate is the self-signed root');
    assert.equal(openssl(['verify', '-CAfile', f('root.pem'), f('issuing.pem')]).code, 0);
  });

  it('cert issue --p12, sign, and openssl cms -verify accepts the detached CAdES signature', async () => {
    writeFileSync(f('subject.json'), JSON.stringify({ commonName: 'Trần Văn Bình', organization: 'Sở Nội vụ', title: 'Phó Giám đốc', email: 'binh@snv.thu.gov.vn', cccd: '001085001234' }));
    const issued = await run(['cert', 'issue', '--profile', 'individual', '--subject-json', f('subject.json'), '--p12', f('binh.p12'), '--password-stdin', '--algorithm', 'rsa-2048', '--out', f('binh.pem')], 'mat-khau-dai');
    assert.equal(issued.code, 0, issued.stderr);
    serial = /serial ([0-9a-f]+)/.exec(issued.stderr)![1];
    writeFileSync(f('cong-van.txt'), 'Công văn số 123/SNV-TCCB về việc cử cán bộ đi học.\n');
    const signed = await run(['sign', f('cong-van.txt'), '--key-p12', f('binh.p12'), '--password-stdin', '--out', f('cong-van.p7s')], 'mat-khau-dai');
    assert.equal(signed.code, 0, signed.stderr);
    const v = openssl(['cms', '-verify', '-binary', '-inform', 'DER', '-in', f('cong-van.p7s'), '-content', f('cong-van.txt'), '-CAfile', f('chain.pem'), '-purpose', 'any', '-out', '/dev/null']);
    assert.match(v.out, /Verification successful/);
  });

  it('verify reports TOTAL-PASSED for ours and for openssl cms -sign output, TOTAL-FAILED for tampered content', async () => {
    const ok = await run(['verify', f('cong-van.p7s'), '--content', f('cong-van.txt'), '--json']);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    // The ETSI EN 319 102-1 report: the overall result, then one entry per signature.
    const report = JSON.parse(ok.stdout);
    assert.equal(report.overall, 'TOTAL-PASSED');
    assert.match(report.signatures[0].signer.subject, /CN=Trần Văn Bình/);
    assert.equal(report.signatures[0].chain.length, 3);

    execFileSync('openssl', ['pkcs12', '-in', f('binh.p12'), '-passin', 'pass:mat-khau-dai', '-nodes', '-nocerts', '-out', f('binh.key')]);
    execFileSync('openssl', ['cms', '-sign', '-binary', '-md', 'sha256', '-in', f('cong-van.txt'), '-signer', f('binh.pem'), '-inkey', f('binh.key'), '-certfile', f('issuing.pem'), '-outform', 'DER', '-out', f('openssl.p7s')]);
    const theirs = await run(['verify', f('openssl.p7s'), '--content', f('cong-van.txt')]);
    assert.equal(theirs.code, 0, theirs.stdout + theirs.stderr);
    assert.match(theirs.stdout, /^TOTAL-PASSED/);

    writeFileSync(f('tampered.txt'), 'Công văn số 124/SNV-TCCB về việc cử cán bộ đi học.\n');
    const bad = await run(['verify', f('cong-van.p7s'), '--content', f('tampered.txt')]);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /TOTAL-FAILED \/ HASH_FAILURE/);
  });

  it('smime sign makes a message openssl smime -verify accepts, and smime verify agrees', async () => {
    writeFileSync(f('thu.eml'), 'From: binh@snv.thu.gov.vn\nTo: vanthu@ubnd.thu.gov.vn\nSubject: =?UTF-8?B?VGjGsCBt4budaQ==?=\nDate: Thu, 26 Nov 2026 10:00:00 +0700\n\nKính gửi Văn thư,\nĐề nghị tiếp nhận công văn.\n');
    const s = await run(['smime', 'sign', f('thu.eml'), '--key-p12', f('binh.p12'), '--password-stdin', '--out', f('thu-signed.eml')], 'mat-khau-dai');
    assert.equal(s.code, 0, s.stderr);
    const msg = readFileSync(f('thu-signed.eml'), 'utf8');
    assert.match(msg, /^From: binh@snv\.thu\.gov\.vn\r\n/);
    assert.match(msg, /Content-Type: multipart\/signed; protocol="application\/pkcs7-signature";\s+micalg=sha-256/);
    const v = openssl(['smime', '-verify', '-in', f('thu-signed.eml'), '-CAfile', f('chain.pem'), '-purpose', 'smimesign']);
    assert.match(v.out, /Verification successful/);
    // openssl prints the signed entity: our UTF-8 body, base64-encoded.
    assert.ok(v.out.includes(Buffer.from('Kính gửi Văn thư,\r\n').toString('base64').slice(0, 24)), v.out);
    const ours = await run(['smime', 'verify', f('thu-signed.eml'), '--json']);
    assert.equal(JSON.parse(ours.stdout).indication, 'TOTAL-PASSED', ours.stdout + ours.stderr);
  });

  it('after cert revoke, verification fails as REVOKED and cert validate exits 1 with the CRL', async () => {
    const r = await run(['cert', 'revoke', serial, '--reason', 'keyCompromise']);
    assert.equal(r.code, 0, r.stderr);
    const v = await run(['verify', f('cong-van.p7s'), '--content', f('cong-van.txt'), '--json']);
    assert.equal(v.code, 1);
    const report = JSON.parse(v.stdout);
    assert.equal(report.overall, 'TOTAL-FAILED');
    assert.equal(report.overallSubIndication, 'REVOKED');

    const crl = await run(['cert', 'crl']);
    writeFileSync(f('issuing.crl'), crl.stdout);
    writeFileSync(f('root.crl'), (await run(['cert', 'crl', '--ca', 'root'])).stdout);
    const args = ['cert', 'validate', f('binh.pem'), '--trust', f('root.pem'), '--untrusted', f('issuing.pem'), '--crl', f('issuing.crl'), '--crl', f('root.crl')];
    const invalid = await govmail(args, { env });
    assert.equal(invalid.code, 1);
    assert.match(invalid.stdout, /KHÔNG HỢP LỆ \/ INVALID \[REVOKED\]/);
    const noCrl = await govmail(args.slice(0, 7), { env });
    assert.equal(noCrl.code, 1);
    assert.match(noCrl.stdout, /INDETERMINATE \[REVOCATION_UNKNOWN\]/);
    const before = await govmail([...args.slice(0, 7), '--no-revocation', '--json'], { env });
    assert.equal(before.code, 0, before.stdout);
    assert.equal(JSON.parse(before.stdout).status, 'valid');
  });

  it('makes a sub-CA under an external national root: ca csr, ca import, then issues under it', async () => {
    const sub = testDataDir('govmail-subca-');
    const subDb = await freshDatabase(allMigrations());
    const subEnv = { ...env, DATABASE_URL: subDb.url };
    const g = (n: string) => path.join(sub, n);
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:3072', '-nodes', '-keyout', g('national.key'), '-subj', '/C=VN/O=Ban Cơ yếu Chính phủ/CN=Root CA Quốc gia', '-utf8', '-days', '3650', '-addext', 'basicConstraints=critical,CA:true', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', g('national.pem')], { stdio: 'ignore' });
      const csr = await govmail(['ca', 'csr', '--organization', 'UBND tỉnh Con', '--algorithm', 'rsa-3072', '--out', g('sub.csr'), '--data', sub], { env: subEnv });
      assert.equal(csr.code, 0, csr.stderr);
      writeFileSync(g('ext.cnf'), 'basicConstraints=critical,CA:true,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n');
      execFileSync('openssl', ['x509', '-req', '-in', g('sub.csr'), '-CA', g('national.pem'), '-CAkey', g('national.key'), '-CAcreateserial', '-days', '1825', '-sha256', '-extfile', g('ext.cnf'), '-out', g('sub.pem')], { stdio: 'ignore' });
      const wrongChain = await govmail(['ca', 'import', g('sub.pem'), '--chain', g('sub.pem'), '--data', sub], { env: subEnv });
      assert.notEqual(wrongChain.code, 0);
      const imp = await govmail(['ca', 'import', g('sub.pem'), '--chain', g('national.pem'), '--data', sub], { env: subEnv });
      assert.equal(imp.code, 0, imp.stderr);
      writeFileSync(g('dev.json'), JSON.stringify({ commonName: 'mail.con.gov.vn', organization: 'UBND tỉnh Con', dnsNames: ['mail.con.gov.vn'] }));
      execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', g('dev.key'), '-subj', '/CN=ignored', '-out', g('dev.csr')], { stdio: 'ignore' });
      const dev = await govmail(['cert', 'issue', '--profile', 'device', '--subject-json', g('dev.json'), '--csr', g('dev.csr'), '--out', g('dev.pem'), '--data', sub], { env: subEnv });
      assert.equal(dev.code, 0, dev.stderr);
      const exp = await govmail(['ca', 'export', '--data', sub], { env: subEnv });
      assert.equal((exp.stdout.match(/BEGIN CERTIFICATE/g) ?? []).length, 2, 'our sub-CA and the national root');
      const v = openssl(['verify', '-CAfile', g('national.pem'), '-untrusted', g('sub.pem'), '-purpose', 'sslserver', '-verify_hostname', 'mail.con.gov.vn', g('dev.pem')]);
      assert.equal(v.code, 0, v.out);
    } finally {
      await subDb.db.close();
      rmSync(sub, { recursive: true, force: true });
    }
  });
});
