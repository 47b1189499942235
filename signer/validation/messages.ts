// Every text of the validation report, Vietnamese and English side by side.

import type { Finding, Indication, RevocationSourceKind, Text } from './types.js';

export const INDICATION_TEXT: Record<Indication, Text> = {
  'TOTAL-PASSED': { vi: 'Hợp lệ', en: 'Valid' },
  'TOTAL-FAILED': { vi: 'Không hợp lệ', en: 'Invalid' },
  INDETERMINATE: { vi: 'Chưa xác định được', en: 'Indeterminate' },
};

/** ETSI EN 319 102-1 sub-indications (and the few codes of our own), explained. */
export const SUB_INDICATION_TEXT: Record<string, Text> = {
  FORMAT_FAILURE: { vi: 'Chữ ký không đúng định dạng', en: 'The signature is not in a format that can be processed' },
  HASH_FAILURE: { vi: 'Nội dung đã bị thay đổi sau khi ký', en: 'The signed content was changed after signing' },
  SIG_CRYPTO_FAILURE: { vi: 'Giá trị chữ ký không khớp với khóa công khai của người ký', en: "The signature value does not verify with the signer's public key" },
  REVOKED: { vi: 'Chứng thư số của người ký đã bị thu hồi trước thời điểm ký', en: "The signer's certificate was revoked before the signature was made" },
  EXPIRED: { vi: 'Chữ ký được tạo sau khi chứng thư số hết hạn', en: 'The signature was made after the certificate expired' },
  NOT_YET_VALID: { vi: 'Chữ ký được tạo trước khi chứng thư số có hiệu lực', en: 'The signature was made before the certificate became valid' },
  SIG_CONSTRAINTS_FAILURE: { vi: 'Chữ ký không đáp ứng các ràng buộc kiểm tra', en: 'The signature does not meet the validation constraints' },
  CHAIN_CONSTRAINTS_FAILURE: { vi: 'Chuỗi chứng thư số không đáp ứng các ràng buộc kiểm tra', en: 'The certificate chain does not meet the validation constraints' },
  CERTIFICATE_CHAIN_GENERAL_FAILURE: { vi: 'Không xử lý được chuỗi chứng thư số', en: 'The certificate chain could not be processed' },
  CRYPTO_CONSTRAINTS_FAILURE_NO_POE: { vi: 'Thuật toán không còn an toàn và không có bằng chứng chữ ký tồn tại trước đó', en: 'An algorithm is no longer secure and nothing proves the signature existed before' },
  NO_SIGNING_CERTIFICATE_FOUND: { vi: 'Không tìm thấy chứng thư số của người ký', en: "The signer's certificate was not found" },
  NO_CERTIFICATE_CHAIN_FOUND: { vi: 'Không tìm thấy chuỗi chứng thư số đến một CA gốc tin cậy', en: 'No certificate chain to a trusted root was found' },
  REVOKED_NO_POE: { vi: 'Chứng thư số đã bị thu hồi và không có bằng chứng chữ ký được tạo trước khi thu hồi', en: 'The certificate was revoked and nothing proves the signature was made before that' },
  REVOKED_CA_NO_POE: { vi: 'Chứng thư số CA trong chuỗi đã bị thu hồi và không có bằng chứng thời gian', en: 'A CA certificate in the chain was revoked and there is no proof of existence' },
  OUT_OF_BOUNDS_NO_POE: { vi: 'Chứng thư số đã hết hạn tại thời điểm kiểm tra và không có bằng chứng chữ ký tồn tại khi chứng thư còn hiệu lực', en: 'The certificate had expired at the validation time and nothing proves the signature existed while it was valid' },
  TRY_LATER: { vi: 'Chưa có thông tin thu hồi đủ mới; hãy kiểm tra lại sau', en: 'Fresh revocation information is not available; try again later' },
  NO_POE: { vi: 'Thiếu bằng chứng thời gian cho chữ ký', en: 'A proof of existence is missing' },
  SIGNED_DATA_NOT_FOUND: { vi: 'Chữ ký tách rời nhưng không có tệp dữ liệu đã ký', en: 'The signature is detached and the signed data was not given' },
};

export const REVOCATION_SOURCE_TEXT: Record<RevocationSourceKind, Text> = {
  dss: { vi: 'dữ liệu kiểm tra lưu trong tệp PDF (DSS)', en: 'validation data stored in the PDF (DSS)' },
  cms: { vi: 'CRL/OCSP kèm trong chữ ký', en: 'CRL/OCSP carried in the signature' },
  trust: { vi: 'CRL của CA hệ thống hoặc danh sách tin cậy đã cấu hình', en: "our CA's CRL or the configured trust list" },
  online: { vi: 'CRL tải về từ điểm phân phối của chứng thư', en: "a CRL downloaded from the certificate's distribution point" },
  none: { vi: 'không có', en: 'none' },
};

export const REVOCATION_STATUS_TEXT: Record<string, Text> = {
  good: { vi: 'Chưa bị thu hồi', en: 'Not revoked' },
  revoked: { vi: 'Đã bị thu hồi', en: 'Revoked' },
  unknown: { vi: 'Không xác định được', en: 'Unknown' },
  'not-checked': { vi: 'Chưa kiểm tra', en: 'Not checked' },
};

