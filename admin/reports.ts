import ExcelJS from 'exceljs';
import { QueryTypes, type Sequelize } from 'sequelize';
import type { Migration } from '../core/db.js';
import { InvalidInputError } from '../core/errors.js';
import { LEVELS } from './agencies.js';
import { csvDocument } from './csv.js';
import { scopeFilter } from './roles.js';

/**
 * Usage reports: mailboxes provisioned, active users, messages sent and received (internal vs
 * external) and storage, per agency or per level. Message counts come from daily roll-ups of the
 * SMTP usage events, so a report over a year reads a few rows per mailbox, not every event.
 *
 * admin does not import smtp or mailstore (smtp already depends on admin): the composition root
 * hands their read interfaces in as `UsageSources`.
 */
export const REPORT_TIME_ZONE = 'Asia/Ho_Chi_Minh';
/** Vietnam keeps UTC+7 all year (no daylight saving), so a local day starts at this offset. */
const REPORT_UTC_OFFSET = '+07:00';
/** "Active" = logged in or sent mail in the 30 days up to the end of the period. */
export const ACTIVE_DAYS = 30;

export interface UsageSources {
  dailyUsage(fromDay: string, toDay: string, timeZone: string): Promise<Array<{ day: string; mailbox: string; event: string; direction: string; messages: number; bytes: number }>>;
  firstUsageDay(timeZone: string): Promise<string | undefined>;
  mailboxUsage(): Promise<Array<{ username: string; bytes: number; lastLogin: Date | null }>>;
  /** Signatures the signer made in [from, to), per holder mailbox and kind (pdf = a signed document). */
  signatureCounts?(from: Date, to: Date): Promise<Array<{ mailbox: string; kind: string; signatures: number }>>;
}

/**
 * What a report counts, from a day's roll-up rows: mail accepted from an authenticated user is sent
 * by that mailbox ('internal' or 'out'); mail delivered is received by it ('internal' or 'in'); mail
 * the MX's scan refused at DATA (spam, malware, forbidden attachments) is counted once per local
 * recipient mailbox ('refused', 'in').
 */
const TRAFFIC_COLUMNS = `
  coalesce(sum(messages) FILTER (WHERE event = 'accepted' AND direction = 'internal'), 0)::int AS sent_internal,
  coalesce(sum(messages) FILTER (WHERE event = 'accepted' AND direction = 'out'), 0)::int AS sent_external,
  coalesce(sum(messages) FILTER (WHERE event = 'delivered' AND direction = 'internal'), 0)::int AS received_internal,
  coalesce(sum(messages) FILTER (WHERE event = 'delivered' AND direction = 'in'), 0)::int AS received_external,
  coalesce(sum(messages) FILTER (WHERE event = 'refused' AND direction = 'in'), 0)::int AS refused`;

/** The events TRAFFIC_COLUMNS reads: the only daily rows a report or the monthly roll-up looks at. */
const TRAFFIC_EVENTS = `event IN ('accepted', 'delivered', 'refused')`;

/** admin_usage_monthly's columns, in MONTHLY_FROM_DAILY's order. */
const MONTHLY_COLUMNS = 'month, mailbox, sent_internal, sent_external, received_internal, received_external, refused';

/** One row per mailbox and month, from the daily rows of months starting at $1. */
const MONTHLY_FROM_DAILY = `SELECT date_trunc('month', day)::date AS month, mailbox, ${TRAFFIC_COLUMNS}
  FROM admin_usage_daily WHERE day >= $1 AND ${TRAFFIC_EVENTS} GROUP BY 1, 2`;

/**
 * admin-0009's back-fill exactly as it shipped: a fresh database runs it before admin-0011 adds the
 * refused column, so it must keep producing the four traffic columns of its own table. Never edit.
 */
const MONTHLY_FROM_DAILY_0009 = `SELECT date_trunc('month', day)::date AS month, mailbox,
  coalesce(sum(messages) FILTER (WHERE event = 'accepted' AND direction = 'internal'), 0)::int AS sent_internal,
  coalesce(sum(messages) FILTER (WHERE event = 'accepted' AND direction = 'out'), 0)::int AS sent_external,
  coalesce(sum(messages) FILTER (WHERE event = 'delivered' AND direction = 'internal'), 0)::int AS received_internal,
  coalesce(sum(messages) FILTER (WHERE event = 'delivered' AND direction = 'in'), 0)::int AS received_external
  FROM admin_usage_daily WHERE day >= $1 AND event IN ('accepted', 'delivered') GROUP BY 1, 2`;

