// Validation rules of #14 beyond the differential test: CRL numbers decide between CRLs, name
// checks are bounded, profile failures and anchor constraints say what is wrong in both languages.
import assert from 'node:assert/strict';
import * as pkijs from 'pkijs';
import { validatePath } from '../../signer/pathvalidation/index.js';
import { CA_EXTS, LEAF_EXTS, certDer, cn, crlDer, ext, newKey, parse, rootCa } from '../support/pathvalidation-certs.js';

const AT = new Date('2026-06-01T00:00:00Z');
const parseCrl = (der: Buffer) => pkijs.CertificateRevocationList.fromBER(new Uint8Array(der));

describe('path validation rules', function () {
  this.timeout(30_000);
  const root = rootCa('Rules Root');
  const anchors = [parse(root.der)];

  describe('CRL numbers', () => {
    const leaf = parse(certDer({ subject: cn('Leaf'), issuer: root.name, key: newKey(), signer: root.key, serial: 4242n, exts: LEAF_EXTS }));
    const onHold = crlDer({ issuer: root.name, signer: root.key, number: 7n, revoked: [{ serial: 4242n, date: new Date('2026-02-01T00:00:00Z'), reason: 6 }] });
    const released = crlDer({ issuer: root.name, signer: root.key, number: 8n, thisUpdate: new Date('2026-03-01T00:00:00Z') });
    const compromised = crlDer({ issuer: root.name, signer: root.key, number: 9n, thisUpdate: new Date('2026-04-01T00:00:00Z'), revoked: [{ serial: 4242n, date: new Date('2026-03-15T00:00:00Z'), reason: 1 }] });

    it('a hold released in CRL 8 is not read as revoked from CRL 7, whatever order they come in', async () => {
      for (const crls of [[onHold, released], [released, onHold]]) {
        const r = await validatePath({ leaf, trustAnchors: anchors, crls: crls.map(parseCrl), at: AT });
        assert.equal(r.status, 'valid', r.message);
        assert.equal(r.revocation?.[0]?.status, 'good');
      }
    });

    it('the newest CRL listing the certificate decides: revoked for key compromise', async () => {
      const r = await validatePath({ leaf, trustAnchors: anchors, crls: [released, compromised].map(parseCrl), at: AT });
      assert.equal(r.code, 'REVOKED');
      assert.match(r.message, /compromised key/);
    });
  });

  describe('name constraints stay bounded', () => {
    const bases = Array.from({ length: 1000 }, (_, i) => `zone${i}.gov.vn`);
    const ca = newKey();
    const int = certDer({ subject: cn('NC CA'), issuer: root.name, key: ca, signer: root.key, exts: [...CA_EXTS(), ext.nameConstraints({ excludedDns: bases })] });
    const leafWith = (n: number) =>
      parse(certDer({ subject: cn('Leaf'), issuer: cn('NC CA'), key: newKey(), signer: ca, exts: [...LEAF_EXTS, ext.sanDns(Array.from({ length: n }, (_, i) => `host${i}.hanoi.gov.vn`))] }));

    it('1000 SANs under 1000 excluded subtrees (about 10^6 comparisons) are all checked: valid', async () => {
      const r = await validatePath({ leaf: leafWith(1000), trustAnchors: anchors, untrusted: [parse(int)], at: AT, checkRevocation: false });
      assert.equal(r.status, 'valid', r.message);
    });

    it('1100 SANs under the same 1000 (over 2^20 comparisons) are refused before comparing: INDETERMINATE', async () => {
      const r = await validatePath({ leaf: leafWith(1100), trustAnchors: anchors, untrusted: [parse(int)], at: AT, checkRevocation: false });
      assert.equal(r.status, 'indeterminate');
      assert.equal(r.code, 'BUDGET_EXCEEDED');
      assert.match(r.message, /name-constraint comparisons exceeds the fixed limit/);
      assert.match(r.messageVi, /ràng buộc tên vượt quá giới hạn/);
    });
  });

  it('a profile failure names the rule in both languages', async () => {
    const leaf = parse(certDer({ subject: cn('Leaf'), issuer: root.name, key: newKey(), signer: root.key, serial: Buffer.alloc(21, 0x22), exts: LEAF_EXTS }));
    const r = await validatePath({ leaf, trustAnchors: anchors, at: AT, checkRevocation: false });
    assert.equal(r.code, 'PROFILE');
    assert.match(r.message, /serial number is 21 octets long \(at most 20 allowed\)/);
    assert.match(r.messageVi, /số hiệu dài 21 octet \(tối đa 20\)/);
  });

  it("the anchor's name constraints and pathLen bind the path below it", async () => {
    const key = newKey();
    const constrained = rootCa('NC Root', key, [...CA_EXTS(0), ext.nameConstraints({ permittedDns: ['gov.vn'] })]);
    const leafFor = (dns: string) => parse(certDer({ subject: cn('Leaf'), issuer: constrained.name, key: newKey(), signer: key, exts: [...LEAF_EXTS, ext.sanDns([dns])] }));
    const ok = await validatePath({ leaf: leafFor('mail.hanoi.gov.vn'), trustAnchors: [parse(constrained.der)], at: AT, checkRevocation: false });
    assert.equal(ok.status, 'valid', ok.message);
    const outside = await validatePath({ leaf: leafFor('mail.example.com'), trustAnchors: [parse(constrained.der)], at: AT, checkRevocation: false });
    assert.equal(outside.code, 'NAME_CONSTRAINTS');
    assert.match(outside.message, /mail\.example\.com/);
    const ik = newKey();
    const int = parse(certDer({ subject: cn('Sub CA'), issuer: constrained.name, key: ik, signer: key, exts: CA_EXTS() }));
    const deep = parse(certDer({ subject: cn('Leaf'), issuer: cn('Sub CA'), key: newKey(), signer: ik, exts: [...LEAF_EXTS, ext.sanDns(['a.gov.vn'])] }));
    const tooLong = await validatePath({ leaf: deep, trustAnchors: [parse(constrained.der)], untrusted: [int], at: AT, checkRevocation: false });
    assert.equal(tooLong.code, 'PATH_LENGTH');
  });
});
