import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeInt, encodeSequence, encodeTlv, parseDer } from '../../signer/pathvalidation/der.js';
import { generalizedTimeMs, oidDer } from '../../signer/tsa/asn1.js';
import { TsaRequestError, encodeTimeStampReq, parseTimeStampReq, randomNonce } from '../../signer/tsa/request.js';
import { FAILURE_BITS, parseTimeStampResp, rejectionResponse, type FailureName } from '../../signer/tsa/response.js';
import { encodeTstInfo, parseTstInfo } from '../../signer/tsa/tstinfo.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tsa-der-'));
const f = (name: string) => path.join(dir, name);
const openssl = (args: string[]) => {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
};
const refusal = (der: Uint8Array): string => {
  try {
    parseTimeStampReq(der);
  } catch (e) {
    if (e instanceof TsaRequestError) return e.failure;
    throw e;
  }
  return 'accepted';
};
const SHA256 = encodeSequence(oidDer('2.16.840.1.101.3.4.2.1'));
const v1 = encodeTlv(0x02, Uint8Array.of(1));

describe('TSA — RFC 3161 DER (requests, TSTInfo, rejections) against openssl', () => {
  writeFileSync(f('data.txt'), 'Quyết định số 45/QĐ-UBND\n');

  it('reads an openssl query: hash, digest, policy, nonce, certReq', () => {
    assert.equal(openssl(['ts', '-query', '-data', f('data.txt'), '-sha384', '-cert', '-tspolicy', '1.3.6.1.4.1.32473.704.2.5', '-out', f('q.tsq')]).code, 0);
    const text = openssl(['ts', '-query', '-in', f('q.tsq'), '-text']).out;
    const req = parseTimeStampReq(readFileSync(f('q.tsq')));
    assert.equal(req.hash, 'sha384');
    assert.equal(req.digest.toString('hex'), createHash('sha384').update(readFileSync(f('data.txt'))).digest('hex'));
    assert.equal(req.policy, '1.3.6.1.4.1.32473.704.2.5');
    assert.equal(req.certReq, true);
    assert.equal(decodeInt(parseDer(req.nonceDer!)), BigInt(text.match(/Nonce: (0x[0-9A-F]+)/)![1]!), 'the nonce, compared as a number (openssl prints whole bytes)');
    assert.equal(openssl(['ts', '-query', '-data', f('data.txt'), '-sha256', '-no_nonce', '-out', f('plain.tsq')]).code, 0);
    const plain = parseTimeStampReq(readFileSync(f('plain.tsq')));
    assert.equal(plain.certReq, false);
    assert.equal(plain.nonceDer, undefined);
  });

  it('writes a query openssl reads back with the same digest, policy and nonce', () => {
    const digest = createHash('sha512').update('x').digest();
    const nonce = randomNonce();
    writeFileSync(f('ours.tsq'), encodeTimeStampReq({ hash: 'sha512', digest, policy: '1.2.3.4.5', nonce, certReq: true }));
    const text = openssl(['ts', '-query', '-in', f('ours.tsq'), '-text']);
    assert.equal(text.code, 0, text.out);
    assert.match(text.out, /Hash Algorithm: sha512/);
    assert.match(text.out, /Policy OID: 1\.2\.3\.4\.5/);
    assert.match(text.out, /Certificate required: yes/);
    // openssl prints whole bytes (0x0B…), so compare the numbers, not the strings.
    assert.equal(BigInt(`0x${text.out.match(/Nonce: 0x([0-9A-F]+)/)![1]}`), BigInt(`0x${nonce.toString('hex')}`));
    const hexDump = [...text.out.matchAll(/^\s+\d{4} - (.*?)\s{2,}/gm)].map((m) => m[1]!.replace(/[-\s]/g, '')).join('');
    assert.equal(hexDump, digest.toString('hex'));
  });

  it('refuses with the failure RFC 3161 names: version, extensions, digest length, parameters, stray fields, garbage', () => {
    const digest = createHash('sha256').update('x').digest();
    const imprint = encodeSequence(SHA256, encodeTlv(0x04, digest));
    assert.equal(refusal(encodeSequence(v1, imprint)), 'accepted');
    assert.equal(refusal(encodeSequence(encodeTlv(0x02, Uint8Array.of(2)), imprint)), 'badRequest');
    assert.equal(refusal(encodeSequence(v1, imprint, encodeTlv(0xa0, encodeSequence()))), 'unacceptedExtension');
    assert.equal(refusal(encodeSequence(v1, encodeSequence(SHA256, encodeTlv(0x04, digest.subarray(1))))), 'badDataFormat');
    const withParams = encodeSequence(oidDer('2.16.840.1.101.3.4.2.1'), encodeTlv(0x04, Uint8Array.of(1)));
    assert.equal(refusal(encodeSequence(v1, encodeSequence(withParams, encodeTlv(0x04, digest)))), 'badAlg');
    const withNull = encodeSequence(oidDer('2.16.840.1.101.3.4.2.1'), Uint8Array.of(5, 0));
    assert.equal(refusal(encodeSequence(v1, encodeSequence(withNull, encodeTlv(0x04, digest)))), 'accepted');
    assert.equal(refusal(encodeSequence(v1, imprint, encodeTlv(0x0c, Buffer.from('?')))), 'badDataFormat');
    assert.equal(refusal(encodeSequence(v1, imprint, encodeTlv(0x02, Buffer.alloc(40, 1)))), 'badRequest', 'an oversized nonce');
    assert.equal(refusal(Buffer.from('30ff', 'hex')), 'badDataFormat');
  });

  it('genTime: GeneralizedTime with milliseconds, trailing zeros dropped', () => {
    const text = (iso: string) => Buffer.from(generalizedTimeMs(new Date(iso)).subarray(2)).toString();
    assert.equal(text('2026-01-02T03:04:05.120Z'), '20260102030405.12Z');
    assert.equal(text('2026-01-02T03:04:05.007Z'), '20260102030405.007Z');
    assert.equal(text('2026-01-02T03:04:05.000Z'), '20260102030405Z');
  });

  it('TSTInfo: what is written reads back, accuracy of 1.5 s as seconds 1 and millis [0] 500', () => {
    const digest = createHash('sha256').update('y').digest();
    const nonceDer = encodeTlv(0x02, Buffer.from('0102030405060708', 'hex'));
    const der = encodeTstInfo({ policy: '1.3.6.1.4.1.32473.704.2.5', imprintDer: encodeSequence(SHA256, encodeTlv(0x04, digest)), serial: Buffer.from('00ff01', 'hex'), genTime: new Date('2026-03-04T05:06:07.890Z'), accuracyMs: 1500, nonceDer });
    const info = parseTstInfo(der);
    assert.equal(info.policy, '1.3.6.1.4.1.32473.704.2.5');
    assert.equal(info.hash, 'sha256');
    assert.ok(info.digest.equals(digest));
    assert.equal(info.serial, 0xff01n);
    assert.equal(info.genTime.toISOString(), '2026-03-04T05:06:07.890Z');
    assert.equal(info.nonce, 0x0102030405060708n);
    const accuracy = parseDer(der).kids[5]!;
    assert.equal(Buffer.from(accuracy.raw).toString('hex'), '3007020101800201f4');
  });

  it('each PKIFailureInfo bit is the one openssl names', () => {
    const expected: Record<FailureName, RegExp> = {
      badAlg: /unrecognized or unsupported algorithm identifier/,
      badRequest: /transaction not permitted or supported/,
      badDataFormat: /the data submitted has the wrong format/,
      timeNotAvailable: /the TSA's time source is not available/,
      unacceptedPolicy: /the requested TSA policy is not supported by the TSA/,
      unacceptedExtension: /the requested extension is not supported by the TSA/,
      addInfoNotAvailable: /the additional information requested could not be understood or is not available/,
      systemFailure: /the request cannot be handled due to system failure/,
    };
    for (const name of Object.keys(FAILURE_BITS) as FailureName[]) {
      const der = rejectionResponse(name, 'lý do', 'reason');
      writeFileSync(f(`${name}.tsr`), der);
      const text = openssl(['ts', '-reply', '-in', f(`${name}.tsr`), '-text']);
      assert.equal(text.code, 0, text.out);
      assert.match(text.out, /Status: Rejected\./);
      assert.match(text.out, expected[name], `${name}: ${text.out}`);
      assert.deepEqual(parseTimeStampResp(der), { status: 2, statusText: ['lý do', 'reason'], failures: [name], token: undefined });
    }
  });
});
