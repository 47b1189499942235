// OCSP answers (RFC 6960) as a revocation source. An answer only counts when it is signed by the
// issuing CA or by a delegated responder the CA issued with id-kp-OCSPSigning, is fresh at the
// validation time, and names exactly this certificate. Anything else is ignored, never "good".
import { createHash } from 'node:crypto';
import type * as pkijs from 'pkijs';
import { bitStringBytes, decodeInt, decodeTime, hex, isCtx, parseDer } from './der.js';
import { REASON_NAMES } from './crl.js';
import { CertInfo, OID, certInfo } from './model.js';
import { nameEquals } from './names.js';
import { SigningKey, signingKeyOf, verifyCertSignature, verifyRawSignature } from './signature.js';
import type { RevocationInfo } from './types.js';

const HASHES: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

/** Without nextUpdate an answer is only trusted for this long after thisUpdate. */
const MAX_AGE_WITHOUT_NEXT_UPDATE_MS = 24 * 3600 * 1000;
const CLOCK_SKEW_MS = 5 * 60 * 1000;

function certIdMatches(single: pkijs.SingleResponse, cert: CertInfo, issuer: CertInfo): boolean {
  const id = single.certID;
  const alg = HASHES[id.hashAlgorithm.algorithmId];
  if (!alg) return false;
  const digest = (b: Uint8Array) => createHash(alg).update(b).digest('hex');
  return (
    hex(id.serialNumber.valueBlock.valueHexView) === cert.serial &&
    hex(id.issuerNameHash.valueBlock.valueHexView) === digest(issuer.subject.der) &&
    hex(id.issuerKeyHash.valueBlock.valueHexView) === digest(bitStringBytes(issuer.spki.kids[1]!))
  );
}

function fresh(single: pkijs.SingleResponse, at: Date): boolean {
  if (single.thisUpdate.getTime() > at.getTime() + CLOCK_SKEW_MS) return false;
  if (single.nextUpdate) return at.getTime() <= single.nextUpdate.getTime() + CLOCK_SKEW_MS;
  return at.getTime() - single.thisUpdate.getTime() <= MAX_AGE_WITHOUT_NEXT_UPDATE_MS;
}

async function signedByAuthorisedResponder(
  resp: pkijs.BasicOCSPResponse,
  issuer: CertInfo,
  issuerKey: SigningKey,
  at: Date,
): Promise<boolean> {
  const data = resp.tbsResponseData.tbsView;
  if (await verifyRawSignature(data, resp.signature, resp.signatureAlgorithm, issuerKey)) return true;
  for (const r of resp.certs ?? []) {
    let ri: CertInfo;
    try {
      ri = certInfo(r);
    } catch {
      continue;
    }
    const delegated =
      nameEquals(ri.issuer, issuer.subject) &&
      (ri.eku ?? []).includes(OID.kpOcspSigning) &&
      at >= ri.notBefore &&
      at <= ri.notAfter &&
      (await verifyCertSignature(r, issuerKey));
    if (
      delegated &&
      (await verifyRawSignature(data, resp.signature, resp.signatureAlgorithm, signingKeyOf(ri, issuerKey)))
    )
      return true;
  }
  return false;
}

/** A definitive answer (good or revoked) from some acceptable OCSP response, else undefined. */
export async function checkOcsp(
  responses: pkijs.BasicOCSPResponse[],
  cert: CertInfo,
  issuer: CertInfo,
  issuerKey: SigningKey,
  at: Date,
): Promise<RevocationInfo | undefined> {
  for (const resp of responses) {
    const singles = resp.tbsResponseData.responses.filter(
      (s) => certIdMatches(s, cert, issuer) && fresh(s, at),
    );
    if (singles.length === 0) continue;
    if (!(await signedByAuthorisedResponder(resp, issuer, issuerKey, at))) continue;
    for (const s of singles) {
      const status = parseDer(new Uint8Array(s.certStatus.toBER(false)));
      if (isCtx(status, 0)) return { serial: cert.serial, status: 'good', source: 'ocsp' };
      if (isCtx(status, 1)) {
        const revokedAt = decodeTime(status.kids[0]!);
        if (revokedAt > at) return { serial: cert.serial, status: 'good', source: 'ocsp' };
        const reasonNode = status.kids.find((k) => isCtx(k, 0))?.kids[0];
        const reason = reasonNode ? REASON_NAMES[Number(decodeInt(reasonNode))] : undefined;
        return { serial: cert.serial, status: 'revoked', revokedAt, reason, source: 'ocsp' };
      }
    }
  }
  return undefined;
}
