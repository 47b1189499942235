import type { SearchObject } from 'imapflow';
import { InvalidInputError } from '../../core/errors.js';

/**
 * The list's search fields as one imapflow search object, run by Dovecot (IMAP SEARCH inside SORT).
 * Text never becomes part of a command string: imapflow quotes or sends it as a literal.
 *
 * Dates are Vietnamese calendar days (UTC+7): `since` from 00:00 of that day, `before` up to 00:00 of
 * that day (exclusive), by arrival date like the list. imapflow sends them as WITHIN's YOUNGER/OLDER
 * seconds when the server has WITHIN (ours does), so the day boundary is exact, not the server's.
 * "Has attachment" is the `$HasAttachment` keyword Dovecot sets at delivery
 * (mail_attachment_detection_options = add-flags in the generated config).
 */
export interface SearchParams {
  q?: string;
  from?: string;
  to?: string;
  subject?: string;
  body?: string;
  since?: string;
  before?: string;
  hasAttachment?: boolean;
}

const VN_OFFSET = '+07:00';

function day(field: string, value: string): Date {
  const d = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T00:00:00${VN_OFFSET}`) : undefined;
  // Round trip: 2025-02-30 must not quietly become 2 March.
  if (!d || Number.isNaN(d.getTime()) || new Date(d.getTime() + 7 * 3600_000).toISOString().slice(0, 10) !== value) {
    throw new InvalidInputError(field, 'a date as YYYY-MM-DD', 'ngày dạng YYYY-MM-DD', value);
  }
  return d;
}

function text(field: string, value: string | undefined): string | undefined {
  const t = value?.replace(/\s+/g, ' ').trim();
  if (!t) return undefined;
  if (t.length > 200) throw new InvalidInputError(field, 'at most 200 characters', 'tối đa 200 ký tự', t.slice(0, 20) + '…');
  return t;
}

/** undefined when nothing is searched (the whole folder). */
export function toSearchObject(p: SearchParams): SearchObject | undefined {
  const query: SearchObject = {};
  const q = text('q', p.q);
  if (q) query.or = [{ from: q }, { to: q }, { cc: q }, { subject: q }, { body: q }];
  const from = text('from', p.from);
  if (from) query.from = from;
  const to = text('to', p.to);
  if (to) query.to = to;
  const subject = text('subject', p.subject);
  if (subject) query.subject = subject;
  const body = text('body', p.body);
  if (body) query.body = body;
  if (p.since) query.since = day('since', p.since);
  if (p.before) query.before = day('before', p.before);
  if (p.hasAttachment) query.keyword = '$HasAttachment';
  return Object.keys(query).length ? query : undefined;
}
