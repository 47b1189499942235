// The work one validation may do. Path building over hostile input (dozens of certificates with the
// same name and no key identifiers) is a search over a graph that can be exponential in the number
// of paths; what bounds it is the number of signature checks (the expensive step, each (key, child)
// pair verified at most once), the number of building steps, and a wall-clock deadline. When any of
// them runs out the validation stops with INDETERMINATE instead of running on.
import type { CertInfo } from './model.js';
import { SigningKey, verifyCertSignature } from './signature.js';

export interface PathLimits {
  /** intermediates between the leaf and the anchor, as OpenSSL's -verify_depth counts them */
  maxDepth: number;
  /** certificate signature verifications per validation (memoised pairs count once) */
  maxSignatureChecks: number;
  /** wall-clock budget for one validation, in milliseconds */
  timeMs: number;
  /** complete candidate paths tried before giving up */
  maxPaths: number;
  /** building steps (candidate examinations): bounds the search even when signatures are cached */
  maxSteps: number;
}

export const DEFAULT_LIMITS: PathLimits = {
  maxDepth: 10,
  maxSignatureChecks: 100,
  timeMs: 2000,
  maxPaths: 64,
  maxSteps: 10_000,
};

export type BudgetKind = 'signatures' | 'time' | 'paths' | 'steps' | 'depth' | 'names';

export class BudgetExhausted extends Error {
  constructor(readonly kind: BudgetKind) {
    super(`path validation budget exhausted: ${kind}`);
  }
}

export class Budget {
  readonly limits: PathLimits;
  signatureChecks = 0;
  private steps = 0;
  private readonly deadline: number;
  /** verdicts by key bytes (object identity: a CertInfo keeps its SPKI; inherited DSA keys are new) and child id */
  private readonly memo = new Map<Uint8Array, Map<string, boolean>>();

  constructor(limits: Partial<PathLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    this.deadline = Date.now() + this.limits.timeMs;
  }

  /** One unit of building work; throws when the step count or the deadline is used up. */
  step(): void {
    if (++this.steps > this.limits.maxSteps) throw new BudgetExhausted('steps');
    this.checkTime();
  }

  checkTime(): void {
    if (Date.now() >= this.deadline) throw new BudgetExhausted('time');
  }

  /** Does `key` verify the signature on `child`? Each (key, child) pair is verified once. */
  async verify(child: CertInfo, key: SigningKey): Promise<boolean> {
    let byChild = this.memo.get(key.spkiDer);
    if (!byChild) this.memo.set(key.spkiDer, (byChild = new Map()));
    const hit = byChild.get(child.id);
    if (hit !== undefined) return hit;
    this.checkTime();
    if (this.signatureChecks >= this.limits.maxSignatureChecks) throw new BudgetExhausted('signatures');
    this.signatureChecks++;
    const ok = await verifyCertSignature(child.cert, key);
    byChild.set(child.id, ok);
    return ok;
  }
}
