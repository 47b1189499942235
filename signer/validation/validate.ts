// validateSignatures(): the file type, the per-format validation, the overall result.

import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { GovmailError } from '../../core/errors.js';
import { isPdf } from '../pdf/syntax.js';
import { addFiles, type TrustMaterial } from '../trust.js';
import { FILE_TYPE_TEXT, INDICATION_TEXT, SUB_INDICATION_TEXT } from './messages.js';
import { validateCmsFile, validateEml } from './mime.js';
import { validatePdf } from './pdf.js';
import type { Context } from './signature.js';
import type { Finding, Indication, SignatureReport, ValidateOptions, ValidationReport } from './types.js';


const RANK: Record<Indication, number> = { 'TOTAL-PASSED': 0, INDETERMINATE: 1, 'TOTAL-FAILED': 2 };

/** The worst of the indications: TOTAL-FAILED beats INDETERMINATE beats TOTAL-PASSED. */
export function worstIndication(list: Indication[]): Indication {
  return list.reduce<Indication>((w, i) => (RANK[i] > RANK[w] ? i : w), 'TOTAL-PASSED');
}

export class UnsupportedFileError extends GovmailError {
  constructor() {
    super(
      'UNSUPPORTED_FILE',
      'the file is not a PDF, a CMS signature (.p7s) or an e-mail message (.eml)',
      'tệp không phải PDF, chữ ký CMS (.p7s) hay thư điện tử (.eml)',
      422,
    );
  }
}

/** pdf, cms or eml, from the content first and the file name second. */
export function detectFileType(bytes: Uint8Array, fileName?: string): ValidationReport['fileType'] {
  if (isPdf(bytes)) return 'pdf';
  const ext = path.extname(fileName ?? '').toLowerCase();
  const head = Buffer.from(bytes.subarray(0, 4096)).toString('latin1');
  if (bytes[0] === 0x30) return 'cms';
  if (/^\s*-----BEGIN (PKCS7|PKCS #7|CMS)/.test(head)) return 'cms';
  const headerLike = /^[A-Za-z][A-Za-z0-9-]*:[^\r\n]*\r?\n/.test(head) && /^(content-type|from|mime-version|received|date|subject):/im.test(head);
  if (ext === '.eml' || headerLike) return 'eml';
  if (['.p7s', '.p7m', '.p7b', '.pkcs7', '.cms'].includes(ext) || /^[A-Za-z0-9+/=\s]+$/.test(head)) return 'cms';
  throw new UnsupportedFileError();
}

function overallOf(signatures: SignatureReport[], errors: Finding[]): Pick<ValidationReport, 'overall' | 'overallSubIndication' | 'noSignature' | 'summary'> {
  if (signatures.length === 0) {
    if (errors.length) {
      const failed = errors.some((e) => e.code === 'FORMAT_FAILURE' || e.code === 'PDF_INVALID' || e.code === 'PDF_DAMAGED');
      return { overall: failed ? 'TOTAL-FAILED' : 'INDETERMINATE', ...(failed ? { overallSubIndication: 'FORMAT_FAILURE' } : {}), noSignature: false, summary: { vi: errors[0]!.vi, en: errors[0]!.en } };
    }
    return { overall: 'INDETERMINATE', noSignature: true, summary: { vi: 'Tệp không có chữ ký số nào.', en: 'The file has no digital signature.' } };
  }
  const overall = worstIndication(signatures.map((s) => s.indication));
  const worst = signatures.find((s) => s.indication === overall)!;
  const n = signatures.length;
  const passed = signatures.filter((s) => s.indication === 'TOTAL-PASSED').length;
  const t = INDICATION_TEXT[overall];
  const summary =
    overall === 'TOTAL-PASSED'
      ? { vi: `${t.vi}: cả ${n} chữ ký đều hợp lệ.`, en: `${t.en}: all ${n} signature${n === 1 ? ' is' : 's are'} valid.` }
      : {
          vi: `${t.vi}: ${passed}/${n} chữ ký hợp lệ; chữ ký số ${worst.index}: ${(worst.subIndication && SUB_INDICATION_TEXT[worst.subIndication]?.vi) ?? worst.summary.vi}.`,
          en: `${t.en}: ${passed} of ${n} signature${n === 1 ? '' : 's'} valid; signature ${worst.index}: ${(worst.subIndication && SUB_INDICATION_TEXT[worst.subIndication]?.en) ?? worst.summary.en}.`,
        };
  return { overall, ...(worst.subIndication && overall !== 'TOTAL-PASSED' ? { overallSubIndication: worst.subIndication } : {}), noSignature: false, summary };
}

/**
 * Validates every signature in a file. Throws UnsupportedFileError for a file that is none of
 * PDF, CMS or e-mail; every other problem is in the report.
 */
export async function validateSignatures(file: Uint8Array, opts: ValidateOptions): Promise<ValidationReport> {
  const fileType = detectFileType(file, opts.fileName);
  const now = opts.now ?? new Date();
  const ctx: Context = { now, trust: opts.trust, fetchRevocation: opts.fetchRevocation ?? false };
  const result =
    fileType === 'pdf' ? await validatePdf(file, ctx) : fileType === 'cms' ? await validateCmsFile(file, opts.data, ctx) : await validateEml(file, ctx);
  const errors = [...result.errors];
  return {
    fileType,
    ...(opts.fileName ? { fileName: opts.fileName } : {}),
    size: file.length,
    sha256: createHash('sha256').update(file).digest('hex'),
    validatedAt: now,
    signatures: result.signatures,
    ...overallOf(result.signatures, errors),
    errors,
  };
}

/** Short description of the file type, both languages. */
export const fileTypeText = (t: ValidationReport['fileType']) => FILE_TYPE_TEXT[t]!;

/**
 * Operator-configured trust in DATA/trust: certificates (PEM or DER, *.pem *.crt *.cer *.der)
 * directly in it are trust anchors, those in DATA/trust/intermediates/ are untrusted
 * intermediates, and *.crl files anywhere in it are CRLs.
 */
export function addDataDirTrust(t: TrustMaterial, dataDir: string | undefined): TrustMaterial {
  if (!dataDir) return t;
  const dir = path.join(dataDir, 'trust');
  const read = (d: string) =>
    existsSync(d) && statSync(d).isDirectory()
      ? readdirSync(d)
          .filter((n) => /\.(pem|crt|cer|der|crl)$/i.test(n))
          .map((n) => ({ name: n, bytes: readFileSync(path.join(d, n)) }))
      : [];
  const top = read(dir);
  const inter = read(path.join(dir, 'intermediates'));
  const isCrl = (n: string) => /\.crl$/i.test(n);
  try {
    return addFiles(t, {
      trust: top.filter((f) => !isCrl(f.name)).map((f) => f.bytes),
      untrusted: inter.filter((f) => !isCrl(f.name)).map((f) => f.bytes),
      crls: [...top, ...inter].filter((f) => isCrl(f.name)).map((f) => f.bytes),
    });
  } catch (e) {
    throw new GovmailError('TRUST_FILE_INVALID', `a file in ${dir} cannot be read as a certificate or CRL (${(e as Error).message})`, `một tệp trong ${dir} không đọc được như chứng thư hoặc CRL (${(e as Error).message})`, 500);
  }
}

