// RFC 5280 §4 rules a certificate on the path must meet, where a broken rule means the certificate
// cannot be read the way its issuer meant (OpenSSL enforces several of these by default, the rest
// under -x509_strict; see "Deliberate differences" in signer/README.md). Duplicate extensions are
// refused earlier, when the certificate is decoded (model.ts).
import { T } from './der.js';
import { custom, type Label } from './messages.js';
import { OID, type CertInfo } from './model.js';
import type { Failure } from './types.js';

interface Problem {
  en: string;
  vi: string;
}

/**
 * §4.1.2.2: at most 20 octets. Negative and zero serials break the same paragraph, but it also says
 * users SHOULD handle them gracefully, PKITS 4.4.14/4.4.15 expect them processed (and revoked by
 * serial), and OpenSSL accepts them: they are read, not refused (signer/README.md).
 */
function serialProblem(b: Uint8Array): Problem | undefined {
  if (b.length > 20) return { en: `its serial number is ${b.length} octets long (at most 20 allowed)`, vi: `số hiệu dài ${b.length} octet (tối đa 20)` };
  return undefined;
}

/** §4.1.2.5: UTCTime YYMMDDHHMMSSZ, GeneralizedTime YYYYMMDDHHMMSSZ — seconds present, no fractions. */
function timeProblem(c: CertInfo): Problem | undefined {
  for (const [i, t] of c.validityRaw.entries()) {
    const field = i === 0 ? 'notBefore' : 'notAfter';
    const ok = t.tag === T.UTC_TIME ? /^\d{12}Z$/.test(t.text) : t.tag === T.GENERALIZED_TIME && /^\d{14}Z$/.test(t.text);
    if (!ok)
      return {
        en: `its ${field} time "${t.text}" is not in the RFC 5280 form (YYMMDDHHMMSSZ or YYYYMMDDHHMMSSZ)`,
        vi: `thời điểm ${field} "${t.text}" không đúng dạng RFC 5280 (YYMMDDHHMMSSZ hoặc YYYYMMDDHHMMSSZ)`,
      };
  }
  return undefined;
}

function namesProblem(c: CertInfo): Problem | undefined {
  if (c.subject.rdns.length > 0) return undefined;
  const san = c.exts.get(OID.subjectAltName);
  if (!san) return { en: 'its subject is empty and it has no subjectAltName', vi: 'tên chủ thể rỗng và không có subjectAltName' };
  if (!san.critical) return { en: 'its subject is empty but its subjectAltName is not critical', vi: 'tên chủ thể rỗng nhưng subjectAltName không được đánh dấu critical' };
  return undefined;
}

function extensionProblem(c: CertInfo): Problem | undefined {
  if (c.eku && c.eku.length === 0) return { en: 'its extendedKeyUsage is empty', vi: 'extendedKeyUsage rỗng' };
  if (c.nameConstraints?.malformed)
    return { en: `its name constraints are malformed: ${c.nameConstraints.malformed}`, vi: `ràng buộc tên không hợp lệ: ${c.nameConstraints.malformed}` };
  return undefined;
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export function profileFailure(c: CertInfo, label: Label): Failure | undefined {
  const p = serialProblem(c.serialBytes) ?? timeProblem(c) ?? namesProblem(c) ?? extensionProblem(c);
  if (!p) return undefined;
  return custom('PROFILE', `${cap(label.en)} breaks the RFC 5280 profile: ${p.en}.`, `${cap(label.vi)} vi phạm quy định RFC 5280: ${p.vi}.`);
}
