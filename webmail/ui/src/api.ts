/** The client for webmail/API.md: JSON in and out, the CSRF token on every change, errors as ApiError. */
export const API = '/webmail/api';
/** Fired when the server no longer knows the session (expired, or signed out elsewhere). */
export const SIGNED_OUT = 'govmail:signed-out';
/** Fired when the server keeps the mail closed until the user replaces an initial or reset password. */
export const PASSWORD_CHANGE_REQUIRED = 'govmail:password-change-required';

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    public en: string,
    public vi: string,
    /** The input the server found wrong (INVALID_INPUT), to show the message next to that field. */
    public field?: string,
  ) {
    super(en);
  }
  text(lang: 'vi' | 'en'): string {
    return lang === 'vi' ? this.vi : this.en;
  }
}

let csrfToken = sessionStorage.getItem('gm_webmail_csrf') ?? '';

export function setCsrf(token: string): void {
  csrfToken = token;
  sessionStorage.setItem('gm_webmail_csrf', token);
}
export function csrf(): string {
  return csrfToken;
}

async function errorFrom(res: Response): Promise<ApiError> {
  const data = await res.json().catch(() => ({}));
  const e = data?.error ?? {};
  const en = e.en ?? e.message ?? res.statusText;
  return new ApiError(res.status, e.code ?? `HTTP_${res.status}`, en, e.vi ?? en, typeof e.field === 'string' ? e.field : undefined);
}

export async function api<T = unknown>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken;
  const res = await fetch(API + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  if (res.status === 401 && path !== '/login' && path !== '/session') window.dispatchEvent(new Event(SIGNED_OUT));
  if (!res.ok) {
    const err = await errorFrom(res);
    if (err.code === 'PASSWORD_CHANGE_REQUIRED') window.dispatchEvent(new Event(PASSWORD_CHANGE_REQUIRED));
    throw err;
  }
  if (res.status === 204) return undefined as T;
  const type = res.headers.get('content-type') ?? '';
  return (type.includes('json') ? await res.json() : undefined) as T;
}

