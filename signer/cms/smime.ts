// S/MIME signed messages (RFC 8551 §3.5): multipart/signed (RFC 1847) with a
// detached CMS signature in an application/pkcs7-signature part. Also reads
// opaque-signed application/pkcs7-mime; smime-type=signed-data.

import { randomBytes, type KeyObject } from 'node:crypto';
import type * as pkijs from 'pkijs';
import type { SigningHash } from './attributes.js';
import type { CryptoKey } from './keys.js';
import { signCms } from './sign.js';
import { verifyCms, type ChainValidator, type VerifyReport } from './verify.js';

export interface SignSmimeOptions {
  /** The MIME entity to sign: its headers (Content-Type, ...), an empty line, its body. */
  mime: string | Uint8Array;
  certificate: pkijs.Certificate;
  privateKey: CryptoKey | KeyObject;
  chain?: pkijs.Certificate[];
  hash?: SigningHash;
  signingTime?: Date;
}

export interface VerifySmimeOptions {
  message: string | Uint8Array;
  validateChain?: ChainValidator;
  at?: Date;
}

const CRLF = '\r\n';

/** Converts bare LF (and bare CR) line ends to CRLF — the canonical form of RFC 5322/2045 text. */
export function canonicalizeCrlf(input: Uint8Array): Uint8Array {
  let extra = 0;
  for (let i = 0; i < input.length; i++) {
    const b = input[i];
    if (b === 0x0a && (i === 0 || input[i - 1] !== 0x0d)) extra++;
    else if (b === 0x0d && input[i + 1] !== 0x0a) extra++;
  }
  if (extra === 0) return input;
  const out = new Uint8Array(input.length + extra);
  let j = 0;
  for (let i = 0; i < input.length; i++) {
    const b = input[i]!;
    if (b === 0x0a && (i === 0 || input[i - 1] !== 0x0d)) {
      out[j++] = 0x0d;
      out[j++] = 0x0a;
    } else if (b === 0x0d && input[i + 1] !== 0x0a) {
      out[j++] = 0x0d;
      out[j++] = 0x0a;
    } else {
      out[j++] = b;
    }
  }
  return out;
}

function toBytes(input: string | Uint8Array): Uint8Array {
  return typeof input === 'string' ? new Uint8Array(Buffer.from(input, 'utf8')) : input;
}

/** Text of bytes: UTF-8 when they are valid UTF-8, otherwise one char per byte (latin1). */
function bytesToText(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return Buffer.from(bytes).toString('latin1');
  }
}

function wrapBase64(der: Uint8Array, width = 76): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += width) lines.push(b64.slice(i, i + width));
  return lines.join(CRLF);
}

const MICALG: Record<SigningHash, string> = {
  'SHA-256': 'sha-256',
  'SHA-384': 'sha-384',
  'SHA-512': 'sha-512',
};

/**
 * Signs a MIME entity and returns the multipart/signed entity (its Content-Type
 * header, an empty line, the body), CRLF line ends, ready to follow the message
 * headers (which carry MIME-Version).
 */
export async function signSmime(o: SignSmimeOptions): Promise<string> {
  if (!o || (typeof o.mime !== 'string' && !(o.mime instanceof Uint8Array))) {
    throw new Error('signSmime: mime must be the MIME entity to sign (string or Uint8Array)');
  }
  const entity = canonicalizeCrlf(toBytes(o.mime));
  const entityText = Buffer.from(entity).toString('latin1');
  if (!entityText.startsWith(CRLF) && !entityText.includes(CRLF + CRLF)) {
    throw new Error(
      'signSmime: mime must be a MIME entity: header lines (e.g. Content-Type), an empty line, then the body',
    );
  }
  const hash = o.hash ?? 'SHA-256';
  const p7s = await signCms({
    content: entity,
    detached: true,
    certificate: o.certificate,
    privateKey: o.privateKey,
    hash,
    ...(o.chain ? { chain: o.chain } : {}),
    ...(o.signingTime ? { signingTime: o.signingTime } : {}),
  });

  let boundary: string;
  do boundary = `----=_GovMail_Signed_${randomBytes(12).toString('hex')}`;
  while (entityText.includes(boundary));

  const head =
    `Content-Type: multipart/signed; protocol="application/pkcs7-signature";${CRLF}` +
    `\tmicalg=${MICALG[hash]}; boundary="${boundary}"${CRLF}${CRLF}`;
  const body =
    `This is a cryptographically signed message in MIME format.${CRLF}${CRLF}` +
    `--${boundary}${CRLF}` +
    bytesToText(entity) +
    `${CRLF}--${boundary}${CRLF}` +
    `Content-Type: application/pkcs7-signature; name="smime.p7s"${CRLF}` +
    `Content-Transfer-Encoding: base64${CRLF}` +
    `Content-Disposition: attachment; filename="smime.p7s"${CRLF}` +
    `Content-Description: S/MIME Cryptographic Signature${CRLF}${CRLF}` +
    wrapBase64(p7s) +
    `${CRLF}${CRLF}--${boundary}--${CRLF}`;
  return head + body;
}

// ---------------------------------------------------------------------------
// Parsing

interface Entity {
  headers: Map<string, string>;
  /** Offset of the body in the (latin1) text. */
  bodyStart: number;
}

