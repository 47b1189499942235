import { removeHeaderFields, type Reply } from '../rules.js';

/**
 * What the MX does with a scanner's answer, as plain functions: rspamd's action becomes a refusal, a
 * temporary refusal, a delivery to Junk or a plain delivery, and the result is written on the message.
 */

/** The part of rspamd's /checkv2 answer we use. */
export interface RspamdResult {
  action: 'reject' | 'soft reject' | 'rewrite subject' | 'add header' | 'greylist' | 'no action' | string;
  score: number;
  required_score: number;
  symbols?: Record<string, { name: string; score: number; options?: string[] }>;
  messages?: { smtp_message?: string };
}

/** Score thresholds for one domain; `junk` files into Junk, `reject` refuses at DATA. */
export interface SpamThresholds {
  reject: number;
  junk: number;
}

export type ScanDecision =
  | { kind: 'refuse'; reply: Reply; category: 'spam' | 'virus' | 'attachment'; reason: string }
  | { kind: 'tempfail'; reply: Reply; reason: string }
  | { kind: 'deliver'; headers: string; junk?: string };

/** rspamd's `Settings` request header: our thresholds instead of its own (greylisting needs a store we do not run). */
export function settingsHeader(t: SpamThresholds): string {
  return JSON.stringify({ actions: { reject: t.reject, 'add header': t.junk, 'rewrite subject': null, greylist: null } });
}

// Antivirus symbols end in _VIRUS (CLAM_VIRUS); _VIRUS_FAIL only says the scanner could not answer.
const VIRUS_SYMBOL = /_VIRUS$/;

function virusName(r: RspamdResult): string | undefined {
  for (const s of Object.values(r.symbols ?? {})) if (VIRUS_SYMBOL.test(s.name)) return s.options?.[0] ?? s.name;
  return undefined;
}

function safeText(s: string): string {
  return s.replace(/[^\x20-\x7e\u00a0-\uffff]/g, ' ').slice(0, 200);
}

/** The decision for one scanned message; `headers` are the lines written on top of it. */
export function decide(r: RspamdResult, t: SpamThresholds): ScanDecision {
  const virus = virusName(r);
  if (virus) {
    return { kind: 'refuse', category: 'virus', reason: virus, reply: { code: 554, message: `5.7.1 Virus found: ${safeText(virus)} / Thư chứa mã độc: ${safeText(virus)}` } };
  }
  if (r.action === 'reject') {
    const why = r.messages?.smtp_message ? safeText(r.messages.smtp_message) : `score ${r.score.toFixed(2)} ≥ ${t.reject}`;
    return { kind: 'refuse', category: 'spam', reason: why, reply: { code: 550, message: `5.7.1 Message refused as spam (${why}) / Thư bị từ chối vì bị xác định là thư rác` } };
  }
  if (r.action === 'soft reject' || r.action === 'greylist') {
    return { kind: 'tempfail', reason: r.action, reply: { code: 451, message: '4.7.1 Try again later / Xin gửi lại sau' } };
  }
  const spam = r.action === 'add header' || r.action === 'rewrite subject';
  return { kind: 'deliver', headers: scanHeaders(r, spam), ...(spam ? { junk: `spam score=${r.score.toFixed(2)}` } : {}) };
}

/** `X-Spam-Status` and `X-Spamd-Result` (rspamd's own format: symbol(score)[options]), folded at 78 columns. */
export function scanHeaders(r: RspamdResult, spam: boolean): string {
  const symbols = Object.values(r.symbols ?? {})
    .sort((a, b) => Math.abs(b.score) - Math.abs(a.score) || a.name.localeCompare(b.name))
    .map((s) => `${s.name}(${s.score.toFixed(2)})${s.options?.length ? `[${s.options.slice(0, 3).map((x) => safeText(x).slice(0, 40)).join(',').replace(/[;\s]/g, '_')}]` : ''}`);
  const result = fold(`X-Spamd-Result: default: ${spam ? 'True' : 'False'} [${r.score.toFixed(2)} / ${r.required_score.toFixed(2)}]`, symbols);
  const status = `X-Spam-Status: ${spam ? 'Yes' : 'No'}, score=${r.score.toFixed(2)} required=${r.required_score.toFixed(2)} action=${r.action.replace(/\s/g, '_')} scanner=rspamd\r\n`;
  return status + result + (spam ? 'X-Spam: Yes\r\n' : '');
}

function fold(first: string, items: readonly string[]): string {
  let out = first;
  let width = first.length;
  for (const item of items) {
    if (width + item.length + 2 > 78) {
      out += `;\r\n\t${item}`;
      width = item.length + 1;
    } else {
      out += `; ${item}`;
      width += item.length + 2;
    }
  }
  return `${out}\r\n`;
}

/** The header written when the scanner could not answer and the site chose to deliver anyway. */
export function unscannedHeader(reason: string): string {
  return `X-Spam-Status: Unscanned, reason=${safeText(reason).replace(/[\s;]/g, '_')} scanner=rspamd\r\n`;
}

export const SCANNER_UNAVAILABLE: Reply = { code: 451, message: '4.7.1 Message scanning unavailable, please try again later / Chưa quét được thư, xin gửi lại sau' };

/** Headers only our scanner writes: any that arrive with a message are forgeries and are removed. */
export function isScanHeader(name: string): boolean {
  const n = name.toLowerCase();
  return n === 'x-spam' || n.startsWith('x-spam-') || n.startsWith('x-spamd-') || n.startsWith('x-rspamd-') || n === 'x-virus-scanned' || n === 'x-govmail-attachments';
}

/** Removes every scan header from a message's head; the body is not touched. */
export function removeScanHeaders(message: Buffer): Buffer {
  return removeHeaderFields(message, (name) => isScanHeader(name));
}
