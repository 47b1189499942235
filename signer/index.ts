/** signer/ entry module: the CA, issuance, revocation (CRL/OCSP), PKCS#12, path validation, CMS/S-MIME. */
export { signerMigrations } from './migrations.js';
export { KEY_ALGORITHMS, type KeyAlgorithm, parseKeyAlgorithm, generateKey, algorithmOf, hashFor, toSigningKey, privateKeyToPem, privateKeyFromPem, spkiDer } from './keys.js';
export { type SubjectField, type Profile, LEGAL_MAX_NEW_DAYS, LEGAL_MAX_EXTENSION_DAYS, loadProfiles, getProfile } from './profiles.js';
export { subjectSchema, type Subject, parseSubject, OID, nameFromAttributes, subjectName, formatName } from './subject.js';
export { type CaRow, caKeyContext, listCas, caByName, activeIssuingCa, caKey, caChain, pkiUrls, type CaInitOptions, initCa, requestSubCa, importSubCa, ensureOcspSigner } from './ca.js';
export { type KeyDelivery, type IssueRequest, type Issued, publicKeyFromCsr, validityFor, issueCertificate, inTransaction, PIN_MAX_FAILURES, PIN_LOCK_MINUTES, unlockServerKey } from './issue.js';
export { REVOCATION_REASONS, type RevocationReason, reasonName, CRL_VALIDITY_DAYS, parseReason, revokeCertificate, publishCrl, currentCrl, refreshCrls, type CertificateStatus, certificateStatus, certificateStates } from './revocation.js';
export { OcspResponder } from './ocsp.js';
export { pkiRoutes } from './http.js';
export { buildPkcs12 } from './pkcs12.js';
export { certificateFromDer, derBlocks, pem, serialHex, toDer } from './x509.js';
export { validatePath, type PathValidationInput, type PathValidationResult } from './pathvalidation/index.js';
export { isPurpose } from './pathvalidation/purpose.js';
export { signCms, verifyCms, signSmime, verifySmime, loadPkcs12, type VerifyReport } from './cms/index.js';
export {
  TimeStampAuthority, localTimestamper, DEFAULT_TSA_POLICY, type TsaOptions, remoteTimestamper, type RemoteTsaOptions, configuredTimestamper, ensureTsaSigner, type TsaIdentity, TsaBadResponseError, TsaRejectedError, TsaUnavailableError, readToken, type ReadToken, parseTstInfo, type TstInfo, encodeTimeStampReq, parseTimeStampReq, parseTimeStampResp, type ParsedResponse, tsaRoutes, MAX_TSA_REQUEST_BYTES,
} from './tsa/index.js';
export type { Timestamper, TimestampHash } from './tsa/index.js';
export { loadStampProfile, type StampOptions } from './pdf/index.js';
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
