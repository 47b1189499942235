// Candidate path enumeration from the leaf towards a trust anchor. Issuers are matched by name;
// key identifiers only order the candidates, since AKI/SKI are hints and may be absent or stale.
// Paths are produced lazily so the caller can stop at the first one that validates.
import type { CertInfo } from './model.js';
import { nameEquals } from './names.js';

const MAX_DEPTH = 12;
const MAX_PATHS = 64;

function rank(child: CertInfo, cand: CertInfo, isAnchor: boolean): number {
  let r = 0;
  if (child.aki !== undefined && cand.ski !== undefined) r += child.aki === cand.ski ? 4 : -4;
  if (isAnchor) r += 1;
  return r;
}

/** Yields leaf-first paths ending in a trust anchor; no certificate appears twice in a path. */
export function* candidatePaths(
  leaf: CertInfo,
  anchors: CertInfo[],
  pool: CertInfo[],
): Generator<CertInfo[]> {
  const anchorIds = new Set(anchors.map((a) => a.id));
  const untrusted = pool.filter((c, i) => !anchorIds.has(c.id) && pool.findIndex((x) => x.id === c.id) === i);
  let produced = 0;

  function* walk(path: CertInfo[]): Generator<CertInfo[]> {
    const cur = path[path.length - 1]!;
    const used = new Set(path.map((c) => c.id));
    const cands = [
      ...anchors.map((c) => ({ c, anchor: true })),
      ...untrusted.map((c) => ({ c, anchor: false })),
    ]
      .filter(({ c }) => !used.has(c.id) && nameEquals(c.subject, cur.issuer))
      .sort((a, b) => rank(cur, b.c, b.anchor) - rank(cur, a.c, a.anchor));
    for (const { c, anchor } of cands) {
      if (produced >= MAX_PATHS) return;
      if (anchor) {
        produced++;
        yield [...path, c];
      } else if (path.length < MAX_DEPTH) {
        yield* walk([...path, c]);
      }
    }
  }

  yield* walk([leaf]);
}
