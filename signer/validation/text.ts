// The report as JSON (times in ISO 8601) and as plain text for the terminal (Vietnamese / English).

import { FILE_TYPE_TEXT, INDICATION_TEXT, LABEL, REVOCATION_SOURCE_TEXT, REVOCATION_STATUS_TEXT, byteSize } from './messages.js';
import type { SignatureReport, Text, ValidationReport } from './types.js';

/** A JSON-ready copy: Dates become ISO strings (an unknown date becomes null). */
export function reportJson(r: ValidationReport): unknown {
  return JSON.parse(JSON.stringify(r));
}

const both = (t: Text) => `${t.vi} / ${t.en}`;
const iso = (d: Date | undefined) => (d && !Number.isNaN(d.getTime()) ? d.toISOString() : '?');
const indicationLine = (indication: SignatureReport['indication'], sub?: string) => `${indication}${sub ? ` / ${sub}` : ''} — ${both(INDICATION_TEXT[indication])}`;

function signatureText(s: SignatureReport): string[] {
  const what = s.kind === 'document-timestamp' ? 'Dấu thời gian tài liệu / document time-stamp' : 'Chữ ký / signature';
  const lines = [`${what} #${s.index}${s.fieldName ? ` (${s.fieldName})` : ''}: ${indicationLine(s.indication, s.subIndication)}`];
  const add = (label: Text, value: string) => lines.push(`  ${both(label)}: ${value}`);
  add(LABEL.format, `${s.format}${s.level ? `, ${s.level}` : ''}`);
  if (s.signer) {
    add(LABEL.signer, s.signer.subject);
    add(LABEL.serial, `${s.signer.serial}; ${LABEL.issuer.vi} / ${LABEL.issuer.en}: ${s.signer.issuer}`);
  }
  if (s.claimedSigningTime) lines.push(`  Thời điểm ký (${s.claimedSigningTimeSource === '/M' ? '/M' : 'signing-time'}) / signing time: ${iso(s.claimedSigningTime)}`);
  if (s.timestamp) {
    const t = s.timestamp;
    lines.push(`  Dấu thời gian / time-stamp: ${iso(t.genTime)} (${t.tsa ?? '?'}) ${t.valid ? 'khớp, hợp lệ / matches, valid' : t.imprintMatches && t.tokenIntact ? `khớp nhưng chưa tin cậy / matches but not trusted: ${t.problem?.vi ?? ''} / ${t.problem?.en ?? ''}` : 'KHÔNG KHỚP / DOES NOT MATCH'}`);
  }
  if (s.kind === 'signature') lines.push(`  Đánh giá chứng thư tại / certificates judged at: ${iso(s.validationTime)}${s.poeTime ? ' (POE)' : ''}`);
  if (s.chain.length) add(LABEL.chain, s.chain.map((c) => c.commonName ?? c.subject).join(' → '));
  if (s.kind === 'signature') {
    const rv = s.revocation;
    add(LABEL.revocation, `${both(REVOCATION_STATUS_TEXT[rv.status]!)}${rv.revokedAt ? ` (${iso(rv.revokedAt)})` : ''}; ${LABEL.revocationSource.vi} / ${LABEL.revocationSource.en}: ${both(REVOCATION_SOURCE_TEXT[rv.source])}`);
  }
  if (s.coverage) {
    const c = s.coverage;
    lines.push(`  Phạm vi ký / byte range: [${c.byteRange?.join(' ') ?? '?'}]`);
  }
  lines.push(`  Toàn vẹn / integrity: ${s.changed ? 'ĐÃ BỊ THAY ĐỔI / CHANGED after signing' : s.intact ? 'nguyên vẹn / intact' : 'không kiểm tra được / not verified'}`);
  if (s.coverage) {
    const c = s.coverage;
    const later = c.laterChanges === 'signatures' ? 'chỉ thêm chữ ký / signatures only' : c.laterChanges === 'other' ? `THAY ĐỔI KHÁC / OTHER CHANGES: ${c.changes.map((x) => x.vi).join('; ')}` : '';
    lines.push(`  Phủ toàn bộ tệp / covers the whole document: ${c.wholeDocument ? 'có / yes' : `không / no (${c.laterRevisions} lần cập nhật sau / later revisions${later ? `: ${later}` : ''})`}`);
  }
  lines.push(`  ${s.summary.vi}`, `  ${s.summary.en}`);
  for (const w of s.warnings) lines.push(`  ! ${w.vi}`, `    ${w.en}`);
  for (const n of s.notes) lines.push(`  - ${n.vi}`, `    ${n.en}`);
  return lines;
}

export function reportText(r: ValidationReport): string {
  const lines = [
    indicationLine(r.overall, r.overallSubIndication),
    r.summary.vi,
    r.summary.en,
    `Tệp / file: ${r.fileName ?? '-'} (${both(FILE_TYPE_TEXT[r.fileType]!)}, ${byteSize(r.size)}, SHA-256 ${r.sha256})`,
  ];
  if (r.noSignature) lines.push(both(LABEL.noSignature));
  for (const e of r.errors) lines.push(`Lỗi / error [${e.code}]: ${e.vi} / ${e.en}`);
  for (const s of r.signatures) lines.push(...signatureText(s));
  return `${lines.join('\n')}\n`;
}
