// Minimal PDF signature check: for every signature, is its /ByteRange well formed, were the signed
// bytes changed, does it cover the whole file or were revisions added after it, and who signed.
// The full ETSI EN 319 102-1 report (signer/validation/) is built on readPdfSignatures().

import * as asn1js from 'asn1js';
import { PDFArray, PDFDict, PDFHexString, PDFName, PDFNumber, PDFString } from 'pdf-lib';
import { OID, parseSignedData, verifyCms, type ChainValidator, type VerifyReport } from '../cms/index.js';
import { digest, toU8, type HashName } from '../cms/attributes.js';
import { openPdf, type OpenedPdf } from './document.js';
import { vriKey } from './dss.js';
import { signatureFields } from './fields.js';
import { revisionEnds } from './revision.js';
import { signedBytes } from './placeholder.js';
import { readTimestampToken } from './timestamp.js';

export interface PdfTimestampReport {
  genTime: Date;
  /** The token stamps this signature's value (B-T) or, for a document time-stamp, the signed bytes. */
  imprintMatches: boolean;
  /** The TSA's signature over the token verifies (its certificate chain is not judged here). */
  tokenIntact: boolean;
  tsa?: string;
}

export interface PdfSignatureReport {
  fieldName: string;
  subFilter?: string;
  byteRange?: number[];
  /** Starts at 0, leaves out exactly the /Contents string, ends at the end of a revision. */
  byteRangeValid: boolean;
  byteRangeProblem?: string;
  /** The signed bytes digest to the CMS message-digest and the signature value verifies. */
  intact: boolean;
  /** The signed bytes no longer match what was signed. */
  changed: boolean;
  /** Nothing follows the signed revision. */
  coversWholeDocument: boolean;
  /** Revisions (incremental updates) appended after the signed one. */
  laterRevisions: number;
  /** /M, the claimed signing time. */
  signingTime?: Date;
  /** PAdES forbids the CMS signing-time attribute; true when it is there anyway. */
  cmsSigningTimeAttribute: boolean;
  signer?: { subject: string; serial: string; email?: string };
  timestamp?: PdfTimestampReport;
  /** VRI key (upper-case hex SHA-1 of /Contents) and whether the DSS has an entry for it. */
  vri: { key: string; present: boolean };
  /** The CMS check (indication, sub-indication, messages in both languages). */
  cms?: Pick<VerifyReport, 'indication' | 'subIndication' | 'message' | 'messageVi' | 'chainStatus'>;
  /** The decoded /Contents (zero padding included). */
  contents: Uint8Array;
}

export interface PdfVerifyResult {
  signatures: PdfSignatureReport[];
  revisions: number;
  dss?: { certificates: number; crls: number; ocsps: number; vri: string[] };
}

export interface VerifyPdfOptions {
  /** Judges each signer's chain; without it a sound signature is INDETERMINATE (chain not checked). */
  validateChain?: ChainValidator;
  at?: Date;
}

function byteRangeOf(sig: PDFDict): number[] | undefined {
  const arr = sig.lookup(PDFName.of('ByteRange'));
  if (!(arr instanceof PDFArray) || arr.size() !== 4) return undefined;
  const out: number[] = [];
  for (let i = 0; i < 4; i++) {
    const n = arr.lookup(i);
    if (!(n instanceof PDFNumber) || !Number.isSafeInteger(n.asNumber()) || n.asNumber() < 0) return undefined;
    out.push(n.asNumber());
  }
  return out;
}

function contentsOf(sig: PDFDict): Uint8Array | undefined {
  const c = sig.get(PDFName.of('Contents'));
  return c instanceof PDFHexString || c instanceof PDFString ? c.asBytes() : undefined;
}

/** Why a /ByteRange is not the one a sound signature has, or undefined. */
function byteRangeProblem(bytes: Uint8Array, range: number[] | undefined, contents: Uint8Array): string | undefined {
  if (!range) return '/ByteRange is not an array of four non-negative integers';
  const [a, b, c, d] = range as [number, number, number, number];
  if (a !== 0) return 'the signed range does not start at the beginning of the file';
  if (!(b < c) || c + d > bytes.length) return 'the signed ranges overlap or run past the end of the file';
  if (bytes[b] !== 0x3c || bytes[c - 1] !== 0x3e) return 'the gap in the signed range is not a hex string';
  const hex = Buffer.from(bytes.subarray(b + 1, c - 1)).toString('latin1');
  if (!/^[0-9A-Fa-f]*$/.test(hex) || hex.length % 2) return 'the gap in the signed range holds more than the signature';
  if (!Buffer.from(hex, 'hex').equals(Buffer.from(contents))) return 'the gap in the signed range is not this signature\'s /Contents';
  const end = c + d;
  if (!revisionEnds(bytes).some((r) => r.eof <= end && end <= r.end)) return 'the signed range does not end at the end of a revision (%%EOF)';
  return undefined;
}