export const REASON_TEXT: Record<string, Text> = {
  unspecified: { vi: 'không nêu lý do', en: 'unspecified' },
  keyCompromise: { vi: 'lộ khóa bí mật', en: 'key compromise' },
  cACompromise: { vi: 'CA bị lộ khóa', en: 'CA compromise' },
  affiliationChanged: { vi: 'thay đổi thông tin, đơn vị công tác', en: 'affiliation changed' },
  superseded: { vi: 'đã được thay thế', en: 'superseded' },
  cessationOfOperation: { vi: 'ngừng hoạt động', en: 'cessation of operation' },
  certificateHold: { vi: 'tạm dừng', en: 'certificate hold' },
  privilegeWithdrawn: { vi: 'rút quyền', en: 'privilege withdrawn' },
  aACompromise: { vi: 'cơ quan thuộc tính bị lộ khóa', en: 'AA compromise' },
};

/** Labels of the report, in the order they show. */
export const LABEL = {
  title: { vi: 'Báo cáo kiểm tra chữ ký số', en: 'Signature validation report' },
  file: { vi: 'Tệp', en: 'File' },
  fileType: { vi: 'Loại tệp', en: 'File type' },
  size: { vi: 'Kích thước', en: 'Size' },
  sha256: { vi: 'Mã băm SHA-256', en: 'SHA-256' },
  validatedAt: { vi: 'Thời điểm kiểm tra', en: 'Validated at' },
  overall: { vi: 'Kết quả chung', en: 'Overall result' },
  signature: { vi: 'Chữ ký', en: 'Signature' },
  documentTimestamp: { vi: 'Dấu thời gian tài liệu', en: 'Document time-stamp' },
  result: { vi: 'Kết quả', en: 'Result' },
  format: { vi: 'Định dạng', en: 'Format' },
  level: { vi: 'Mức', en: 'Level' },
  field: { vi: 'Trường chữ ký', en: 'Signature field' },
  signer: { vi: 'Người ký', en: 'Signer' },
  organization: { vi: 'Cơ quan, tổ chức', en: 'Organisation' },
  unit: { vi: 'Đơn vị', en: 'Unit' },
  jobTitle: { vi: 'Chức danh', en: 'Title' },
  email: { vi: 'Thư điện tử', en: 'E-mail' },
  identifiers: { vi: 'Mã định danh', en: 'Identifiers' },
  serial: { vi: 'Số hiệu chứng thư', en: 'Certificate serial' },
  issuer: { vi: 'Tổ chức cấp', en: 'Issuer' },
  validity: { vi: 'Hiệu lực chứng thư', en: 'Certificate validity' },
  claimedTime: { vi: 'Thời điểm ký (tự khai)', en: 'Claimed signing time' },
  timestamp: { vi: 'Dấu thời gian', en: 'Time-stamp' },
  poe: { vi: 'Bằng chứng thời gian (POE)', en: 'Proof of existence (POE)' },
  validationTime: { vi: 'Thời điểm đánh giá chứng thư', en: 'Certificates judged at' },
  reason: { vi: 'Lý do ký', en: 'Reason' },
  location: { vi: 'Nơi ký', en: 'Location' },
  chain: { vi: 'Chuỗi chứng thư', en: 'Certificate chain' },
  revocation: { vi: 'Tình trạng thu hồi', en: 'Revocation status' },
  revocationSource: { vi: 'Nguồn', en: 'Source' },
  coverage: { vi: 'Phạm vi ký', en: 'Coverage' },
  wholeDocument: { vi: 'Chữ ký bao phủ toàn bộ tài liệu', en: 'The signature covers the whole document' },
  errors: { vi: 'Lỗi', en: 'Errors' },
  warnings: { vi: 'Cảnh báo', en: 'Warnings' },
  notes: { vi: 'Ghi chú', en: 'Notes' },
  noSignature: { vi: 'Tệp không có chữ ký số', en: 'The file has no digital signature' },
  integrity: { vi: 'Toàn vẹn', en: 'Integrity' },
  intact: { vi: 'Nguyên vẹn', en: 'Intact' },
  changed: { vi: 'Đã bị thay đổi', en: 'Changed' },
  yes: { vi: 'có', en: 'yes' },
  no: { vi: 'không', en: 'no' },
  valid: { vi: 'hợp lệ', en: 'valid' },
  invalid: { vi: 'không hợp lệ', en: 'invalid' },
} as const satisfies Record<string, Text>;

export const FILE_TYPE_TEXT: Record<string, Text> = {
  pdf: { vi: 'Tài liệu PDF', en: 'PDF document' },
  cms: { vi: 'Chữ ký CMS (.p7s)', en: 'CMS signature (.p7s)' },
  eml: { vi: 'Thư điện tử có chữ ký (S/MIME)', en: 'Signed e-mail (S/MIME)' },
};

export function finding(code: string, vi: string, en: string): Finding {
  return { code, vi, en };
}

export function laterRevisionsText(n: number): Text {
  return { vi: `có ${n} lần cập nhật sau khi ký`, en: `${n} later revision${n === 1 ? '' : 's'}` };
}

/** Vietnam time (UTC+7 all year), e.g. "15/03/2026 09:30:00 (UTC+07:00)". */
export function vnTime(d: Date | undefined): string {
  if (!d || Number.isNaN(d.getTime())) return '—';
  const l = new Date(d.getTime() + 7 * 3600_000);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(l.getUTCDate())}/${two(l.getUTCMonth() + 1)}/${l.getUTCFullYear()} ${two(l.getUTCHours())}:${two(l.getUTCMinutes())}:${two(l.getUTCSeconds())} (UTC+07:00)`;
}

export function byteSize(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** The text without its final full stop, to go inside a sentence. */
export const noDot = (s: string): string => s.replace(/[.\s]+$/, '');