/** A query string from the values that are set. */
export function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '' && v !== false) q.set(k, v === true ? '1' : String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** The address of a message resource (folder paths may hold slashes and non-ASCII). */
export function messagePath(folder: string, uid: number, rest = ''): string {
  return `/messages/${encodeURIComponent(folder)}/${uid}${rest}`;
}

/** Uploads one file with XMLHttpRequest so the form can show progress (fetch has no upload progress). */
export function uploadFile(file: File, onProgress: (percent: number) => void): { done: Promise<Upload>; abort: () => void } {
  const xhr = new XMLHttpRequest();
  const done = new Promise<Upload>((resolve, reject) => {
    xhr.open('POST', `${API}/uploads`);
    xhr.setRequestHeader('x-csrf-token', csrfToken);
    xhr.responseType = 'json';
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(Math.round((e.loaded / e.total) * 100));
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) return resolve(xhr.response as Upload);
      const e = (xhr.response as { error?: { code?: string; en?: string; vi?: string } } | null)?.error ?? {};
      reject(new ApiError(xhr.status, e.code ?? `HTTP_${xhr.status}`, e.en ?? xhr.statusText, e.vi ?? e.en ?? xhr.statusText));
    };
    xhr.onerror = () => reject(new ApiError(0, 'NETWORK', 'Network error', 'Lỗi mạng'));
    xhr.onabort = () => reject(new ApiError(0, 'ABORTED', 'Cancelled', 'Đã hủy'));
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
  return { done, abort: () => xhr.abort() };
}

// ---- the shapes of webmail/API.md ----

export interface User {
  address: string;
  name: string;
}
export interface SessionInfo {
  csrfToken: string;
  user: User;
  totpRequired?: true;
  /** The mailbox must replace its initial or reset password before the mail opens. */
  mustChangePassword?: true;
}
export interface Folder {
  path: string;
  name: string;
  specialUse: string | null;
  delimiter: string;
  unseen: number;
  total: number;
}
export interface Address {
  name?: string;
  address: string;
}
export interface MessageSummary {
  uid: number;
  subject: string;
  from: Address | Address[] | string | null;
  to: Address | Address[] | string | null;
  date: string;
  size: number;
  flags: string[];
  seen: boolean;
  flagged: boolean;
  answered: boolean;
  hasAttachments: boolean;
}
export interface MessagePage {
  total: number;
  page: number;
  pageSize: number;
  messages: MessageSummary[];
}
export interface Attachment {
  partId: string;
  filename: string;
  contentType: string;
  size: number;
  /** Shown in the body (a cid: image): not listed with the attachments. */
  inline?: boolean;
}
export interface Warning {
  code: string;
  vi?: string;
  en?: string;
}
/** webmail/server/render.ts RenderedMessage plus the route's folder, uid and flags. */
export interface RenderedMessage {
  folder: string;
  uid: number;
  flags: string[];
  subject: string;
  from: Address | null;
  sender?: Address | null;
  replyTo?: Address[];
  to: Address[];
  cc: Address[];
  date: string | null;
  messageId: string | null;
  /** Not sent by every server version; the reply then refers to messageId alone. */
  references?: string[] | string;
  /** A complete, sanitised HTML document for the sandboxed frame. */
  html: string;
  text: string;
  blockedRemote: number;
  warnings: Warning[];
  attachments: Attachment[];
  /** Signatures of the message and of its PDF attachments; none when nothing is signed. */
  signatures?: SignatureBadge[];
}
/** A signature badge (webmail/server/signatures.ts): 'valid' only when the server's check said TOTAL-PASSED. */
export interface SignatureBadge {
  /** 'message' (the S/MIME signature of the message) or an attachment's partId. */
  part: string;
  filename?: string;
  index: number;
  status: 'valid' | 'invalid' | 'indeterminate' | 'not-checked';
  indication: string;
  subIndication?: string;
  signer?: { name: string; title?: string; organisation?: string; email?: string };
  signedAt?: string;
  signedAtSource?: 'timestamp' | 'claimed';
  certificateStatus?: 'good' | 'revoked' | 'unknown' | 'not-checked';
  /** The full report can be opened. */
  report?: boolean;
  vi: string;
  en: string;
}
/** GET /certificates: the user's own certificates whose key the server holds. */
export interface SigningCertificate {
  serial: string;
  commonName: string;
  subject: string;
  notAfter: string;
  /** individual | organisation (older servers: absent). */
  profile?: string;
}
export interface Upload {
  id: string;
  filename: string;
  size: number;
  contentType: string;
}
export interface OutgoingMessage {
  from: string;
  to: Address[];
  cc?: Address[];
  bcc?: Address[];
  subject: string;
  text: string;
  html?: string;
  inReplyTo?: string;
  references?: string[];
  attachments?: string[];
  draftUid?: number;
  /**
   * Sign with a server-held certificate of the user (PIN asked at send time): the message as S/MIME
   * (`message`, default true) and/or attached PDFs (`attachments`, each with its visible stamp).
   */
  sign?: { serial: string; pin: string; message?: boolean; attachments?: PdfSignChoice[] };
}
/** A PDF attachment to sign at send time: its upload id and the visible stamp (or none). */
export interface PdfSignChoice {
  id: string;
  stamp: StampKind;
}
export type StampKind = 'none' | 'person' | 'organisation' | 'copy';
export interface SendResult {
  messageId: string;
  queued: string[];
  delivered: string[];
}
export interface DirectoryEntry {
  name: string;
  address: string;
  agency?: string;
  position?: string;
  kind: 'person' | 'functional' | 'list';
}
export interface SearchCriteria {
  q?: string;
  from?: string;
  to?: string;
  subject?: string;
  body?: string;
  since?: string;
  before?: string;
  hasAttachment?: boolean;
}
export type SortKey = 'date' | 'from' | 'subject' | 'size';
