// The validation report as a PDF (A4, Vietnamese then English on each line), with DejaVu Sans
// embedded (Debian fonts-dejavu-core) so that every Vietnamese letter shows and copies as text.

import { readFileSync } from 'node:fs';
import fontkit from '@pdf-lib/fontkit';
import { PDFDocument, rgb, type PDFFont, type PDFPage, type RGB } from 'pdf-lib';
import { GovmailError } from '../../core/errors.js';
import { FILE_TYPE_TEXT, INDICATION_TEXT, LABEL, REASON_TEXT, REVOCATION_SOURCE_TEXT, REVOCATION_STATUS_TEXT, SUB_INDICATION_TEXT, byteSize, vnTime } from './messages.js';
import type { Finding, Indication, SignatureReport, Text, ValidationReport } from './types.js';

const FONT_DIR = '/usr/share/fonts/truetype/dejavu';
let fonts: { regular: Buffer; bold: Buffer } | undefined;

function fontBytes(): { regular: Buffer; bold: Buffer } {
  if (!fonts) {
    try {
      fonts = { regular: readFileSync(`${FONT_DIR}/DejaVuSans.ttf`), bold: readFileSync(`${FONT_DIR}/DejaVuSans-Bold.ttf`) };
    } catch {
      throw new GovmailError('FONT_MISSING', `DejaVu Sans is needed for PDF reports (${FONT_DIR}; Debian package fonts-dejavu-core)`, `cần phông DejaVu Sans để tạo báo cáo PDF (${FONT_DIR}; gói Debian fonts-dejavu-core)`, 500);
    }
  }
  return fonts;
}

const A4: [number, number] = [595.28, 841.89];
const MARGIN = 48;
const COLOR: Record<Indication, RGB> = { 'TOTAL-PASSED': rgb(0.12, 0.48, 0.24), 'TOTAL-FAILED': rgb(0.7, 0.15, 0.12), INDETERMINATE: rgb(0.54, 0.35, 0) };
const GREY = rgb(0.36, 0.4, 0.45);
const BLACK = rgb(0.1, 0.13, 0.17);

class Writer {
  private page!: PDFPage;
  private y = 0;
  constructor(
    private readonly doc: PDFDocument,
    private readonly regular: PDFFont,
    private readonly bold: PDFFont,
  ) {
    this.newPage();
  }

  private newPage(): void {
    this.page = this.doc.addPage(A4);
    this.y = A4[1] - MARGIN;
  }

  private ensure(h: number): void {
    if (this.y - h < MARGIN) this.newPage();
  }

  /** Splits text into lines no wider than `width` (long unbroken runs are cut). */
  private wrap(text: string, font: PDFFont, size: number, width: number): string[] {
    const out: string[] = [];
    for (const para of text.normalize('NFC').split('\n')) {
      let line = '';
      for (const word of para.split(/(?<=\s)/)) {
        const candidate = line + word;
        if (font.widthOfTextAtSize(candidate.trimEnd(), size) <= width) {
          line = candidate;
          continue;
        }
        if (line.trim()) out.push(line.trimEnd());
        line = '';
        let rest = word;
        while (font.widthOfTextAtSize(rest.trimEnd(), size) > width) {
          let n = rest.length;
          while (n > 1 && font.widthOfTextAtSize(rest.slice(0, n), size) > width) n--;
          out.push(rest.slice(0, n));
          rest = rest.slice(n);
        }
        line = rest;
      }
      if (line.trim() || !out.length) out.push(line.trimEnd());
    }
    return out;
  }

  text(s: string, o: { size?: number; bold?: boolean; color?: RGB; indent?: number; gap?: number } = {}): void {
    const size = o.size ?? 9.5;
    const font = o.bold ? this.bold : this.regular;
    const indent = o.indent ?? 0;
    const lineHeight = size * 1.35;
    for (const line of this.wrap(s, font, size, A4[0] - 2 * MARGIN - indent)) {
      this.ensure(lineHeight);
      this.y -= lineHeight;
      this.page.drawText(line, { x: MARGIN + indent, y: this.y, size, font, color: o.color ?? BLACK });
    }
    this.y -= o.gap ?? 0;
  }

  /** "Nhãn / Label: value", the value possibly in both languages. */
  field(label: Text, value: string, indent = 10): void {
    this.text(`${label.vi} / ${label.en}: ${value}`, { indent });
  }

  rule(): void {
    this.ensure(10);
    this.y -= 5;
    this.page.drawLine({ start: { x: MARGIN, y: this.y }, end: { x: A4[0] - MARGIN, y: this.y }, thickness: 0.5, color: GREY });
    this.y -= 6;
  }

  space(h: number): void {
    this.y -= h;
  }
}

const both = (t: Text) => `${t.vi} / ${t.en}`;

function indicationText(i: Indication, sub?: string): string {
  return `${both(INDICATION_TEXT[i])} (${i}${sub ? ` / ${sub}` : ''})`;
}

function findings(w: Writer, label: Text, list: Finding[], color: RGB): void {
  if (!list.length) return;
  w.text(both(label), { bold: true, indent: 10, color });
  for (const f of list) {
    w.text(`• ${f.vi}`, { indent: 18, color });
    w.text(`  ${f.en}`, { indent: 18, color: GREY });
  }
}