/** The DER length of a BER/DER element at the start of `b` (the /Contents is zero-padded). */
function derLength(b: Uint8Array): number {
  if (b.length < 2) return b.length;
  const first = b[1]!;
  if (first < 0x80) return 2 + first;
  const n = first & 0x7f;
  if (n === 0 || n > 6) return b.length; // indefinite length (BER): the parser finds the end itself
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + (b[2 + i] ?? 0);
  return Math.min(b.length, 2 + n + len);
}

function formatPdfDate(sig: PDFDict): Date | undefined {
  const m = sig.get(PDFName.of('M'));
  if (!(m instanceof PDFString || m instanceof PDFHexString)) return undefined;
  try {
    const d = m.decodeDate();
    return Number.isNaN(d.getTime()) ? undefined : d;
  } catch {
    return undefined;
  }
}

async function timestampReport(token: Uint8Array, imprintOver: Uint8Array): Promise<PdfTimestampReport> {
  const info = readTimestampToken(token);
  const expected = info.hash ? digest(info.hash as HashName, imprintOver) : undefined;
  const check = await verifyCms({ p7s: token });
  return {
    genTime: info.genTime,
    imprintMatches: expected !== undefined && Buffer.from(expected).equals(Buffer.from(info.hashedMessage)),
    tokenIntact: check.integrity,
    ...(check.signer ? { tsa: check.signer.subject } : {}),
  };
}

/** The signature value and the signature time-stamp token (if any) of the CMS's first SignerInfo. */
function signatureParts(cms: Uint8Array): { value: Uint8Array; token?: Uint8Array } {
  const si = parseSignedData(cms).signerInfos[0];
  if (!si) return { value: new Uint8Array() };
  const attr = si.unsignedAttrs?.attributes.find((a) => a.type === OID.signatureTimeStampToken);
  const token = attr?.values[0] as asn1js.AsnType | undefined;
  return { value: toU8(si.signature.valueBlock.valueHexView), ...(token ? { token: toU8(token.toBER(false)) } : {}) };
}

/** A signature field's value as it sits in the file, before any cryptographic check. */
export interface PdfSignatureItem {
  fieldName: string;
  /** The signature dictionary (/V of the field). */
  dict: PDFDict;
  subFilter?: string;
  byteRange?: number[];
  /** Why the /ByteRange is not well formed, or undefined when it is. */
  byteRangeProblem?: string;
  /** The decoded /Contents (zero padding included). */
  contents: Uint8Array;
  /** The CMS (or, for a document time-stamp, the RFC 3161 token) without the zero padding. */
  cms: Uint8Array;
  /** The bytes the /ByteRange covers, when the range lies within the file. */
  signed?: Uint8Array;
  /** Offset just after the signed revision (end of the second range). */
  signedEnd?: number;
  coversWholeDocument: boolean;
  laterRevisions: number;
  /** /M, the claimed signing time. */
  signingTime?: Date;
  /** /Name, /Reason, /Location, /ContactInfo as text. */
  name?: string;
  reason?: string;
  location?: string;
  contactInfo?: string;
  vri: { key: string; present: boolean };
}

function textOf(sig: PDFDict, key: string): string | undefined {
  const v = sig.lookup(PDFName.of(key));
  return v instanceof PDFString || v instanceof PDFHexString ? v.decodeText() : undefined;
}

function readItem(bytes: Uint8Array, fieldName: string, sig: PDFDict, ends: { eof: number; end: number }[], vriKeys: string[]): PdfSignatureItem {
  const contents = contentsOf(sig) ?? new Uint8Array();
  const range = byteRangeOf(sig);
  const problem = byteRangeProblem(bytes, range, contents);
  const subFilter = sig.get(PDFName.of('SubFilter'));
  const key = vriKey(contents);
  const item: PdfSignatureItem = {
    fieldName,
    dict: sig,
    ...(subFilter instanceof PDFName ? { subFilter: subFilter.decodeText() } : {}),
    ...(range ? { byteRange: range } : {}),
    ...(problem ? { byteRangeProblem: problem } : {}),
    contents,
    cms: contents.subarray(0, derLength(contents)),
    coversWholeDocument: false,
    laterRevisions: 0,
    vri: { key, present: vriKeys.includes(key) },
  };
  const m = formatPdfDate(sig);
  if (m) item.signingTime = m;
  for (const [k, field] of [['Name', 'name'], ['Reason', 'reason'], ['Location', 'location'], ['ContactInfo', 'contactInfo']] as const) {
    const t = textOf(sig, k);
    if (t !== undefined) item[field] = t;
  }
  if (!range || !range.every((n) => Number.isSafeInteger(n)) || range[2]! + range[3]! > bytes.length || range[0]! + range[1]! > range[2]!) return item;
  const end = range[2]! + range[3]!;
  item.signedEnd = end;
  item.coversWholeDocument = bytes.subarray(end).every((b) => b === 0x0a || b === 0x0d || b === 0x20 || b === 0x00);
  item.laterRevisions = ends.filter((r) => r.eof > end).length;
  item.signed = signedBytes(bytes, range);
  return item;
}

