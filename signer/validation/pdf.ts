// Every signature of a PDF (PAdES and the older adbe.pkcs7.detached), and document time-stamps.

import { inflateSync } from 'node:zlib';
import { GovmailError } from '../../core/errors.js';
import { verifyCms } from '../cms/verify.js';
import { readPdfSignatures, type PdfSignatureItem } from '../pdf/verify.js';
import type { OpenedPdf } from '../pdf/document.js';
import { laterChanges } from './changes.js';
import { fromDss, merge, type Material } from './material.js';
import { SUB_INDICATION_TEXT, finding, laterRevisionsText, vnTime } from './messages.js';
import { evaluateSignature, type Context, type Evaluated } from './signature.js';
import { validateTimestamp } from './timestamp.js';
import type { CoverageReport, Finding, SignatureReport } from './types.js';

const CADES_SUBFILTERS = new Set(['ETSI.CAdES.detached', 'adbe.pkcs7.detached']);

function formatOf(item: PdfSignatureItem): string {
  if (item.subFilter === 'ETSI.RFC3161') return 'PAdES document time-stamp (ETSI.RFC3161)';
  if (item.subFilter === 'ETSI.CAdES.detached') return 'PAdES (ETSI.CAdES.detached)';
  return `PDF (${item.subFilter ?? '?'})`;
}

function failure(sub: string, vi: string, en: string): Evaluated {
  const t = SUB_INDICATION_TEXT[sub]!;
  const summary = { vi: `${t.vi}: ${vi}`, en: `${t.en}: ${en}` };
  return {
    validationTime: new Date(),
    indication: 'TOTAL-FAILED',
    subIndication: sub,
    summary,
    intact: false,
    changed: false,
    chain: [],
    revocation: { status: 'not-checked', source: 'none' },
    errors: [finding(sub, summary.vi, summary.en)],
    warnings: [],
    notes: [],
  };
}

const BYTE_RANGE_VI: Record<string, string> = {
  'the signed range does not start at the beginning of the file': 'phạm vi ký không bắt đầu từ đầu tệp',
  'the signed ranges overlap or run past the end of the file': 'các phạm vi ký chồng lên nhau hoặc vượt quá cuối tệp',
  'the gap in the signed range is not a hex string': 'khoảng trống trong phạm vi ký không phải chuỗi hex',
  'the gap in the signed range holds more than the signature': 'khoảng trống trong phạm vi ký chứa nhiều hơn chữ ký',
  "the gap in the signed range is not this signature's /Contents": 'khoảng trống trong phạm vi ký không phải /Contents của chữ ký này',
  'the signed range does not end at the end of a revision (%%EOF)': 'phạm vi ký không kết thúc ở cuối một phiên bản (%%EOF)',
  '/ByteRange is not an array of four non-negative integers': '/ByteRange không phải mảng bốn số nguyên không âm',
};

/** A document time-stamp (ETSI.RFC3161): its token stamps the signed bytes. */
async function evaluateDocumentTimestamp(item: PdfSignatureItem, embedded: Material, ctx: Context): Promise<Evaluated> {
  const material = merge(embedded, { certificates: [...ctx.trust.intermediates], crls: ctx.trust.crls.map((crl) => ({ crl, source: 'trust' as const })), ocsps: [] });
  const ts = await validateTimestamp(item.cms, item.signed!, { now: ctx.now, trust: ctx.trust, material });
  const r: Evaluated = {
    validationTime: ts.genTime,
    indication: 'TOTAL-PASSED',
    summary: { vi: `Dấu thời gian tài liệu hợp lệ (${vnTime(ts.genTime)}).`, en: `The document time-stamp is valid (${vnTime(ts.genTime)}).` },
    intact: ts.imprintMatches && ts.tokenIntact,
    changed: !ts.imprintMatches,
    chain: [],
    revocation: { status: 'not-checked', source: 'none' },
    timestamp: ts,
    errors: [],
    warnings: [],
    notes: [],
  };
  if (ts.valid) {
    r.poeTime = ts.genTime;
    return r;
  }
  const [indication, sub] = !ts.imprintMatches ? (['TOTAL-FAILED', 'HASH_FAILURE'] as const) : !ts.tokenIntact ? (['TOTAL-FAILED', 'SIG_CRYPTO_FAILURE'] as const) : (['INDETERMINATE', ts.tsaKeyPurpose ? 'NO_CERTIFICATE_CHAIN_FOUND' : 'CHAIN_CONSTRAINTS_FAILURE'] as const);
  r.indication = indication;
  r.subIndication = sub;
  const t = SUB_INDICATION_TEXT[sub]!;
  r.summary = { vi: `${t.vi}: ${ts.problem?.vi ?? ''}`, en: `${t.en}: ${ts.problem?.en ?? ''}` };
  r.errors.push(finding(sub, r.summary.vi, r.summary.en));
  return r;
}

