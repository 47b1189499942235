// /verify limits what a signature may bring: more than 50 certificates (or 50 CRLs/OCSP answers) is
// a 400 naming the limit in both languages; a same-named maze within the limit is answered, by the
// path validator's budget, as not valid.
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import type { Sequelize } from 'sequelize';
import type { Kek } from '../../core/kek.js';
import { signCms } from '../../signer/cms/index.js';
import type { TrustMaterial } from '../../signer/trust.js';
import { verifyRoutes } from '../../signer/validation/index.js';
import { CA_EXTS, EKU, certDer, cn, ext, newKey, parse, rootCa, type Key } from '../support/pathvalidation-certs.js';

const CONTENT = new TextEncoder().encode('Quyết định số 45/QĐ-UBND\n');

describe('/verify input limits', function () {
  this.timeout(60_000);
  const root = rootCa('Limits Root');
  const trust: TrustMaterial = {
    anchors: [parse(root.der)],
    intermediates: [],
    crls: [],
  };
  const maze = cn('Maze CA');
  const keys: Key[] = Array.from({ length: 51 }, () => newKey());
  const stray = newKey();
  // Each "Maze CA" is signed by the next; none by the root. The signer's certificate is under the first.
  const mazeCas = keys.map((key, i) => parse(certDer({ subject: maze, issuer: maze, key, signer: keys[i + 1] ?? stray, exts: CA_EXTS() })));
  const signerKey = newKey();
  const signer = parse(certDer({ subject: cn('Nguyễn Văn A'), issuer: maze, key: signerKey, signer: keys[0]!, exts: [ext.basicConstraints(false), ext.keyUsage(0, 1), ext.eku(EKU.documentSigning)] }));

  async function post(chainCount: number) {
    const app = Fastify();
    await app.register(verifyRoutes, { db: undefined as unknown as Sequelize, kek: undefined as unknown as Kek, trust: async () => trust });
    const p7s = await signCms({ content: CONTENT, detached: false, certificate: signer, privateKey: signerKey.privateKey, chain: mazeCas.slice(0, chainCount) });
    const res = await app.inject({ method: 'POST', url: '/verify?format=json', payload: Buffer.from(p7s), headers: { 'content-type': 'application/pkcs7-signature' } });
    await app.close();
    return res;
  }

  it('51 certificates in one signature: 400 TOO_MANY_CERTIFICATES, in Vietnamese and English', async () => {
    const res = await post(50); // the signer's own certificate makes 51
    assert.equal(res.statusCode, 400, res.body);
    const body = JSON.parse(res.body);
    assert.equal(body.error, 'TOO_MANY_CERTIFICATES', res.body);
    assert.match(res.body, /at most 50 are accepted per signature/);
    assert.match(res.body, /tối đa 50/);
  });

  it('a maze of 49 same-named CAs (50 certificates) is answered, and not as valid', async () => {
    const res = await post(49);
    assert.equal(res.statusCode, 200, res.body);
    const body = JSON.parse(res.body);
    const sig = body.signatures[0];
    assert.notEqual(sig.indication, 'TOTAL-PASSED');
    assert.equal(sig.indication, 'INDETERMINATE');
    assert.match(sig.summary.en, /within the validation limits: more than 100 certificate signature checks/);
    assert.match(sig.summary.vi, /trong giới hạn kiểm tra/);
  });
});
