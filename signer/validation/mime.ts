// CMS signatures (.p7s, detached or enveloping) and signed messages (S/MIME multipart/signed or
// application/pkcs7-mime signed-data), through verifyCms and verifySmime, in the report's shape.

import { canonicalizeCrlf, parseContentType, verifySmime } from '../cms/smime.js';
import { decodeP7s, parseSignedData, verifyCms } from '../cms/verify.js';
import { finding } from './messages.js';
import { evaluateSignature, type Context } from './signature.js';
import type { Finding, SignatureReport } from './types.js';

const SIG_TYPES = new Set(['application/pkcs7-signature', 'application/x-pkcs7-signature']);
const OPAQUE_TYPES = new Set(['application/pkcs7-mime', 'application/x-pkcs7-mime']);

function report(e: Awaited<ReturnType<typeof evaluateSignature>>, format: string): SignatureReport {
  return { index: 1, kind: 'signature', format, ...e };
}

export async function validateCmsFile(bytes: Uint8Array, data: Uint8Array | undefined, ctx: Context): Promise<{ signatures: SignatureReport[]; errors: Finding[] }> {
  let der: Uint8Array;
  let detached: boolean;
  try {
    der = decodeP7s(bytes);
    detached = !parseSignedData(der).encapContentInfo.eContent;
  } catch (e) {
    const m = (e as Error).message;
    return { signatures: [], errors: [finding('FORMAT_FAILURE', `Tệp không phải chữ ký CMS hợp lệ (${m})`, `The file is not a valid CMS signature (${m})`)] };
  }
  const e = await evaluateSignature({ cms: der, purpose: 'document', verify: (validator) => verifyCms({ p7s: der, ...(data ? { content: data } : {}), validateChain: validator, at: ctx.now }) }, ctx);
  const r = report(e, detached ? 'CAdES (CMS, tách rời / detached)' : 'CAdES (CMS, chứa nội dung / enveloping)');
  if (!detached && data) r.notes.push(finding('DATA_FILE_IGNORED', 'Chữ ký đã chứa nội dung; tệp dữ liệu kèm theo chỉ được so sánh với nội dung đó.', 'The signature carries its content; the data file given was only compared with it.'));
  return { signatures: [r], errors: [] };
}

/** Top-level header fields of a message (unfolded, names lower-cased) and where its body starts. */
function headers(text: string): { fields: Map<string, string>; body: number } {
  const end = text.indexOf('\r\n\r\n');
  const head = end < 0 ? text : text.slice(0, end);
  const fields = new Map<string, string>();
  for (const line of head.replace(/\r\n(?=[ \t])/g, '').split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) {
      const name = line.slice(0, i).trim().toLowerCase();
      if (!fields.has(name)) fields.set(name, line.slice(i + 1).trim());
    }
  }
  return { fields, body: end < 0 ? text.length : end + 4 };
}

function decodeBody(fields: Map<string, string>, body: string): Uint8Array {
  const cte = (fields.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  if (cte === 'base64') return new Uint8Array(Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64'));
  return new Uint8Array(Buffer.from(body, 'latin1'));
}

/** The CMS of a signed message (for its time-stamp and revocation data); undefined when not S/MIME signed. */
function smimeCms(text: string): Uint8Array | undefined {
  const top = headers(text);
  const ct = parseContentType(top.fields.get('content-type'));
  if (OPAQUE_TYPES.has(ct.type)) return decodeBody(top.fields, text.slice(top.body));
  if (ct.type !== 'multipart/signed' || !ct.params.boundary) return undefined;
  const delimiter = `\r\n--${ct.params.boundary}`;
  const parts = `\r\n${text.slice(top.body)}`.split(delimiter).slice(1);
  for (const part of parts) {
    if (part.startsWith('--')) break;
    const entity = part.replace(/^[ \t]*\r\n/, '');
    const h = headers(entity);
    if (SIG_TYPES.has(parseContentType(h.fields.get('content-type')).type)) return decodeBody(h.fields, entity.slice(h.body));
  }
  return undefined;
}

/** Whether a message is S/MIME signed at its top level. */
export function isSignedMessage(bytes: Uint8Array): boolean {
  const text = Buffer.from(canonicalizeCrlf(bytes)).toString('latin1');
  const ct = parseContentType(headers(text).fields.get('content-type'));
  return ct.type === 'multipart/signed' || (OPAQUE_TYPES.has(ct.type) && (ct.params['smime-type'] ?? 'signed-data').toLowerCase() === 'signed-data');
}

function senderAddress(from: string | undefined): string | undefined {
  if (!from) return undefined;
  const m = /<([^<>@\s]+@[^<>\s]+)>/.exec(from) ?? /([^\s<>"]+@[^\s<>"]+)/.exec(from);
  return m?.[1]?.toLowerCase();
}

export async function validateEml(bytes: Uint8Array, ctx: Context): Promise<{ signatures: SignatureReport[]; errors: Finding[] }> {
  if (!isSignedMessage(bytes)) return { signatures: [], errors: [] };
  const text = Buffer.from(canonicalizeCrlf(bytes)).toString('latin1');
  let cms: Uint8Array | undefined;
  try {
    const raw = smimeCms(text);
    cms = raw ? decodeP7s(raw) : undefined;
  } catch {
    cms = undefined;
  }
  const e = await evaluateSignature({ ...(cms ? { cms } : {}), purpose: 'smime', verify: (validator) => verifySmime({ message: bytes, validateChain: validator, at: ctx.now }) }, ctx);
  const r = report(e, 'S/MIME (CMS)');
  const from = senderAddress(headers(text).fields.get('from'));
  if (from && e.signer && e.intact) {
    const certEmails = e.signer.email ? [e.signer.email.toLowerCase()] : [];
    if (!certEmails.includes(from)) {
      r.warnings.push(finding('SENDER_NOT_IN_CERTIFICATE', `Địa chỉ người gửi (${from}) không có trong chứng thư số của người ký.`, `The sender's address (${from}) is not in the signer's certificate.`));
    }
  }
  return { signatures: [r], errors: [] };
}
