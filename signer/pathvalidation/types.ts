import type * as pkijs from 'pkijs';
import type { PathLimits } from './budget.js';

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
  /** what the work of one validation is bounded by (depth, signature checks, time); see budget.ts */
  limits?: Partial<PathLimits>;
  /** the use the end-entity certificate must allow (extendedKeyUsage and keyUsage); default 'any' */
  purpose?: Purpose;
}

export type Purpose = 'any' | 'smime' | 'document' | 'tls';

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
  | 'NO_PATH'
  /** the leaf (or a CA above it) does not allow the requested purpose */
  | 'PURPOSE'
  /** a profile rule OpenSSL also enforces was broken (serial, empty subject, empty EKU...) */
  | 'PROFILE'
  /** the work budget (depth, signature checks, time, name checks) ran out: indeterminate */
  | 'BUDGET_EXCEEDED';

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
  /** certificate signature verifications this validation performed */
  signatureChecks?: number;
}

/** A failed check, before it is turned into a result. */
export interface Failure {
  status: 'invalid' | 'indeterminate';
  code: PathCode;
  message: string;
  messageVi: string;
}
