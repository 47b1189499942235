// Candidate path building from the leaf towards a trust anchor (RFC 4158 in spirit).
// Issuers are found by name through an index built once; key identifiers only order the candidates,
// since AKI/SKI are hints and may be absent or stale. Each candidate issuer's signature on the child
// is checked before the search goes above it (memoised in the Budget), so a pool of same-named
// certificates that did not sign each other costs one check per pair instead of one search branch
// per permutation. A certificate appears at most once per path, and a (name, key) pair too, which
// cuts loops through cross-certificates. Paths are handed to the caller one by one, so it can stop
// at the first one that validates.
import { BudgetExhausted, type Budget } from './budget.js';
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

const loopKeys = new WeakMap<CertInfo, string>();
const issuerKeys = new WeakMap<CertInfo, string>();

function loopKey(c: CertInfo): string {
  let k = loopKeys.get(c);
  if (k === undefined) loopKeys.set(c, (k = `${nameKey(c.subject)}|${Buffer.from(c.spki.raw).toString('base64')}`));
  return k;
}

function issuerKey(c: CertInfo): string {
  let k = issuerKeys.get(c);
  if (k === undefined) issuerKeys.set(c, (k = nameKey(c.issuer)));
  return k;
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

  /**
   * Depth-first over leaf-first paths ending in one of `anchors`; `visit` is called with each and
   * returns true to stop. (A callback rather than an async generator: delegating yields through
   * every level cost more than the search itself on ordinary three-certificate paths.)
   */
  async search(leaf: CertInfo, anchors: CertInfo[], visit: (path: CertInfo[]) => Promise<boolean>): Promise<void> {
    const anchorIds = new Set(anchors.map((a) => a.id));
    const index = indexBySubject([
      ...anchors.map((c) => ({ c, anchor: true })),
      ...this.pool.filter((c) => !anchorIds.has(c.id)).map((c) => ({ c, anchor: false })),
    ]);
    let produced = 0;
    const { maxDepth, maxPaths } = this.budget.limits;
    const used = new Set([leaf.id]);
    const loops = new Set([loopKey(leaf)]);

    /** true when the visitor asked to stop */
    const walk = async (path: CertInfo[]): Promise<boolean> => {
      const cur = path[path.length - 1]!;
      const cands = (index.get(issuerKey(cur)) ?? []).filter(({ c }) => !used.has(c.id) && !loops.has(loopKey(c)) && !keyIdsDiffer(cur, c));
      if (cands.length > 1) cands.sort((a, b) => rank(cur, b, this.at) - rank(cur, a, this.at));
      for (const { c, anchor } of cands) {
        this.budget.step();
        // path.length - 1 intermediates so far; going above a non-anchor adds one more.
        if (!anchor && path.length > maxDepth) {
          this.depthCut = true;
          continue;
        }
        if (keyKnownAlone(c) && !(await this.budget.verify(cur, signingKeyOf(c)))) {
          this.noteRejected([...path, c], anchor);
          continue;
        }
        if (anchor) {
          if (++produced > maxPaths) throw new BudgetExhausted('paths');
          if (await visit([...path, c])) return true;
          continue;
        }
        used.add(c.id);
        loops.add(loopKey(c));
        const stop = await walk([...path, c]);
        used.delete(c.id);
        loops.delete(loopKey(c));
        if (stop) return true;
      }
      return false;
    };

    await walk([leaf]);
  }

  private noteRejected(path: CertInfo[], toAnchor: boolean): void {
    const r = this.rejected;
    if (!r || (toAnchor && !r.toAnchor) || (toAnchor === r.toAnchor && path.length > r.path.length))
      this.rejected = { path, toAnchor };
  }
}
