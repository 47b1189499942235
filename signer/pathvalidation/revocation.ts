// CRL-based revocation checking, RFC 5280 §6.3.3, including indirect CRLs, distribution-point
// scoping, onlySomeReasons partitions and delta CRLs. A certificate is "good" only when CRLs that
// apply to it together cover every revocation reason; otherwise its status is unknown.
import { REVINFO, type Label } from './messages.js';
import { CrlEntry, CrlInfo, REASON_NAMES } from './crl.js';
import { ALL_REASONS, CertInfo, DistributionPoint, DistributionPointName, KU, isCa } from './model.js';
import { GeneralName, Name, appendRdn, generalNameEquals, nameEquals, nameKey } from './names.js';
import { SigningKey, signingKeyOf, verifyCrlSignature } from './signature.js';
import type { RevocationInfo } from './types.js';

const REMOVE_FROM_CRL = 8;

export interface CrlContext {
  at: Date;
  crls: CrlInfo[];
  /** every certificate we may use to find CRL issuers (untrusted pool and the path) */
  pool: CertInfo[];
  /** the trust anchor of the path being validated; CRL issuer paths must end at it too */
  anchor: CertInfo;
  /** validate a CRL issuer certificate up to `anchor`, with revocation; memoised by the caller */
  validateCrlIssuer(c: CertInfo): Promise<boolean>;
  /** certificates whose CRL-issuer validation is under way (breaks CRL-signs-itself cycles) */
  inProgress: Set<string>;
}

export interface CrlOutcome {
  info: RevocationInfo;
  /** why the status is unknown */
  problem?: Label;
}

function fullNames(name: DistributionPointName, base: Name): GeneralName[] {
  if (name.full) return name.full;
  return [{ kind: 'dn', value: appendRdn(base, name.relative!) }];
}

function intersects(a: GeneralName[], b: GeneralName[]): boolean {
  return a.some((x) => b.some((y) => generalNameEquals(x, y)));
}

function dnNames(g: GeneralName[] | undefined): Name[] {
  return (g ?? []).flatMap((x) => (x.kind === 'dn' ? [x.value] : []));
}

type Applied = { mask: number; entry?: CrlEntry } | { problem: Label } | { skip: true };

/** §6.3.3(b): does this complete CRL cover this certificate via this distribution point? */
function scopeProblem(cert: CertInfo, dp: DistributionPoint, crl: CrlInfo): Label | 'skip' | undefined {
  if (dp.crlIssuer) {
    if (!dnNames(dp.crlIssuer).some((n) => nameEquals(n, crl.issuer))) return 'skip';
    if (!crl.idp?.indirectCrl) return REVINFO.scope;
  } else if (!nameEquals(crl.issuer, cert.issuer)) return 'skip';
  const idp = crl.idp;
  if (!idp) return undefined;
  if (idp.name) {
    const idpNames = fullNames(idp.name, crl.issuer);
    const dpNames = dp.name
      ? fullNames(dp.name, dnNames(dp.crlIssuer)[0] ?? cert.issuer)
      : (dp.crlIssuer ?? [{ kind: 'dn', value: cert.issuer } as GeneralName]);
    if (!intersects(idpNames, dpNames)) return 'skip';
  }
  if (idp.onlyUserCerts && isCa(cert)) return REVINFO.scope;
  if (idp.onlyCaCerts && !isCa(cert)) return REVINFO.scope;
  if (idp.onlyAttributeCerts) return REVINFO.scope;
  return undefined;
}

function usableProblem(crl: CrlInfo, at: Date): Label | undefined {
  if (crl.unknownCritical.length || crl.entries.some((e) => e.unknownCritical.length))
    return REVINFO.critical;
  if (crl.thisUpdate > at) return REVINFO.future;
  if (crl.nextUpdate && crl.nextUpdate < at) return REVINFO.stale;
  return undefined;
}

/** Candidate keys for the CRL signer: the certificate's own issuer first, then same-named certificates. */
async function findCrlSigner(
  crl: CrlInfo,
  pathIssuer: CertInfo,
  pathIssuerKey: SigningKey,
  ctx: CrlContext,
): Promise<{ key: SigningKey } | { problem: Label }> {
  const candidates: { c: CertInfo; key: SigningKey; trusted: boolean }[] = [];
  if (nameEquals(pathIssuer.subject, crl.issuer))
    candidates.push({ c: pathIssuer, key: pathIssuerKey, trusted: true });
  const others = [ctx.anchor, ...ctx.pool].filter(
    (c, i, all) =>
      c.id !== pathIssuer.id &&
      nameEquals(c.subject, crl.issuer) &&
      all.findIndex((x) => x.id === c.id) === i,
  );
  others.sort(
    (a, b) =>
      Number(b.ski !== undefined && b.ski === crl.aki) - Number(a.ski !== undefined && a.ski === crl.aki),
  );
  for (const c of others) candidates.push({ c, key: signingKeyOf(c), trusted: c.id === ctx.anchor.id });

  let problem: Label = REVINFO.signature;
  for (const cand of candidates) {
    if (!(await verifyCrlSignature(crl.crl, cand.key))) continue;
    if (cand.c.keyUsage && !cand.c.keyUsage.has(KU.cRLSign)) {
      problem = REVINFO.crlSign;
      continue;
    }
    // A CRL signer whose own status is being established right now is taken as is: otherwise a CA
    // whose CRL key also signs the CRL covering that key (PKITS 4.5.6) could never be checked.
    if (cand.trusted || ctx.inProgress.has(cand.c.id) || (await ctx.validateCrlIssuer(cand.c)))
      return { key: cand.key };
    problem = REVINFO.issuerPath;
  }
  return { problem };
}

