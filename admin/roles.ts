/**
 * Who may do what, in one pure function. Every admin route declares the action it performs and the
 * agency it touches; `can` decides. Agency admins act on their agency and everything below it,
 * never above or beside it; an API token can do no more than its scopes and its agency allow.
 */
export const ROLES = ['superadmin', 'agency_admin', 'auditor', 'user'] as const;
export type Role = (typeof ROLES)[number];

export const ACTIONS = [
  'agency.read',
  'agency.write',
  'mailbox.read',
  'mailbox.write',
  'domain.write',
  'role.write',
  'token.write',
  'report.read',
  'audit.read',
  'cert.request',
  'cert.approve',
  'mail.send',
  /** Sign with a server-held key through the signing API (the holder's PIN is still required). */
  'sign',
] as const;
export type Action = (typeof ACTIONS)[number];

const ROLE_ACTIONS: Record<Role, readonly Action[]> = {
  superadmin: ACTIONS,
  agency_admin: ['agency.read', 'agency.write', 'mailbox.read', 'mailbox.write', 'role.write', 'token.write', 'report.read', 'cert.request', 'mail.send', 'sign'],
  auditor: ['agency.read', 'mailbox.read', 'report.read', 'audit.read'],
  user: [],
};

/** A role held over a subtree (`agencyPath` such as `/1/5/`) or over the whole system (null). */
export interface Grant {
  role: Role;
  agencyPath: string | null;
}

export interface Principal {
  kind: 'person' | 'token';
  /** The mailbox address of a person, or `token:<id>`; what the audit log records as the actor. */
  id: string;
  grants: Grant[];
  /** Tokens only: the actions it was issued for. */
  scopes?: readonly Action[];
}

/**
 * `target` is the agency path the action touches, or null for something that belongs to no agency
 * (domains, the whole audit log, creating a top-level agency): only system-wide grants reach those.
 */
export function can(p: Principal, action: Action, target: string | null): boolean {
  if (p.kind === 'token' && !p.scopes?.includes(action)) return false;
  return p.grants.some((g) => {
    if (!ROLE_ACTIONS[g.role].includes(action)) return false;
    if (g.agencyPath === null) return true;
    return target !== null && target.startsWith(g.agencyPath);
  });
}

/** The subtrees in which `p` may perform `action`; `null` in the list means everywhere. */
export function scopeOf(p: Principal, action: Action): Array<string | null> {
  if (p.kind === 'token' && !p.scopes?.includes(action)) return [];
  return p.grants.filter((g) => ROLE_ACTIONS[g.role].includes(action)).map((g) => g.agencyPath);
}

export function isAction(x: string): x is Action {
  return (ACTIONS as readonly string[]).includes(x);
}

/** The SQL condition that keeps rows whose agency path lies within the given scopes (null = everything). */
export function scopeFilter(scopes: Array<string | null>, column: string, firstParam: number): { sql: string; bind: string[] } {
  if (scopes.includes(null)) return { sql: 'true', bind: [] };
  if (!scopes.length) return { sql: 'false', bind: [] };
  return { sql: `${column} LIKE ANY (ARRAY[${scopes.map((_, i) => `$${firstParam + i} || '%'`).join(', ')}])`, bind: scopes as string[] };
}
