// The signer's (or the TSA's) certificate chain judged at a validation time, with revocation.
//
// validatePath() answers "was this path valid at time T, by the revocation data usable at T" (a CRL
// counts from its thisUpdate to its nextUpdate). For a signature with a proof of existence T in
// the past this is not enough: revocation data issued later than T is just as good a witness of
// the status at T, and usually the only one at hand (our CA re-issues its CRL every few days, and
// a certificate revoked after signing puts a new CRL in place). So:
//   - when the status at T is unknown, the path is judged again at the thisUpdate of each later
//     CRL/OCSP answer (the closest to T first, never after "now"): a certificate not listed then,
//     or listed with a revocation date after T, was not revoked at T (this is also the usual B-LT
//     case: the DSS is filled after the signature time-stamp, so its CRL is a little younger);
//   - when the path is valid at T, the newest data is still consulted: a revocation it lists with
//     a date at or before T turns the answer into REVOKED (the data at hand at T was older).

import type * as pkijs from 'pkijs';
import { validatePath, type PathCode, type PathValidationResult, type Purpose, type RevocationInfo } from '../pathvalidation/index.js';
import type { TrustMaterial } from '../trust.js';
import { serialOf } from './certificates.js';
import type { Material } from './material.js';
import type { RevocationReport, RevocationSourceKind, Text } from './types.js';

export interface ChainJudgement {
  status: 'valid' | 'invalid' | 'indeterminate';
  code: PathCode;
  message: Text;
  /** Leaf first, anchor last (as far as it was built). */
  path: pkijs.Certificate[];
  /** The signer certificate's status at the validation time. */
  revocation: RevocationReport;
  /** For REVOKED: the position of the revoked certificate (0 = the leaf) and its revocation. */
  revoked?: { position: number; at: Date; reason?: string };
  /** The leaf was revoked after the validation time (the signature is not affected). */
  revokedLater?: { at: Date; reason?: string };
}

const OCSP_SKEW_MS = 5 * 60 * 1000;

function revokedEntry(r: PathValidationResult): { position: number; info: RevocationInfo } | undefined {
  const infos = r.revocation ?? [];
  const info = infos[0];
  if (!info || info.status !== 'revoked' || !info.revokedAt) return undefined;
  return { position: r.path.length - 1 - infos.length, info };
}

/** Times after `from` (and not after `to`) at which some revocation data was issued, oldest first. */
function laterIssueTimes(material: Material, from: Date, to: Date): Date[] {
  const times = new Set<number>();
  for (const { crl } of material.crls) times.add(crl.thisUpdate.value.getTime());
  for (const { response } of material.ocsps) for (const s of response.tbsResponseData.responses) times.add(s.thisUpdate.getTime());
  return [...times]
    .filter((t) => t > from.getTime() && t <= to.getTime())
    .sort((a, b) => a - b)
    .map((t) => new Date(t));
}

/** Which of the sources can have given the leaf's status at `at` (the validator takes the first usable). */
function sourceOf(leaf: pkijs.Certificate, kind: 'crl' | 'ocsp' | undefined, material: Material, at: Date): RevocationSourceKind {
  const serial = serialOf(leaf).toLowerCase();
  if (kind === 'ocsp') {
    const hit = material.ocsps.find(({ response }) =>
      response.tbsResponseData.responses.some((s) => {
        const sn = Buffer.from(s.certID.serialNumber.valueBlock.valueHexView).toString('hex').toLowerCase();
        const fresh = s.thisUpdate.getTime() <= at.getTime() + OCSP_SKEW_MS && (!s.nextUpdate || at.getTime() <= s.nextUpdate.getTime() + OCSP_SKEW_MS);
        return sn.replace(/^0+/, '') === serial.replace(/^0+/, '') && fresh;
      }),
    );
    return hit?.source ?? 'none';
  }
  if (kind === 'crl') {
    const hit = material.crls.find(({ crl }) => crl.issuer.isEqual(leaf.issuer) && crl.thisUpdate.value <= at && (!crl.nextUpdate || crl.nextUpdate.value >= at));
    return hit?.source ?? 'none';
  }
  return 'none';
}

