import { CLASSIFICATION_LABELS, DOCUMENT_HEADERS, classificationCode, headerFields } from '../signer/index.js';
import { domainOf, type Reply } from './rules.js';

/**
 * The classified-document send policy: a message whose X-GovMail-Classification is anything but
 * `none` (mật, tối mật, tuyệt mật — or a value we do not recognise, which counts as classified) may go
 * only to our own domains and to government domains (`gov.vn` and below, by default). Otherwise the
 * whole message is refused at the end of DATA, naming the refused addresses and the classification.
 * Absent header = unclassified.
 */
export const DEFAULT_GOVERNMENT_SUFFIXES: readonly string[] = ['gov.vn'];

export interface ClassifiedPolicyOptions {
  /** Domains whose addresses are government ones: the domain itself and every subdomain. Default gov.vn. */
  governmentSuffixes?: readonly string[];
  /** Our own domains (always allowed). */
  localDomains?: readonly string[];
}

export type PolicyDecision =
  | { allowed: true; classification: string }
  | { allowed: false; classification: string; refused: string[]; reply: Reply };

/** At most this many refused addresses are named in the reply (an SMTP reply line stays short). */
const NAMED = 3;

/** The classification a message carries: the strictest of its headers; `none` when it has none. */
export function messageClassification(message: string | Uint8Array): string {
  const lower = DOCUMENT_HEADERS.classification.toLowerCase();
  const values = headerFields(message).filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v.trim()).filter((v) => v !== '');
  if (!values.length) return 'none';
  const order = ['none', 'mat', 'toi-mat', 'tuyet-mat'];
  // An unrecognised value ranks above everything: fail closed.
  const rank = (v: string) => { const c = classificationCode(v); return c ? order.indexOf(c) : order.length; };
  const strictest = values.reduce((a, b) => (rank(b) > rank(a) ? b : a));
  return classificationCode(strictest) ?? strictest;
}

function suffixes(list: readonly string[] | undefined): string[] {
  return (list ?? DEFAULT_GOVERNMENT_SUFFIXES).map((s) => s.trim().toLowerCase().replace(/^\*?\./, '')).filter(Boolean);
}

/** True when the address's domain is one of ours or lies under a government suffix. */
export function governmentAddress(address: string, o: ClassifiedPolicyOptions = {}): boolean {
  const domain = domainOf(address.trim()).replace(/\.$/, '');
  if (!domain) return false;
  if ((o.localDomains ?? []).some((d) => d.toLowerCase() === domain)) return true;
  return suffixes(o.governmentSuffixes).some((s) => domain === s || domain.endsWith(`.${s}`));
}

function label(classification: string): { vi: string; en: string } {
  const code = classificationCode(classification);
  return code ? CLASSIFICATION_LABELS[code] : { vi: `"${classification}" (không rõ, coi là mật)`, en: `"${classification}" (unknown, treated as classified)` };
}

/**
 * Decides whether a message may go to `recipients` (the remote ones; local recipients are ours anyway).
 * `message` is the message or just its header block.
 */
export function classifiedPolicy(message: string | Uint8Array, recipients: readonly string[], o: ClassifiedPolicyOptions = {}): PolicyDecision {
  const classification = messageClassification(message);
  if (classification === 'none') return { allowed: true, classification };
  const refused = [...new Set(recipients.map((r) => r.trim().toLowerCase()))].filter((r) => !governmentAddress(r, o));
  if (!refused.length) return { allowed: true, classification };
  const named = refused.slice(0, NAMED).map((r) => `<${r}>`).join(', ');
  const more = refused.length > NAMED ? refused.length - NAMED : 0;
  const allowedTo = suffixes(o.governmentSuffixes).map((s) => `*.${s}`).join(', ');
  const l = label(classification);
  return {
    allowed: false,
    classification,
    refused,
    reply: {
      code: 550,
      message:
        `5.7.1 Classified document (${l.en}, ${classification}) may be sent only to our own domains and government addresses (${allowedTo}); message not sent, refused: ${named}${more ? ` and ${more} more` : ''}` +
        ` / Văn bản mật (độ mật: ${l.vi}) chỉ được gửi trong hệ thống hoặc tới địa chỉ cơ quan nhà nước (${allowedTo}); thư chưa được gửi, không được gửi tới: ${named}${more ? ` và ${more} địa chỉ khác` : ''}`,
    },
  };
}