async function checkSignature(item: PdfSignatureItem, o: VerifyPdfOptions): Promise<PdfSignatureReport> {
  const report: PdfSignatureReport = {
    fieldName: item.fieldName,
    ...(item.subFilter ? { subFilter: item.subFilter } : {}),
    ...(item.byteRange ? { byteRange: item.byteRange } : {}),
    byteRangeValid: !item.byteRangeProblem,
    ...(item.byteRangeProblem ? { byteRangeProblem: item.byteRangeProblem } : {}),
    intact: false,
    changed: false,
    coversWholeDocument: item.coversWholeDocument,
    laterRevisions: item.laterRevisions,
    cmsSigningTimeAttribute: false,
    vri: item.vri,
    contents: item.contents,
  };
  if (item.signingTime) report.signingTime = item.signingTime;
  const signed = item.signed;
  if (!signed) return report;
  const cms = item.cms;

  if (report.subFilter === 'ETSI.RFC3161') {
    // A document time-stamp: the token itself stamps the signed bytes.
    const ts = await timestampReport(cms, signed);
    report.timestamp = ts;
    report.intact = ts.imprintMatches && ts.tokenIntact;
    report.changed = !ts.imprintMatches;
    return report;
  }
  const result = await verifyCms({ p7s: cms, content: signed, ...(o.validateChain ? { validateChain: o.validateChain } : {}), ...(o.at ? { at: o.at } : {}) });
  report.cms = { indication: result.indication, message: result.message, messageVi: result.messageVi, ...(result.subIndication ? { subIndication: result.subIndication } : {}), ...(result.chainStatus ? { chainStatus: result.chainStatus } : {}) };
  report.intact = result.integrity;
  report.changed = result.subIndication === 'HASH_FAILURE';
  report.cmsSigningTimeAttribute = result.signingTime !== undefined;
  if (result.signer) report.signer = { subject: result.signer.subject, serial: result.signer.serial, ...(result.signer.email ? { email: result.signer.email } : {}) };
  try {
    const parts = signatureParts(cms);
    if (parts.token) report.timestamp = await timestampReport(parts.token, parts.value);
  } catch {
    // A malformed CMS was already reported by verifyCms (FORMAT_FAILURE).
  }
  return report;
}

function dssSummary(catalog: PDFDict): PdfVerifyResult['dss'] {
  const d = catalog.lookup(PDFName.of('DSS'));
  if (!(d instanceof PDFDict)) return undefined;
  const count = (k: string) => {
    const arr = d.lookup(PDFName.of(k));
    return arr instanceof PDFArray ? arr.size() : 0;
  };
  const vri = d.lookup(PDFName.of('VRI'));
  const keys = vri instanceof PDFDict ? vri.keys().map((k) => k.decodeText()) : [];
  return { certificates: count('Certs'), crls: count('CRLs'), ocsps: count('OCSPs'), vri: keys };
}

/** Every signature of a PDF as it sits in the file, in the order they were made (no cryptographic check). */
export async function readPdfSignatures(bytes: Uint8Array, opened?: OpenedPdf): Promise<{ doc: OpenedPdf; items: PdfSignatureItem[]; revisions: number; dss?: PdfVerifyResult['dss'] }> {
  const doc = opened ?? (await openPdf(bytes));
  const ends = revisionEnds(bytes);
  const dss = dssSummary(doc.catalog);
  const items: PdfSignatureItem[] = [];
  for (const field of signatureFields(doc.context, doc.catalog)) {
    if (field.value) items.push(readItem(bytes, field.name, field.value, ends, dss?.vri ?? []));
  }
  const endOf = (s: PdfSignatureItem) => (s.byteRange ? s.byteRange[2]! + s.byteRange[3]! : Infinity);
  items.sort((x, y) => endOf(x) - endOf(y));
  return { doc, items, revisions: ends.length, ...(dss ? { dss } : {}) };
}

/** Lists and checks every signature of a PDF, in the order they were made. */
export async function verifyPdf(bytes: Uint8Array, o: VerifyPdfOptions = {}): Promise<PdfVerifyResult> {
  const { items, revisions, dss } = await readPdfSignatures(bytes);
  const signatures: PdfSignatureReport[] = [];
  for (const item of items) signatures.push(await checkSignature(item, o));
  return { signatures, revisions, ...(dss ? { dss } : {}) };
}
