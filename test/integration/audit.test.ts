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
