// How much validation material one signature may bring. The path validator has its own work budget
// (signer/pathvalidation/budget.ts); these limits refuse absurd input before any of it is parsed
// into candidate paths, and say so (HTTP 400 on /verify) instead of reporting a mysterious failure.
// Real signatures carry a handful: a PAdES B-LT signature from a national CA has 3-6 certificates
// and 2-4 CRLs or OCSP answers.
import { GovmailError } from '../../core/errors.js';
import type { Material } from './material.js';

export const MAX_CERTIFICATES_PER_SIGNATURE = 50;
export const MAX_REVOCATION_PER_SIGNATURE = 50;

export class TooMuchMaterialError extends GovmailError {
  constructor(what: 'certificates' | 'revocation', count: number) {
    const max = what === 'certificates' ? MAX_CERTIFICATES_PER_SIGNATURE : MAX_REVOCATION_PER_SIGNATURE;
    super(
      what === 'certificates' ? 'TOO_MANY_CERTIFICATES' : 'TOO_MANY_CRLS',
      what === 'certificates'
        ? `a signature carries ${count} certificates; at most ${max} are accepted per signature`
        : `a signature carries ${count} CRLs and OCSP responses; at most ${max} are accepted per signature`,
      what === 'certificates'
        ? `một chữ ký mang theo ${count} chứng thư số; mỗi chữ ký chỉ được tối đa ${max}`
        : `một chữ ký mang theo ${count} CRL và phản hồi OCSP; mỗi chữ ký chỉ được tối đa ${max}`,
      400,
    );
  }
}

/** Throws when the material a signature (and its container, e.g. a PDF's DSS) brings is too much. */
export function checkMaterialLimits(m: Material): void {
  if (m.certificates.length > MAX_CERTIFICATES_PER_SIGNATURE) throw new TooMuchMaterialError('certificates', m.certificates.length);
  const revocation = m.crls.length + m.ocsps.length;
  if (revocation > MAX_REVOCATION_PER_SIGNATURE) throw new TooMuchMaterialError('revocation', revocation);
}
