// Path building with a budget: same-named mazes without key identifiers, loops, depth and time
// limits. The answers and the number of signature checks are asserted, never the time taken.
import assert from 'node:assert/strict';
import { validatePath } from '../../signer/pathvalidation/index.js';
import { CA_EXTS, LEAF_EXTS, certDer, cn, newKey, opensslVerify, parse, rootCa, type Key } from '../support/pathvalidation-certs.js';

const AT = new Date('2026-06-01T00:00:00Z');
const MAZE = cn('Maze CA');

/** `count` certificates named "Maze CA", issued by "Maze CA", no key identifiers. */
function sameNameCas(count: number, signedBy: (i: number, keys: Key[]) => Key): { ders: Buffer[]; keys: Key[] } {
  const keys = Array.from({ length: count }, () => newKey());
  const ders = keys.map((key, i) => certDer({ subject: MAZE, issuer: MAZE, key, signer: signedBy(i, keys), exts: CA_EXTS() }));
  return { ders, keys };
}

const leafUnder = (signer: Key) => certDer({ subject: cn('Leaf'), issuer: MAZE, key: newKey(), signer, exts: LEAF_EXTS });

const opensslVerdict = (root: Buffer, untrusted: Buffer[], leaf: Buffer) => opensslVerify({ anchor: root, untrusted, leaf, at: AT });

describe('path validation budget', function () {
  this.timeout(20_000);
  const root = rootCa('Maze Root');

  it('a chain of 40 same-named CAs that never reaches the anchor stops at 100 signature checks: INDETERMINATE', async () => {
    // Each CA is signed by the next one; the last by a key nobody has. Without memoised,
    // signature-first building this is a search over permutations of 40 certificates.
    const stray = newKey();
    const { ders, keys } = sameNameCas(40, (i, k) => (i + 1 < k.length ? k[i + 1]! : stray));
    const leaf = leafUnder(keys[0]!);
    const r = await validatePath({ leaf: parse(leaf), trustAnchors: [parse(root.der)], untrusted: ders.map(parse), at: AT, checkRevocation: false });
    assert.equal(r.status, 'indeterminate');
    assert.equal(r.code, 'BUDGET_EXCEEDED');
    assert.equal(r.signatureChecks, 100);
    assert.match(r.message, /more than 100 certificate signature checks/);
    assert.match(r.messageVi, /hơn 100 chữ ký/);
    assert.notEqual(opensslVerdict(root.der, ders, leaf), 'OK');
  });

  it('dozens of same-named CAs none of which signed the leaf: invalid after one check per candidate', async () => {
    const { ders } = sameNameCas(30, () => newKey());
    const leaf = leafUnder(newKey());
    const r = await validatePath({ leaf: parse(leaf), trustAnchors: [parse(root.der)], untrusted: ders.map(parse), at: AT, checkRevocation: false });
    assert.equal(r.status, 'invalid');
    assert.equal(r.code, 'SIGNATURE_INVALID');
    assert.equal(r.signatureChecks, 30);
    assert.notEqual(opensslVerdict(root.der, ders, leaf), 'OK');
  });

  it('finds the one real path of three same-named CAs hidden behind 24 decoys, each pair checked once', async () => {
    // Root -> A1 -> A2 -> A3 -> leaf, every CA named "Maze CA"; the decoys come first in the pool.
    const [k1, k2, k3] = [newKey(), newKey(), newKey()];
    const a1 = certDer({ subject: MAZE, issuer: root.name, key: k1, signer: root.key, exts: CA_EXTS() });
    const a2 = certDer({ subject: MAZE, issuer: MAZE, key: k2, signer: k1, exts: CA_EXTS() });
    const a3 = certDer({ subject: MAZE, issuer: MAZE, key: k3, signer: k2, exts: CA_EXTS() });
    const { ders: decoys } = sameNameCas(24, () => newKey());
    const leaf = leafUnder(k3);
    const pool = [...decoys, a3, a2, a1];
    const r = await validatePath({ leaf: parse(leaf), trustAnchors: [parse(root.der)], untrusted: pool.map(parse), at: AT, checkRevocation: false });
    assert.equal(r.status, 'valid', r.message);
    assert.equal(r.path.length, 5);
    // leaf, A3 and A2 each try the 24 decoys before the real issuer (25 checks), A1 the anchor (1);
    // re-checking the found path in the §6.1 state machine costs nothing more.
    assert.equal(r.signatureChecks, 3 * 25 + 1);
    // Deliberate difference (signer/README.md): OpenSSL takes the first same-named decoy, sees a
    // self-issued certificate without key identifiers as self-signed, and stops there.
    assert.match(opensslVerdict(root.der, pool, leaf), /^error 19 at 1 depth lookup: self-signed certificate in certificate chain/);
  });

  it('two CAs that cross-sign each other form no loop: answered after two checks', async () => {
    const [kx, ky] = [newKey(), newKey()];
    const x = certDer({ subject: cn('X CA'), issuer: cn('Y CA'), key: kx, signer: ky, exts: CA_EXTS() });
    const y = certDer({ subject: cn('Y CA'), issuer: cn('X CA'), key: ky, signer: kx, exts: CA_EXTS() });
    const leaf = certDer({ subject: cn('Leaf'), issuer: cn('X CA'), key: newKey(), signer: kx, exts: LEAF_EXTS });
    const r = await validatePath({ leaf: parse(leaf), trustAnchors: [parse(root.der)], untrusted: [x, y].map(parse), at: AT, checkRevocation: false });
    assert.equal(r.status, 'invalid');
    assert.equal(r.code, 'NO_PATH');
    assert.equal(r.signatureChecks, 2);
  });

  it('a path of 11 intermediates exceeds the depth limit of 10: INDETERMINATE naming the limit', async () => {
    let signer = root;
    const ders: Buffer[] = [];
    for (let i = 0; i < 11; i++) {
      const key = newKey();
      const name = cn(`Level ${i}`);
      ders.push(certDer({ subject: name, issuer: signer.name, key, signer: signer.key, exts: CA_EXTS() }));
      signer = { der: ders[i]!, key, name };
    }
    const leaf = certDer({ subject: cn('Leaf'), issuer: signer.name, key: newKey(), signer: signer.key, exts: LEAF_EXTS });
    const input = { leaf: parse(leaf), trustAnchors: [parse(root.der)], untrusted: ders.map(parse), at: AT, checkRevocation: false };
    const r = await validatePath(input);
    assert.equal(r.code, 'BUDGET_EXCEEDED');
    assert.equal(r.status, 'indeterminate');
    assert.match(r.message, /more than 10 intermediate/);
    const deeper = await validatePath({ ...input, limits: { maxDepth: 11 } });
    assert.equal(deeper.status, 'valid', deeper.message);
  });

  it('a spent wall-clock budget answers INDETERMINATE at once, with the limit in both languages', async () => {
    const { ders, keys } = sameNameCas(3, () => newKey());
    const r = await validatePath({ leaf: parse(leafUnder(keys[0]!)), trustAnchors: [parse(root.der)], untrusted: ders.map(parse), at: AT, checkRevocation: false, limits: { timeMs: 0 } });
    assert.equal(r.code, 'BUDGET_EXCEEDED');
    assert.match(r.message, /time limit of 0 ms/);
    assert.match(r.messageVi, /hết thời gian cho phép 0 ms/);
    assert.equal(r.signatureChecks, 0);
  });
});
