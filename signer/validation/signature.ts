// One CMS signature (a PAdES /Contents, a .p7s, an S/MIME signature) judged as ETSI EN 319 102-1
// describes: the cryptographic check (verifyCms), the proof of existence from a signature
// time-stamp, then the signer's chain and revocation at the validation time (the POE when there
// is one, otherwise now), mapped onto an indication and sub-indication.

import type * as pkijs from 'pkijs';
import { OID, toU8 } from '../cms/attributes.js';
import { parseSignedData, type VerifyReport } from '../cms/verify.js';
import type { TrustMaterial } from '../trust.js';
import type { Purpose } from '../pathvalidation/index.js';
import { judgeChain, type ChainJudgement } from './chain.js';
import { keyUsageBits, summarize } from './certificates.js';
import { checkMaterialLimits } from './limits.js';
import { fetchCrls, fromSignedData, merge, type Material } from './material.js';
import { REASON_TEXT, SUB_INDICATION_TEXT, finding, noDot, vnTime } from './messages.js';
import { capturingValidator, validateTimestamp } from './timestamp.js';
import type { Finding, Indication, SignatureReport, Text } from './types.js';

export interface Context {
  now: Date;
  trust: TrustMaterial;
  fetchRevocation: boolean;
}

export interface EvaluateInput {
  /** The DER SignedData (for the time-stamp and the revocation data it carries); undefined when unreadable. */
  cms?: Uint8Array;
  /** Runs the cryptographic check with the validator it is given (verifyCms or verifySmime). */
  verify: (validator: ReturnType<typeof capturingValidator>['validator']) => Promise<VerifyReport>;
  /** Validation material from the container (the PDF's DSS), before the CMS's own. */
  embedded?: Material;
  /** The claimed signing time when the container states it (/M); otherwise the CMS signing-time. */
  claimed?: { time: Date; source: '/M' | 'signing-time' };
  /** Later proofs of existence (valid document time-stamps covering this signature). */
  laterPoe?: Date[];
  /** PAdES: a CMS signing-time attribute is not allowed (ETSI EN 319 142-1). */
  pades?: boolean;
  /** B-LT: revocation data for this signature is stored with it. */
  longTermData?: boolean;
  /** the use the signer's certificate must allow: 'smime' for mail, 'document' (default) for PDF and .p7s */
  purpose?: Purpose;
}

/** What a signature report needs besides where it sits (index, format, coverage). */
export type Evaluated = Omit<SignatureReport, 'index' | 'kind' | 'format' | 'fieldName' | 'name' | 'reason' | 'location' | 'coverage'>;

/** Reasons for which a certificate's key was not compromised: signatures made before stay sound. */
const BENIGN_REASONS = new Set(['affiliationChanged', 'superseded', 'cessationOfOperation', 'privilegeWithdrawn', 'certificateHold']);
const CLOCK_TOLERANCE_MS = 5 * 60 * 1000;

function sub(code: string, detail?: Text): Text {
  const t = SUB_INDICATION_TEXT[code] ?? { vi: code, en: code };
  return detail ? { vi: `${t.vi}: ${detail.vi}`, en: `${t.en}: ${detail.en}` } : t;
}

