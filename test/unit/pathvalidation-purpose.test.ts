// Purposes through the real verification functions: a .p7s (document), an S/MIME mail (smime) and a
// signed PDF are checked by validateSignatures with the certificate purpose of their kind, so a
// TLS-only certificate does not verify a signed document and a document-only one does not sign mail.
import assert from 'node:assert/strict';
import * as pkijs from 'pkijs';
import { signCms } from '../../signer/cms/index.js';
import { signSmime } from '../../signer/cms/smime.js';
import { validatePath } from '../../signer/pathvalidation/index.js';
import { validateSignatures } from '../../signer/validation/index.js';
import type { TrustMaterial } from '../../signer/trust.js';
import { EKU, cn, certDer, crlDer, ext, newKey, parse, rootCa, type Ext } from '../support/pathvalidation-certs.js';


const NOW = new Date('2026-06-01T00:00:00Z');
const CONTENT = new TextEncoder().encode('Công văn số 123/UBND-VP\n');

describe('certificate purposes in signature verification', function () {
  this.timeout(30_000);
  const root = rootCa('Purpose Root');
  const trust: TrustMaterial = {
    anchors: [parse(root.der)],
    intermediates: [],
    crls: [pkijs.CertificateRevocationList.fromBER(new Uint8Array(crlDer({ issuer: root.name, signer: root.key })))],
  };

  function holder(label: string, exts: Ext[]) {
    const key = newKey();
    const cert = parse(certDer({ subject: cn(label), issuer: root.name, key, signer: root.key, exts: [ext.basicConstraints(false), ...exts] }));
    return { cert, key: key.privateKey };
  }
  const tlsOnly = holder('www.hanoi.gov.vn', [ext.keyUsage(0, 2), ext.eku(EKU.serverAuth)]);
  const documents = holder('Văn thư UBND', [ext.keyUsage(0, 1), ext.eku(EKU.documentSigning)]);
  const mail = holder('Nguyễn Văn A', [ext.keyUsage(0, 1), ext.eku(EKU.emailProtection, EKU.clientAuth)]);
  const encipherOnly = holder('Nguyễn Văn B', [ext.keyUsage(2), ext.eku(EKU.emailProtection)]);

  async function p7sIndication(h: { cert: pkijs.Certificate; key: CryptoKey | import('node:crypto').KeyObject }) {
    const p7s = await signCms({ content: CONTENT, detached: true, certificate: h.cert, privateKey: h.key, chain: [] });
    const report = await validateSignatures(p7s, { trust, data: CONTENT, fileName: 'cv.p7s', now: NOW });
    return report.signatures[0]!;
  }

  async function smimeIndication(h: { cert: pkijs.Certificate; key: import('node:crypto').KeyObject }) {
    const signed = await signSmime({ mime: 'Content-Type: text/plain; charset=utf-8\r\n\r\nXin chào\r\n', certificate: h.cert, privateKey: h.key, chain: [] });
    const message = `From: a@hanoi.gov.vn\r\nTo: b@hanoi.gov.vn\r\nSubject: test\r\nMIME-Version: 1.0\r\n${signed}`;
    const report = await validateSignatures(new TextEncoder().encode(message), { trust, fileName: 'mail.eml', now: NOW });
    return report.signatures[0]!;
  }

  it('a .p7s made with a document-signing certificate passes', async () => {
    const s = await p7sIndication(documents);
    assert.equal(s.indication, 'TOTAL-PASSED', s.summary.en);
  });

  it('a .p7s made with a TLS-only certificate does not pass: the purpose is named', async () => {
    const s = await p7sIndication(tlsOnly);
    assert.notEqual(s.indication, 'TOTAL-PASSED');
    assert.equal(s.subIndication, 'CHAIN_CONSTRAINTS_FAILURE');
    assert.match(s.summary.en, /not allowed for document signing/);
    assert.match(s.summary.vi, /không được dùng cho ký văn bản điện tử/);
  });

  it('an S/MIME mail passes with an emailProtection certificate, not with a document-only or TLS-only one', async () => {
    assert.equal((await smimeIndication(mail)).indication, 'TOTAL-PASSED');
    const doc = await smimeIndication(documents);
    assert.notEqual(doc.indication, 'TOTAL-PASSED');
    assert.match(doc.summary.en, /not allowed for S\/MIME signing/);
    assert.notEqual((await smimeIndication(tlsOnly)).indication, 'TOTAL-PASSED');
  });

  it('keyUsage counts too: an emailProtection certificate that may only encipher does not sign mail', async () => {
    const r = await validatePath({ leaf: encipherOnly.cert, trustAnchors: trust.anchors, at: NOW, checkRevocation: false, purpose: 'smime' });
    assert.equal(r.code, 'PURPOSE');
    assert.match(r.message, /keyUsage has none of the bits/);
    const any = await validatePath({ leaf: encipherOnly.cert, trustAnchors: trust.anchors, at: NOW, checkRevocation: false });
    assert.equal(any.status, 'valid', 'purpose any checks no key usage');
  });
});