function signature(w: Writer, s: SignatureReport): void {
  const title = s.kind === 'document-timestamp' ? LABEL.documentTimestamp : LABEL.signature;
  w.rule();
  w.text(`${both(title)} #${s.index}${s.fieldName ? ` (${s.fieldName})` : ''}`, { size: 12, bold: true });
  w.text(`${both(LABEL.result)}: ${indicationText(s.indication, s.subIndication)}`, { bold: true, color: COLOR[s.indication], indent: 10 });
  if (s.subIndication && SUB_INDICATION_TEXT[s.subIndication]) w.text(both(SUB_INDICATION_TEXT[s.subIndication]!), { indent: 10, color: COLOR[s.indication] });
  w.text(s.summary.vi, { indent: 10 });
  w.text(s.summary.en, { indent: 10, color: GREY, gap: 3 });
  w.field(LABEL.format, `${s.format}${s.level ? ` — ${s.level}` : ''}`);
  if (s.signer) {
    const c = s.signer;
    w.field(LABEL.signer, c.commonName ?? c.subject);
    if (c.title) w.field(LABEL.jobTitle, c.title);
    if (c.organization) w.field(LABEL.organization, c.organization);
    if (c.organizationalUnit) w.field(LABEL.unit, c.organizationalUnit);
    if (c.email) w.field(LABEL.email, c.email);
    if (c.identifiers.length) w.field(LABEL.identifiers, c.identifiers.join(', '));
    w.field(LABEL.serial, c.serial);
    w.field(LABEL.issuer, c.issuer);
    w.field(LABEL.validity, `${vnTime(c.notBefore)} – ${vnTime(c.notAfter)}`);
  }
  if (s.reason) w.field(LABEL.reason, s.reason);
  if (s.location) w.field(LABEL.location, s.location);
  if (s.claimedSigningTime) w.field(LABEL.claimedTime, `${vnTime(s.claimedSigningTime)} (${s.claimedSigningTimeSource === '/M' ? '/M' : 'signing-time'})`);
  if (s.timestamp) {
    const ts = s.timestamp;
    w.field(LABEL.timestamp, `${vnTime(ts.genTime)} — ${ts.valid ? 'hợp lệ / valid' : both(ts.problem ?? { vi: 'không hợp lệ', en: 'not valid' })}${ts.tsa ? ` — ${ts.tsa}` : ''}`);
  }
  if (s.kind === 'signature') {
    w.field(LABEL.poe, s.poeTime ? vnTime(s.poeTime) : 'không có / none');
    w.field(LABEL.validationTime, vnTime(s.validationTime));
  }
  if (s.chain.length) w.field(LABEL.chain, s.chain.map((c) => c.commonName ?? c.subject).join(' → '));
  if (s.kind === 'signature') {
    const rv = s.revocation;
    const reason = rv.reason ? ` (${both(REASON_TEXT[rv.reason] ?? { vi: rv.reason, en: rv.reason })})` : '';
    w.field(LABEL.revocation, `${both(REVOCATION_STATUS_TEXT[rv.status]!)}${rv.revokedAt ? ` — ${vnTime(rv.revokedAt)}${reason}` : ''}; ${LABEL.revocationSource.vi} / ${LABEL.revocationSource.en}: ${both(REVOCATION_SOURCE_TEXT[rv.source])}`);
  }
  w.field(LABEL.integrity, s.changed ? both(LABEL.changed) : s.intact ? both(LABEL.intact) : '—');
  if (s.coverage) {
    const c = s.coverage;
    w.field(LABEL.coverage, c.wholeDocument ? both(LABEL.wholeDocument) : `không phủ toàn bộ, ${c.laterRevisions} lần cập nhật sau / not the whole document, ${c.laterRevisions} later revision(s)`);
    for (const x of c.changes) w.text(`– ${x.vi} / ${x.en}`, { indent: 18 });
  }
  findings(w, LABEL.errors, s.errors, COLOR['TOTAL-FAILED']);
  findings(w, LABEL.warnings, s.warnings, COLOR.INDETERMINATE);
  findings(w, LABEL.notes, s.notes, GREY);
}

export async function reportPdf(report: ValidationReport): Promise<Uint8Array> {
  const { regular, bold } = fontBytes();
  const doc = await PDFDocument.create();
  doc.registerFontkit(fontkit);
  const [r, b] = await Promise.all([doc.embedFont(regular, { subset: true }), doc.embedFont(bold, { subset: true })]);
  doc.setTitle(`${LABEL.title.vi} / ${LABEL.title.en}`);
  doc.setProducer('GovMail');
  doc.setCreator('GovMail');
  doc.setLanguage('vi-VN');
  doc.setCreationDate(report.validatedAt);
  const w = new Writer(doc, r, b);
  w.text(LABEL.title.vi.toUpperCase(), { size: 16, bold: true });
  w.text(LABEL.title.en, { size: 12, color: GREY, gap: 6 });
  w.text(`${both(LABEL.overall)}: ${report.noSignature ? both(LABEL.noSignature) : indicationText(report.overall, report.overallSubIndication)}`, { size: 12, bold: true, color: COLOR[report.overall] });
  w.text(report.summary.vi, {});
  w.text(report.summary.en, { color: GREY, gap: 4 });
  w.field(LABEL.file, report.fileName ?? '—', 0);
  w.field(LABEL.fileType, both(FILE_TYPE_TEXT[report.fileType]!), 0);
  w.field(LABEL.size, byteSize(report.size), 0);
  w.field(LABEL.sha256, report.sha256, 0);
  w.field(LABEL.validatedAt, vnTime(report.validatedAt), 0);
  findings(w, LABEL.errors, report.errors, COLOR['TOTAL-FAILED']);
  for (const s of report.signatures) signature(w, s);
  w.rule();
  w.text('Báo cáo theo ETSI EN 319 102-1, do GovMail lập. Tệp được kiểm tra không được lưu lại.', { size: 8, color: GREY });
  w.text('Report in the ETSI EN 319 102-1 vocabulary, made by GovMail. The file checked was not kept.', { size: 8, color: GREY });
  return doc.save();
}
