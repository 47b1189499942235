/** PDF signatures (PAdES B-B, B-T, B-LT) written as incremental updates, and their verification. */
export { signPdf, estimateContentsSize, PADES_LEVELS, type PadesLevel, type SignPdfOptions, type SignedPdf, type RevocationSource } from './pades.js';
export { verifyPdf, type PdfVerifyResult, type PdfSignatureReport, type PdfTimestampReport, type VerifyPdfOptions } from './verify.js';
export { addDss, vriKey, type DssEntry, type ValidationMaterial } from './dss.js';
export { prepareSignature, embedSignature, signedBytes, type PreparedSignature, type SignatureDictionaryInput } from './placeholder.js';
export { openPdf, pageRefs, type OpenedPdf } from './document.js';
export { IncrementalUpdate, type WrittenUpdate } from './incremental.js';
export { signatureFields, type WidgetOptions, type AppearanceBuilder, type SignatureFieldInfo } from './fields.js';
export { readLastRevision, revisionEnds, type LastRevision } from './revision.js';
export { readTimestampToken, signatureTimestampAttribute, type TimestampTokenInfo } from './timestamp.js';
export { isPdf } from './syntax.js';
export { stampWidget, stampPlacement, certificateStampValues, vietnamIsoTime, vietnamDate, DEFAULT_STAMP_FONTS, POINTS_PER_MM, type StampOptions } from './stamp.js';
export { parseStampProfile, loadStampProfile, fillTemplate, STAMP_PLACEHOLDERS, StampProfileError, type StampProfile, type StampValues, type StampPlaceholder, type LoadedStampProfile } from './stamp-profile.js';
