// `govmail cert validate` on hostile and wrong input: a same-named maze is answered (not hung) with
// INDETERMINATE and the limit it hit, --purpose checks the use, and bad input exits 1 with a
// Vietnamese and English message and no stack trace.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { govmail } from '../support/cli.js';
import { CA_EXTS, EKU, LEAF_EXTS, certDer, cn, ext, newKey, rootCa, toPem, type Key } from '../support/pathvalidation-certs.js';

describe('govmail cert validate: budget, purpose and bad input', function () {
  this.timeout(120_000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pv-cli-'));
  const f = (n: string) => path.join(dir, n);
  const root = rootCa('CLI Root');
  const AT = '2026-06-01T00:00:00Z';

  before(() => {
    writeFileSync(f('root.pem'), toPem(root.der));
    // 60 CAs all named "Maze CA", no key identifiers, each signed by the next, none by the root.
    const maze = cn('Maze CA');
    const keys: Key[] = Array.from({ length: 60 }, () => newKey());
    const stray = newKey();
    const cas = keys.map((key, i) => certDer({ subject: maze, issuer: maze, key, signer: keys[i + 1] ?? stray, exts: CA_EXTS() }));
    writeFileSync(f('maze.pem'), cas.map(toPem).join(''));
    writeFileSync(f('maze-leaf.pem'), toPem(certDer({ subject: cn('Leaf'), issuer: maze, key: newKey(), signer: keys[0]!, exts: LEAF_EXTS })));
    const tls = [ext.basicConstraints(false), ext.keyUsage(0, 2), ext.eku(EKU.serverAuth)];
    writeFileSync(f('tls.pem'), toPem(certDer({ subject: cn('www.hanoi.gov.vn'), issuer: root.name, key: newKey(), signer: root.key, exts: tls })));
    writeFileSync(f('not-a-cert.pem'), 'xin chào\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('answers the 60-CA maze with INDETERMINATE [BUDGET_EXCEEDED] after exactly 100 signature checks', async () => {
    const r = await govmail(['cert', 'validate', f('maze-leaf.pem'), '--trust', f('root.pem'), '--untrusted', f('maze.pem'), '--no-revocation', '--at', AT, '--json']);
    assert.equal(r.code, 1, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.status, 'indeterminate');
    assert.equal(out.code, 'BUDGET_EXCEEDED');
    assert.equal(out.signatureChecks, 100);
    assert.match(out.messageVi, /giới hạn kiểm tra/);
  });

  it('--purpose: a TLS certificate is valid for tls and any, not for document or smime', async () => {
    const run = (purpose: string) => govmail(['cert', 'validate', f('tls.pem'), '--trust', f('root.pem'), '--no-revocation', '--at', AT, '--purpose', purpose]);
    assert.equal((await run('tls')).code, 0);
    assert.equal((await run('any')).code, 0);
    for (const p of ['document', 'smime']) {
      const r = await run(p);
      assert.equal(r.code, 1);
      assert.match(r.stdout, /KHÔNG HỢP LỆ \/ INVALID \[PURPOSE\]/);
      assert.match(r.stdout, /extendedKeyUsage \(1\.3\.6\.1\.5\.5\.7\.3\.1\)/);
    }
  });

  it('an unknown --purpose and a file that is not a certificate exit 1 with a message in both languages, no stack trace', async () => {
    const bad = await govmail(['cert', 'validate', f('tls.pem'), '--trust', f('root.pem'), '--purpose', 'email']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--purpose/);
    assert.match(bad.stderr, /một trong smime, document, tls, any/);
    assert.match(bad.stderr, /one of smime, document, tls, any/);
    assert.doesNotMatch(bad.stderr, /\n\s+at /);
    const junk = await govmail(['cert', 'validate', f('not-a-cert.pem'), '--trust', f('root.pem')]);
    assert.equal(junk.code, 1);
    assert.match(junk.stderr, /^Lỗi \/ Error: /);
    assert.doesNotMatch(junk.stderr, /\n\s+at /);
  });
});
