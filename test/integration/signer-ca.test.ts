import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import * as pkijs from 'pkijs';
import type { Sequelize } from 'sequelize';
import { loadKek, type Kek } from '../../core/kek.js';
import { allMigrations } from '../../cli/migrations.js';
import {
  activeIssuingCa, caChain, getProfile, initCa, issueCertificate, parseSubject, pem, pkiRoutes, revokeCertificate,
  toDer, unlockServerKey, PIN_MAX_FAILURES,
} from '../../signer/index.js';
import { freePort, freshDatabase } from '../support/postgres.js';

const openssl = (args: string[]) => {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
};
/** For commands that talk to our own HTTP server: a synchronous child would block the server's event loop. */
const opensslAsync = (args: string[]) =>
  new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn('openssl', args);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code, out }));
  });

describe('signer — CA, issuance, PKCS#12, CRL and OCSP (judged by OpenSSL and NSS)', function () {
  this.timeout(120_000);
  let db: Sequelize;
  let kek: Kek;
  let app: FastifyInstance;
  let pkiUrl: string;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'signer-'));
  const f = (name: string) => path.join(dir, name);
  const individual = { commonName: 'Nguyễn Thị Hương', organization: 'Sở Tư pháp', province: 'Bắc Ninh', title: 'Chuyên viên', email: 'huong@stp.bacninh.gov.vn', cccd: '027190001234' };

  before(async () => {
    ({ db } = await freshDatabase(allMigrations()));
    kek = loadKek(dir, {});
    const port = await freePort();
    pkiUrl = `http://127.0.0.1:${port}/pki`;
    app = Fastify();
    await app.register(pkiRoutes, { db, kek, pkiUrl });
    await app.listen({ host: '127.0.0.1', port });
    await initCa(db, kek, { organization: 'UBND tỉnh Bắc Ninh', province: 'Bắc Ninh', algorithm: 'p-384', pkiUrl, actor: 'test' });
    const chain = await caChain(db, await activeIssuingCa(db));
    writeFileSync(f('issuing.pem'), pem('CERTIFICATE', toDer(chain[0])));
    writeFileSync(f('root.pem'), pem('CERTIFICATE', toDer(chain[1])));
    writeFileSync(f('chain.pem'), chain.map((c) => pem('CERTIFICATE', toDer(c))).join(''));
  });
  after(async () => {
    await app?.close();
    await db?.close();
  });

  it('issues from an OpenSSL CSR with our subject (never the CSR’s), and OpenSSL verifies the chain', async () => {
    execFileSync('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('user.key'), '-subj', '/CN=Attacker/O=Evil', '-out', f('user.csr')], { stdio: 'ignore' });
    const profile = getProfile('individual');
    const issued = await issueCertificate(db, kek, { profile, subject: parseSubject(individual, profile), key: { kind: 'csr', csr: readFileSync(f('user.csr')) }, pkiUrl, actor: 'test' });
    writeFileSync(f('user.pem'), issued.certificatePem);
    const verify = openssl(['verify', '-CAfile', f('root.pem'), '-untrusted', f('issuing.pem'), '-purpose', 'smimesign', f('user.pem')]);
    assert.equal(verify.code, 0, verify.out);
    const text = openssl(['x509', '-in', f('user.pem'), '-noout', '-text', '-nameopt', 'utf8,sep_comma_plus_space']).out;
    assert.match(text, /C=VN, ST=Bắc Ninh, O=Sở Tư pháp, title=Chuyên viên, CN=Nguyễn Thị Hương, UID=CCCD:027190001234/);
    assert.doesNotMatch(text, /Attacker|Evil/);
    assert.match(text, /Digital Signature, Non Repudiation, Key Encipherment/);
    assert.match(text, /E-mail Protection, TLS Web Client Authentication, 1\.3\.6\.1\.5\.5\.7\.3\.36/);
    assert.match(text, /email:huong@stp\.bacninh\.gov\.vn/);
    assert.ok(text.includes(`URI:${pkiUrl}/crl/issuing.crl`), 'CRL distribution point');
    assert.ok(text.includes(`OCSP - URI:${pkiUrl}/ocsp`), 'AIA OCSP');
    assert.match(text, /Policy: 1\.3\.6\.1\.4\.1\.32473\.704\.2\.2/);
    assert.match(text, /Signature Algorithm: ecdsa-with-SHA384/);
    assert.ok(issued.serial.length >= 32, `serial of 128+ bits: ${issued.serial}`);
    const [audit] = await db.query(`SELECT action FROM audit_entries WHERE target = $1`, { bind: [issued.serial], type: 'SELECT' as any });
    assert.deepEqual(audit, { action: 'cert.issue' });
  });

  it('refuses a CSR whose signature does not match its key, and validity beyond Decree 68/2024', async () => {
    const csr = readFileSync(f('user.csr'), 'utf8');
    const der = Buffer.from(csr.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    der[der.length - 5] ^= 0xff;
    const profile = getProfile('individual');
    const subject = parseSubject(individual, profile);
    await assert.rejects(issueCertificate(db, kek, { profile, subject, key: { kind: 'csr', csr: der }, pkiUrl, actor: 'test' }), /proof of possession/);
    await assert.rejects(issueCertificate(db, kek, { profile, subject, key: { kind: 'csr', csr: csr }, validityDays: 6 * 365, pkiUrl, actor: 'test' }), /at most 5 years/);
    assert.throws(() => parseSubject({ ...individual, cccd: '12345' }, profile), /subject\.cccd.*12-digit/);
    assert.throws(() => parseSubject({ commonName: 'X' }, profile), /subject\.cccd/);
  });

  for (const algorithm of ['rsa-2048', 'p-256'] as const) {
    it(`delivers a server-generated ${algorithm} key as a PKCS#12 that openssl and pk12util open`, async () => {
      const profile = getProfile('organisation');
      const subject = parseSubject({ commonName: 'Văn phòng UBND tỉnh', organization: 'UBND tỉnh Bắc Ninh', mst: '2300123456', email: 'vanthu@bacninh.gov.vn' }, profile);
      const password = 'Mật-khẩu 2026!';
      const issued = await issueCertificate(db, kek, { profile, subject, key: { kind: 'p12', password, algorithm }, pkiUrl, actor: 'test' });
      const p12 = f(`org-${algorithm}.p12`);
      writeFileSync(p12, issued.p12!);
      const opened = openssl(['pkcs12', '-in', p12, '-passin', `pass:${password}`, '-nodes', '-info']);
      assert.equal(opened.code, 0, opened.out);
      assert.equal((opened.out.match(/BEGIN CERTIFICATE/g) ?? []).length, 3, 'holder + issuing + root');
      assert.match(opened.out, /BEGIN PRIVATE KEY/);
      assert.match(opened.out, /UID\s*=\s*MST:2300123456/);
      const wrong = openssl(['pkcs12', '-in', p12, '-passin', 'pass:wrong', '-nodes']);
      assert.notEqual(wrong.code, 0);
      const nss = spawnSync('pk12util', ['-l', p12, '-W', password], { encoding: 'utf8' });
      assert.equal(nss.status, 0, `${nss.stdout}${nss.stderr}`);
      assert.match(nss.stdout, /Key\(shrouded\)/);
      assert.equal((nss.stdout.match(/^Certificate/gm) ?? []).length, 3, 'three certificates');
    });
  }

  it('revokes: the CRL served over HTTP lists the serial with its reason, and openssl verify -crl_check refuses it', async () => {
    execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('rev.key'), '-subj', '/CN=x', '-out', f('rev.csr')], { stdio: 'ignore' });
    const profile = getProfile('individual');
    const issued = await issueCertificate(db, kek, { profile, subject: parseSubject({ ...individual, cccd: '027190009999' }, profile), key: { kind: 'csr', csr: readFileSync(f('rev.csr')) }, pkiUrl, actor: 'test' });
    writeFileSync(f('rev.pem'), issued.certificatePem);
    await revokeCertificate(db, kek, issued.serial, 'keyCompromise', 'test');
    await assert.rejects(revokeCertificate(db, kek, issued.serial, 'keyCompromise', 'test'), /already revoked/);
    await assert.rejects(revokeCertificate(db, kek, issued.serial, 'becauseISaidSo', 'test'), /reason: expected one of/);

    const res = await fetch(`${pkiUrl}/crl/issuing.crl`);
    assert.equal(res.headers.get('content-type'), 'application/pkix-crl');
    writeFileSync(f('issuing.crl'), Buffer.from(await res.arrayBuffer()));
    const crl = openssl(['crl', '-inform', 'DER', '-in', f('issuing.crl'), '-noout', '-text', '-CAfile', f('chain.pem')]);
    assert.match(crl.out, /verify OK/);
    assert.match(crl.out, new RegExp(`Serial Number: ${issued.serial.toUpperCase()}`));
    assert.match(crl.out, /Key Compromise/);
    assert.match(crl.out, /X509v3 CRL Number/);
    assert.match(crl.out, /X509v3 Authority Key Identifier/);
    assert.match(crl.out, /Next Update/);
    execFileSync('openssl', ['crl', '-inform', 'DER', '-in', f('issuing.crl'), '-out', f('issuing-crl.pem')]);
    writeFileSync(f('root-crl.der'), Buffer.from(await (await fetch(`${pkiUrl}/crl/root.crl`)).arrayBuffer()));
    execFileSync('openssl', ['crl', '-inform', 'DER', '-in', f('root-crl.der'), '-out', f('root-crl.pem')]);
    const check = openssl(['verify', '-crl_check_all', '-CAfile', f('root.pem'), '-untrusted', f('issuing.pem'), '-CRLfile', f('issuing-crl.pem'), '-CRLfile', f('root-crl.pem'), f('rev.pem')]);
    assert.notEqual(check.code, 0);
    assert.match(check.out, /certificate revoked/);
    const good = openssl(['verify', '-crl_check_all', '-CAfile', f('root.pem'), '-untrusted', f('issuing.pem'), '-CRLfile', f('issuing-crl.pem'), '-CRLfile', f('root-crl.pem'), f('user.pem')]);
    assert.equal(good.code, 0, good.out);
  });

  it('answers openssl ocsp with good and revoked, signed by the delegated responder, with the nonce', async () => {
    const ask = (cert: string) => opensslAsync(['ocsp', '-issuer', f('issuing.pem'), '-cert', f(cert), '-url', `${pkiUrl}/ocsp`, '-CAfile', f('chain.pem'), '-resp_text']);
    const good = await ask('user.pem');
    assert.match(good.out, /Response verify OK/);
    assert.match(good.out, new RegExp(`${f('user.pem').replace(/[/.]/g, '\\$&')}: good`));
    assert.match(good.out, /OCSP Nonce/);
    assert.match(good.out, /Responder Id: [0-9A-F]{40}/);
    const revoked = await ask('rev.pem');
    assert.match(revoked.out, /Response verify OK/);
    assert.match(revoked.out, /: revoked/);
    assert.match(revoked.out, /Reason: keyCompromise/);
  });

  it('answers OCSP over GET too, "unknown" for a serial it never issued, and unauthorized for another CA', async () => {
    execFileSync('openssl', ['ocsp', '-issuer', f('issuing.pem'), '-serial', '0x1234567890', '-reqout', f('unknown.req'), '-no_nonce']);
    const b64 = readFileSync(f('unknown.req')).toString('base64');
    const res = await fetch(`${pkiUrl}/ocsp/${encodeURIComponent(b64)}`);
    assert.equal(res.status, 200);
    writeFileSync(f('unknown.resp'), Buffer.from(await res.arrayBuffer()));
    const text = openssl(['ocsp', '-respin', f('unknown.resp'), '-issuer', f('issuing.pem'), '-CAfile', f('chain.pem'), '-serial', '0x1234567890', '-resp_text']);
    assert.match(text.out, /Cert Status: unknown/);
    assert.match(text.out, /Response verify OK/);
    // A request about a CA we do not run.
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('other.key'), '-subj', '/CN=Other CA', '-out', f('other.pem')], { stdio: 'ignore' });
    execFileSync('openssl', ['ocsp', '-issuer', f('other.pem'), '-serial', '0x01', '-reqout', f('other.req')]);
    const other = await fetch(`${pkiUrl}/ocsp`, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body: readFileSync(f('other.req')) });
    const parsed = pkijs.OCSPResponse.fromBER(Buffer.from(await other.arrayBuffer()));
    assert.equal(parsed.responseStatus.valueBlock.valueDec, 6, 'unauthorized');
    const garbage = await fetch(`${pkiUrl}/ocsp`, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body: 'not a request' });
    assert.equal(pkijs.OCSPResponse.fromBER(Buffer.from(await garbage.arrayBuffer())).responseStatus.valueBlock.valueDec, 1, 'malformedRequest');
  });

  it('keeps a server-held key usable only with its PIN, throttles wrong PINs, and refuses it once revoked', async () => {
    const profile = getProfile('individual');
    const issued = await issueCertificate(db, kek, { profile, subject: parseSubject({ ...individual, cccd: '027190005555' }, profile), key: { kind: 'server', pin: '246810', algorithm: 'p-256' }, pkiUrl, actor: 'test' });
    const [row] = await db.query<{ key_sealed: string }>('SELECT key_sealed FROM signer_certificates WHERE serial = $1', { bind: [issued.serial], type: 'SELECT' as any });
    assert.doesNotMatch(row.key_sealed, /PRIVATE KEY/);
    const { key } = await unlockServerKey(db, kek, issued.serial, '246810', 'huong');
    assert.equal(key.asymmetricKeyType, 'ec');
    for (let i = 1; i < PIN_MAX_FAILURES; i++) await assert.rejects(unlockServerKey(db, kek, issued.serial, '000000', 'huong'), new RegExp(`wrong PIN \\(${i}/${PIN_MAX_FAILURES}\\)`));
    await assert.rejects(unlockServerKey(db, kek, issued.serial, '000000', 'huong'), /wrong PIN/);
    await assert.rejects(unlockServerKey(db, kek, issued.serial, '246810', 'huong'), /try again in 15 min/, 'locked even with the right PIN');
    await db.query('UPDATE signer_pin_failures SET locked_until = now() - interval \'1 second\'');
    await unlockServerKey(db, kek, issued.serial, '246810', 'huong');
    await revokeCertificate(db, kek, issued.serial, 'affiliationChanged', 'test');
    await assert.rejects(unlockServerKey(db, kek, issued.serial, '246810', 'huong'), /revoked and cannot sign/);
  });
});
