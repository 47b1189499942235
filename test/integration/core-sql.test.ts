import assert from 'node:assert/strict';
import type { Migration } from '../../core/db.js';
import { GovmailError } from '../../core/errors.js';
import { inTransaction, selectOne, selectOneOrNotFound, selectPage, selectRows } from '../../core/sql.js';
import { freshDatabase } from '../support/postgres.js';

const towns: Migration = {
  name: 'test-sql-towns',
  up: async (db) => {
    await db.query('CREATE TABLE towns (id serial PRIMARY KEY, name text NOT NULL, level text NOT NULL)');
    // 23 rows: pages of 10 are 10, 10, 3.
    for (let i = 1; i <= 23; i++) await db.query('INSERT INTO towns (name, level) VALUES ($1, $2)', { bind: [`Xã ${String(i).padStart(2, '0')}`, i % 2 ? 'xa' : 'phuong'] });
  },
};

async function expectInvalid(p: Promise<unknown>, field: string) {
  await assert.rejects(p, (err: any) => err instanceof GovmailError && err.code === 'INVALID_INPUT' && (err as any).field === field && /cần/.test(err.messageVi));
}

describe('core/sql — the shared SQL helper (real PostgreSQL)', () => {
  it('pages a filtered list with its total, including the last partial page and a page past the end', async () => {
    const { db } = await freshDatabase([towns]);
    const q = { columns: 'name, level', from: 'FROM towns WHERE level = $1', orderBy: 'name', bind: ['xa'] };
    const first = await selectPage<{ name: string; level: string }>(db, { ...q, page: 1, pageSize: 5 });
    assert.equal(first.total, 12);
    assert.deepEqual(first.items.map((r) => r.name), ['Xã 01', 'Xã 03', 'Xã 05', 'Xã 07', 'Xã 09']);
    assert.deepEqual(Object.keys(first.items[0]).sort(), ['level', 'name'], 'the helper column does not leak into items');
    const last = await selectPage<{ name: string }>(db, { ...q, page: 3, pageSize: 5 });
    assert.deepEqual(last.items.map((r) => r.name), ['Xã 21', 'Xã 23']);
    assert.deepEqual({ total: last.total, page: last.page, pageSize: last.pageSize }, { total: 12, page: 3, pageSize: 5 });
    const past = await selectPage(db, { ...q, page: 9, pageSize: 5 });
    assert.deepEqual(past, { items: [], total: 12, page: 9, pageSize: 5 });
    const none = await selectPage(db, { ...q, bind: ['tinh'], page: 1, pageSize: 5 });
    assert.deepEqual(none, { items: [], total: 0, page: 1, pageSize: 5 });
    await db.close();
  });

  it('refuses a page or page size that is not a whole number in range, naming the field', async () => {
    const { db } = await freshDatabase([towns]);
    const q = { columns: 'name', from: 'FROM towns', orderBy: 'id' };
    await expectInvalid(selectPage(db, { ...q, page: 0, pageSize: 5 }), 'page');
    await expectInvalid(selectPage(db, { ...q, page: 1.5, pageSize: 5 }), 'page');
    await expectInvalid(selectPage(db, { ...q, page: 1, pageSize: 0 }), 'pageSize');
    await expectInvalid(selectPage(db, { ...q, page: 1, pageSize: 100_000 }), 'pageSize');
    await db.close();
  });

  it('reads rows, one row, and one row or a 404 naming what is missing in Vietnamese and English', async () => {
    const { db } = await freshDatabase([towns]);
    assert.equal((await selectRows(db, 'SELECT id FROM towns WHERE id <= $1', [4])).length, 4);
    assert.deepEqual(await selectOne(db, 'SELECT name FROM towns WHERE id = $1', [2]), { name: 'Xã 02' });
    assert.equal(await selectOne(db, 'SELECT name FROM towns WHERE id = $1', [99]), undefined);
    assert.deepEqual(await selectOneOrNotFound(db, 'SELECT name FROM towns WHERE id = $1', [3], { what: 'town', whatVi: 'xã', id: '3' }), { name: 'Xã 03' });
    await assert.rejects(selectOneOrNotFound(db, 'SELECT name FROM towns WHERE id = $1', [99], { what: 'town', whatVi: 'xã', id: '99' }), (err: any) => {
      assert.equal(err.status, 404);
      assert.equal(err.code, 'NOT_FOUND');
      assert.equal(err.messageVi, 'không tìm thấy xã: 99');
      assert.equal(err.message, 'town not found: 99');
      return true;
    });
    await db.close();
  });

  it('runs work in a new transaction (rolled back as a whole on error) or inside the caller’s', async () => {
    const { db } = await freshDatabase([towns]);
    const count = async () => (await selectOne<{ n: number }>(db, 'SELECT count(*)::int AS n FROM towns'))!.n;
    await assert.rejects(inTransaction(db, async (t) => {
      await db.query(`INSERT INTO towns (name, level) VALUES ('Xã mới', 'xa')`, { transaction: t });
      throw new Error('stop');
    }), /stop/);
    assert.equal(await count(), 23, 'the insert rolled back with the failed work');

    await assert.rejects(db.transaction(async (outer) => {
      const id = await inTransaction(db, async (t) => {
        assert.equal(t, outer, 'joins the caller’s transaction instead of opening another');
        return (await selectOne<{ id: number }>(db, `INSERT INTO towns (name, level) VALUES ('Xã mới', 'xa') RETURNING id`, [], t))!.id;
      }, outer);
      assert.deepEqual(await selectOne(db, 'SELECT name FROM towns WHERE id = $1', [id], outer), { name: 'Xã mới' });
      throw new Error('outer fails');
    }), /outer fails/);
    assert.equal(await count(), 23, 'work joined to the outer transaction rolls back with it');

    const kept = await inTransaction(db, async (t) => (await selectOne<{ id: number }>(db, `INSERT INTO towns (name, level) VALUES ('Xã mới', 'xa') RETURNING id`, [], t))!.id);
    assert.deepEqual(await selectOne(db, 'SELECT name FROM towns WHERE id = $1', [kept]), { name: 'Xã mới' }, 'committed when the work succeeds');
    assert.equal(await count(), 24);
    await db.close();
  });
});
