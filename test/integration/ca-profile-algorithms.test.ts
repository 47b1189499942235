import assert from 'node:assert/strict';
import { createHash, createPrivateKey } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Sequelize } from 'sequelize';
import { allMigrations } from '../../cli/migrations.js';
import { loadKek, type Kek } from '../../core/kek.js';
import {
  OcspResponder, TimeStampAuthority, activeIssuingCa, caChain, certificateFromDer, ensureOcspSigner, getProfile, initCa, issueCertificate, listCas, parseSubject, pem, publishCrl,
  signCms, toDer, type KeyAlgorithm,
} from '../../signer/index.js';
import { parseDer } from '../../signer/pathvalidation/der.js';
import { freshDatabase } from '../support/postgres.js';

/**
 * What our CA writes, judged by OpenSSL: RSA signature AlgorithmIdentifiers carry an explicit NULL
 * (RFC 4055 §5), ECDSA ones carry nothing (RFC 5758 §3.2), digest identifiers in CMS carry nothing
 * (as `openssl cms -sign` writes them), and OpenSSL's strict verification accepts every kind of
 * certificate we issue, our CRLs, OCSP answers and time-stamp tokens.
 */
const run = (cmd: string, args: string[], input?: Buffer | string) => {
  const r = spawnSync(cmd, args, { input, encoding: 'buffer' });
  return { code: r.status, out: `${r.stdout.toString('latin1')}${r.stderr.toString('latin1')}`, stdout: r.stdout };
};

const RSA_OIDS = ['sha256WithRSAEncryption', 'sha384WithRSAEncryption', 'sha512WithRSAEncryption', 'rsaEncryption'];
const ECDSA_OIDS = ['ecdsa-with-SHA256', 'ecdsa-with-SHA384', 'ecdsa-with-SHA512'];
const DIGEST_OIDS = ['sha256', 'sha384', 'sha512'];

interface Line { offset: number; depth: number; kind: string; value: string }

/** `openssl asn1parse` of DER, descending into the OCTET STRINGs given by offset (-strparse). */
function asn1Lines(der: Buffer, strparse?: number): Line[] {
  const r = run('openssl', ['asn1parse', '-inform', 'DER', ...(strparse === undefined ? [] : ['-strparse', String(strparse)])], der);
  assert.equal(r.code, 0, r.out);
  return r.out.split('\n').flatMap((l) => {
    const m = /^\s*(\d+):d=(\d+)\s+hl=\d+\s+l=\s*\d+\s+(?:prim|cons):\s+(.*)$/.exec(l);
    if (!m) return [];
    const [kind, ...value] = m[3]!.split(':');
    return [{ offset: Number(m[1]), depth: Number(m[2]), kind: kind!.replace('[HEX DUMP]', '').trim(), value: value.join(':').trim() }];
  });
}

/** Every algorithm OID in the dump, with what follows it inside its AlgorithmIdentifier. */
function algorithmFindings(lines: Line[]): { rsa: number; ecdsa: number; digest: number; problems: string[] } {
  const found = { rsa: 0, ecdsa: 0, digest: 0, problems: [] as string[] };
  lines.forEach((l, i) => {
    if (l.kind !== 'OBJECT') return;
    const next = lines[i + 1];
    const sibling = next && next.depth === l.depth ? next : undefined;
    if (RSA_OIDS.includes(l.value)) {
      found.rsa++;
      if (sibling?.kind !== 'NULL') found.problems.push(`${l.value} without NULL parameters`);
    } else if (ECDSA_OIDS.includes(l.value)) {
      found.ecdsa++;
      if (sibling) found.problems.push(`${l.value} followed by ${sibling.kind}`);
    } else if (DIGEST_OIDS.includes(l.value)) {
      found.digest++;
      if (sibling && sibling.kind !== 'OCTET STRING') found.problems.push(`${l.value} followed by ${sibling.kind}`);
    }
  });
  return found;
}

/** The TBS signature field and the outer signatureAlgorithm, as the bytes that were written. */
function signatureFields(der: Uint8Array): [string, string] {
  const root = parseDer(der);
  const tbs = root.kids[0]!;
  const inner = tbs.kids[0]!.cls === 2 ? tbs.kids[2]! : tbs.kids[1]!; // certificates have [0] version first
  return [Buffer.from(inner.raw).toString('hex'), Buffer.from(root.kids[1]!.raw).toString('hex')];
}

