// Candidate path building from the leaf towards a trust anchor (RFC 4158 in spirit).
// Issuers are found by name through an index built once; key identifiers only order the candidates,
// since AKI/SKI are hints and may be absent or stale. Each candidate issuer's signature on the child
// is checked before the search goes above it (memoised in the Budget), so a pool of same-named
// certificates that did not sign each other costs one check per pair instead of one search branch
// per permutation. A certificate appears at most once per path, and a (name, key) pair too, which
// cuts loops through cross-certificates. Paths are produced lazily so the caller can stop at the
// first one that validates.
import type { Budget } from './budget.js';
import { BudgetExhausted } from './budget.js';
import { CertInfo, OID } from './model.js';
import { nameKey } from './names.js';
import { signingKeyOf } from './signature.js';

interface Candidate {
  c: CertInfo;
  anchor: boolean;
}

/** A path cut short because the candidate's key did not verify the child (kept for the report). */
export interface Rejected {
  path: CertInfo[];
  /** the last certificate of `path` is a trust anchor */
  toAnchor: boolean;
}

function rank(child: CertInfo, cand: Candidate, at: Date): number {
  let r = 0;
  if (child.aki !== undefined && child.aki === cand.c.ski) r += 8;
  if (cand.anchor) r += 4;
  // Prefer issuers valid at the validation time: an expired twin is the usual decoy after a re-key.
  if (cand.c.notBefore <= at && at <= cand.c.notAfter) r += 2;
  return r;
}

/** DSA keys without parameters inherit them from above: their key is only known on a whole path. */
function keyKnownAlone(c: CertInfo): boolean {
  return !(c.keyParamsAbsent && c.keyAlg === OID.dsa);
}

/**
 * As OpenSSL's X509_check_akid: when the child names its issuer's key identifier and the candidate
 * states its own, they must agree. Either one missing leaves the candidate in (ordered lower).
 */
function keyIdsDiffer(child: CertInfo, cand: CertInfo): boolean {
  return child.aki !== undefined && cand.ski !== undefined && child.aki !== cand.ski;
}

function loopKey(c: CertInfo): string {
  return `${nameKey(c.subject)}|${Buffer.from(c.spki.raw).toString('base64')}`;
}

function indexBySubject(certs: Candidate[]): Map<string, Candidate[]> {
  const index = new Map<string, Candidate[]>();
  const seen = new Set<string>();
  for (const cand of certs) {
    if (seen.has(cand.c.id)) continue;
    seen.add(cand.c.id);
    const k = nameKey(cand.c.subject);
    const list = index.get(k);
    if (list) list.push(cand);
    else index.set(k, [cand]);
  }
  return index;
}

export class PathBuilder {
  /** the best path that was cut short by a signature that did not verify */
  rejected: Rejected | undefined;
  /** a candidate issuer was not followed because the path had reached the depth limit */
  depthCut = false;

  constructor(
    private readonly pool: CertInfo[],
    private readonly budget: Budget,
    private readonly at: Date,
  ) {}

  /** Yields leaf-first paths ending in one of `anchors`. */
  async *paths(leaf: CertInfo, anchors: CertInfo[]): AsyncGenerator<CertInfo[]> {
    const anchorIds = new Set(anchors.map((a) => a.id));
    const index = indexBySubject([
      ...anchors.map((c) => ({ c, anchor: true })),
      ...this.pool.filter((c) => !anchorIds.has(c.id)).map((c) => ({ c, anchor: false })),
    ]);
    let produced = 0;
    const { maxDepth, maxPaths } = this.budget.limits;
    const budget = this.budget;
    const self = this;

    async function* walk(path: CertInfo[], used: Set<string>, loops: Set<string>): AsyncGenerator<CertInfo[]> {
      const cur = path[path.length - 1]!;
      const cands = (index.get(nameKey(cur.issuer)) ?? [])
        .filter(({ c }) => !used.has(c.id) && !loops.has(loopKey(c)) && !keyIdsDiffer(cur, c))
        .sort((a, b) => rank(cur, b, self.at) - rank(cur, a, self.at));
      for (const cand of cands) {
        budget.step();
        const { c, anchor } = cand;
        // path.length - 1 intermediates so far; going above a non-anchor adds one more.
        if (!anchor && path.length > maxDepth) {
          self.depthCut = true;
          continue;
        }
        if (keyKnownAlone(c) && !(await budget.verify(cur, signingKeyOf(c)))) {
          self.noteRejected([...path, c], anchor);
          continue;
        }
        if (anchor) {
          if (++produced > maxPaths) throw new BudgetExhausted('paths');
          yield [...path, c];
        } else {
          used.add(c.id);
          loops.add(loopKey(c));
          yield* walk([...path, c], used, loops);
          used.delete(c.id);
          loops.delete(loopKey(c));
        }
      }
    }

    yield* walk([leaf], new Set([leaf.id]), new Set([loopKey(leaf)]));
  }

  private noteRejected(path: CertInfo[], toAnchor: boolean): void {
    const r = this.rejected;
    if (!r || (toAnchor && !r.toAnchor) || (toAnchor === r.toAnchor && path.length > r.path.length))
      this.rejected = { path, toAnchor };
  }
}
