// The shape of a signature validation report (ETSI EN 319 102-1 vocabulary), the same for a PDF,
// a CMS .p7s and a signed message. Plain data only (strings, numbers, Dates), so it serialises to
// JSON as it is and renders to HTML or PDF without the certificates themselves.

import type { TrustMaterial } from '../trust.js';

export type Indication = 'TOTAL-PASSED' | 'TOTAL-FAILED' | 'INDETERMINATE';

/** A message in both languages. */
export interface Text {
  vi: string;
  en: string;
}

/** An error, warning or note: a stable code and its text in both languages. */
export interface Finding extends Text {
  code: string;
}

export interface CertificateSummary {
  /** RFC 4514-style, most specific first, e.g. "CN=Nguyễn Văn A,O=Sở Nội vụ,C=VN". */
  subject: string;
  commonName?: string;
  organization?: string;
  organizationalUnit?: string;
  title?: string;
  email?: string;
  /** UID values such as CCCD:001085001234, MST:2300123456. */
  identifiers: string[];
  /** Upper-case hex. */
  serial: string;
  issuer: string;
  issuerCommonName?: string;
  notBefore: Date;
  notAfter: Date;
}

/** Where the revocation answer came from. */
export type RevocationSourceKind = 'dss' | 'cms' | 'trust' | 'online' | 'none';

export interface RevocationReport {
  status: 'good' | 'revoked' | 'unknown' | 'not-checked';
  source: RevocationSourceKind;
  /** When the signer's certificate was revoked (revoked only). */
  revokedAt?: Date;
  reason?: string;
  /** The status was established with revocation data issued after the validation time. */
  fromLaterData?: boolean;
}

export interface TimestampReport {
  genTime: Date;
  /** The TSA certificate's subject. */
  tsa?: string;
  serial?: string;
  policy?: string;
  /** The imprint is the hash of what it stamps (the signature value, or the signed bytes). */
  imprintMatches: boolean;
  /** Message digest and signature of the token verify. */
  tokenIntact: boolean;
  /** The TSA certificate carries id-kp-timeStamping. */
  tsaKeyPurpose: boolean;
  chainStatus: 'valid' | 'invalid' | 'indeterminate' | 'not-checked';
  /** All of the above: the time can serve as proof of existence. */
  valid: boolean;
  problem?: Text;
}

export interface CoverageReport {
  /** [a, b, c, d] of the PDF signature. */
  byteRange?: number[];
  /** Nothing follows the signed revision. */
  wholeDocument: boolean;
  /** Incremental updates appended after the signed revision. */
  laterRevisions: number;
  /**
   * What the later revisions changed: nothing, only what signing allows (signature fields and
   * widgets, their appearances, the DSS, the form dictionary), or something else.
   */
  laterChanges: 'none' | 'signatures' | 'other';
  /** What was found, one entry per kind of change. */
  changes: Finding[];
}

export interface SignatureReport {
  /** 1-based, in signing order. */
  index: number;
  kind: 'signature' | 'document-timestamp';
  /** e.g. "PAdES (ETSI.CAdES.detached)", "CAdES (CMS)", "S/MIME". */
  format: string;
  /** PAdES/CAdES baseline level as far as it can be told: B-B, B-T, B-LT. */
  level?: string;
  fieldName?: string;
  /** /Name, /Reason, /Location (PDF). */
  name?: string;
  reason?: string;
  location?: string;
  signer?: CertificateSummary;
  /** The time the signer claims: /M in a PDF, signing-time in CMS. Not a proof. */
  claimedSigningTime?: Date;
  claimedSigningTimeSource?: '/M' | 'signing-time';
  timestamp?: TimestampReport;
  /** Proof of existence: the time-stamp's genTime, when the time-stamp is valid. */
  poeTime?: Date;
  /** The time the chain and revocation were judged at (the POE, otherwise now). */
  validationTime: Date;
  indication: Indication;
  subIndication?: string;
  /** The main reason for the indication. */
  summary: Text;
  /** Digest and signature value verify. */
  intact: boolean;
  /** The signed content no longer matches (HASH_FAILURE). */
  changed: boolean;
  chainStatus?: 'valid' | 'invalid' | 'indeterminate';
  /** Leaf first, trust anchor last. */
  chain: CertificateSummary[];
  revocation: RevocationReport;
  coverage?: CoverageReport;
  errors: Finding[];
  warnings: Finding[];
  notes: Finding[];
}

export interface ValidationReport {
  fileType: 'pdf' | 'cms' | 'eml';
  fileName?: string;
  size: number;
  sha256: string;
  /** "Now" of the validation. */
  validatedAt: Date;
  signatures: SignatureReport[];
  /** The worst indication of the signatures (FAILED > INDETERMINATE > PASSED). */
  overall: Indication;
  overallSubIndication?: string;
  /** True when the file carries no signature at all. */
  noSignature: boolean;
  summary: Text;
  /** Problems with the file as a whole. */
  errors: Finding[];
}

export interface ValidateOptions {
  trust: TrustMaterial;
  /** Validation "now" (default: the current time); a test clock can move it. */
  now?: Date;
  /** Download missing CRLs from the certificates' distribution points (default false). */
  fetchRevocation?: boolean;
  /** The signed data of a detached .p7s. */
  data?: Uint8Array;
  /** Shown in the report, and a hint for the file type (.p7s, .eml). */
  fileName?: string;
}
