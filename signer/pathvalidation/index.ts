// Entry point: RFC 5280 certification path validation (§6.1) with revocation (§6.3).
// validatePath() builds candidate paths, runs the §6.1 state machine on each, then checks
// revocation; the first path that passes everything wins, otherwise the first failure is reported.
import type * as pkijs from 'pkijs';
import { Budget, BudgetExhausted } from './budget.js';
import { PathBuilder } from './build.js';
import { REASON_TEXT, budgetFailure, certLabel, custom, failure, fmtDate } from './messages.js';
import { CrlInfo, crlInfo } from './crl.js';
import { CertInfo, OID, certInfo } from './model.js';
import { nameToString } from './names.js';
import { checkOcsp } from './ocsp.js';
import { CrlContext, checkCrls } from './revocation.js';
import type { SigningKey } from './signature.js';
import { PolicyParams, validateChain } from './validate.js';
import type { Failure, PathValidationInput, PathValidationResult, Purpose, RevocationInfo } from './types.js';

export type {
  PathValidationInput,
  PathValidationResult,
  PathStatus,
  PathCode,
  Purpose,
  RevocationInfo,
} from './types.js';
export { DEFAULT_LIMITS, type PathLimits } from './budget.js';

/** CRL issuer paths are validated recursively; this bounds the recursion. */
const MAX_CRL_ISSUER_DEPTH = 4;

const DEFAULT_POLICY: PolicyParams = {
  userInitialPolicySet: [OID.anyPolicy],
  initialExplicitPolicy: false,
  initialPolicyMappingInhibit: false,
  initialAnyPolicyInhibit: false,
};

function decodeAll<T, R>(items: T[] | undefined, decode: (x: T) => R): R[] {
  const out: R[] = [];
  for (const x of items ?? []) {
    try {
      out.push(decode(x));
    } catch {
      // An undecodable extra certificate or CRL is simply not usable.
    }
  }
  return out;
}

type PathOutcome =
  | { ok: true; result: PathValidationResult }
  | { ok: false; failure: Failure; path: CertInfo[]; revocation?: RevocationInfo[] };

class Session {
  private issuerMemo = new Map<string, Promise<boolean>>();
  private inProgress = new Set<string>();

  constructor(
    private readonly at: Date,
    private readonly pool: CertInfo[],
    private readonly crls: CrlInfo[],
    private readonly ocsp: pkijs.BasicOCSPResponse[],
    private readonly checkRevocation: boolean,
    readonly budget: Budget,
  ) {}

  async validate(
    leaf: CertInfo,
    anchors: CertInfo[],
    policy: PolicyParams,
    depth: number,
    purpose: Purpose = 'any',
  ): Promise<PathOutcome> {
    if (anchors.some((a) => a.id === leaf.id)) return { ok: true, result: ok([leaf], [], []) };
    let first: PathOutcome | undefined;
    let found: PathOutcome | undefined;
    const builder = new PathBuilder(this.pool, this.budget, this.at);
    await builder.search(leaf, anchors, async (path) => {
      const chain = await validateChain(path, this.at, policy, this.budget, purpose);
      if ('code' in chain) {
        first ??= { ok: false, failure: chain, path };
        return false;
      }
      let revocation: RevocationInfo[] = [];
      if (this.checkRevocation) {
        const rev = await this.revocation(path, chain.keys, depth);
        revocation = rev.infos;
        if (rev.failure) {
          first ??= { ok: false, failure: rev.failure, path, revocation };
          return false;
        }
      }
      found = { ok: true, result: ok(path, revocation, chain.policies) };
      return true;
    });
    if (found) return found;
    if (first) return first;
    if (builder.depthCut) return { ok: false, failure: budgetFailure('depth', this.budget.limits), path: [leaf] };
    const rejected = builder.rejected;
    if (rejected?.toAnchor) {
      // Every path that reached an anchor broke on a signature: report the first of them as such.
      const chain = await validateChain(rejected.path, this.at, policy, this.budget, purpose);
      if ('code' in chain) return { ok: false, failure: chain, path: rejected.path };
    }
    if (rejected) {
      const len = rejected.path.length + 1;
      return { ok: false, failure: failure('SIGNATURE_INVALID', certLabel(len - 3, len)), path: rejected.path };
    }
    const label = certLabel(0, 2);
    const issuer = nameToString(leaf.issuer);
    return {
      ok: false,
      path: [leaf],
      failure: custom(
        'NO_PATH',
        `No certification path to a trust anchor could be built: no certificate matches the issuer name of ${label.en} ("${issuer}") or of a certificate above it.`,
        `Không xây dựng được đường dẫn chứng thực đến chứng thư số gốc tin cậy: không có chứng thư số nào khớp với tên bên phát hành của ${label.vi} ("${issuer}") hoặc của chứng thư số cấp trên.`,
      ),
    };
  }

