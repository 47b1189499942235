import assert from 'node:assert/strict';
import { audit, auditMigrations, verifyAuditChain } from '../../core/audit.js';
import { freshDatabase } from '../support/postgres.js';

describe('core/audit (real PostgreSQL)', () => {
  it('chains entries and detects an edited or deleted entry', async () => {
    const { db } = await freshDatabase(auditMigrations);
    for (let i = 0; i < 5; i++) {
      await audit(db, { actor: 'admin@so-tttt.gov.vn', action: 'mailbox.create', target: `u${i}@x.gov.vn`, after: { name: 'Nguyễn Văn A', i } });
    }
    assert.deepEqual(await verifyAuditChain(db), { ok: true, checked: 5 });

    // Through the application's role the log cannot be changed at all…
    await assert.rejects(db.query(`UPDATE audit_entries SET actor = 'x' WHERE id = 1`), /append-only/);
    await assert.rejects(db.query('DELETE FROM audit_entries WHERE id = 5'), /append-only/);
    // …and someone who gets round that (a superuser disabling the trigger) is still detected.
    await db.query('ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only');
    await db.query(`UPDATE audit_entries SET after = '{"name":"Trần Thị B","i":2}' WHERE id = 3`);
    const edited = await verifyAuditChain(db);
    assert.equal(edited.ok, false);
    assert.equal(edited.firstBadId, 3);

    await db.query(`UPDATE audit_entries SET after = '{"name":"Nguyễn Văn A","i":2}' WHERE id = 3`);
    assert.equal((await verifyAuditChain(db)).ok, true);
    await db.query('DELETE FROM audit_entries WHERE id = 2');
    const deleted = await verifyAuditChain(db);
    assert.equal(deleted.ok, false);
    assert.equal(deleted.firstBadId, 3);
    await db.close();
  });

  it('detects entries deleted from the end of the log', async () => {
    const { db } = await freshDatabase(auditMigrations);
    for (let i = 0; i < 3; i++) await audit(db, { actor: 'a', action: 'x', target: String(i) });
    await db.query('ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only');
    await db.query('DELETE FROM audit_entries WHERE id = 3');
    const res = await verifyAuditChain(db);
    assert.equal(res.ok, false);
    assert.match(res.problem!, /deleted/);
    await db.close();
  });

  it('rolls an entry back with the action it belongs to', async () => {
    const { db } = await freshDatabase(auditMigrations);
    await assert.rejects(
      db.transaction(async (t) => {
        await audit(db, { actor: 'a', action: 'x' }, t);
        throw new Error('action failed');
      }),
    );
    const [rows] = await db.query('SELECT count(*)::int AS n FROM audit_entries');
    assert.equal((rows as any)[0].n, 0);
    await db.close();
  });
});
