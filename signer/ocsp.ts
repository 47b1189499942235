import { createHash, webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { Sequelize } from 'sequelize';
import type { Kek } from '../core/kek.js';
import { ensureOcspSigner, listCas, type CaRow } from './ca.js';
import { toSigningKey } from './keys.js';
import { certificateStatus, type CertificateStatus } from './revocation.js';
import { certificateFromDer, keyIdentifier } from './x509.js';

/**
 * RFC 6960 responder. Each of our CAs answers through its delegated OCSP signer; the status comes
 * from PostgreSQL on every request, so a revocation is visible at once on every node.
 */
const OCSP_BASIC = '1.3.6.1.5.5.7.48.1.1';
const OCSP_NONCE = '1.3.6.1.5.5.7.48.1.2';
const HASHES: Record<string, string> = { '1.3.14.3.2.26': 'sha1', '2.16.840.1.101.3.4.2.1': 'sha256', '2.16.840.1.101.3.4.2.2': 'sha384', '2.16.840.1.101.3.4.2.3': 'sha512' };
/** An answer is fresh for an hour; relying parties may cache it that long. */
const NEXT_UPDATE_MS = 3_600_000;
const MAX_REQUESTS = 20;

enum Status { successful = 0, malformedRequest = 1, internalError = 2, unauthorized = 6 }

interface Responder {
  ca: CaRow;
  nameHashes: Map<string, string>;
  keyHashes: Map<string, string>;
  signerCert: pkijs.Certificate;
  signerKey: webcrypto.CryptoKey;
  responderKeyId: Buffer;
}

export class OcspResponder {
  private responders: Responder[] = [];
  private loadedAt = 0;

  constructor(private readonly db: Sequelize, private readonly kek: Kek, private readonly pkiUrl: string) {}

  /** Our CAs and their signers change rarely: reload them every minute, not per request. */
  private async load(): Promise<Responder[]> {
    if (Date.now() - this.loadedAt < 60_000 && this.responders.length) return this.responders;
    const out: Responder[] = [];
    for (const ca of await listCas(this.db)) {
      if (!ca.cert_der || !ca.key_sealed || ca.status !== 'active') continue;
      const cert = certificateFromDer(ca.cert_der);
      const signer = await ensureOcspSigner(this.db, this.kek, ca, this.pkiUrl);
      const name = Buffer.from(cert.subject.toSchema().toBER(false));
      const key = Buffer.from(cert.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView);
      const hashes = (data: Buffer) => new Map(Object.values(HASHES).map((h) => [h, createHash(h).update(data).digest('hex')]));
      out.push({ ca, nameHashes: hashes(name), keyHashes: hashes(key), signerCert: signer.cert, signerKey: await toSigningKey(signer.key), responderKeyId: keyIdentifier(signer.cert.subjectPublicKeyInfo) });
    }
    this.responders = out;
    this.loadedAt = Date.now();
    return out;
  }

  /** Answers one DER OCSPRequest with a DER OCSPResponse; never throws for bad input. */
  async respond(requestDer: Uint8Array): Promise<Buffer> {
    let request: pkijs.OCSPRequest;
    try {
      request = pkijs.OCSPRequest.fromBER(requestDer);
    } catch {
      return errorResponse(Status.malformedRequest);
    }
    const list = request.tbsRequest.requestList;
    if (!list.length || list.length > MAX_REQUESTS) return errorResponse(Status.malformedRequest);
    try {
      const responders = await this.load();
      let responder: Responder | undefined;
      const answers: { certID: pkijs.CertID; status: CertificateStatus }[] = [];
      for (const { reqCert } of list) {
        const hash = HASHES[reqCert.hashAlgorithm.algorithmId];
        const nameHash = Buffer.from(reqCert.issuerNameHash.valueBlock.valueHexView).toString('hex');
        const keyHash = Buffer.from(reqCert.issuerKeyHash.valueBlock.valueHexView).toString('hex');
        const match = hash ? responders.find((r) => r.nameHashes.get(hash) === nameHash && r.keyHashes.get(hash) === keyHash) : undefined;
        // One response has one signer: every CertID of a request must belong to the same CA.
        if (!match || (responder && match !== responder)) return errorResponse(Status.unauthorized);
        responder = match;
        const serial = Buffer.from(reqCert.serialNumber.valueBlock.valueHexView).toString('hex');
        answers.push({ certID: reqCert, status: await certificateStatus(this.db, match.ca.id, serial) });
      }
      const nonce = request.tbsRequest.requestExtensions?.find((e) => e.extnID === OCSP_NONCE);
      return await signResponse(responder!, answers, nonce);
    } catch {
      return errorResponse(Status.internalError);
    }
  }
}

function errorResponse(status: Status): Buffer {
  return Buffer.from(new pkijs.OCSPResponse({ responseStatus: new asn1js.Enumerated({ value: status }) }).toSchema().toBER(false));
}

function certStatus(s: CertificateStatus): asn1js.AsnType {
  if (s.status === 'good') return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 }, lenBlockLength: 1 } as any);
  if (s.status === 'unknown') return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 2 }, lenBlockLength: 1 } as any);
  const revokedInfo: asn1js.AsnType[] = [new asn1js.GeneralizedTime({ valueDate: s.revokedAt! })];
  if (s.reason) revokedInfo.push(new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [new asn1js.Enumerated({ value: s.reason })] }));
  return new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 1 }, value: revokedInfo });
}

async function signResponse(r: Responder, answers: { certID: pkijs.CertID; status: CertificateStatus }[], nonce?: pkijs.Extension): Promise<Buffer> {
  const now = new Date();
  const basic = new pkijs.BasicOCSPResponse();
  basic.tbsResponseData.responderID = new asn1js.OctetString({ valueHex: new Uint8Array(r.responderKeyId).buffer });
  basic.tbsResponseData.producedAt = now;
  basic.tbsResponseData.responses = answers.map(
    (a) => new pkijs.SingleResponse({ certID: a.certID, certStatus: certStatus(a.status), thisUpdate: now, nextUpdate: new Date(now.getTime() + NEXT_UPDATE_MS) }),
  );
  if (nonce) basic.tbsResponseData.responseExtensions = [nonce];
  basic.certs = [r.signerCert];
  await basic.sign(r.signerKey as any, 'SHA-256');
  const response = new pkijs.OCSPResponse({
    responseStatus: new asn1js.Enumerated({ value: Status.successful }),
    responseBytes: new pkijs.ResponseBytes({ responseType: OCSP_BASIC, response: new asn1js.OctetString({ valueHex: basic.toSchema().toBER(false) }) }),
  });
  return Buffer.from(response.toSchema().toBER(false));
}