for (const algorithm of ['rsa-2048', 'p-256'] as KeyAlgorithm[]) {
  const rsa = algorithm.startsWith('rsa');
  describe(`CA output with a ${algorithm} CA — AlgorithmIdentifier parameters and RFC 5280 profile, judged by OpenSSL`, function () {
    this.timeout(180_000);
    let db: Sequelize;
    let kek: Kek;
    const dir = mkdtempSync(path.join(os.tmpdir(), `ca-profile-${algorithm}-`));
    const f = (name: string) => path.join(dir, name);
    const pkiUrl = 'http://ca.bacninh.gov.vn/pki';
    let rootDer: Buffer;
    let issuingDer: Buffer;
    let leafDer: Buffer;

    before(async () => {
      ({ db } = await freshDatabase(allMigrations()));
      kek = loadKek(dir, {});
      await initCa(db, kek, { organization: 'UBND tỉnh Bắc Ninh', province: 'Bắc Ninh', algorithm, pkiUrl, actor: 'test' });
      const chain = await caChain(db, await activeIssuingCa(db));
      issuingDer = toDer(chain[0]!);
      rootDer = toDer(chain[1]!);
      writeFileSync(f('root.pem'), pem('CERTIFICATE', rootDer));
      writeFileSync(f('issuing.pem'), pem('CERTIFICATE', issuingDer));
      writeFileSync(f('chain.pem'), pem('CERTIFICATE', issuingDer) + pem('CERTIFICATE', rootDer));
      const profile = getProfile('individual');
      const subject = parseSubject({ commonName: 'Nguyễn Thị Hương', organization: 'Sở Tư pháp', email: 'huong@stp.bacninh.gov.vn', cccd: '027190001234' }, profile);
      const issued = await issueCertificate(db, kek, { profile, subject, key: { kind: 'p12', password: 'x', algorithm }, pkiUrl, actor: 'test' });
      leafDer = toDer(issued.certificate);
      writeFileSync(f('leaf.pem'), issued.certificatePem);
      writeFileSync(f('leaf.key.p12'), issued.p12!);
    });
    after(async () => {
      await db?.close();
      if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
    });

    const expectAlgorithms = (what: string, found: ReturnType<typeof algorithmFindings>) => {
      assert.deepEqual(found.problems, [], what);
      assert.ok(rsa ? found.rsa > 0 : found.ecdsa > 0, `${what}: no ${rsa ? 'RSA' : 'ECDSA'} signature algorithm found`);
    };

    it('root, issuing CA and leaf: NULL after the RSA OIDs, nothing after ECDSA, the same identifier inside and outside the TBS; openssl verify -x509_strict', () => {
      for (const [name, der] of [['root', rootDer], ['issuing', issuingDer], ['leaf', leafDer]] as const) {
        expectAlgorithms(name, algorithmFindings(asn1Lines(der)));
        const [inner, outer] = signatureFields(der);
        assert.equal(inner, outer, `${name}: TBS signature and signatureAlgorithm differ`);
        assert.equal(inner, rsa ? '300d06092a864886f70d01010b0500' : '300a06082a8648ce3d040302', `${name}: signature AlgorithmIdentifier`);
      }
      const v = run('openssl', ['verify', '-x509_strict', '-CAfile', f('root.pem'), '-untrusted', f('issuing.pem'), f('leaf.pem')]);
      assert.equal(v.code, 0, v.out);
      assert.match(v.out, /leaf\.pem: OK/);
    });

    it('every certificate kind we issue passes openssl x509 -text and openssl verify -x509_strict against our root', async () => {
      const kinds: Array<[string, Record<string, unknown>]> = [
        ['individual', { commonName: 'Trần Văn An', organization: 'Sở Tư pháp', email: 'an@stp.bacninh.gov.vn', cccd: '027190004321' }],
        ['organisation', { commonName: 'Sở Tư pháp', organization: 'Sở Tư pháp', email: 'vanthu@stp.bacninh.gov.vn', mns: '1012345' }],
        ['device', { commonName: 'mail.bacninh.gov.vn', dnsNames: ['mail.bacninh.gov.vn'] }],
        ['tsa', { commonName: 'Bắc Ninh TSA', organization: 'UBND tỉnh Bắc Ninh' }],
        ['ocsp', { commonName: 'OCSP Bắc Ninh', organization: 'UBND tỉnh Bắc Ninh' }],
      ];
      const purposes: Record<string, string> = { individual: 'smimesign', organisation: 'smimesign', device: 'sslserver', tsa: 'timestampsign', ocsp: 'any' };
      const ders: Array<[string, Buffer]> = [];
      for (const [name, raw] of kinds) {
        const profile = getProfile(name);
        const issued = await issueCertificate(db, kek, { profile, subject: parseSubject(raw, profile), key: { kind: 'p12', password: 'x', algorithm }, pkiUrl, actor: 'test' });
        ders.push([name, toDer(issued.certificate)]);
      }
      const issuing = (await listCas(db)).find((c) => c.role === 'issuing')!;
      ders.push(['ocsp-signer', toDer((await ensureOcspSigner(db, kek, issuing, pkiUrl)).cert)]);
      for (const [name, der] of ders) {
        const file = f(`${name}.pem`);
        writeFileSync(file, pem('CERTIFICATE', der));
        const text = run('openssl', ['x509', '-noout', '-text', '-in', file]);
        assert.equal(text.code, 0, `${name}: ${text.out}`);
        assert.match(text.out, /X509v3 Authority Key Identifier/, name);
        assert.match(text.out, /X509v3 Subject Key Identifier/, name);
        expectAlgorithms(name, algorithmFindings(asn1Lines(der)));
        const purpose = purposes[name] ?? 'any';
        const v = run('openssl', ['verify', '-x509_strict', '-purpose', purpose, '-CAfile', f('root.pem'), '-untrusted', f('issuing.pem'), file]);
        assert.equal(v.code, 0, `${name}: ${v.out}`);
      }
      for (const [name, der] of [['root', rootDer], ['issuing', issuingDer]] as const) {
        const file = f(`${name}.pem`);
        const v = run('openssl', ['verify', '-x509_strict', '-CAfile', f('root.pem'), file]);
        assert.equal(v.code, 0, `${name}: ${v.out}`);
        expectAlgorithms(name, algorithmFindings(asn1Lines(der)));
      }
    });

    it('CRL: NULL after the RSA OID (nothing after ECDSA), the same identifier twice, and openssl crl -verify accepts it', async () => {
      const issuing = (await listCas(db)).find((c) => c.role === 'issuing')!;
      const crl = await publishCrl(db, kek, issuing);
      expectAlgorithms('CRL', algorithmFindings(asn1Lines(crl)));
      const [inner, outer] = signatureFields(crl);
      assert.equal(inner, outer, 'CRL: TBS signature and signatureAlgorithm differ');
      writeFileSync(f('issuing.crl'), crl);
      const v = run('openssl', ['crl', '-inform', 'DER', '-in', f('issuing.crl'), '-CAfile', f('chain.pem'), '-noout']);
      assert.equal(v.code, 0, v.out);
      assert.match(v.out, /verify OK/);
    });

    it('OCSP response: the embedded signer certificate follows the rules, and openssl ocsp verifies the answer', async () => {
      const req = run('openssl', ['ocsp', '-issuer', f('issuing.pem'), '-cert', f('leaf.pem'), '-no_nonce', '-reqout', f('req.der')]);
      assert.equal(req.code, 0, req.out);
      const response = await new OcspResponder(db, kek, pkiUrl).respond(readFileSync(f('req.der')));
      writeFileSync(f('resp.der'), response);
      // responseBytes.response is an OCTET STRING holding the BasicOCSPResponse: asn1parse must descend into it.
      const outer = asn1Lines(response);
      const basic = outer.find((l) => l.kind === 'OCTET STRING')!;
      const found = algorithmFindings(asn1Lines(response, basic.offset));
      assert.deepEqual(found.problems, []);
      assert.ok(found.ecdsa > 0, 'the OCSP signer signs with P-256');
      if (rsa) assert.ok(found.rsa > 0, 'the signer certificate in the answer is signed by the RSA CA');
      const v = run('openssl', ['ocsp', '-respin', f('resp.der'), '-issuer', f('issuing.pem'), '-cert', f('leaf.pem'), '-CAfile', f('chain.pem'), '-no_nonce']);
      assert.equal(v.code, 0, v.out);
      assert.match(v.out, /Response verify OK/);
      assert.match(v.out, /leaf\.pem: good/);
    });

    it('TSA token and CMS signature: algorithm identifiers as openssl writes them; openssl ts -verify and openssl cms -verify accept them', async () => {
      const data = Buffer.from('Công văn số 12/UBND-VP');
      const digest = createHash('sha256').update(data).digest();
      const token = await new TimeStampAuthority(db, kek, { pkiUrl }).stamp(digest, 'sha256');
      writeFileSync(f('token.der'), token);
      const tokenFound = algorithmFindings(asn1Lines(token));
      expectAlgorithms('TSA token', tokenFound);
      assert.ok(tokenFound.digest > 0, 'TSA token: digest algorithms present');
      const v = run('openssl', ['ts', '-verify', '-digest', digest.toString('hex'), '-in', f('token.der'), '-token_in', '-CAfile', f('chain.pem')]);
      assert.equal(v.code, 0, v.out);
      assert.match(v.out, /Verification: OK/);

      const keyPem = run('openssl', ['pkcs12', '-in', f('leaf.key.p12'), '-passin', 'pass:x', '-nodes', '-nocerts']);
      assert.equal(keyPem.code, 0, keyPem.out);
      const cms = Buffer.from(await signCms({ content: data, certificate: certificateFromDer(leafDer), privateKey: createPrivateKey(keyPem.stdout.toString()), chain: [] }));
      writeFileSync(f('sig.der'), cms);
      writeFileSync(f('data.txt'), data);
      expectAlgorithms('CMS', algorithmFindings(asn1Lines(cms)));
      const c = run('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', f('sig.der'), '-content', f('data.txt'), '-CAfile', f('chain.pem'), '-purpose', 'any', '-out', '/dev/null']);
      assert.equal(c.code, 0, c.out);
      assert.match(c.out, /Verification successful/);
    });
  });
}