export const reportMigrations: Migration[] = [
  {
    name: 'admin-0006-usage-rollups',
    up: async (db) => {
      await db.query(`
        CREATE TABLE admin_usage_daily (
          day date NOT NULL,
          mailbox text NOT NULL,
          event text NOT NULL,
          direction text NOT NULL,
          messages integer NOT NULL,
          bytes bigint NOT NULL,
          PRIMARY KEY (day, mailbox, event, direction)
        );
        CREATE TABLE admin_usage_rollup (
          one boolean PRIMARY KEY DEFAULT true CHECK (one),
          complete_through date NOT NULL     -- every day up to and including this one is final
        );
      `);
    },
  },
  {
    // A year's report reads 12 rows per mailbox and event instead of 365.
    name: 'admin-0009-usage-monthly',
    up: async (db) => {
      await db.query(`
        CREATE TABLE admin_usage_monthly (
          month date NOT NULL,              -- the first day of the month
          mailbox text NOT NULL,
          sent_internal integer NOT NULL,
          sent_external integer NOT NULL,
          received_internal integer NOT NULL,
          received_external integer NOT NULL,
          PRIMARY KEY (month, mailbox)
        );
        INSERT INTO admin_usage_monthly ${MONTHLY_FROM_DAILY_0009.replace('$1', "'-infinity'")};
      `);
    },
  },
  {
    // Messages the MX's scan refused, per recipient mailbox and month; back-filled from the daily
    // rows (which already hold every event), including months where a mailbox had nothing else.
    // Self-contained SQL: later changes to MONTHLY_FROM_DAILY must not change what this ran.
    name: 'admin-0011-usage-monthly-refused',
    up: async (db) => {
      await db.query(`
        ALTER TABLE admin_usage_monthly ADD COLUMN refused integer NOT NULL DEFAULT 0;
        INSERT INTO admin_usage_monthly (month, mailbox, sent_internal, sent_external, received_internal, received_external, refused)
          SELECT date_trunc('month', day)::date, mailbox, 0, 0, 0, 0, sum(messages)::int
            FROM admin_usage_daily WHERE event = 'refused' AND direction = 'in' GROUP BY 1, 2
          ON CONFLICT (month, mailbox) DO UPDATE SET refused = EXCLUDED.refused;
      `);
    },
  },
];

const ROLLUP_LOCK = 7_340_021;


export function localDay(d: Date, timeZone = REPORT_TIME_ZONE): string {
  // en-CA formats as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
}

