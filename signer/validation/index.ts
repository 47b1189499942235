// Signature validation with an ETSI EN 319 102-1 report: every signature of a PDF (PAdES), a CMS
// .p7s, or a signed message (.eml), judged at the right time, rendered in Vietnamese and English
// as HTML, PDF, JSON or text, and the public /verify page.
export type { Indication, Text, Finding, CertificateSummary, RevocationSourceKind, RevocationReport, TimestampReport, CoverageReport, SignatureReport, ValidationReport, ValidateOptions } from './types.js';
export { validateSignatures, detectFileType, worstIndication, addDataDirTrust, fileTypeText, UnsupportedFileError } from './validate.js';
export { reportHtml, verifyPageHtml, errorPageHtml, escapeHtml, VERIFY_CSS, type Lang } from './html.js';
export { reportPdf } from './pdf-report.js';
export { reportJson, reportText } from './text.js';
export { verifyRoutes, RateLimiter, type VerifyRoutesOptions } from './http.js';
export { INDICATION_TEXT, SUB_INDICATION_TEXT } from './messages.js';
