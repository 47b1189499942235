import { createHash, sign, type KeyObject } from 'node:crypto';
import type { Sequelize } from 'sequelize';
import type { Kek } from '../core/kek.js';
import { ensureOcspSigner, listCas, type CaRow } from './ca.js';
import { CLS_UNIVERSAL, T, decodeOid, encodeSequence, encodeTlv, hex, isCtx, isUniv, parseDer, type Der } from './pathvalidation/der.js';
import { certificateStatus, type CertificateStatus } from './revocation.js';
import { certificateFromDer, keyIdentifier, toDer } from './x509.js';

/**
 * RFC 6960 responder. Each of our CAs answers through its delegated OCSP signer (P-256); the status
 * comes from PostgreSQL on every request, so a revocation is visible at once on every node.
 * Requests are read and answers written as DER directly: everything constant (signer certificate,
 * responder id, algorithm) is encoded once per signer, so a request costs one query and one signature.
 */
const OCSP_NONCE = '1.3.6.1.5.5.7.48.1.2';
const HASHES: Record<string, string> = { '1.3.14.3.2.26': 'sha1', '2.16.840.1.101.3.4.2.1': 'sha256', '2.16.840.1.101.3.4.2.2': 'sha384', '2.16.840.1.101.3.4.2.3': 'sha512' };
/** id-pkix-ocsp-basic and ecdsa-with-SHA256, DER-encoded. */
const OID_OCSP_BASIC = Buffer.from('06092b0601050507300101', 'hex');
const ALG_ECDSA_SHA256 = Buffer.from('300a06082a8648ce3d040302', 'hex');
/** An answer is fresh for an hour; relying parties may cache it that long. */
const NEXT_UPDATE_MS = 3_600_000;
const MAX_REQUESTS = 20;

enum Status { successful = 0, malformedRequest = 1, internalError = 2, unauthorized = 6 }

interface Responder {
  ca: CaRow;
  nameHashes: Map<string, string>;
  keyHashes: Map<string, string>;
  signerKey: KeyObject;
  /** responderID byKey, [2] EXPLICIT OCTET STRING */
  responderId: Uint8Array;
  /** certs [0] EXPLICIT SEQUENCE OF Certificate: the signer's certificate */
  certsField: Uint8Array;
}

interface CertIdRequest {
  /** the CertID as the client encoded it: echoed unchanged in the answer */
  raw: Uint8Array;
  hash: string | undefined;
  nameHash: string;
  keyHash: string;
  serial: string;
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
      out.push({
        ca,
        nameHashes: hashes(name),
        keyHashes: hashes(key),
        signerKey: signer.key,
        responderId: encodeTlv(0xa2, encodeTlv(0x04, keyIdentifier(signer.cert.subjectPublicKeyInfo))),
        certsField: encodeTlv(0xa0, encodeSequence(toDer(signer.cert))),
      });
    }
    this.responders = out;
    this.loadedAt = Date.now();
    return out;
  }

  /** Answers one DER OCSPRequest with a DER OCSPResponse; never throws for bad input. */
  async respond(requestDer: Uint8Array): Promise<Buffer> {
    let request: { certIds: CertIdRequest[]; nonce?: Uint8Array };
    try {
      request = parseRequest(requestDer);
    } catch {
      return errorResponse(Status.malformedRequest);
    }
    if (!request.certIds.length || request.certIds.length > MAX_REQUESTS) return errorResponse(Status.malformedRequest);
    try {
      const responders = await this.load();
      let responder: Responder | undefined;
      const answers: { certId: Uint8Array; status: CertificateStatus }[] = [];
      for (const id of request.certIds) {
        const match = id.hash ? responders.find((r) => r.nameHashes.get(id.hash!) === id.nameHash && r.keyHashes.get(id.hash!) === id.keyHash) : undefined;
        // One response has one signer: every CertID of a request must belong to the same CA.
        if (!match || (responder && match !== responder)) return errorResponse(Status.unauthorized);
        responder = match;
        answers.push({ certId: id.raw, status: await certificateStatus(this.db, match.ca.id, id.serial) });
      }
      return signResponse(responder!, answers, request.nonce);
    } catch {
      return errorResponse(Status.internalError);
    }
  }
}