async function coverageOf(bytes: Uint8Array, item: PdfSignatureItem, doc: OpenedPdf, cache: Map<number, Promise<OpenedPdf>>): Promise<CoverageReport> {
  const coverage: CoverageReport = {
    ...(item.byteRange ? { byteRange: item.byteRange } : {}),
    wholeDocument: item.coversWholeDocument,
    laterRevisions: item.laterRevisions,
    laterChanges: 'none',
    changes: [],
  };
  if (!item.coversWholeDocument && item.signedEnd !== undefined && item.laterRevisions > 0) Object.assign(coverage, await laterChanges(bytes, item.signedEnd, doc, cache));
  return coverage;
}

const PACKED_STREAM_LIMIT = 64 * 1024 * 1024;
const PACKED_TOTAL_LIMIT = 256 * 1024 * 1024;

/**
 * pdf-lib inflates every object stream and cross-reference stream while it parses, in one go and
 * without a bound: a "zip bomb" of a few megabytes would take the whole process down. So they are
 * inflated here first, with a bound, and a file over it is refused.
 */
function packedStreamsTooLarge(bytes: Uint8Array): boolean {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
  let total = 0;
  for (const m of text.matchAll(/\/Type\s*\/(?:ObjStm|XRef)\b/g)) {
    const objStart = text.lastIndexOf(' obj', m.index);
    const keyword = text.indexOf('stream', m.index);
    if (objStart < 0 || keyword < 0 || !text.slice(objStart, keyword).includes('/FlateDecode')) continue;
    let start = keyword + 6;
    if (text[start] === '\r') start++;
    if (text[start] === '\n') start++;
    const end = text.indexOf('endstream', start);
    if (end < 0) continue;
    try {
      total += inflateSync(bytes.subarray(start, end), { maxOutputLength: PACKED_STREAM_LIMIT }).length;
    } catch (e) {
      if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') return true;
      // A damaged stream is pdf-lib's to report.
    }
    if (total > PACKED_TOTAL_LIMIT) return true;
  }
  return false;
}