/** Splits header lines (unfolded) from the body; the text is latin1 with CRLF line ends. */
function parseEntity(text: string, start = 0, end = text.length): Entity {
  let sep: number;
  if (text.startsWith(CRLF, start)) sep = start;
  else {
    sep = text.indexOf(CRLF + CRLF, start);
    if (sep === -1 || sep > end) sep = end;
  }
  const headers = new Map<string, string>();
  const raw = text.slice(start, sep).replace(/\r\n(?=[ \t])/g, '');
  for (const line of raw.split(CRLF)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const name = line.slice(0, i).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, line.slice(i + 1).trim());
  }
  const bodyStart = sep >= end ? end : sep === start ? start + 2 : sep + 4;
  return { headers, bodyStart };
}

/** "type/subtype; a=b; c="d"" → { type, params } (names lower-cased). */
export function parseContentType(value: string | undefined): {
  type: string;
  params: Record<string, string>;
} {
  const params: Record<string, string> = {};
  if (!value) return { type: 'text/plain', params };
  const semi = value.indexOf(';');
  const type = (semi === -1 ? value : value.slice(0, semi)).trim().toLowerCase();
  const re = /;\s*([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s;]*))/g;
  for (const m of value.matchAll(re)) {
    params[m[1]!.toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '');
  }
  return { type, params };
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function decodePartBody(text: string, entity: Entity, end: number): Uint8Array {
  const cte = (entity.headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  const body = text.slice(entity.bodyStart, end);
  if (cte === 'base64') return new Uint8Array(Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64'));
  if (cte === '7bit' || cte === '8bit' || cte === 'binary')
    return new Uint8Array(Buffer.from(body, 'latin1'));
  throw new Error(
    `S/MIME: unsupported Content-Transfer-Encoding "${cte}" for the signature (expected base64)`,
  );
}

const SIG_TYPES = new Set(['application/pkcs7-signature', 'application/x-pkcs7-signature']);
const OPAQUE_TYPES = new Set(['application/pkcs7-mime', 'application/x-pkcs7-mime']);

/**
 * Verifies an S/MIME signed message (multipart/signed, or opaque
 * application/pkcs7-mime signed-data). Throws when the message is not S/MIME signed.
 */
export async function verifySmime(o: VerifySmimeOptions): Promise<VerifyReport & { signedEntity?: string }> {
  if (!o || (typeof o.message !== 'string' && !(o.message instanceof Uint8Array))) {
    throw new Error('verifySmime: message must be the S/MIME message (string or Uint8Array)');
  }
  const text = Buffer.from(canonicalizeCrlf(toBytes(o.message))).toString('latin1');
  const top = parseEntity(text);
  const ct = parseContentType(top.headers.get('content-type'));
  const extra = {
    ...(o.validateChain ? { validateChain: o.validateChain } : {}),
    ...(o.at ? { at: o.at } : {}),
  };

  if (OPAQUE_TYPES.has(ct.type)) {
    const smimeType = (ct.params['smime-type'] ?? 'signed-data').toLowerCase();
    if (smimeType !== 'signed-data') {
      throw new Error(`S/MIME: smime-type "${smimeType}" is not a signed message (expected signed-data)`);
    }
    const p7s = decodePartBody(text, top, text.length);
    const report = await verifyCms({ p7s, ...extra });
    return report.content ? { ...report, signedEntity: bytesToText(report.content) } : report;
  }

  if (ct.type !== 'multipart/signed') {
    throw new Error(
      `Not an S/MIME signed message: Content-Type is "${ct.type}", expected multipart/signed with protocol="application/pkcs7-signature" (or application/pkcs7-mime signed-data)`,
    );
  }
  const protocol = (ct.params.protocol ?? '').toLowerCase();
  if (!SIG_TYPES.has(protocol)) {
    throw new Error(
      `S/MIME: multipart/signed protocol is "${protocol}", expected "application/pkcs7-signature"`,
    );
  }
  const boundary = ct.params.boundary;
  if (!boundary) throw new Error('S/MIME: multipart/signed without a boundary parameter');

  // Delimiter lines: CRLF "--" boundary ["--"] transport-padding, the CRLF belonging to the delimiter.
  const body = top.bodyStart;
  const re = new RegExp(`(?:^|\\r\\n)--${escapeRe(boundary)}(--)?[ \\t]*(?=\\r\\n|$)`, 'g');
  re.lastIndex = 0;
  const delims: { start: number; end: number; close: boolean }[] = [];
  const bodyText = text.slice(body);
  for (const m of bodyText.matchAll(re)) {
    delims.push({ start: body + m.index, end: body + m.index + m[0].length, close: m[1] === '--' });
    if (m[1] === '--') break;
  }
  if (delims.length < 3 || delims[0]!.close || delims[1]!.close) {
    throw new Error(
      'S/MIME: the multipart/signed body does not hold two parts (signed entity and signature)',
    );
  }
  const partStart = (d: { end: number }) => d.end + 2; // skip the CRLF ending the delimiter line
  const entityBytes = new Uint8Array(
    Buffer.from(text.slice(partStart(delims[0]!), delims[1]!.start), 'latin1'),
  );

  const sigStart = partStart(delims[1]!);
  const sigEnd = delims[2]!.start;
  const sigEntity = parseEntity(text, sigStart, sigEnd);
  const sigType = parseContentType(sigEntity.headers.get('content-type')).type;
  if (!SIG_TYPES.has(sigType)) {
    throw new Error(`S/MIME: the second part is "${sigType}", expected application/pkcs7-signature`);
  }
  const p7s = decodePartBody(text, sigEntity, sigEnd);
  const report = await verifyCms({ p7s, content: entityBytes, ...extra });
  return { ...report, signedEntity: bytesToText(entityBytes) };
}
