import { InvalidInputError } from '../../core/errors.js';

/**
 * The settings page's vacation reply and filters as ONE Sieve script (RFC 5228 + vacation, fileinto,
 * imap4flags, mailbox, copy, date, relational). Pure functions: the model is validated, every string
 * goes through `sieveString` (quoted, `\` and `"` escaped, control characters refused), and the model
 * itself rides along as a comment so the settings page reads back exactly what it wrote.
 *
 * We never require "variables" or "encoded-character", so `${…}` in a value stays literal text.
 */
export const SCRIPT_NAME = 'govmail';
const MODEL_PREFIX = '# govmail-model: ';

export interface VacationModel {
  enabled: boolean;
  subject: string;
  /** Plain text; line breaks allowed. */
  body: string;
  /** First and last day (YYYY-MM-DD, Vietnam time, inclusive); absent = from now / no end. */
  from?: string;
  to?: string;
  /** Reply at most once per sender in this many days (1–30). */
  days: number;
  /** More addresses of this mailbox (aliases) that count as "sent to me". */
  addresses?: string[];
}

export type ConditionField = 'from' | 'to' | 'cc' | 'subject' | 'header';
export type ConditionOp = 'contains' | 'is' | 'matches-domain';
export interface FilterCondition {
  field: ConditionField;
  /** Only for field "header": the header field name. */
  header?: string;
  op: ConditionOp;
  value: string;
}

export type FilterAction =
  | { type: 'fileinto'; folder: string }
  | { type: 'redirect'; address: string; copy?: boolean }
  | { type: 'discard' }
  | { type: 'markread' }
  | { type: 'stop' };

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

export const LIMITS = { filters: 50, conditions: 20, actions: 10, subject: 200, body: 10_000, value: 500, name: 100, folder: 500, addresses: 20, days: { min: 1, max: 30 } } as const;

export const emptyModel = (): SieveModel => ({ vacation: { enabled: false, subject: '', body: '', days: 7 }, filters: [] });

/** JSON schema of the model, for the HTTP route (semantic checks follow in `validateModel`). */
export const SIEVE_MODEL_SCHEMA = {
  type: 'object',
  required: ['vacation', 'filters'],
  additionalProperties: false,
  properties: {
    vacation: {
      type: 'object',
      required: ['enabled', 'subject', 'body', 'days'],
      additionalProperties: false,
      properties: {
        enabled: { type: 'boolean' },
        subject: { type: 'string', maxLength: LIMITS.subject },
        body: { type: 'string', maxLength: LIMITS.body },
        from: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
        to: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
        days: { type: 'integer', minimum: LIMITS.days.min, maximum: LIMITS.days.max },
        addresses: { type: 'array', maxItems: LIMITS.addresses, items: { type: 'string', maxLength: 320 } },
      },
    },
    filters: {
      type: 'array',
      maxItems: LIMITS.filters,
      items: {
        type: 'object',
        required: ['name', 'match', 'conditions', 'actions'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', minLength: 1, maxLength: LIMITS.name },
          match: { type: 'string', enum: ['all', 'any'] },
          conditions: {
            type: 'array',
            minItems: 1,
            maxItems: LIMITS.conditions,
            items: {
              type: 'object',
              required: ['field', 'op', 'value'],
              additionalProperties: false,
              properties: {
                field: { type: 'string', enum: ['from', 'to', 'cc', 'subject', 'header'] },
                header: { type: 'string', maxLength: 76 },
                op: { type: 'string', enum: ['contains', 'is', 'matches-domain'] },
                value: { type: 'string', minLength: 1, maxLength: LIMITS.value },
              },
            },
          },
          actions: {
            type: 'array',
            minItems: 1,
            maxItems: LIMITS.actions,
            items: {
              type: 'object',
              required: ['type'],
              additionalProperties: false,
              properties: {
                type: { type: 'string', enum: ['fileinto', 'redirect', 'discard', 'markread', 'stop'] },
                folder: { type: 'string', minLength: 1, maxLength: LIMITS.folder },
                address: { type: 'string', maxLength: 320 },
                copy: { type: 'boolean' },
              },
            },
          },
        },
      },
    },
  },
} as const;