/** The indication a chain judgement leads to. */
function chainIndication(chain: ChainJudgement, poe: Date | undefined, claimed: Date | undefined): { indication: Indication; subIndication?: string } {
  switch (chain.code) {
    case 'OK':
      return { indication: 'TOTAL-PASSED' };
    case 'REVOKED': {
      // Without a proof of existence, a signature whose signer claims a time before a revocation
      // that does not say the key was compromised may well have been sound when it was made.
      const benign = BENIGN_REASONS.has(chain.revoked?.reason ?? 'unspecified');
      if (!poe && benign && claimed && chain.revoked && claimed < chain.revoked.at) return { indication: 'INDETERMINATE', subIndication: 'REVOKED_NO_POE' };
      return { indication: 'TOTAL-FAILED', subIndication: 'REVOKED' };
    }
    case 'EXPIRED':
      return { indication: 'INDETERMINATE', subIndication: 'OUT_OF_BOUNDS_NO_POE' };
    case 'NOT_YET_VALID':
      return poe ? { indication: 'TOTAL-FAILED', subIndication: 'NOT_YET_VALID' } : { indication: 'INDETERMINATE', subIndication: 'NOT_YET_VALID' };
    case 'NO_PATH':
      return { indication: 'INDETERMINATE', subIndication: 'NO_CERTIFICATE_CHAIN_FOUND' };
    case 'REVOCATION_UNKNOWN':
      return { indication: 'INDETERMINATE', subIndication: 'TRY_LATER' };
    case 'MALFORMED':
    case 'SIGNATURE_INVALID':
    case 'BUDGET_EXCEEDED':
      return { indication: 'INDETERMINATE', subIndication: 'CERTIFICATE_CHAIN_GENERAL_FAILURE' };
    default:
      return { indication: 'INDETERMINATE', subIndication: 'CHAIN_CONSTRAINTS_FAILURE' };
  }
}

function signatureParts(sd: pkijs.SignedData): { value?: Uint8Array; token?: Uint8Array; signers: number } {
  const si = sd.signerInfos[0];
  if (!si) return { signers: 0 };
  const attr = si.unsignedAttrs?.attributes.find((a) => a.type === OID.signatureTimeStampToken);
  const token = attr?.values[0];
  return { value: toU8(si.signature.valueBlock.valueHexView), ...(token ? { token: toU8(token.toBER(false)) } : {}), signers: sd.signerInfos.length };
}

