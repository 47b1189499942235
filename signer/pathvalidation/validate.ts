// The RFC 5280 §6.1 basic path validation state machine, run over one candidate path.
// Revocation (§6.1.3(a)(3)) is done afterwards by the caller so structural errors are reported first
// and no CRL work is spent on paths that are already broken.
import { failure, custom, certLabel, fmtDate } from './messages.js';
import { CertInfo, KU, OID } from './model.js';
import { NameConstraintState, generalNameToString, nameEquals } from './names.js';
import { PolicyTree } from './policies.js';
import type { Budget } from './budget.js';
import { budgetFailure } from './messages.js';
import { profileFailure } from './profile.js';
import { purposeFailure } from './purpose.js';
import { SigningKey, signingKeyOf } from './signature.js';
import type { Failure, Purpose } from './types.js';

export interface PolicyParams {
  userInitialPolicySet: string[];
  initialExplicitPolicy: boolean;
  initialPolicyMappingInhibit: boolean;
  initialAnyPolicyInhibit: boolean;
}

export interface ChainOk {
  policies: string[];
  /** keys[pos]: effective public key of path[pos], needed later to check CRLs it signed */
  keys: SigningKey[];
}

const SUPPORTED_CRITICAL = new Set<string>([
  OID.basicConstraints,
  OID.keyUsage,
  OID.certificatePolicies,
  OID.policyMappings,
  OID.subjectAltName,
  OID.issuerAltName,
  OID.nameConstraints,
  OID.policyConstraints,
  OID.extKeyUsage,
  OID.inhibitAnyPolicy,
  OID.crlDistributionPoints,
  OID.freshestCrl,
  OID.authorityKeyIdentifier,
  OID.subjectKeyIdentifier,
  OID.ocspNoCheck,
]);

function unknownCritical(c: CertInfo): string[] {
  return [...c.exts].filter(([oid, e]) => e.critical && !SUPPORTED_CRITICAL.has(oid)).map(([oid]) => oid);
}

/**
 * The trust anchor as OpenSSL 3.0 treats a trusted certificate by default: its validity period and
 * unknown critical extensions count, and it must not deny being a CA (cA false, or keyUsage without
 * keyCertSign). Its signature is not checked, and a v3 anchor without basicConstraints is accepted.
 */
function anchorFailure(anchor: CertInfo, at: Date, label: { en: string; vi: string }): Failure | undefined {
  if (at < anchor.notBefore) return failure('NOT_YET_VALID', label, fmtDate(anchor.notBefore));
  if (at > anchor.notAfter) return failure('EXPIRED', label, fmtDate(anchor.notAfter));
  if (anchor.basicConstraints && !anchor.basicConstraints.ca) return failure('BASIC_CONSTRAINTS', label);
  if (anchor.keyUsage && !anchor.keyUsage.has(KU.keyCertSign)) return failure('KEY_USAGE', label);
  const unknown = unknownCritical(anchor);
  if (unknown.length) return failure('UNKNOWN_CRITICAL_EXTENSION', label, unknown.join(', '));
  return undefined;
}

/**
 * path: leaf first, trust anchor last. A certificate anchor also brings its constraints: pathLen and
 * name constraints apply to the path below it as if it were the first CA certificate (RFC 5937 style).
 */
