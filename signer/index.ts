/** signer/ entry module: the CA, issuance, revocation (CRL/OCSP), PKCS#12, path validation, CMS/S-MIME. */
export { signerMigrations } from './migrations.js';
export * from './keys.js';
export * from './profiles.js';
export * from './subject.js';
export * from './ca.js';
export * from './issue.js';
export * from './revocation.js';
export { OcspResponder } from './ocsp.js';
export { pkiRoutes } from './http.js';
export { buildPkcs12 } from './pkcs12.js';
export { certificateFromDer, derBlocks, pem, serialHex, toDer } from './x509.js';
export { validatePath, type PathValidationInput, type PathValidationResult } from './pathvalidation/index.js';
export { signCms, verifyCms, signSmime, verifySmime, loadPkcs12, type VerifyReport } from './cms/index.js';
export * from './tsa/index.js';
export { signPdf, verifyPdf, addDss, isPdf, PADES_LEVELS, type PadesLevel, type SignPdfOptions, type SignedPdf, type PdfVerifyResult, type PdfSignatureReport, type WidgetOptions } from './pdf/index.js';
export { ourTrust, addFiles, chainValidator, emptyTrust, type TrustMaterial } from './trust.js';
export {
  URGENCIES, CLASSIFICATIONS, SIGNATURE_KINDS, URGENCY_LABELS, CLASSIFICATION_LABELS, DOCUMENT_HEADERS, documentMetadataSchema, parseDocumentMetadata,
  normaliseCode, classificationCode, documentHeaders, documentMetadataFromHeaders, headerFields, recordSignature, signatureCounts,
  type Urgency, type Classification, type SignatureKind, type DocumentMetadata, type HeaderSource, type SignatureRecordInput, type SignatureRecord, type SignatureCount,
} from './documents.js';
export {
  signPdfWithServerKey, signSmimeWithServerKey, holderSigningCertificates, signingRoutes, PinError, SIGN_SCOPE, API_PADES_LEVELS,
  type ApiPadesLevel, type PdfServerSigning, type SmimeServerSigning, type ServerSigned, type SigningApiOptions, type SigningDirectory, type ApiCaller, type HolderSigningCertificate,
} from './api.js';
export { parseStampRequest, resolveServerStamp, SERVER_STAMP_KINDS, type ServerStampKind, type ServerStampRequest, type ServerStampBox } from './api-stamp.js';
export { saveStampImage, removeStampImage, loadStampImage, checkStampImage, stampImageFile, STAMP_IMAGE_MAX_BYTES, type StampImageKind } from './stamp-images.js';
export { validateSignatures, reportHtml, reportPdf, reportJson, reportText, verifyRoutes, addDataDirTrust, UnsupportedFileError, type ValidationReport, type SignatureReport, type ValidateOptions } from './validation/index.js';