/** purpose: what the leaf must be allowed for (S/MIME mail, documents); the TSA's chain is checked with 'any'. */
export async function judgeChain(leaf: pkijs.Certificate, o: { at: Date; now: Date; trust: TrustMaterial; material: Material; purpose?: Purpose }): Promise<ChainJudgement> {
  const { at, now, trust, material } = o;
  // Newest CRLs first: when several are usable, the freshest decides.
  const crls = [...material.crls].sort((a, b) => b.crl.thisUpdate.value.getTime() - a.crl.thisUpdate.value.getTime());
  const ordered: Material = { ...material, crls };
  const run = (when: Date) =>
    validatePath({
      leaf,
      trustAnchors: trust.anchors,
      untrusted: [...material.certificates, ...trust.intermediates],
      crls: crls.map((c) => c.crl),
      ocsp: material.ocsps.map((x) => x.response),
      at: when,
      purpose: o.purpose ?? 'any',
    });

  let result = await run(at);
  let decidedAt = at;
  let fromLaterData = false;
  let revokedLater: ChainJudgement['revokedLater'];

  if (result.code === 'REVOCATION_UNKNOWN' && at < now) {
    for (const when of laterIssueTimes(ordered, at, now)) {
      const later = await run(when);
      const rev = revokedEntry(later);
      if (later.status === 'valid') {
        result = later;
      } else if (rev && rev.info.revokedAt! <= at) {
        result = later;
      } else if (rev && rev.position === 0) {
        // Revoked, but after the validation time: the certificates above were good, the leaf was then too.
        revokedLater = { at: rev.info.revokedAt!, ...(rev.info.reason ? { reason: rev.info.reason } : {}) };
        result = { ...later, status: 'valid', code: 'OK', message: 'The certification path is valid.', messageVi: 'Đường dẫn chứng thực hợp lệ.' };
      } else continue;
      decidedAt = when;
      fromLaterData = true;
      break;
    }
  }
  if (result.status === 'valid' && !revokedLater) {
    // The newest data may know of a revocation the data usable at the validation time did not.
    const newest = laterIssueTimes(ordered, decidedAt, now).pop();
    if (newest) {
      const later = await run(newest);
      const rev = revokedEntry(later);
      if (rev && rev.info.revokedAt! <= at) {
        result = later;
        decidedAt = newest;
        fromLaterData = true;
      } else if (rev && rev.position === 0) {
        revokedLater = { at: rev.info.revokedAt!, ...(rev.info.reason ? { reason: rev.info.reason } : {}) };
      }
    }
  }

  const rev = result.status === 'valid' ? undefined : revokedEntry(result);
  let revocation: RevocationReport;
  if (result.status === 'valid') {
    revocation = {
      status: 'good',
      source: sourceOf(leaf, result.revocation?.[0]?.source, ordered, decidedAt),
      ...(revokedLater ? { revokedAt: revokedLater.at, ...(revokedLater.reason ? { reason: revokedLater.reason } : {}) } : {}),
      ...(fromLaterData ? { fromLaterData } : {}),
    };
  } else if (rev) {
    // A CA above the signer is revoked: the signer's own status was not reached.
    const leafRevoked = rev.position === 0;
    revocation = {
      status: leafRevoked ? 'revoked' : 'unknown',
      source: leafRevoked ? sourceOf(leaf, rev.info.source, ordered, decidedAt) : 'none',
      ...(leafRevoked ? { revokedAt: rev.info.revokedAt!, ...(rev.info.reason ? { reason: rev.info.reason } : {}) } : {}),
      ...(fromLaterData ? { fromLaterData } : {}),
    };
  } else if (result.code === 'REVOCATION_UNKNOWN') {
    revocation = { status: 'unknown', source: 'none' };
  } else {
    revocation = { status: 'not-checked', source: 'none' };
  }

  return {
    status: result.status,
    code: result.code,
    message: { vi: result.messageVi, en: result.message },
    path: result.path,
    revocation,
    ...(rev ? { revoked: { position: rev.position, at: rev.info.revokedAt!, ...(rev.info.reason ? { reason: rev.info.reason } : {}) } } : {}),
    ...(revokedLater ? { revokedLater } : {}),
  };
}