export async function validateChain(
  path: CertInfo[],
  at: Date,
  p: PolicyParams,
  budget: Budget,
  purpose: Purpose = 'any',
): Promise<Failure | ChainOk> {
  const len = path.length;
  const n = len - 1;
  const anchor = path[n]!;
  const keys: SigningKey[] = new Array<SigningKey>(len);
  let workingKey = signingKeyOf(anchor);
  keys[n] = workingKey;
  let workingIssuer = anchor.subject;
  const names = new NameConstraintState();
  const tree = new PolicyTree();
  let explicitPolicy = p.initialExplicitPolicy ? 0 : n + 1;
  let inhibitAny = p.initialAnyPolicyInhibit ? 0 : n + 1;
  let policyMapping = p.initialPolicyMappingInhibit ? 0 : n + 1;
  let maxPathLength = n;
  if (n > 0) {
    const problem = anchorFailure(anchor, at, certLabel(n, len));
    if (problem) return problem;
    const pl = anchor.basicConstraints?.pathLen;
    if (pl !== undefined && pl < maxPathLength) maxPathLength = pl;
    if (anchor.nameConstraints) names.add(anchor.nameConstraints);
  }

  for (let i = 1; i <= n; i++) {
    const pos = n - i;
    const c = path[pos]!;
    const label = certLabel(pos, len);
    const last = i === n;

    // §6.1.3(a)
    if (!(await budget.verify(c, workingKey))) return failure('SIGNATURE_INVALID', label);
    if (at < c.notBefore) return failure('NOT_YET_VALID', label, fmtDate(c.notBefore));
    if (at > c.notAfter) return failure('EXPIRED', label, fmtDate(c.notAfter));
    if (!nameEquals(c.issuer, workingIssuer)) return failure('NAME_CHAINING', label);
    const profile = profileFailure(c, label);
    if (profile) return profile;

    // §6.1.3(b)-(c): self-issued intermediates are exempt so CA re-keying is not blocked.
    if (!c.selfIssued || last) {
      const v = names.check(NameConstraintState.namesOf(c.subject, c.san));
      if (v?.kind === 'limit') return budgetFailure('names', budget.limits);
      if (v) {
        const nm = generalNameToString(v.name);
        return v.kind === 'permitted'
          ? custom(
              'NAME_CONSTRAINTS',
              `Not all names of ${label.en} are in the permitted namespace: ${nm} is outside it.`,
              `Không phải mọi tên của ${label.vi} đều nằm trong không gian tên được phép: ${nm} nằm ngoài.`,
            )
          : custom(
              'NAME_CONSTRAINTS',
              `Some names of ${label.en} are excluded from the namespace: ${nm}.`,
              `Một số tên của ${label.vi} thuộc không gian tên bị loại trừ: ${nm}.`,
            );
      }
    }

    // §6.1.3(d)-(f)
    tree.processCertificate(i, c.policies, inhibitAny > 0 || (!last && c.selfIssued));
    if (explicitPolicy === 0 && tree.isNull) return noPolicies(label);

    if (last) break;

    // §6.1.4 preparation for certificate i+1
    const mappings = c.policyMappings ?? [];
    if (mappings.some((m) => m.issuer === OID.anyPolicy || m.subject === OID.anyPolicy))
      return custom(
        'POLICY',
        `${cap(label.en)} contains a policy mapping for the "any policy" identifier.`,
        `${cap(label.vi)} chứa ánh xạ chính sách dùng định danh "mọi chính sách" (anyPolicy).`,
      );
    if (mappings.length > 0) tree.applyMappings(i, mappings, policyMapping > 0);

    workingIssuer = c.subject;
    workingKey = signingKeyOf(c, workingKey);
    keys[pos] = workingKey;
    if (c.nameConstraints) names.add(c.nameConstraints);

    if (!c.selfIssued) {
      if (explicitPolicy > 0) explicitPolicy--;
      if (policyMapping > 0) policyMapping--;
      if (inhibitAny > 0) inhibitAny--;
    }
    if (c.requireExplicitPolicy !== undefined && c.requireExplicitPolicy < explicitPolicy)
      explicitPolicy = c.requireExplicitPolicy;
    if (c.inhibitPolicyMapping !== undefined && c.inhibitPolicyMapping < policyMapping)
      policyMapping = c.inhibitPolicyMapping;
    if (c.inhibitAnyPolicy !== undefined && c.inhibitAnyPolicy < inhibitAny) inhibitAny = c.inhibitAnyPolicy;

    if (!c.basicConstraints?.ca) return failure('BASIC_CONSTRAINTS', label);
    if (!c.selfIssued) {
      if (maxPathLength <= 0) return failure('PATH_LENGTH', label);
      maxPathLength--;
    }
    const pl = c.basicConstraints.pathLen;
    if (pl !== undefined && pl < maxPathLength) maxPathLength = pl;
    if (c.keyUsage && !c.keyUsage.has(KU.keyCertSign)) return failure('KEY_USAGE', label);
    const unknown = unknownCritical(c);
    if (unknown.length) return failure('UNKNOWN_CRITICAL_EXTENSION', label, unknown.join(', '));
  }

  // §6.1.5 wrap-up on the end-entity certificate
  const leaf = path[0]!;
  const leafLabel = certLabel(0, len);
  keys[0] = signingKeyOf(leaf, keys[1]);
  if (explicitPolicy > 0) explicitPolicy--;
  if (leaf.requireExplicitPolicy === 0) explicitPolicy = 0;
  const unknown = unknownCritical(leaf);
  if (unknown.length) return failure('UNKNOWN_CRITICAL_EXTENSION', leafLabel, unknown.join(', '));
  const unsuitable = purposeFailure(path, purpose, (pos) => certLabel(pos, len));
  if (unsuitable) return unsuitable;
  const policies = tree.authoritiesConstrained(n);
  tree.intersect(n, p.userInitialPolicySet);
  if (explicitPolicy === 0 && tree.isNull) return noPolicies(leafLabel);
  return { policies, keys };
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function noPolicies(label: { en: string; vi: string }): Failure {
  return custom(
    'POLICY',
    `There is no valid set of policies for ${label.en}.`,
    `Không có tập chính sách chứng thư hợp lệ cho ${label.vi}.`,
  );
}
