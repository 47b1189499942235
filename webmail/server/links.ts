import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Kek } from '../../core/kek.js';

/**
 * Signed links for what the message frame loads: its cid: images and proxied remote images. The frame
 * is sandboxed with an opaque origin, so the browser sends it no SameSite=Strict cookie; the link itself
 * must say which session asked, for what, and until when — and that only we could have said it.
 *
 * token = <session id>.<expiry, unix seconds>.<HMAC-SHA256 of purpose, session, expiry and subject>
 * The key is derived from the KEK, so every node verifies every other node's links. The session id is
 * the SHA-256 of the cookie token, never the token: a leaked link does not log anyone in, and a link dies
 * with its session (sign-out, timeout) or after LINK_TTL_SECONDS, whichever comes first.
 */
export const LINK_TTL_SECONDS = 2 * 3600;
export type LinkPurpose = 'part' | 'proxy';

export function linkKey(kek: Kek): Buffer {
  return createHmac('sha256', kek.key).update('govmail-webmail-links-v1').digest();
}

function mac(key: Buffer, purpose: LinkPurpose, sid: string, exp: number, subject: string): string {
  return createHmac('sha256', key).update(`${purpose}\n${sid}\n${exp}\n${subject}`).digest('base64url');
}

export function signLink(key: Buffer, purpose: LinkPurpose, sid: string, subject: string, ttlSeconds = LINK_TTL_SECONDS): string {
  const exp = Math.floor(Date.now() / 1000) + ttlSeconds;
  return `${sid}.${exp}.${mac(key, purpose, sid, exp, subject)}`;
}

/** The session id a valid, unexpired token was made for; undefined otherwise. */
export function verifyLink(key: Buffer, purpose: LinkPurpose, token: string, subject: string): string | undefined {
  const m = /^([0-9a-f]{64})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token ?? '');
  if (!m) return undefined;
  const exp = Number(m[2]);
  if (exp < Date.now() / 1000) return undefined;
  const expected = Buffer.from(mac(key, purpose, m[1], exp, subject));
  const given = Buffer.from(m[3]);
  return expected.length === given.length && timingSafeEqual(expected, given) ? m[1] : undefined;
}

export const partSubject = (folder: string, uid: number, partId: string) => `${folder}\n${uid}\n${partId}`;