  /** Revocation of every non-anchor certificate, from the anchor side down. */
  private async revocation(
    path: CertInfo[],
    keys: SigningKey[],
    depth: number,
  ): Promise<{ infos: RevocationInfo[]; failure?: Failure }> {
    const len = path.length;
    const anchor = path[len - 1]!;
    const ctx: CrlContext = {
      at: this.at,
      crls: this.crls,
      pool: [...this.pool, ...path],
      anchor,
      inProgress: this.inProgress,
      validateCrlIssuer: (c) => this.validateCrlIssuer(c, anchor, depth),
    };
    const infos: RevocationInfo[] = [];
    let unknown: Failure | undefined;
    for (let pos = len - 2; pos >= 0; pos--) {
      const cert = path[pos]!;
      const label = certLabel(pos, len);
      const viaOcsp = await checkOcsp(this.ocsp, cert, path[pos + 1]!, keys[pos + 1]!, this.at);
      const outcome = viaOcsp
        ? { info: viaOcsp, problem: undefined }
        : await checkCrls(cert, path[pos + 1]!, keys[pos + 1]!, ctx);
      const info = outcome.info;
      infos.unshift(info);
      if (info.status === 'revoked') {
        const reason = REASON_TEXT[info.reason ?? 'unspecified'] ?? REASON_TEXT.unspecified!;
        const src = info.source === 'ocsp' ? 'An OCSP response' : 'The CRL';
        const srcVi = info.source === 'ocsp' ? 'phản hồi OCSP' : 'danh sách thu hồi (CRL)';
        const when = fmtDate(info.revokedAt!);
        return {
          infos,
          failure: custom(
            'REVOKED',
            `${src} indicates ${label.en} was revoked at ${when}, due to ${reason.en}.`,
            `Theo ${srcVi}, ${label.vi} đã bị thu hồi vào ${when}, lý do: ${reason.vi}.`,
          ),
        };
      }
      if (info.status === 'unknown' && !unknown) {
        const p = outcome.problem!;
        unknown = custom(
          'REVOCATION_UNKNOWN',
          `The revocation status of ${label.en} could not be determined: ${p.en}.`,
          `Không xác định được trạng thái thu hồi của ${label.vi}: ${p.vi}.`,
          'indeterminate',
        );
      }
    }
    return { infos, failure: unknown };
  }

  private validateCrlIssuer(c: CertInfo, anchor: CertInfo, depth: number): Promise<boolean> {
    if (depth >= MAX_CRL_ISSUER_DEPTH) return Promise.resolve(false);
    // Depth is part of the key: a verdict cut short by the depth bound must not be reused higher up.
    const key = `${c.id}/${anchor.id}/${depth}`;
    let p = this.issuerMemo.get(key);
    if (!p) {
      p = (async () => {
        this.inProgress.add(c.id);
        try {
          return (await this.validate(c, [anchor], DEFAULT_POLICY, depth + 1)).ok;
        } finally {
          this.inProgress.delete(c.id);
        }
      })();
      this.issuerMemo.set(key, p);
    }
    return p;
  }
}

function ok(path: CertInfo[], revocation: RevocationInfo[], policies: string[]): PathValidationResult {
  return {
    status: 'valid',
    code: 'OK',
    message: 'The certification path is valid.',
    messageVi: 'Đường dẫn chứng thực hợp lệ.',
    path: path.map((c) => c.cert),
    revocation,
    policies,
  };
}

export async function validatePath(input: PathValidationInput): Promise<PathValidationResult> {
  let leaf: CertInfo;
  try {
    leaf = certInfo(input.leaf);
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    return {
      status: 'invalid',
      code: 'MALFORMED',
      message: `The end-entity certificate could not be decoded: ${detail}.`,
      messageVi: `Không giải mã được chứng thư số đầu cuối: ${detail}.`,
      path: [input.leaf],
    };
  }
  const budget = new Budget(input.limits);
  try {
    return { ...(await run(input, leaf, budget)), signatureChecks: budget.signatureChecks };
  } catch (e) {
    if (e instanceof BudgetExhausted)
      return { ...budgetFailure(e.kind, budget.limits), path: [input.leaf], signatureChecks: budget.signatureChecks };
    // Never let an unexpected decoding corner case turn into an exception or, worse, a "valid".
    const detail = e instanceof Error ? e.message : String(e);
    return {
      status: 'indeterminate',
      code: 'MALFORMED',
      message: `The certification path could not be processed: ${detail}.`,
      messageVi: `Không xử lý được đường dẫn chứng thực: ${detail}.`,
      path: [input.leaf],
    };
  }
}

async function run(input: PathValidationInput, leaf: CertInfo, budget: Budget): Promise<PathValidationResult> {
  const anchors = decodeAll(input.trustAnchors, certInfo);
  const pool = decodeAll(input.untrusted, certInfo);
  const crls = decodeAll(input.crls, crlInfo);
  const session = new Session(
    input.at ?? new Date(),
    pool,
    crls,
    input.ocsp ?? [],
    input.checkRevocation ?? true,
    budget,
  );
  const outcome = await session.validate(
    leaf,
    anchors,
    {
      userInitialPolicySet: input.userInitialPolicySet ?? [OID.anyPolicy],
      initialExplicitPolicy: input.initialExplicitPolicy ?? false,
      initialPolicyMappingInhibit: input.initialPolicyMappingInhibit ?? false,
      initialAnyPolicyInhibit: input.initialAnyPolicyInhibit ?? false,
    },
    0,
    input.purpose ?? 'any',
  );
  if (outcome.ok) return outcome.result;
  return {
    ...outcome.failure,
    path: outcome.path.map((c) => c.cert),
    ...(outcome.revocation ? { revocation: outcome.revocation } : {}),
  };
}
