import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { InvalidInputError, NotFoundError } from './errors.js';

/**
 * The few shapes our inline SQL keeps taking, written once: rows of a SELECT, the one row or nothing,
 * the one row or a 404 naming what was missing, a page of a list with its total, and "inside the
 * caller's transaction if there is one, else in a new one". No ORM: the SQL stays in the module that
 * owns the table; only the plumbing around it lives here.
 */

export type Bind = unknown[];

/** A page of a list as every paged API answers it. */
export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

export const MAX_PAGE_SIZE = 1000;

export async function selectRows<T extends object>(db: Sequelize, sql: string, bind: Bind = [], transaction?: Transaction): Promise<T[]> {
  return db.query<T>(sql, { bind, type: QueryTypes.SELECT, ...(transaction ? { transaction } : {}) });
}

/** The first row, or undefined when there is none. */
export async function selectOne<T extends object>(db: Sequelize, sql: string, bind: Bind = [], transaction?: Transaction): Promise<T | undefined> {
  const [row] = await selectRows<T>(db, sql, bind, transaction);
  return row;
}

/** What a missing row was, for the NotFoundError: e.g. { what: 'agency', whatVi: 'cơ quan', id: code }. */
export interface Missing {
  what: string;
  whatVi: string;
  id: string;
}

/** The first row, or a NotFoundError (404) naming what was looked for, in Vietnamese and English. */
export async function selectOneOrNotFound<T extends object>(db: Sequelize, sql: string, bind: Bind, missing: Missing, transaction?: Transaction): Promise<T> {
  const row = await selectOne<T>(db, sql, bind, transaction);
  if (!row) throw new NotFoundError(missing.what, missing.whatVi, missing.id);
  return row;
}

export interface PageQuery {
  /** The select list, e.g. `a.code, a.name`. */
  columns: string;
  /** Everything from FROM to the end of WHERE; the count runs over the same rows. */
  from: string;
  orderBy: string;
  bind?: Bind;
  /** 1-based. */
  page: number;
  pageSize: number;
}

function checkPaging(page: number, pageSize: number): void {
  // Page and size become LIMIT/OFFSET: refuse anything but whole numbers in range rather than clamp silently.
  if (!Number.isInteger(page) || page < 1) throw new InvalidInputError('page', 'a whole number from 1', 'số nguyên từ 1 trở lên', String(page));
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    throw new InvalidInputError('pageSize', `a whole number from 1 to ${MAX_PAGE_SIZE}`, `số nguyên từ 1 đến ${MAX_PAGE_SIZE}`, String(pageSize));
  }
}

/** One page of a list and the total number of rows, both read in one statement (the same snapshot). */
export async function selectPage<T extends object>(db: Sequelize, q: PageQuery, transaction?: Transaction): Promise<Page<T>> {
  checkPaging(q.page, q.pageSize);
  const bind = q.bind ?? [];
  const n = bind.length;
  // count(*) OVER () gives the total of the filtered rows beside each row of the page; an empty page
  // (past the end) has no row to carry it, and then a plain count answers.
  const rows = await selectRows<T & { __total: number }>(
    db,
    `SELECT ${q.columns}, count(*) OVER ()::int AS __total ${q.from} ORDER BY ${q.orderBy} LIMIT $${n + 1} OFFSET $${n + 2}`,
    [...bind, q.pageSize, (q.page - 1) * q.pageSize],
    transaction,
  );
  const total = rows.length ? rows[0].__total : (await selectOne<{ total: number }>(db, `SELECT count(*)::int AS total ${q.from}`, bind, transaction))!.total;
  const items = rows.map(({ __total: _, ...item }) => item as unknown as T);
  return { items, total, page: q.page, pageSize: q.pageSize };
}

/** Runs `work` inside `outer` when the caller already holds a transaction, else in a new one (commit or roll back as a whole). */
export async function inTransaction<T>(db: Sequelize, work: (t: Transaction) => Promise<T>, outer?: Transaction): Promise<T> {
  if (outer) return work(outer);
  return db.transaction(work);
}
