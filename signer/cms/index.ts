// CMS / CAdES-BES signatures and S/MIME for GovMail.
export { signCms, type SignOptions } from './sign.js';
export {
  verifyCms,
  decodeP7s,
  parseSignedData,
  formatName,
  type Indication,
  type VerifyReport,
  type VerifyOptions,
  type ChainValidator,
  type ChainResult,
} from './verify.js';
export {
  signSmime,
  verifySmime,
  canonicalizeCrlf,
  type SignSmimeOptions,
  type VerifySmimeOptions,
} from './smime.js';
export {
  loadPkcs12,
  loadCertificate,
  loadCertificates,
  loadPrivateKey,
  parseCertificateDer,
  toCryptoKey,
  toKeyObject,
  keyMatchesCertificate,
  certificatePublicKey,
  type LoadedIdentity,
  type CryptoKey,
} from './keys.js';
export {
  OID,
  buildSignedAttributes,
  signingCertificateV2Attribute,
  parseSigningCertificate,
  checkSigningCertificate,
  type SigningHash,
  type HashName,
  type EssCertId,
} from './attributes.js';
