import type * as pkijs from 'pkijs';

export interface PathValidationInput {
  leaf: pkijs.Certificate;
  trustAnchors: pkijs.Certificate[];
  untrusted?: pkijs.Certificate[];
  crls?: pkijs.CertificateRevocationList[];
  /** Checked for signature, responder authorisation, freshness and certID; a bad answer is ignored. */
  ocsp?: pkijs.BasicOCSPResponse[];
  /** validation time, default now */
  at?: Date;
  /** default true */
  checkRevocation?: boolean;
  /** default [anyPolicy] */
  userInitialPolicySet?: string[];
  initialExplicitPolicy?: boolean;
  initialPolicyMappingInhibit?: boolean;
  initialAnyPolicyInhibit?: boolean;
}

export type PathStatus = 'valid' | 'invalid' | 'indeterminate';

export type PathCode =
  | 'OK'
  | 'SIGNATURE_INVALID'
  | 'EXPIRED'
  | 'NOT_YET_VALID'
  | 'REVOKED'
  | 'REVOCATION_UNKNOWN'
  | 'NAME_CHAINING'
  | 'BASIC_CONSTRAINTS'
  | 'PATH_LENGTH'
  | 'KEY_USAGE'
  | 'NAME_CONSTRAINTS'
  | 'POLICY'
  | 'UNKNOWN_CRITICAL_EXTENSION'
  | 'MALFORMED'
  | 'NO_PATH';

export interface RevocationInfo {
  serial: string;
  status: 'good' | 'revoked' | 'unknown';
  reason?: string;
  revokedAt?: Date;
  source?: 'crl' | 'ocsp';
}

export interface PathValidationResult {
  status: PathStatus;
  code: PathCode;
  /** English; names the certificate concerned */
  message: string;
  /** Vietnamese, same meaning */
  messageVi: string;
  /** leaf first, anchor last */
  path: pkijs.Certificate[];
  revocation?: RevocationInfo[];
  /** authorities-constrained policy set when valid */
  policies?: string[];
}

/** A failed check, before it is turned into a result. */
export interface Failure {
  status: 'invalid' | 'indeterminate';
  code: PathCode;
  message: string;
  messageVi: string;
}
