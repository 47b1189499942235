// A certificate read from a PKCS#12 keeps the exact bytes of its certBag. The certificates here are
// RSA-signed with the signatureAlgorithm parameters absent (as our CA wrote them before #14): a reader
// that re-encodes them (node-forge) writes a NULL there and the CA signature no longer matches.
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { certificateDer } from '../../signer/cms/attributes.js';
import { loadCertificate, loadPkcs12 } from '../../signer/cms/keys.js';
import { buildPkcs12 } from '../../signer/pkcs12.js';
import { readPkcs12 } from '../../signer/pkcs12-reader.js';
import { pem, toDer } from '../../signer/x509.js';
import { tool } from '../support/interop-tools.js';

const SHA256_RSA = '1.2.840.113549.1.1.11';
const HOLDER = 'Trần Thị Ánh Tuyết';

function name(cn: string): pkijs.RelativeDistinguishedNames {
  return new pkijs.RelativeDistinguishedNames({ typesAndValues: [new pkijs.AttributeTypeAndValue({ type: '2.5.4.3', value: new asn1js.Utf8String({ value: cn }) })] });
}

/** A certificate signed by hand so that nothing decides its encoding but us: no NULL after the OID. */
function certificate(subject: string, issuer: string, key: KeyObject, signer: KeyObject, ca: boolean): Buffer {
  const c = new pkijs.Certificate();
  c.version = 2;
  c.serialNumber = new asn1js.Integer({ value: ca ? 1 : 2 });
  c.signature = new pkijs.AlgorithmIdentifier({ algorithmId: SHA256_RSA });
  c.signatureAlgorithm = new pkijs.AlgorithmIdentifier({ algorithmId: SHA256_RSA });
  c.issuer = name(issuer);
  c.subject = name(subject);
  c.notBefore.value = new Date(Date.now() - 60_000);
  c.notAfter.value = new Date(Date.now() + 86_400_000);
  c.subjectPublicKeyInfo = pkijs.PublicKeyInfo.fromBER(key.export({ type: 'spki', format: 'der' }));
  if (ca) c.extensions = [new pkijs.Extension({ extnID: '2.5.29.19', critical: true, extnValue: new pkijs.BasicConstraints({ cA: true }).toSchema().toBER(false) })];
  c.tbsView = new Uint8Array(c.encodeTBS().toBER(false));
  c.signatureValue = new asn1js.BitString({ valueHex: sign('sha256', c.tbsView, signer) });
  return Buffer.from(c.toSchema().toBER(false));
}

describe('PKCS#12 certificates keep their exact DER (#14)', () => {
  let dir: string;
  let rootDer: Buffer;
  let leafDer: Buffer;
  let leafKey: KeyObject;
  const f = (n: string) => path.join(dir, n);

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'govmail-p12-bytes-'));
    const root = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const leaf = generateKeyPairSync('rsa', { modulusLength: 2048 });
    leafKey = leaf.privateKey;
    rootDer = certificate('Root không NULL', 'Root không NULL', root.publicKey, root.privateKey, true);
    leafDer = certificate(HOLDER, 'Root không NULL', leaf.publicKey, root.privateKey, false);
    writeFileSync(f('root.pem'), pem('CERTIFICATE', rootDer));
    writeFileSync(f('leaf.pem'), pem('CERTIFICATE', leafDer));
    writeFileSync(f('leaf.key'), leafKey.export({ type: 'pkcs8', format: 'pem' }));
    // The fixture is a valid chain by OpenSSL's judgement, so a failure below is ours.
    const v = tool('openssl', ['verify', '-CAfile', f('root.pem'), f('leaf.pem')]);
    assert.match(v.out, /leaf\.pem: OK/, v.out);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const legacy of [false, true]) {
    it(`our ${legacy ? 'legacy' : 'modern'} PKCS#12: the loaded certificate and chain give back the issued bytes`, async () => {
      const p12 = buildPkcs12({ privateKey: leafKey, certificates: [leafDer, rootDer], password: 'Mật khẩu 1', friendlyName: HOLDER, legacy });
      const id = await loadPkcs12(p12, 'Mật khẩu 1');
      assert.ok(Buffer.from(certificateDer(id.certificate)).equals(leafDer));
      assert.ok(toDer(id.certificate).equals(leafDer));
      assert.equal(id.chain.length, 1);
      assert.ok(toDer(id.chain[0]!).equals(rootDer));
      const bags = readPkcs12(p12, 'Mật khẩu 1');
      assert.equal(bags.keys[0]!.friendlyName, HOLDER);
      assert.equal(bags.certificates[0]!.friendlyName, HOLDER);
      assert.ok(bags.keys[0]!.localKeyId!.equals(bags.certificates[0]!.localKeyId!));
      assert.equal(bags.certificates[1]!.friendlyName, undefined, 'only the holder’s certificate is named');
    });
  }

  it('a PKCS#12 written by openssl pkcs12 -export (PBES2 with encrypted certificates) gives back the same bytes', async () => {
    const r = tool('openssl', ['pkcs12', '-export', '-in', f('leaf.pem'), '-inkey', f('leaf.key'), '-certfile', f('root.pem'), '-name', HOLDER, '-passout', 'pass:Mật khẩu 2', '-out', f('openssl.p12')]);
    assert.equal(r.code, 0, r.out);
    const id = await loadPkcs12(readFileSync(f('openssl.p12')), 'Mật khẩu 2');
    assert.ok(toDer(id.certificate).equals(leafDer));
    assert.ok(toDer(id.chain[0]!).equals(rootDer));
  });

  it('a PEM certificate keeps its bytes through loadCertificate and toDer', () => {
    assert.ok(toDer(loadCertificate(pem('CERTIFICATE', leafDer))).equals(leafDer));
  });

  it('a wrong password and a file that is not PKCS#12 are refused in Vietnamese and English', async () => {
    const p12 = buildPkcs12({ privateKey: leafKey, certificates: [leafDer], password: 'right-one', friendlyName: HOLDER, legacy: true });
    const says = (re: RegExp) => (e: Error & { bilingual?: string }) => re.test(e.bilingual ?? '');
    await assert.rejects(loadPkcs12(p12, 'wrong-one'), says(/^PKCS#12: sai mật khẩu .* \/ PKCS#12: wrong password/));
    await assert.rejects(loadPkcs12(leafDer, 'x'), says(/không phải tệp PKCS#12 .* \/ PKCS#12: not a PKCS#12 PFX/));
  });
});