export async function evaluateSignature(input: EvaluateInput, ctx: Context): Promise<Evaluated> {
  const errors: Finding[] = [];
  const warnings: Finding[] = [];
  const notes: Finding[] = [];
  const base = (): Evaluated => ({
    validationTime: ctx.now,
    indication: 'INDETERMINATE',
    summary: { vi: '', en: '' },
    intact: false,
    changed: false,
    chain: [],
    revocation: { status: 'not-checked', source: 'none' },
    errors,
    warnings,
    notes,
  });

  // 1. Cryptography: digest, signature value, signing-certificate attribute, algorithms.
  const { validator, captured } = capturingValidator();
  let crypto: VerifyReport;
  try {
    crypto = await input.verify(validator);
  } catch (e) {
    const r = base();
    r.indication = 'TOTAL-FAILED';
    r.subIndication = 'FORMAT_FAILURE';
    r.summary = sub('FORMAT_FAILURE', { vi: (e as Error).message, en: (e as Error).message });
    errors.push(finding('FORMAT_FAILURE', r.summary.vi, r.summary.en));
    return r;
  }
  const r = base();
  const leaf = crypto.signer?.certificate ?? captured.leaf;
  if (leaf) r.signer = summarize(leaf);
  const claimed = input.claimed ?? (crypto.signingTime ? { time: crypto.signingTime, source: 'signing-time' as const } : undefined);
  if (claimed) {
    r.claimedSigningTime = claimed.time;
    r.claimedSigningTimeSource = claimed.source;
  }
  r.intact = crypto.integrity;
  r.changed = crypto.subIndication === 'HASH_FAILURE';
  if (input.pades && crypto.signingTime) {
    warnings.push(finding('CMS_SIGNING_TIME', 'Chữ ký PAdES có thuộc tính signing-time trong CMS (ETSI EN 319 142-1 không cho phép); thời điểm ký được lấy từ /M.', 'The PAdES signature has a CMS signing-time attribute (ETSI EN 319 142-1 forbids it); the claimed time is taken from /M.'));
  }
  if (crypto.indication !== 'TOTAL-PASSED' || !leaf) {
    r.indication = crypto.indication === 'TOTAL-PASSED' ? 'INDETERMINATE' : crypto.indication;
    r.subIndication = crypto.subIndication ?? 'NO_SIGNING_CERTIFICATE_FOUND';
    r.summary = { vi: crypto.messageVi, en: crypto.message };
    errors.push(finding(r.subIndication, crypto.messageVi, crypto.message));
    return r;
  }

  // 2. What the CMS carries: other signers, the signature time-stamp, revocation data.
  let sd: pkijs.SignedData | undefined;
  try {
    sd = input.cms ? parseSignedData(input.cms) : undefined;
  } catch {
    sd = undefined;
  }
  const parts = sd ? signatureParts(sd) : { signers: 1 };
  if (parts.signers > 1) {
    warnings.push(finding('MULTIPLE_SIGNERS', `Chữ ký có ${parts.signers} người ký; chỉ người ký thứ nhất được kiểm tra.`, `The signature has ${parts.signers} signers; only the first is checked.`));
  }
  const brought = merge(input.embedded ?? { certificates: [], crls: [], ocsps: [] }, sd ? fromSignedData(sd, 'cms') : { certificates: [], crls: [], ocsps: [] });
  checkMaterialLimits(brought);
  let material = merge(brought, {
    certificates: [...captured.untrusted, ...ctx.trust.intermediates],
    crls: ctx.trust.crls.map((crl) => ({ crl, source: 'trust' as const })),
    ocsps: [],
  });
  if (ctx.fetchRevocation) material = merge(material, await fetchCrls([leaf, ...material.certificates]));

  // 3. Proof of existence: the signature time-stamp (imprint = hash of the signature value).
  let poe: Date | undefined;
  if (parts.token && parts.value) {
    r.timestamp = await validateTimestamp(parts.token, parts.value, { now: ctx.now, trust: ctx.trust, material });
    if (r.timestamp.valid) poe = r.timestamp.genTime;
    else warnings.push(finding('TIMESTAMP_INVALID', `Dấu thời gian của chữ ký không dùng được: ${noDot(r.timestamp.problem?.vi ?? '')}. Chữ ký được kiểm tra như không có dấu thời gian.`, `The signature time-stamp cannot be used: ${noDot(r.timestamp.problem?.en ?? '')}. The signature is checked as if it had none.`));
  }
  for (const t of input.laterPoe ?? []) if (!poe || t < poe) poe = t;
  if (poe) r.poeTime = poe;
  const at = poe ?? ctx.now;
  r.validationTime = at;

  // 4. The chain and revocation at the validation time.
  const chain = await judgeChain(leaf, { at, now: ctx.now, trust: ctx.trust, material, purpose: input.purpose ?? 'document' });
  r.chainStatus = chain.status;
  r.chain = chain.path.map(summarize);
  r.revocation = chain.revocation;
  const verdict = chainIndication(chain, poe, claimed?.time);
  r.indication = verdict.indication;
  if (verdict.subIndication) r.subIndication = verdict.subIndication;

  if (r.indication === 'TOTAL-PASSED') {
    const ku = keyUsageBits(leaf);
    if (ku && !ku.has(0) && !ku.has(1)) {
      r.indication = 'INDETERMINATE';
      r.subIndication = 'CHAIN_CONSTRAINTS_FAILURE';
      chain.message = { vi: 'chứng thư số của người ký không cho phép ký số (keyUsage thiếu digitalSignature và nonRepudiation)', en: "the signer's certificate does not allow signing (keyUsage has neither digitalSignature nor nonRepudiation)" };
    }
  }

  if (r.indication === 'TOTAL-PASSED') {
    r.summary = poe
      ? {
          vi: `Chữ ký hợp lệ: nội dung toàn vẹn; chứng thư số của người ký hợp lệ và chưa bị thu hồi tại thời điểm có bằng chứng tồn tại (${vnTime(poe)}).`,
          en: `The signature is valid: the content is intact; the signer's certificate was valid and not revoked at the proof-of-existence time (${vnTime(poe)}).`,
        }
      : {
          vi: `Chữ ký hợp lệ: nội dung toàn vẹn; chứng thư số của người ký hợp lệ và chưa bị thu hồi tại thời điểm kiểm tra (${vnTime(at)}).`,
          en: `The signature is valid: the content is intact; the signer's certificate is valid and not revoked at the validation time (${vnTime(at)}).`,
        };
  } else {
    r.summary = sub(r.subIndication!, chain.message);
    errors.push(finding(r.subIndication!, r.summary.vi, r.summary.en));
  }

  // 5. Notes and warnings that do not change the indication.
  if (chain.revokedLater && r.indication === 'TOTAL-PASSED') {
    const why = REASON_TEXT[chain.revokedLater.reason ?? 'unspecified'] ?? REASON_TEXT.unspecified!;
    notes.push(finding('REVOKED_AFTER_POE', `Chứng thư số của người ký đã bị thu hồi lúc ${vnTime(chain.revokedLater.at)} (${why.vi}), sau thời điểm ${poe ? 'có bằng chứng tồn tại' : 'kiểm tra'} của chữ ký; chữ ký không bị ảnh hưởng.`, `The signer's certificate was revoked at ${vnTime(chain.revokedLater.at)} (${why.en}), after the signature's ${poe ? 'proof of existence' : 'validation time'}; the signature is not affected.`));
  }
  if (poe && leaf.notAfter.value < ctx.now && r.indication === 'TOTAL-PASSED') {
    notes.push(finding('EXPIRED_AFTER_POE', `Chứng thư số đã hết hạn lúc ${vnTime(leaf.notAfter.value)}, sau thời điểm có dấu thời gian; chữ ký vẫn hợp lệ nhờ dấu thời gian.`, `The certificate expired at ${vnTime(leaf.notAfter.value)}, after the time-stamp; the signature stays valid thanks to the time-stamp.`));
  }
  if (chain.revocation.fromLaterData) {
    notes.push(finding('LATER_REVOCATION_DATA', 'Tình trạng thu hồi được xác định bằng dữ liệu thu hồi phát hành sau thời điểm đánh giá.', 'The revocation status was established with revocation data issued after the validation time.'));
  }
  if (!poe && r.indication === 'TOTAL-PASSED') {
    notes.push(finding('NO_TIMESTAMP', 'Chữ ký không có dấu thời gian: kết quả chỉ đúng tại thời điểm kiểm tra; khi chứng thư số hết hạn hoặc bị thu hồi, chữ ký sẽ không còn kiểm tra được.', 'The signature has no time-stamp: the result holds at the validation time only; once the certificate expires or is revoked the signature can no longer be validated.'));
  }
  if (claimed && poe && claimed.time.getTime() > poe.getTime() + CLOCK_TOLERANCE_MS) {
    warnings.push(finding('CLAIMED_TIME_AFTER_TIMESTAMP', `Thời điểm ký tự khai (${vnTime(claimed.time)}) muộn hơn dấu thời gian (${vnTime(poe)}).`, `The claimed signing time (${vnTime(claimed.time)}) is later than the time-stamp (${vnTime(poe)}).`));
  }
  if (claimed && (claimed.time < leaf.notBefore.value || claimed.time > leaf.notAfter.value)) {
    warnings.push(finding('CLAIMED_TIME_OUTSIDE_VALIDITY', `Thời điểm ký tự khai (${vnTime(claimed.time)}) nằm ngoài thời hạn hiệu lực của chứng thư số.`, `The claimed signing time (${vnTime(claimed.time)}) is outside the certificate's validity period.`));
  }

  r.level = parts.token ? (input.longTermData || material.crls.some((c) => c.source === 'cms') || material.ocsps.some((o) => o.source === 'cms') ? 'B-LT' : 'B-T') : 'B-B';
  return r;
}