/** §6.3.3(c): a delta CRL usable with this complete CRL, signed by the same key. */
async function findDelta(crl: CrlInfo, key: SigningKey, ctx: CrlContext): Promise<CrlInfo | undefined> {
  if (crl.crlNumber === undefined) return undefined;
  for (const d of ctx.crls) {
    if (d.deltaBase === undefined || d.crlNumber === undefined) continue;
    if (!nameEquals(d.issuer, crl.issuer) || (d.idp?.der ?? '') !== (crl.idp?.der ?? '')) continue;
    // The delta must build on this base (or an older one) and be newer than it.
    if (d.deltaBase > crl.crlNumber || d.crlNumber <= crl.crlNumber) continue;
    if (usableProblem(d, ctx.at)) continue;
    if (await verifyCrlSignature(d.crl, key)) return d;
  }
  return undefined;
}

function findEntry(crl: CrlInfo, cert: CertInfo): CrlEntry | undefined {
  return crl.entries.find((e) => {
    if (e.serial !== cert.serial) return false;
    // In an indirect CRL each entry may name another issuer (certificateIssuer carries forward).
    if (crl.idp?.indirectCrl && e.certIssuer)
      return dnNames(e.certIssuer).some((n) => nameEquals(n, cert.issuer));
    return nameEquals(crl.issuer, cert.issuer);
  });
}

async function applyCrl(
  cert: CertInfo,
  pathIssuer: CertInfo,
  pathIssuerKey: SigningKey,
  dp: DistributionPoint,
  crl: CrlInfo,
  reasonsMask: number,
  ctx: CrlContext,
): Promise<Applied> {
  const scope = scopeProblem(cert, dp, crl);
  if (scope === 'skip') return { skip: true };
  const unusable = usableProblem(crl, ctx.at);
  if (unusable) return { problem: unusable };
  if (scope) return { problem: scope };
  const interim = (crl.idp?.onlySomeReasons ?? ALL_REASONS) & (dp.reasons ?? ALL_REASONS);
  if ((interim & ~reasonsMask) === 0) return { skip: true };
  const signer = await findCrlSigner(crl, pathIssuer, pathIssuerKey, ctx);
  if ('problem' in signer) return signer;

  const delta = await findDelta(crl, signer.key, ctx);
  const deltaEntry = delta && findEntry(delta, cert);
  if (deltaEntry)
    return deltaEntry.reason === REMOVE_FROM_CRL ? { mask: interim } : { mask: interim, entry: deltaEntry };
  const entry = findEntry(crl, cert);
  if (entry && entry.reason !== REMOVE_FROM_CRL) return { mask: interim, entry };
  return { mask: interim };
}

/**
 * CRLs with a higher cRLNumber first, those without one (RFC 5280 §5.2.3 requires it) last: the
 * newest list of an issuer decides, so a hold released since an older CRL is not read as revoked.
 */
function newestFirst(crls: CrlInfo[]): CrlInfo[] {
  return [...crls].sort((a, b) => {
    if (a.crlNumber === undefined || b.crlNumber === undefined) return Number(a.crlNumber === undefined) - Number(b.crlNumber === undefined);
    return a.crlNumber === b.crlNumber ? 0 : a.crlNumber > b.crlNumber ? -1 : 1;
  });
}

const scopeKey = (crl: CrlInfo) => `${nameKey(crl.issuer)}|${crl.idp?.der ?? ''}`;

/** An older CRL of the same issuer and scope than one already applied is not consulted. */
function supersededBy(crl: CrlInfo, newest: Map<string, bigint>): boolean {
  const seen = newest.get(scopeKey(crl));
  return seen !== undefined && crl.crlNumber !== undefined && crl.crlNumber < seen;
}

/** Revocation status of `cert`, issued by `pathIssuer` (whose effective key is `pathIssuerKey`). */
export async function checkCrls(
  cert: CertInfo,
  pathIssuer: CertInfo,
  pathIssuerKey: SigningKey,
  ctx: CrlContext,
): Promise<CrlOutcome> {
  // No cRLDistributionPoints: one implied point whose CRL issuer is the certificate issuer.
  const dps: DistributionPoint[] = cert.crlDistributionPoints ?? [{}];
  const complete = newestFirst(ctx.crls.filter((c) => c.deltaBase === undefined));
  let mask = 0;
  let problem: Label | undefined;
  for (const dp of dps) {
    const newest = new Map<string, bigint>();
    for (const crl of complete) {
      if (mask === ALL_REASONS) break;
      if (supersededBy(crl, newest)) continue;
      const r = await applyCrl(cert, pathIssuer, pathIssuerKey, dp, crl, mask, ctx);
      if ('skip' in r) continue;
      if ('problem' in r) {
        problem ??= r.problem;
        continue;
      }
      if (r.entry && r.entry.date <= ctx.at) {
        return {
          info: {
            serial: cert.serial,
            status: 'revoked',
            reason: REASON_NAMES[r.entry.reason ?? 0] ?? 'unspecified',
            revokedAt: r.entry.date,
            source: 'crl',
          },
        };
      }
      mask |= r.mask;
      if (crl.crlNumber !== undefined) newest.set(scopeKey(crl), crl.crlNumber);
    }
  }
  if (mask === ALL_REASONS) return { info: { serial: cert.serial, status: 'good', source: 'crl' } };
  return {
    info: { serial: cert.serial, status: 'unknown' },
    problem: mask !== 0 ? REVINFO.reasons : (problem ?? REVINFO.none),
  };
}
