// Bilingual failure texts. Certificates are named by position the way operators read a chain:
// intermediates are numbered from the trust anchor down, the leaf is "the end-entity certificate".
import type { BudgetKind, PathLimits } from './budget.js';
import type { Failure, PathCode } from './types.js';

export interface Label {
  en: string;
  vi: string;
}

/** pos: index in a leaf-first path of length `len` (the anchor is last). */
export function certLabel(pos: number, len: number): Label {
  if (pos === 0) return { en: 'the end-entity certificate', vi: 'chứng thư số đầu cuối' };
  if (pos === len - 1) return { en: 'the trust anchor', vi: 'chứng thư số gốc tin cậy' };
  const k = len - 1 - pos;
  return { en: `intermediate certificate ${k}`, vi: `chứng thư số trung gian thứ ${k}` };
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function fmtDate(d: Date): string {
  return d.toISOString().replace('.000Z', 'Z');
}

type Texts = (c: Label, x: string) => { en: string; vi: string };

const TEXTS: Partial<Record<PathCode, Texts>> = {
  SIGNATURE_INVALID: (c) => ({
    en: `The signature of ${c.en} could not be verified.`,
    vi: `Không xác minh được chữ ký của ${c.vi}.`,
  }),
  EXPIRED: (c, x) => ({ en: `${cap(c.en)} expired on ${x}.`, vi: `${cap(c.vi)} đã hết hạn vào ${x}.` }),
  NOT_YET_VALID: (c, x) => ({
    en: `${cap(c.en)} is not valid until ${x}.`,
    vi: `${cap(c.vi)} chưa có hiệu lực cho đến ${x}.`,
  }),
  NAME_CHAINING: (c) => ({
    en: `The issuer name of ${c.en} does not match the subject name of the certificate above it.`,
    vi: `Tên bên phát hành của ${c.vi} không khớp với tên chủ thể của chứng thư số cấp trên.`,
  }),
  BASIC_CONSTRAINTS: (c) => ({
    en: `${cap(c.en)} is not a CA certificate (basicConstraints cA is not set).`,
    vi: `${cap(c.vi)} không phải là chứng thư số của tổ chức chứng thực (basicConstraints không có cA).`,
  }),
  PATH_LENGTH: (c) => ({
    en: `The path exceeds the maximum path length allowed by the CA certificates (at ${c.en}).`,
    vi: `Đường dẫn chứng thực vượt quá độ dài tối đa mà các chứng thư số CA cho phép (tại ${c.vi}).`,
  }),
  KEY_USAGE: (c) => ({
    en: `${cap(c.en)} is not allowed to sign certificates (keyUsage lacks keyCertSign).`,
    vi: `${cap(c.vi)} không được phép ký chứng thư số (keyUsage thiếu keyCertSign).`,
  }),
  UNKNOWN_CRITICAL_EXTENSION: (c, x) => ({
    en: `${cap(c.en)} contains the following unsupported critical extensions: ${x}.`,
    vi: `${cap(c.vi)} chứa các phần mở rộng bắt buộc (critical) không được hỗ trợ: ${x}.`,
  }),
  MALFORMED: (c, x) => ({
    en: `${cap(c.en)} could not be decoded: ${x}.`,
    vi: `Không giải mã được ${c.vi}: ${x}.`,
  }),
};

export function failure(code: PathCode, c: Label, detail = ''): Failure {
  const t = TEXTS[code]!(c, detail);
  return { status: 'invalid', code, message: t.en, messageVi: t.vi };
}

export function custom(
  code: PathCode,
  en: string,
  vi: string,
  status: Failure['status'] = 'invalid',
): Failure {
  return { status, code, message: en, messageVi: vi };
}

export const REASON_TEXT: Record<string, Label> = {
  unspecified: { en: 'unspecified reason', vi: 'không nêu lý do' },
  keyCompromise: { en: 'a compromised key', vi: 'khóa bí mật bị lộ' },
  cACompromise: { en: 'a compromised CA key', vi: 'khóa của CA bị lộ' },
  affiliationChanged: { en: 'an affiliation change', vi: 'thay đổi đơn vị công tác' },
  superseded: { en: 'being superseded', vi: 'đã được thay thế' },
  cessationOfOperation: { en: 'cessation of operation', vi: 'ngừng hoạt động' },
  certificateHold: { en: 'a certificate hold', vi: 'tạm dừng hiệu lực' },
  privilegeWithdrawn: { en: 'privileges being withdrawn', vi: 'bị rút quyền' },
  aACompromise: { en: 'a compromised attribute authority key', vi: 'khóa của tổ chức cấp thuộc tính bị lộ' },
};

/** Why revocation information could not be used, in both languages. */
export const REVINFO: Record<string, Label> = {
  none: { en: 'no CRL or OCSP response covers it', vi: 'không có CRL hoặc phản hồi OCSP nào áp dụng cho nó' },
  stale: {
    en: 'the CRL is not recent enough (nextUpdate has passed)',
    vi: 'CRL không còn cập nhật (đã quá thời điểm nextUpdate)',
  },
  future: { en: 'the CRL is not yet in effect', vi: 'CRL chưa có hiệu lực' },
  signature: { en: 'the CRL signature could not be verified', vi: 'không xác minh được chữ ký của CRL' },
  issuerPath: {
    en: 'the CRL issuer certificate path could not be validated',
    vi: 'không xác thực được đường dẫn chứng thực của bên phát hành CRL',
  },
  crlSign: {
    en: 'the CRL issuer is not allowed to sign CRLs (keyUsage lacks cRLSign)',
    vi: 'bên phát hành CRL không được phép ký CRL (keyUsage thiếu cRLSign)',
  },
  critical: {
    en: 'the CRL contains unrecognised critical extensions',
    vi: 'CRL chứa phần mở rộng bắt buộc không nhận biết được',
  },
  scope: {
    en: 'the CRL scope (issuingDistributionPoint) does not cover it',
    vi: 'phạm vi của CRL (issuingDistributionPoint) không bao gồm nó',
  },
  reasons: {
    en: 'the available CRLs do not cover all revocation reasons',
    vi: 'các CRL hiện có không bao quát mọi lý do thu hồi',
  },
};

const BUDGET_TEXT: Record<BudgetKind, (l: PathLimits) => Label> = {
  depth: (l) => ({
    en: `a path would need more than ${l.maxDepth} intermediate certificates`,
    vi: `đường dẫn cần hơn ${l.maxDepth} chứng thư số trung gian`,
  }),
  signatures: (l) => ({
    en: `more than ${l.maxSignatureChecks} certificate signature checks would be needed`,
    vi: `cần kiểm tra hơn ${l.maxSignatureChecks} chữ ký chứng thư số`,
  }),
  time: (l) => ({ en: `the time limit of ${l.timeMs} ms was reached`, vi: `đã hết thời gian cho phép ${l.timeMs} ms` }),
  paths: (l) => ({ en: `more than ${l.maxPaths} candidate paths were found`, vi: `có hơn ${l.maxPaths} đường dẫn ứng viên` }),
  steps: (l) => ({ en: `more than ${l.maxSteps} path-building steps would be needed`, vi: `cần hơn ${l.maxSteps} bước xây dựng đường dẫn` }),
  names: () => ({
    en: 'the number of name-constraint comparisons exceeds the fixed limit',
    vi: 'số phép so sánh tên với ràng buộc tên vượt quá giới hạn cố định',
  }),
};

/** The validation ran out of budget: neither valid nor invalid, and the reason says which limit. */
export function budgetFailure(kind: BudgetKind, limits: PathLimits): Failure {
  const t = BUDGET_TEXT[kind](limits);
  return custom(
    'BUDGET_EXCEEDED',
    `The certification path could not be decided within the validation limits: ${t.en}. The input has too many or too tangled certificates.`,
    `Không thể kết luận về đường dẫn chứng thực trong giới hạn kiểm tra: ${t.vi}. Dữ liệu đầu vào có quá nhiều chứng thư số hoặc chứng thư số đan xen phức tạp.`,
    'indeterminate',
  );
}
