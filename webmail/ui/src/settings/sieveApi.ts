import { api, ApiError } from '../api';

/** GET/PUT /sieve (webmail/API.md): the vacation reply and the filters are one model, stored as one Sieve script. */
export interface VacationModel {
  enabled: boolean;
  subject: string;
  body: string;
  from?: string;
  to?: string;
  days: number;
  addresses?: string[];
}
export type ConditionField = 'from' | 'to' | 'cc' | 'subject' | 'header';
export type ConditionOp = 'contains' | 'is' | 'matches-domain';
export interface FilterCondition {
  field: ConditionField;
  header?: string;
  op: ConditionOp;
  value: string;
}
export interface FilterAction {
  type: 'fileinto' | 'redirect' | 'discard' | 'markread' | 'stop';
  folder?: string;
  address?: string;
  copy?: boolean;
}
export interface FilterModel {
  name: string;
  match: 'all' | 'any';
  conditions: FilterCondition[];
  actions: FilterAction[];
}
export interface SieveModel {
  vacation: VacationModel;
  filters: FilterModel[];
}
export interface SieveSettings {
  status: 'none' | 'govmail' | 'custom';
  model: SieveModel;
  activeScript?: string;
  customReason?: 'no-model' | 'edited';
}

let loading: Promise<SieveSettings> | undefined;
/** The vacation and filter cards open together: one ManageSieve read serves both. */
export const loadSieve = (): Promise<SieveSettings> => (loading ??= api<SieveSettings>('GET', '/sieve').finally(() => (loading = undefined)));

/**
 * Saves one part of the model. The other part is read fresh first, so the vacation card and the filter
 * card never undo each other's last save.
 */
export async function saveSieve(part: Partial<SieveModel>, replaceCustom = false): Promise<SieveSettings> {
  const now = await loadSieve();
  return api<SieveSettings>('PUT', `/sieve${replaceCustom ? '?replaceCustom=1' : ''}`, { ...now.model, ...part });
}

/** The server names the wrong input as a path (`filters.0.conditions.1.value`); antd wants the same path as an array. */
export function fieldPath(e: unknown, prefix: 'vacation' | 'filters'): Array<string | number> | undefined {
  if (!(e instanceof ApiError) || !e.field?.startsWith(prefix)) return undefined;
  const parts = e.field.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  return prefix === 'vacation' ? parts.slice(1) : parts;
}

/** "vacation.subject: cần …" → "Cần …": next to the field, its name is noise. */
export const fieldMessage = (text: string) => {
  const rest = text.replace(/^[\w.]+: /, '');
  return rest.charAt(0).toUpperCase() + rest.slice(1);
};

export const unavailable = (e: unknown) => e instanceof ApiError && (e.status === 404 || e.status === 405 || e.code === 'NOT_CONFIGURED');

// Mirrors of the server's checks (webmail/server/sieve-script.ts), so most mistakes show before saving.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
export const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
export const EMAIL = /^[^\s@"\\(),:;<>[\]]{1,64}@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/i;
export const DOMAIN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/i;
export const HEADER_NAME = /^[A-Za-z0-9][A-Za-z0-9-]{0,75}$/;