function addDays(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** Days are rolled up a month at a time, so a first roll-up over years never holds them all in memory. */
const ROLLUP_CHUNK_DAYS = 31;

const monthOf = (day: string) => `${day.slice(0, 7)}-01`;

/**
 * Brings the roll-ups up to date: every day after the last final one is recomputed (today included,
 * which stays open until tomorrow), then the months those days fall in. Events are stamped when they
 * happen, so a past day never changes.
 */
export async function rollUpUsage(db: Sequelize, sources: Pick<UsageSources, 'dailyUsage' | 'firstUsageDay'>, now = new Date()): Promise<{ from: string; to: string; rows: number }> {
  const today = localDay(now);
  return db.transaction(async (t) => {
    await db.query(`SELECT pg_advisory_xact_lock(${ROLLUP_LOCK})`, { transaction: t });
    const [state] = await db.query<{ complete_through: string }>('SELECT complete_through::text FROM admin_usage_rollup', { type: QueryTypes.SELECT, transaction: t });
    const from = state ? addDays(state.complete_through, 1) : ((await sources.firstUsageDay(REPORT_TIME_ZONE)) ?? today);
    await db.query('DELETE FROM admin_usage_daily WHERE day >= $1', { bind: [from], transaction: t });
    let total = 0;
    for (let start = from; start <= today; start = addDays(start, ROLLUP_CHUNK_DAYS)) {
      const end = [addDays(start, ROLLUP_CHUNK_DAYS - 1), today].sort()[0];
      const rows = await sources.dailyUsage(start, end, REPORT_TIME_ZONE);
      total += rows.length;
      // One statement per 50,000 rows: arrays bind as six parameters whatever the row count.
      for (let i = 0; i < rows.length; i += 50_000) {
        const chunk = rows.slice(i, i + 50_000);
        await db.query(
          `INSERT INTO admin_usage_daily (day, mailbox, event, direction, messages, bytes)
           SELECT * FROM unnest($1::date[], $2::text[], $3::text[], $4::text[], $5::int[], $6::bigint[])`,
          { bind: [chunk.map((r) => r.day), chunk.map((r) => r.mailbox), chunk.map((r) => r.event), chunk.map((r) => r.direction), chunk.map((r) => r.messages), chunk.map((r) => r.bytes)], transaction: t },
        );
      }
    }
    await db.query('DELETE FROM admin_usage_monthly WHERE month >= $1', { bind: [monthOf(from)], transaction: t });
    await db.query(`INSERT INTO admin_usage_monthly (${MONTHLY_COLUMNS}) ${MONTHLY_FROM_DAILY}`, { bind: [monthOf(from)], transaction: t });
    await db.query(
      `INSERT INTO admin_usage_rollup (one, complete_through) VALUES (true, $1) ON CONFLICT (one) DO UPDATE SET complete_through = EXCLUDED.complete_through`,
      { bind: [addDays(today, -1)], transaction: t },
    );
    return { from, to: today, rows: total };
  });
}

export type ReportGrouping = 'agency' | 'level';

export interface UsageReportRow {
  /** agency code, or level name */
  group: string;
  name: string;
  level: string | null;
  mailboxes: number;
  activeUsers: number;
  sentInternal: number;
  sentExternal: number;
  receivedInternal: number;
  receivedExternal: number;
  /** messages the MX's scan refused (spam, malware, forbidden attachments), once per recipient mailbox */
  refused: number;
  storageBytes: number;
  signedMessages: number;
  signedDocuments: number;
}

export interface UsageReportOptions {
  by: ReportGrouping;
  from: string;
  to: string;
  /** agency paths the caller may see; null means everything (see roles.scopeOf) */
  scopes?: Array<string | null>;
}

const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

export function checkReportOptions(o: { by?: string; from?: string; to?: string }): { by: ReportGrouping; from: string; to: string } {
  if (o.by !== 'agency' && o.by !== 'level') throw new InvalidInputError('by', 'agency or level', 'agency hoặc level', o.by);
  for (const key of ['from', 'to'] as const) {
    const v = o[key];
    if (!v || !DAY_PATTERN.test(v) || Number.isNaN(new Date(`${v}T00:00:00Z`).getTime())) {
      throw new InvalidInputError(key, 'a date YYYY-MM-DD', 'ngày dạng YYYY-MM-DD', v);
    }
  }
  if (o.from! > o.to!) throw new InvalidInputError('from', `a date not after ${o.to}`, `ngày không sau ${o.to}`, o.from);
  return { by: o.by, from: o.from!, to: o.to! };
}

/** The report, one row per agency (its own mailboxes) or per level, for days from..to inclusive. */
export async function usageReport(db: Sequelize, sources: UsageSources, o: UsageReportOptions): Promise<UsageReportRow[]> {
  await rollUpUsage(db, sources);
  const f = scopeFilter(o.scopes ?? [null], 'a.path', 1);
  const mailboxes = await db.query<{ address: string; code: string | null; name: string | null; level: string | null; path: string | null }>(
    `SELECT m.address, a.code, a.name, a.level, a.path FROM mailboxes m LEFT JOIN agencies a ON a.id = m.agency_id
      WHERE m.archived_at IS NULL AND ${f.sql}`,
    { bind: f.bind, type: QueryTypes.SELECT },
  );
  const activeFrom = addDays(o.to, -(ACTIVE_DAYS - 1));
  // Whole months inside the period come from the monthly roll-up, the partial months at its edges
  // from the daily one.
  const firstWhole = o.from === monthOf(o.from) ? o.from : monthOf(addDays(monthOf(o.from), 31));
  const afterLastWhole = monthOf(addDays(o.to, 1));
  // Summed per agency in the database: a year is about a million monthly rows for 20,000 mailboxes.
  const scope = scopeFilter(o.scopes ?? [null], 'a.path', 5);
  const traffic = await db.query<{ code: string | null; level: string | null; sent_internal: number; sent_external: number; received_internal: number; received_external: number; refused: number }>(
    `SELECT a.code, a.level, sum(t.sent_internal)::int AS sent_internal, sum(t.sent_external)::int AS sent_external,
            sum(t.received_internal)::int AS received_internal, sum(t.received_external)::int AS received_external,
            sum(t.refused)::int AS refused
       FROM (SELECT mailbox, sent_internal, sent_external, received_internal, received_external, refused FROM admin_usage_monthly WHERE month >= $3 AND month < $4
             UNION ALL
             SELECT mailbox, ${TRAFFIC_COLUMNS} FROM admin_usage_daily
              WHERE day BETWEEN $1 AND $2 AND NOT (day >= $3 AND day < $4) AND ${TRAFFIC_EVENTS} GROUP BY mailbox) t
       JOIN mailboxes m ON m.address = t.mailbox LEFT JOIN agencies a ON a.id = m.agency_id
      WHERE m.archived_at IS NULL AND ${scope.sql}
      GROUP BY a.code, a.level`,
    { bind: [o.from, o.to, firstWhole, afterLastWhole, ...scope.bind], type: QueryTypes.SELECT },
  );
  const sentRecently = new Set(
    (
      await db.query<{ mailbox: string }>(
        `SELECT DISTINCT mailbox FROM admin_usage_daily WHERE day BETWEEN $1 AND $2 AND event = 'accepted' AND direction <> 'in'`,
        { bind: [activeFrom, o.to], type: QueryTypes.SELECT },
      )
    ).map((r) => r.mailbox),
  );
  const windowStartOf = (day: string) => new Date(`${day}T00:00:00${REPORT_UTC_OFFSET}`).getTime();
  const windowStart = windowStartOf(activeFrom);
  const windowEnd = new Date(`${addDays(o.to, 1)}T00:00:00${REPORT_UTC_OFFSET}`).getTime();
  const store = new Map((await sources.mailboxUsage()).map((u) => [u.username, u]));

  const groups = new Map<string, UsageReportRow>();
  const groupOf = (code: string | null, name: string | null, level: string | null) => {
    const key = o.by === 'agency' ? (code ?? '') : (level ?? '');
    let row = groups.get(key);
    if (!row) {
      row = {
        group: key,
        name: o.by === 'agency' ? (name ?? '(chưa gán cơ quan / no agency)') : key || '(chưa gán cơ quan / no agency)',
        level: o.by === 'agency' ? level : key || null,
        mailboxes: 0, activeUsers: 0, sentInternal: 0, sentExternal: 0, receivedInternal: 0, receivedExternal: 0, refused: 0, storageBytes: 0, signedMessages: 0, signedDocuments: 0,
      };
      groups.set(key, row);
    }
    return row;
  };
  const rowOfMailbox = new Map<string, UsageReportRow>();
  for (const mb of mailboxes) {
    const row = groupOf(mb.code, mb.name, mb.level);
    rowOfMailbox.set(mb.address, row);
    const s = store.get(mb.address);
    const login = s?.lastLogin?.getTime();
    row.mailboxes += 1;
    if (sentRecently.has(mb.address) || (login !== undefined && login >= windowStart && login < windowEnd)) row.activeUsers += 1;
    row.storageBytes += s?.bytes ?? 0;
  }
  for (const t of traffic) {
    // Every agency with traffic has mailboxes in scope (the query joins them), so its row exists.
    const row = groups.get(o.by === 'agency' ? (t.code ?? '') : (t.level ?? ''));
    if (!row) continue;
    row.sentInternal += t.sent_internal;
    row.sentExternal += t.sent_external;
    row.receivedInternal += t.received_internal;
    row.receivedExternal += t.received_external;
    row.refused += t.refused;
  }
  const signatures = (await sources.signatureCounts?.(new Date(windowStartOf(o.from)), new Date(windowEnd))) ?? [];
  for (const c of signatures) {
    const row = rowOfMailbox.get(c.mailbox);
    if (!row) continue; // a holder outside the caller's scope, or archived
    if (c.kind === 'pdf') row.signedDocuments += c.signatures;
    else row.signedMessages += c.signatures;
  }
  const levelOrder = (l: string | null) => (l ? LEVELS.indexOf(l as (typeof LEVELS)[number]) : LEVELS.length);
  return [...groups.values()].sort((a, b) => levelOrder(a.level) - levelOrder(b.level) || a.group.localeCompare(b.group));
}

export const REPORT_COLUMNS: Array<{ key: keyof UsageReportRow; title: string }> = [
  { key: 'group', title: 'Mã / Code' },
  { key: 'name', title: 'Tên / Name' },
  { key: 'level', title: 'Cấp / Level' },
  { key: 'mailboxes', title: 'Hộp thư / Mailboxes' },
  { key: 'activeUsers', title: `Người dùng hoạt động (${ACTIVE_DAYS} ngày) / Active users` },
  { key: 'sentInternal', title: 'Gửi nội bộ / Sent internal' },
  { key: 'sentExternal', title: 'Gửi ra ngoài / Sent external' },
  { key: 'receivedInternal', title: 'Nhận nội bộ / Received internal' },
  { key: 'receivedExternal', title: 'Nhận từ ngoài / Received external' },
  { key: 'refused', title: 'Bị chặn (thư rác, mã độc) / Refused (spam, malware)' },
  { key: 'storageBytes', title: 'Dung lượng (byte) / Storage (bytes)' },
  { key: 'signedMessages', title: 'Thư đã ký số / Signed messages' },
  { key: 'signedDocuments', title: 'Văn bản đã ký số / Signed documents' },
];

export function reportCsv(rows: UsageReportRow[]): string {
  return csvDocument(REPORT_COLUMNS.map((c) => c.title), rows.map((r) => REPORT_COLUMNS.map((c) => r[c.key])));
}

export async function reportXlsx(rows: UsageReportRow[]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('Sử dụng - Usage');
  ws.columns = REPORT_COLUMNS.map((c) => ({ header: c.title, key: c.key, width: c.key === 'name' ? 40 : 18 }));
  for (const r of rows) ws.addRow(r);
  ws.getRow(1).font = { bold: true };
  return Buffer.from(await wb.xlsx.writeBuffer());
}
