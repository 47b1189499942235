/** A small client for the admin API: sends the CSRF token on every state change and turns errors into ApiError. */
export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public messageVi: string,
    public field?: string,
  ) {
    super(message);
  }
}

let csrfToken = sessionStorage.getItem('gm_csrf') ?? '';

export function setCsrf(token: string): void {
  csrfToken = token;
  sessionStorage.setItem('gm_csrf', token);
}

export async function api<T = any>(method: string, url: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken;
  const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const e = data.error ?? {};
    throw new ApiError(res.status, e.code ?? 'HTTP', e.message ?? res.statusText, e.messageVi ?? e.message ?? res.statusText, e.field);
  }
  return data as T;
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

export type Role = 'superadmin' | 'agency_admin' | 'auditor' | 'user';

/** Who is signed in, and the roles they hold (with the agency subtree of each; null = everywhere). */
export interface Me {
  user: string;
  grants: Array<{ role: Role; agencyPath: string | null }>;
}
