// An RFC 3161 time-stamp token as a proof of existence: its imprint must be the hash of what it
// stamps (the signature value for a signature time-stamp, the signed bytes for a document
// time-stamp), its own CMS signature must verify, and the TSA's certificate must carry
// id-kp-timeStamping and chain to a trusted root. The TSA chain is judged at the token's own
// genTime, with the revocation data at hand (see chain.ts): without archive time-stamps (B-LTA)
// that is the best a validator can do, and it keeps a token valid after the TSA certificate expires.

import type * as pkijs from 'pkijs';
import { digest, type HashName } from '../cms/attributes.js';
import { parseSignedData, verifyCms, type ChainValidator } from '../cms/verify.js';
import { readTimestampToken } from '../pdf/timestamp.js';
import type { TrustMaterial } from '../trust.js';
import { judgeChain } from './chain.js';
import { EKU_TIME_STAMPING, extendedKeyUsage } from './certificates.js';
import { fromSignedData, merge, type Material } from './material.js';
import { noDot } from './messages.js';
import type { TimestampReport } from './types.js';

/** A ChainValidator that only records what verifyCms found: the chain is judged separately. */
export function capturingValidator(): { validator: ChainValidator; captured: { leaf?: pkijs.Certificate; untrusted: pkijs.Certificate[] } } {
  const captured: { leaf?: pkijs.Certificate; untrusted: pkijs.Certificate[] } = { untrusted: [] };
  const validator: ChainValidator = async (leaf, untrusted) => {
    captured.leaf = leaf;
    captured.untrusted = untrusted;
    return { status: 'valid', code: 'OK', message: '', messageVi: '', path: [leaf] };
  };
  return { validator, captured };
}

export async function validateTimestamp(token: Uint8Array, stamped: Uint8Array, o: { now: Date; trust: TrustMaterial; material: Material }): Promise<TimestampReport> {
  let info: ReturnType<typeof readTimestampToken>;
  try {
    info = readTimestampToken(token);
  } catch (e) {
    return {
      genTime: new Date(NaN),
      imprintMatches: false,
      tokenIntact: false,
      tsaKeyPurpose: false,
      chainStatus: 'not-checked',
      valid: false,
      problem: { vi: `dấu thời gian không đọc được (${(e as Error).message})`, en: `the time-stamp token cannot be read (${(e as Error).message})` },
    };
  }
  const report: TimestampReport = {
    genTime: info.genTime,
    serial: info.serial,
    policy: info.policy,
    imprintMatches: false,
    tokenIntact: false,
    tsaKeyPurpose: false,
    chainStatus: 'not-checked',
    valid: false,
  };
  const expected = info.hash ? digest(info.hash as HashName, stamped) : undefined;
  report.imprintMatches = expected !== undefined && Buffer.from(expected).equals(Buffer.from(info.hashedMessage));
  if (!report.imprintMatches) {
    report.problem = { vi: 'dấu thời gian được cấp cho dữ liệu khác (giá trị băm không khớp)', en: 'the time-stamp was issued for other data (the imprint does not match)' };
    return report;
  }

  const { validator, captured } = capturingValidator();
  const check = await verifyCms({ p7s: token, validateChain: validator, at: o.now });
  report.tokenIntact = check.integrity && check.indication === 'TOTAL-PASSED';
  if (check.signer) report.tsa = check.signer.subject;
  const tsaCert = captured.leaf;
  if (!report.tokenIntact || !tsaCert) {
    report.problem = { vi: `chữ ký của dấu thời gian không hợp lệ: ${noDot(check.messageVi)}`, en: `the time-stamp's own signature is not valid: ${noDot(check.message)}` };
    return report;
  }
  const eku = extendedKeyUsage(tsaCert);
  report.tsaKeyPurpose = Boolean(eku?.purposes.includes(EKU_TIME_STAMPING));
  if (!report.tsaKeyPurpose) {
    report.problem = { vi: 'chứng thư số của đơn vị cấp dấu thời gian không có mục đích id-kp-timeStamping', en: "the time-stamping authority's certificate lacks the id-kp-timeStamping key purpose" };
    return report;
  }
  const material = merge(o.material, fromSignedData(parseSignedData(token), 'cms'));
  const chain = await judgeChain(tsaCert, { at: info.genTime, now: o.now, trust: o.trust, material });
  report.chainStatus = chain.status;
  if (chain.status !== 'valid') {
    report.problem = { vi: `chuỗi chứng thư của đơn vị cấp dấu thời gian: ${noDot(chain.message.vi)}`, en: `the time-stamping authority's chain: ${noDot(chain.message.en)}` };
    return report;
  }
  report.valid = true;
  return report;
}