function expect(n: Der | undefined, tag: number): Der {
  if (!n || n.cls !== CLS_UNIVERSAL || n.tag !== tag) throw new Error('unexpected OCSP request structure');
  return n;
}

/** OCSPRequest → the CertIDs asked about and the nonce extension (raw), per RFC 6960 §4.1.1. */
function parseRequest(der: Uint8Array): { certIds: CertIdRequest[]; nonce?: Uint8Array } {
  const tbs = expect(expect(parseDer(der), T.SEQUENCE).kids[0], T.SEQUENCE);
  // version [0] and requestorName [1] are optional and come before the list.
  const rest = tbs.kids.filter((k) => !isCtx(k, 0) && !isCtx(k, 1));
  const list = expect(rest[0], T.SEQUENCE);
  const certIds = list.kids.map((request) => {
    const certId = expect(expect(request, T.SEQUENCE).kids[0], T.SEQUENCE);
    const [algorithm, nameHash, keyHash, serial] = certId.kids;
    return {
      raw: certId.raw,
      hash: HASHES[decodeOid(expect(expect(algorithm, T.SEQUENCE).kids[0], T.OID))],
      nameHash: hex(expect(nameHash, T.OCTET_STRING).content),
      keyHash: hex(expect(keyHash, T.OCTET_STRING).content),
      serial: hex(expect(serial, T.INTEGER).content),
    };
  });
  const extensions = rest.find((k) => isCtx(k, 2))?.kids[0];
  const nonce = extensions?.kids.find((e) => isUniv(e.kids[0], T.OID) && decodeOid(e.kids[0]) === OCSP_NONCE)?.raw;
  return { certIds, nonce };
}

function errorResponse(status: Status): Buffer {
  return Buffer.from(encodeSequence(encodeTlv(0x0a, Uint8Array.of(status))));
}

function generalizedTime(d: Date): Uint8Array {
  return encodeTlv(0x18, Buffer.from(d.toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z')));
}

/** CertStatus: good [0] NULL, revoked [1] RevokedInfo, unknown [2] NULL (all IMPLICIT). */
function certStatus(s: CertificateStatus): Uint8Array {
  if (s.status === 'good') return Uint8Array.of(0x80, 0);
  if (s.status === 'unknown') return Uint8Array.of(0x82, 0);
  const reason = s.reason ? encodeTlv(0xa0, encodeTlv(0x0a, Uint8Array.of(s.reason))) : new Uint8Array();
  return encodeTlv(0xa1, Buffer.concat([generalizedTime(s.revokedAt!), reason]));
}

function signResponse(r: Responder, answers: { certId: Uint8Array; status: CertificateStatus }[], nonce?: Uint8Array): Buffer {
  const now = new Date();
  const thisUpdate = generalizedTime(now);
  const nextUpdate = encodeTlv(0xa0, generalizedTime(new Date(now.getTime() + NEXT_UPDATE_MS)));
  const responses = encodeSequence(...answers.map((a) => encodeSequence(a.certId, certStatus(a.status), thisUpdate, nextUpdate)));
  const tbs = encodeSequence(r.responderId, thisUpdate, responses, ...(nonce ? [encodeTlv(0xa1, encodeSequence(nonce))] : []));
  const signature = sign('sha256', tbs, { key: r.signerKey, dsaEncoding: 'der' });
  const basic = encodeSequence(tbs, ALG_ECDSA_SHA256, encodeTlv(0x03, Buffer.concat([Uint8Array.of(0), signature])), r.certsField);
  const responseBytes = encodeTlv(0xa0, encodeSequence(OID_OCSP_BASIC, encodeTlv(0x04, basic)));
  return Buffer.from(encodeSequence(encodeTlv(0x0a, Uint8Array.of(Status.successful)), responseBytes));
}