export async function validatePdf(bytes: Uint8Array, ctx: Context): Promise<{ signatures: SignatureReport[]; errors: Finding[] }> {
  if (packedStreamsTooLarge(bytes)) {
    return { signatures: [], errors: [finding('PDF_TOO_LARGE_UNPACKED', 'Tệp PDF chứa luồng nén giải nén ra quá lớn; không kiểm tra.', 'The PDF holds compressed streams that expand too much; it is not checked.')] };
  }
  let read: Awaited<ReturnType<typeof readPdfSignatures>>;
  try {
    read = await readPdfSignatures(bytes);
  } catch (e) {
    const message = (e as Error).message;
    if (e instanceof GovmailError) return { signatures: [], errors: [finding(e.code, e.messageVi, message)] };
    return { signatures: [], errors: [finding('PDF_INVALID', `không đọc được tệp PDF (${message})`, `the PDF cannot be read (${message})`)] };
  }
  const { doc, items } = read;
  const dss = fromDss(doc);
  // Without /VRI entries (they are optional) the store's revocation data serves every signature.
  const dssWithoutVri = (dss.crls.length > 0 || dss.ocsps.length > 0) && (read.dss?.vri.length ?? 0) === 0;
  const cache = new Map<number, Promise<OpenedPdf>>();

  // Document time-stamps first: a valid one is a proof of existence for the signatures before it.
  const evaluated = new Map<PdfSignatureItem, Evaluated>();
  for (const item of items) {
    if (item.subFilter !== 'ETSI.RFC3161' || item.byteRangeProblem || !item.signed) continue;
    evaluated.set(item, await evaluateDocumentTimestamp(item, dss, ctx));
  }
  const signatures: SignatureReport[] = [];
  for (const [i, item] of items.entries()) {
    let e = evaluated.get(item);
    if (!e) {
      if (item.byteRangeProblem || !item.signed) {
        const problem = item.byteRangeProblem ?? 'the signed ranges overlap or run past the end of the file';
        e = failure('FORMAT_FAILURE', `/ByteRange sai: ${BYTE_RANGE_VI[problem] ?? problem}`, `malformed /ByteRange: ${problem}`);
      } else if (item.subFilter === 'ETSI.RFC3161') {
        e = failure('FORMAT_FAILURE', 'dấu thời gian tài liệu không đọc được', 'the document time-stamp cannot be read');
      } else if (!CADES_SUBFILTERS.has(item.subFilter ?? '')) {
        e = failure('FORMAT_FAILURE', `định dạng chữ ký /SubFilter /${item.subFilter ?? '?'} không được hỗ trợ`, `the signature format /SubFilter /${item.subFilter ?? '?'} is not supported`);
      } else {
        const laterPoe = items
          .filter((t) => t.subFilter === 'ETSI.RFC3161' && (t.signedEnd ?? 0) > (item.signedEnd ?? Infinity) && evaluated.get(t)?.poeTime)
          .map((t) => evaluated.get(t)!.poeTime!);
        const signed = item.signed;
        e = await evaluateSignature(
          {
            cms: item.cms,
            purpose: 'document',
            verify: (validator) => verifyCms({ p7s: item.cms, content: signed, validateChain: validator, at: ctx.now }),
            embedded: dss,
            ...(item.signingTime ? { claimed: { time: item.signingTime, source: '/M' as const } } : {}),
            laterPoe,
            pades: item.subFilter === 'ETSI.CAdES.detached',
            longTermData: item.vri.present || dssWithoutVri,
          },
          ctx,
        );
        if (laterPoe.length && e.level) e.level = 'B-LTA';
      }
    }
    const coverage = await coverageOf(bytes, item, doc, cache);
    const warnings = [...e.warnings];
    if (coverage.laterChanges === 'other') {
      warnings.push(
        finding(
          'MODIFIED_AFTER_SIGNING',
          `Tài liệu có thay đổi sau chữ ký này ngoài việc thêm chữ ký (${laterRevisionsText(item.laterRevisions).vi}): ${coverage.changes.filter((c) => !/_ADDED$|_UPDATED$/.test(c.code) || c.code === 'PAGE_ADDED').map((c) => c.vi).join('; ')}. Nội dung đã ký vẫn nguyên vẹn nhưng nội dung hiển thị có thể khác.`,
          `The document was changed after this signature beyond adding signatures (${laterRevisionsText(item.laterRevisions).en}): ${coverage.changes.filter((c) => !/_ADDED$|_UPDATED$/.test(c.code) || c.code === 'PAGE_ADDED').map((c) => c.en).join('; ')}. The signed bytes are intact but what is shown may differ.`,
        ),
      );
    }
    signatures.push({
      index: i + 1,
      kind: item.subFilter === 'ETSI.RFC3161' ? 'document-timestamp' : 'signature',
      format: formatOf(item),
      fieldName: item.fieldName,
      ...(item.name ? { name: item.name } : {}),
      ...(item.reason ? { reason: item.reason } : {}),
      ...(item.location ? { location: item.location } : {}),
      ...e,
      warnings,
      coverage,
    });
  }
  return { signatures, errors: [] };
}