// C0 and C1 controls and DEL; line breaks and tab are allowed only where said.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
const BREAKS = /[\t\r\n]/;
const EMAIL = /^[^\s@"\\(),:;<>[\]]{1,64}@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/i;
const DOMAIN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/i;
const HEADER_NAME = /^[A-Za-z0-9][A-Za-z0-9-]{0,75}$/;

const bad = (field: string, expected: string, expectedVi: string, got?: string) => new InvalidInputError(field, expected, expectedVi, got);

/**
 * A Sieve quoted string. Only `"` and `\` are special inside one (RFC 5228 §2.4.2); line breaks are
 * legal, so they are allowed only when `multiline` (written as LF, like the rest of the script). Everything else that is a
 * control character is refused rather than escaped: there is nothing legitimate to keep.
 */
export function sieveString(value: string, field = 'value', multiline = false): string {
  if (CONTROL.test(value) || (!multiline && BREAKS.test(value))) {
    throw bad(field, multiline ? 'text without control characters' : 'one line of text without control characters', multiline ? 'văn bản không chứa ký tự điều khiển' : 'một dòng văn bản không chứa ký tự điều khiển');
  }
  const text = multiline ? value.replace(/\r\n?/g, '\n') : value;
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

function validDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/** Throws InvalidInputError (with the field path, e.g. `filters.2.conditions.0.value`) on the first problem. */
export function validateModel(input: unknown): SieveModel {
  const m = input as SieveModel;
  if (!m || typeof m !== 'object' || !m.vacation || typeof m.vacation !== 'object' || !Array.isArray(m.filters)) {
    throw bad('model', 'an object { vacation, filters }', 'một đối tượng { vacation, filters }');
  }
  const v = m.vacation;
  const text = (field: string, s: unknown, max: number, o: { multiline?: boolean; required?: boolean } = {}) => {
    if (typeof s !== 'string' || s.length > max) throw bad(field, `text of at most ${max} characters`, `văn bản tối đa ${max} ký tự`);
    if (o.required && !s.trim()) throw bad(field, 'a value', 'nhập giá trị');
    sieveString(s, field, o.multiline);
  };
  if (typeof v.enabled !== 'boolean') throw bad('vacation.enabled', 'true or false', 'true hoặc false');
  text('vacation.subject', v.subject, LIMITS.subject, { required: v.enabled });
  text('vacation.body', v.body, LIMITS.body, { multiline: true, required: v.enabled });
  if (!Number.isInteger(v.days) || v.days < LIMITS.days.min || v.days > LIMITS.days.max) {
    throw bad('vacation.days', `a whole number of days from ${LIMITS.days.min} to ${LIMITS.days.max}`, `số ngày nguyên từ ${LIMITS.days.min} đến ${LIMITS.days.max}`, String(v.days));
  }
  for (const k of ['from', 'to'] as const) {
    if (v[k] !== undefined && (typeof v[k] !== 'string' || !validDate(v[k]))) throw bad(`vacation.${k}`, 'a date YYYY-MM-DD', 'ngày dạng YYYY-MM-DD', String(v[k]));
  }
  if (v.from && v.to && v.from > v.to) throw bad('vacation.to', 'a date on or after the first day', 'ngày không trước ngày bắt đầu', v.to);
  if (v.addresses !== undefined) {
    if (!Array.isArray(v.addresses) || v.addresses.length > LIMITS.addresses) throw bad('vacation.addresses', `at most ${LIMITS.addresses} addresses`, `tối đa ${LIMITS.addresses} địa chỉ`);
    v.addresses.forEach((a, i) => {
      if (typeof a !== 'string' || !EMAIL.test(a)) throw bad(`vacation.addresses.${i}`, 'an email address', 'địa chỉ thư điện tử', String(a));
    });
  }
  if (m.filters.length > LIMITS.filters) throw bad('filters', `at most ${LIMITS.filters} filters`, `tối đa ${LIMITS.filters} bộ lọc`);
  m.filters.forEach((f, i) => {
    const at = `filters.${i}`;
    text(`${at}.name`, f?.name, LIMITS.name, { required: true });
    if (f.match !== 'all' && f.match !== 'any') throw bad(`${at}.match`, '"all" or "any"', '"all" hoặc "any"', String(f.match));
    if (!Array.isArray(f.conditions) || !f.conditions.length || f.conditions.length > LIMITS.conditions) {
      throw bad(`${at}.conditions`, `1 to ${LIMITS.conditions} conditions`, `từ 1 đến ${LIMITS.conditions} điều kiện`);
    }
    f.conditions.forEach((c, j) => {
      const ct = `${at}.conditions.${j}`;
      if (!['from', 'to', 'cc', 'subject', 'header'].includes(c?.field)) throw bad(`${ct}.field`, 'from, to, cc, subject or header', 'from, to, cc, subject hoặc header', String(c?.field));
      if (!['contains', 'is', 'matches-domain'].includes(c.op)) throw bad(`${ct}.op`, 'contains, is or matches-domain', 'contains, is hoặc matches-domain', String(c.op));
      if (c.field === 'header' && (typeof c.header !== 'string' || !HEADER_NAME.test(c.header))) throw bad(`${ct}.header`, 'a header field name such as X-Priority', 'tên trường tiêu đề, ví dụ X-Priority', String(c.header));
      if (c.op === 'matches-domain' && !['from', 'to', 'cc'].includes(c.field)) throw bad(`${ct}.op`, '"matches-domain" only for from, to or cc', '"matches-domain" chỉ dùng cho from, to hoặc cc', c.op);
      text(`${ct}.value`, c.value, LIMITS.value, { required: true });
      if (c.op === 'matches-domain' && !DOMAIN.test(c.value)) throw bad(`${ct}.value`, 'a domain such as tinh.gov.vn', 'tên miền, ví dụ tinh.gov.vn', c.value);
    });
    if (!Array.isArray(f.actions) || !f.actions.length || f.actions.length > LIMITS.actions) throw bad(`${at}.actions`, `1 to ${LIMITS.actions} actions`, `từ 1 đến ${LIMITS.actions} hành động`);
    f.actions.forEach((a, j) => {
      const ac = `${at}.actions.${j}`;
      if (a?.type === 'fileinto') text(`${ac}.folder`, a.folder, LIMITS.folder, { required: true });
      else if (a?.type === 'redirect') {
        if (typeof a.address !== 'string' || !EMAIL.test(a.address)) throw bad(`${ac}.address`, 'an email address', 'địa chỉ thư điện tử', String(a.address));
      } else if (!['discard', 'markread', 'stop'].includes(a?.type)) throw bad(`${ac}.type`, 'fileinto, redirect, discard, markread or stop', 'fileinto, redirect, discard, markread hoặc stop', String(a?.type));
    });
  });
  return normalise(m);
}

/** Only the known keys, in a fixed order: the stored model is exactly what a later read returns. */
function normalise(m: SieveModel): SieveModel {
  const v = m.vacation;
  return {
    vacation: {
      enabled: v.enabled,
      subject: v.subject,
      body: v.body,
      ...(v.from ? { from: v.from } : {}),
      ...(v.to ? { to: v.to } : {}),
      days: v.days,
      ...(v.addresses?.length ? { addresses: [...v.addresses] } : {}),
    },
    filters: m.filters.map((f) => ({
      name: f.name,
      match: f.match,
      conditions: f.conditions.map((c) => ({ field: c.field, ...(c.field === 'header' ? { header: c.header } : {}), op: c.op, value: c.value })),
      actions: f.actions.map((a): FilterAction => {
        if (a.type === 'fileinto') return { type: 'fileinto', folder: a.folder };
        if (a.type === 'redirect') return { type: 'redirect', address: a.address, ...(a.copy ? { copy: true } : {}) };
        return { type: a.type };
      }),
    })),
  };
}

function conditionTest(c: FilterCondition, at: string): string {
  const value = sieveString(c.value, `${at}.value`);
  if (c.field === 'subject' || c.field === 'header') {
    const name = c.field === 'subject' ? '"subject"' : sieveString(c.header!, `${at}.header`);
    return `header :${c.op} ${name} ${value}`;
  }
  if (c.op === 'matches-domain') return `address :domain :is "${c.field}" ${value}`;
  return `address :${c.op} "${c.field}" ${value}`;
}

function actionLines(actions: FilterAction[], at: string): string[] {
  // Flags must be set before the fileinto/keep they apply to, and "stop" ends the block.
  const order = { markread: 0, fileinto: 1, redirect: 1, discard: 1, stop: 2 } as const;
  const sorted = actions.map((a, i) => ({ a, i })).sort((x, y) => order[x.a.type] - order[y.a.type] || x.i - y.i);
  return sorted.map(({ a, i }) => {
    switch (a.type) {
      case 'fileinto':
        return `fileinto :create ${sieveString(a.folder, `${at}.${i}.folder`)};`;
      case 'redirect':
        return `redirect ${a.copy ? ':copy ' : ''}${sieveString(a.address, `${at}.${i}.address`)};`;
      case 'markread':
        return 'addflag "\\\\Seen";';
      case 'discard':
        return 'discard;';
      case 'stop':
        return 'stop;';
    }
  });
}

const encodeModel = (m: SieveModel) => Buffer.from(JSON.stringify(m), 'utf8').toString('base64url');

/**
 * The whole script. Filters run first, in order; the vacation reply comes last, so a filter whose
 * actions include "stop" also means "no automatic reply for this mail".
 */
export function generateScript(input: SieveModel): string {
  const m = validateModel(input);
  const v = m.vacation;
  const filters = m.filters;
  const needs = new Set<string>();
  for (const f of filters) {
    for (const a of f.actions) {
      if (a.type === 'fileinto') needs.add('fileinto').add('mailbox');
      if (a.type === 'markread') needs.add('imap4flags');
      if (a.type === 'redirect' && a.copy) needs.add('copy');
    }
  }
  const dated = v.enabled && (v.from || v.to);
  if (v.enabled) needs.add('vacation');
  if (dated) needs.add('date').add('relational');
  const order = ['fileinto', 'mailbox', 'imap4flags', 'copy', 'vacation', 'date', 'relational'];

  const out: string[] = [
    `${MODEL_PREFIX}${encodeModel(m)}`,
    '# Tạo bởi GovMail: sửa trong phần Cài đặt của webmail. / Generated by GovMail: edit it in the webmail settings.',
  ];
  if (needs.size) out.push(`require [${order.filter((x) => needs.has(x)).map((x) => `"${x}"`).join(', ')}];`);
  filters.forEach((f, i) => {
    const at = `filters.${i}`;
    const tests = f.conditions.map((c, j) => conditionTest(c, `${at}.conditions.${j}`));
    const test = tests.length === 1 ? tests[0] : `${f.match === 'all' ? 'allof' : 'anyof'} (${tests.join(', ')})`;
    out.push('', `# ${f.name}`, `if ${test} {`, ...actionLines(f.actions, `${at}.actions`).map((l) => `  ${l}`), '}');
  });
  if (v.enabled) {
    const args = [`:days ${v.days}`, `:subject ${sieveString(v.subject, 'vacation.subject')}`];
    if (v.addresses?.length) args.push(`:addresses [${v.addresses.map((a, i) => sieveString(a, `vacation.addresses.${i}`)).join(', ')}]`);
    const vacation = `vacation ${args.join(' ')} ${sieveString(v.body, 'vacation.body', true)};`;
    const range: string[] = [];
    // Days are Vietnamese days whatever the server's time zone.
    if (v.from) range.push(`currentdate :zone "+0700" :value "ge" "date" "${v.from}"`);
    if (v.to) range.push(`currentdate :zone "+0700" :value "le" "date" "${v.to}"`);
    out.push('', '# Trả lời tự động / Vacation reply');
    if (range.length) out.push(`if ${range.length === 1 ? range[0] : `allof (${range.join(', ')})`} {`, `  ${vacation}`, '}');
    else out.push(vacation);
  }
  return out.join('\n') + '\n';
}

export type ParsedScript = { kind: 'govmail'; model: SieveModel } | { kind: 'custom'; reason: 'no-model' | 'edited' };

/**
 * Reads a stored script back. Ours only if it carries a model AND is exactly what that model generates:
 * a script edited by hand in another ManageSieve client keeps the header but is no longer ours to overwrite.
 */
export function parseScript(script: string): ParsedScript {
  const first = script.split('\n', 1)[0].replace(/\r$/, '');
  if (!first.startsWith(MODEL_PREFIX)) return { kind: 'custom', reason: 'no-model' };
  try {
    const model = validateModel(JSON.parse(Buffer.from(first.slice(MODEL_PREFIX.length).trim(), 'base64url').toString('utf8')));
    if (generateScript(model) !== script) return { kind: 'custom', reason: 'edited' };
    return { kind: 'govmail', model };
  } catch {
    return { kind: 'custom', reason: 'edited' };
  }
}
