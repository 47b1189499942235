// Server-rendered pages of the public /verify service: the upload form, the report, errors.
// Plain HTML and one stylesheet, no script: every value from the file is escaped.

import { FILE_TYPE_TEXT, INDICATION_TEXT, LABEL, REASON_TEXT, REVOCATION_SOURCE_TEXT, REVOCATION_STATUS_TEXT, SUB_INDICATION_TEXT, byteSize, vnTime } from './messages.js';
import type { CertificateSummary, Finding, Indication, SignatureReport, Text, ValidationReport } from './types.js';

export type Lang = 'vi' | 'en';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const other = (lang: Lang): Lang => (lang === 'vi' ? 'en' : 'vi');

/** The text in the page's language, the other language alongside (smaller). */
function t(text: Text, lang: Lang): string {
  return `<span class="p">${escapeHtml(text[lang])}</span> <span class="s" lang="${other(lang)}">${escapeHtml(text[other(lang)])}</span>`;
}

/** One language only (inside attributes, titles). */
const one = (text: Text, lang: Lang) => escapeHtml(text[lang]);

const TITLE: Text = { vi: 'Kiểm tra chữ ký số', en: 'Signature verification' };

function page(lang: Lang, title: Text, body: string): string {
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${one(title, lang)} — GovMail</title>
<link rel="stylesheet" href="/verify/verify.css">
<link rel="icon" href="/verify/icon.svg" type="image/svg+xml">
</head>
<body>
<header><a class="brand" href="/verify${lang === 'en' ? '?lang=en' : ''}">GovMail</a> <span class="tag">${t(TITLE, lang)}</span></header>
<main>
${body}
</main>
<footer>${t({ vi: 'Tệp tải lên chỉ được kiểm tra trong bộ nhớ, không được lưu lại. Kết quả theo ETSI EN 319 102-1.', en: 'Uploaded files are checked in memory only and never kept. Results follow ETSI EN 319 102-1.' }, lang)}</footer>
</body>
</html>
`;
}

export function verifyPageHtml(lang: Lang = 'vi', o: { maxBytes?: number } = {}): string {
  const max = byteSize(o.maxBytes ?? 25 * 1024 * 1024);
  const langLink = lang === 'vi' ? '<a href="/verify?lang=en" hreflang="en">English</a>' : '<a href="/verify" hreflang="vi">Tiếng Việt</a>';
  const body = `<h1>${t(TITLE, lang)}</h1>
<p class="lang">${langLink}</p>
<p>${t({ vi: `Tải lên tài liệu PDF đã ký, chữ ký CMS (.p7s) hoặc thư điện tử có chữ ký (.eml) để nhận báo cáo kiểm tra. Dung lượng tối đa ${max}.`, en: `Upload a signed PDF, a CMS signature (.p7s) or a signed e-mail (.eml) to get a validation report. At most ${max}.` }, lang)}</p>
<form class="upload" method="post" action="/verify" enctype="multipart/form-data">
<div class="row"><label for="file">${t({ vi: 'Tệp cần kiểm tra (PDF, .p7s, .eml)', en: 'File to verify (PDF, .p7s, .eml)' }, lang)}</label>
<input type="file" id="file" name="file" required accept=".pdf,.p7s,.p7m,.eml,application/pdf,application/pkcs7-signature,message/rfc822"></div>
<div class="row"><label for="data">${t({ vi: 'Tệp dữ liệu đã ký (chỉ cho chữ ký .p7s tách rời)', en: 'Signed data file (detached .p7s only)' }, lang)}</label>
<input type="file" id="data" name="data"></div>
<div class="row"><label for="format">${t({ vi: 'Định dạng báo cáo', en: 'Report format' }, lang)}</label>
<select id="format" name="format"><option value="html">${one({ vi: 'Trang web', en: 'Web page' }, lang)}</option><option value="pdf">PDF</option><option value="json">JSON</option></select></div>
<div class="row"><label for="lang">${t({ vi: 'Ngôn ngữ chính', en: 'Main language' }, lang)}</label>
<select id="lang" name="lang"><option value="vi"${lang === 'vi' ? ' selected' : ''}>Tiếng Việt</option><option value="en"${lang === 'en' ? ' selected' : ''}>English</option></select></div>
<button type="submit">${one({ vi: 'Kiểm tra', en: 'Verify' }, lang)}</button>
</form>`;
  return page(lang, TITLE, body);
}

export function errorPageHtml(status: number, text: Text, lang: Lang = 'vi'): string {
  const title: Text = { vi: `Lỗi ${status}`, en: `Error ${status}` };
  return page(lang, title, `<h1>${t(title, lang)}</h1>
<p class="error" data-testid="error">${t(text, lang)}</p>
<p><a href="/verify${lang === 'en' ? '?lang=en' : ''}">${t({ vi: 'Kiểm tra tệp khác', en: 'Verify another file' }, lang)}</a></p>`);
}

const CLASS: Record<Indication, string> = { 'TOTAL-PASSED': 'passed', 'TOTAL-FAILED': 'failed', INDETERMINATE: 'indeterminate' };

function badge(indication: Indication, sub: string | undefined, lang: Lang): string {
  return `<span class="badge ${CLASS[indication]}" data-indication="${indication}">${t(INDICATION_TEXT[indication], lang)} <code>${indication}${sub ? ` / ${escapeHtml(sub)}` : ''}</code></span>`;
}

function row(label: Text, value: string, lang: Lang): string {
  return `<tr><th scope="row">${t(label, lang)}</th><td>${value}</td></tr>`;
}

function certLine(c: CertificateSummary): string {
  return escapeHtml(c.commonName ?? c.subject);
}

function findings(label: Text, list: Finding[], cls: string, lang: Lang): string {
  if (!list.length) return '';
  return `<div class="${cls}"><h4>${t(label, lang)}</h4><ul>${list.map((f) => `<li data-code="${escapeHtml(f.code)}">${t(f, lang)}</li>`).join('')}</ul></div>`;
}

function signatureSection(s: SignatureReport, lang: Lang): string {
  const title = s.kind === 'document-timestamp' ? LABEL.documentTimestamp : LABEL.signature;
  const rows: string[] = [];
  rows.push(row(LABEL.result, `${badge(s.indication, s.subIndication, lang)}${s.subIndication && SUB_INDICATION_TEXT[s.subIndication] ? `<div class="sub">${t(SUB_INDICATION_TEXT[s.subIndication]!, lang)}</div>` : ''}`, lang));
  rows.push(row(LABEL.format, escapeHtml(`${s.format}${s.level ? ` — ${s.level}` : ''}`), lang));
  if (s.fieldName) rows.push(row(LABEL.field, escapeHtml(s.fieldName), lang));
  if (s.signer) {
    const c = s.signer;
    rows.push(row(LABEL.signer, `<strong>${escapeHtml(c.commonName ?? c.subject)}</strong><div class="dn">${escapeHtml(c.subject)}</div>`, lang));
    if (c.title) rows.push(row(LABEL.jobTitle, escapeHtml(c.title), lang));
    if (c.organization) rows.push(row(LABEL.organization, escapeHtml(c.organization), lang));
    if (c.organizationalUnit) rows.push(row(LABEL.unit, escapeHtml(c.organizationalUnit), lang));
    if (c.email) rows.push(row(LABEL.email, escapeHtml(c.email), lang));
    if (c.identifiers.length) rows.push(row(LABEL.identifiers, escapeHtml(c.identifiers.join(', ')), lang));
    rows.push(row(LABEL.serial, `<code>${escapeHtml(c.serial)}</code>`, lang));
    rows.push(row(LABEL.issuer, escapeHtml(c.issuer), lang));
    rows.push(row(LABEL.validity, `${escapeHtml(vnTime(c.notBefore))} – ${escapeHtml(vnTime(c.notAfter))}`, lang));
  }
  if (s.reason) rows.push(row(LABEL.reason, escapeHtml(s.reason), lang));
  if (s.location) rows.push(row(LABEL.location, escapeHtml(s.location), lang));
  if (s.claimedSigningTime) rows.push(row(LABEL.claimedTime, `${escapeHtml(vnTime(s.claimedSigningTime))} <span class="s">(${s.claimedSigningTimeSource === '/M' ? '/M' : 'signing-time'})</span>`, lang));
  if (s.timestamp) {
    const ts = s.timestamp;
    const state = ts.valid ? t({ vi: 'hợp lệ', en: 'valid' }, lang) : `<span class="bad">${t(ts.problem ?? { vi: 'không hợp lệ', en: 'not valid' }, lang)}</span>`;
    rows.push(row(LABEL.timestamp, `${escapeHtml(vnTime(ts.genTime))} — ${state}${ts.tsa ? `<div class="dn">${escapeHtml(ts.tsa)}</div>` : ''}`, lang));
  }
  if (s.kind === 'signature') {
    rows.push(row(LABEL.poe, s.poeTime ? escapeHtml(vnTime(s.poeTime)) : t({ vi: 'không có', en: 'none' }, lang), lang));
    rows.push(row(LABEL.validationTime, escapeHtml(vnTime(s.validationTime)), lang));
  }
  if (s.chain.length) rows.push(row(LABEL.chain, `<ol class="chain">${s.chain.map((c) => `<li>${certLine(c)}</li>`).join('')}</ol>`, lang));
  if (s.kind === 'signature') {
    const rv = s.revocation;
    const when = rv.revokedAt ? ` — ${escapeHtml(vnTime(rv.revokedAt))}${rv.reason ? ` (${t(REASON_TEXT[rv.reason] ?? { vi: rv.reason, en: rv.reason }, lang)})` : ''}` : '';
    rows.push(row(LABEL.revocation, `${t(REVOCATION_STATUS_TEXT[rv.status]!, lang)}${when}<div class="s2">${t(LABEL.revocationSource, lang)}: ${t(REVOCATION_SOURCE_TEXT[rv.source], lang)}</div>`, lang));
  }
  rows.push(row(LABEL.integrity, s.changed ? `<span class="bad">${t(LABEL.changed, lang)}</span>` : s.intact ? t(LABEL.intact, lang) : '—', lang));
  if (s.coverage) {
    const c = s.coverage;
    let v = c.wholeDocument
      ? t(LABEL.wholeDocument, lang)
      : t({ vi: `Không phủ toàn bộ: có ${c.laterRevisions} lần cập nhật sau khi ký`, en: `Not the whole document: ${c.laterRevisions} later revision${c.laterRevisions === 1 ? '' : 's'}` }, lang);
    if (c.changes.length) v += `<ul class="changes">${c.changes.map((x) => `<li data-code="${escapeHtml(x.code)}">${t(x, lang)}</li>`).join('')}</ul>`;
    if (c.byteRange) v += `<div class="s2">/ByteRange [${c.byteRange.join(' ')}]</div>`;
    rows.push(row(LABEL.coverage, v, lang));
  }
  const body = `<p class="summary">${t(s.summary, lang)}</p>
<table>${rows.join('\n')}</table>
${findings(LABEL.errors, s.errors, 'errors', lang)}${findings(LABEL.warnings, s.warnings, 'warnings', lang)}${findings(LABEL.notes, s.notes, 'notes', lang)}`;
  return `<section class="signature ${CLASS[s.indication]}" data-testid="signature" data-indication="${s.indication}">
<h3>${t(title, lang)} #${s.index}${s.fieldName ? ` <span class="s">(${escapeHtml(s.fieldName)})</span>` : ''}</h3>
${body}
</section>`;
}

export function reportHtml(report: ValidationReport, lang: Lang = 'vi'): string {
  const head = `<h1>${t(LABEL.title, lang)}</h1>
<section class="overall ${CLASS[report.overall]}" data-testid="overall" data-indication="${report.overall}">
<h2>${t(LABEL.overall, lang)}: ${report.noSignature ? t(LABEL.noSignature, lang) : badge(report.overall, report.overallSubIndication, lang)}</h2>
<p class="summary">${t(report.summary, lang)}</p>
<table>
${row(LABEL.file, escapeHtml(report.fileName ?? '—'), lang)}
${row(LABEL.fileType, t(FILE_TYPE_TEXT[report.fileType]!, lang), lang)}
${row(LABEL.size, escapeHtml(byteSize(report.size)), lang)}
${row(LABEL.sha256, `<code>${escapeHtml(report.sha256)}</code>`, lang)}
${row(LABEL.validatedAt, escapeHtml(vnTime(report.validatedAt)), lang)}
</table>
${findings(LABEL.errors, report.errors, 'errors', lang)}
</section>`;
  const sigs = report.signatures.map((s) => signatureSection(s, lang)).join('\n');
  const again = `<p><a href="/verify${lang === 'en' ? '?lang=en' : ''}">${t({ vi: 'Kiểm tra tệp khác', en: 'Verify another file' }, lang)}</a></p>`;
  return page(lang, LABEL.title, `${head}\n${sigs}\n${again}`);
}

export const VERIFY_CSS = `:root{--fg:#1d2733;--muted:#5b6773;--line:#d7dde3;--ok:#1e7a3c;--okbg:#e7f5ec;--bad:#b3261e;--badbg:#fbeaea;--warn:#8a5a00;--warnbg:#fff5dc;--accent:#a4161a}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 "DejaVu Sans",system-ui,sans-serif;color:var(--fg);background:#f6f7f9}
header{background:var(--accent);color:#fff;padding:.6rem 1.2rem}
header .brand{color:#fff;font-weight:bold;text-decoration:none;margin-right:.6rem}
header .s{color:#f3d6d6}
main{max-width:980px;margin:1.2rem auto;padding:0 1rem}
footer{max-width:980px;margin:2rem auto;padding:0 1rem 2rem;color:var(--muted);font-size:.85rem}
h1{font-size:1.5rem}
.s,.s2{color:var(--muted);font-size:.85em}
.s2{display:block}
.lang{text-align:right}
form.upload{background:#fff;border:1px solid var(--line);border-radius:6px;padding:1rem}
form.upload .row{margin-bottom:.9rem}
form.upload label{display:block;font-weight:bold;margin-bottom:.2rem}
button{background:var(--accent);color:#fff;border:0;border-radius:4px;padding:.5rem 1.4rem;font-size:1rem;cursor:pointer}
section{background:#fff;border:1px solid var(--line);border-left-width:6px;border-radius:6px;padding:.8rem 1rem;margin-bottom:1rem}
section.passed{border-left-color:var(--ok)}
section.failed{border-left-color:var(--bad)}
section.indeterminate{border-left-color:var(--warn)}
.badge{display:inline-block;border-radius:4px;padding:.1rem .5rem;font-weight:bold}
.badge code{font-weight:normal;font-size:.8em;margin-left:.3rem}
.badge.passed{background:var(--okbg);color:var(--ok)}
.badge.failed{background:var(--badbg);color:var(--bad)}
.badge.indeterminate{background:var(--warnbg);color:var(--warn)}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;vertical-align:top;padding:.3rem .4rem;border-top:1px solid var(--line)}
th{width:32%;font-weight:normal;color:var(--muted)}
.dn{font-size:.8em;color:var(--muted);word-break:break-all}
code{word-break:break-all}
.bad{color:var(--bad)}
.errors{color:var(--bad)}
.warnings{color:var(--warn)}
.notes{color:var(--muted)}
.error{background:var(--badbg);color:var(--bad);padding:.6rem;border-radius:4px}
ol.chain,ul.changes{margin:0;padding-left:1.2rem}
`;

/** The page's icon: a red seal with a tick (browsers ask for one; without it they log a 404). */
export const VERIFY_ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><circle cx="16" cy="16" r="14" fill="#a4161a"/><path d="M9 16.5l4.5 4.5L23 11" fill="none" stroke="#fff" stroke-width="3" stroke-linecap="round" stroke-linejoin="round"/></svg>`;
