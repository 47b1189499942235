/**
 * npm run bench:admin — (1) import 10,000 mailboxes from CSV, hashing included (target ≤ 60 s), next
 * to the time argon2id hashing alone would take for them, measured in the same run; (2) the usage
 * report over 20,000 mailboxes × one year of events (target ≤ 1 s), next to a direct count over the
 * events for the same year (what a report without roll-ups would cost).
 */
import os from 'node:os';
import { QueryTypes } from 'sequelize';
import { addAgency, addDomain, hashPassword, importMailboxes, parseCsv, rollUpUsage, usageReport } from '../admin/index.js';
import { allMigrations } from '../cli/migrations.js';
import { usageSources } from '../cli/reports.js';
import { freshDatabase } from '../test/support/postgres.js';

const IMPORT_ROWS = Number(process.env.BENCH_IMPORT_ROWS ?? 10_000);
const MAILBOXES = Number(process.env.BENCH_MAILBOXES ?? 20_000);
const D = 'bench.gov.vn';
const seconds = (t0: number) => (performance.now() - t0) / 1000;

const { db } = await freshDatabase(allMigrations());
try {
  console.log(`GovMail bench:admin — ${os.cpus().length} cores, Node ${process.version}`);
  await addDomain(db, D);
  const agencies = ['T'];
  await addAgency(db, { code: 'T', name: 'UBND tỉnh Thử Nghiệm', level: 'province' });
  for (let i = 0; i < 20; i++) agencies.push((await addAgency(db, { code: `S${i}`, name: `Sở số ${i}`, level: 'department', parentCode: 'T' })).code);
  for (let h = 0; h < 10; h++) {
    agencies.push((await addAgency(db, { code: `H${h}`, name: `UBND huyện ${h}`, level: 'district', parentCode: 'T' })).code);
    for (let x = 0; x < 10; x++) agencies.push((await addAgency(db, { code: `X${h}_${x}`, name: `UBND xã ${h}.${x}`, level: 'commune', parentCode: `H${h}` })).code);
  }

  // (1) Import (generated passwords get the fast {SSHA512}, see admin/directory.ts), against what
  // argon2id alone would cost for the same number of mailboxes.
  const sample = 100;
  let t0 = performance.now();
  for (let i = 0; i < sample; i++) await hashPassword(`mat-khau-${i}`);
  const hashingAlone = (seconds(t0) / sample) * IMPORT_ROWS;
  const csv = ['email,full_name,agency_code,position,phone,cccd,quota'];
  for (let i = 0; i < IMPORT_ROWS; i++) csv.push(`u${i}@${D},Nguyễn Văn Thử ${i},${agencies[i % agencies.length]},Chuyên viên,0912${String(i).padStart(6, '0')},${String(1e11 + i)},1G`);
  t0 = performance.now();
  const report = await importMailboxes(db, parseCsv(csv.join('\n')), { defaultQuota: '1G' });
  const importSeconds = seconds(t0);
  if (report.created !== IMPORT_ROWS) throw new Error(`import created ${report.created} of ${IMPORT_ROWS}: ${JSON.stringify(report.problems.slice(0, 3))}`);
  console.log(`import ${IMPORT_ROWS} mailboxes  : ${importSeconds.toFixed(1)} s (target ≤ 60 s)   argon2id one at a time ≈ ${hashingAlone.toFixed(1)} s   ratio ${(hashingAlone / importSeconds).toFixed(2)}`);

  // (2) The rest of the 20,000 mailboxes, then a year of traffic: each mailbox has mail on about 40%
  // of working days, sent and received, internal and external.
  await db.query(
    `INSERT INTO mailboxes (address, domain_id, display_name, password_hash, quota_bytes, agency_id)
     SELECT 'v' || i || '@${D}', (SELECT id FROM domains WHERE name = '${D}'), 'Hộp thư ' || i, 'x', 1073741824,
            (SELECT id FROM agencies ORDER BY id OFFSET (i % ${agencies.length}) LIMIT 1)
       FROM generate_series(1, ${MAILBOXES - IMPORT_ROWS}) i`,
  );
  t0 = performance.now();
  await db.query(`
    INSERT INTO usage_events (at, event, mailbox, domain, direction, size)
    SELECT d + interval '9 hours' + (h % 7) * interval '1 hour', e.event, m.address, '${D}', e.direction, 20000
      FROM mailboxes m
      CROSS JOIN generate_series('2025-01-01'::timestamptz, '2025-12-31'::timestamptz, interval '1 day') d
      CROSS JOIN (VALUES ('accepted', 'internal'), ('accepted', 'out'), ('delivered', 'internal'), ('delivered', 'in')) e(event, direction)
      CROSS JOIN LATERAL (SELECT abs(hashtext(m.address || d::text || e.event || e.direction)) AS h) x
     WHERE extract(isodow FROM d) < 6 AND h % 10 < 4`);
  const [{ events }] = await db.query<{ events: number }>('SELECT count(*)::int AS events FROM usage_events', { type: QueryTypes.SELECT });
  console.log(`generated ${events.toLocaleString('en')} events for ${MAILBOXES} mailboxes over 2025 in ${seconds(t0).toFixed(0)} s`);
  await db.query('VACUUM ANALYZE usage_events');
  t0 = performance.now();
  const rolled = await rollUpUsage(db, usageSources(db));
  console.log(`first roll-up (a year at once)  : ${seconds(t0).toFixed(1)} s for ${rolled.rows.toLocaleString('en')} daily rows (daily upkeep rolls one day)`);
  await db.query('VACUUM ANALYZE admin_usage_daily');
  await db.query('VACUUM ANALYZE admin_usage_monthly');

  const timed = async (f: () => Promise<unknown>) => {
    let best = Infinity;
    for (let r = 0; r < 3; r++) {
      const t = performance.now();
      await f();
      best = Math.min(best, seconds(t));
    }
    return best;
  };
  const sources = usageSources(db);
  const byLevel = await timed(() => usageReport(db, sources, { by: 'level', from: '2025-01-01', to: '2025-12-31' }));
  const byAgency = await timed(() => usageReport(db, sources, { by: 'agency', from: '2025-01-01', to: '2025-12-31' }));
  const direct = await timed(() =>
    db.query(
      `SELECT mailbox, event, direction, count(*) FROM usage_events
        WHERE at >= '2025-01-01T00:00:00+07' AND at < '2026-01-01T00:00:00+07' AND event IN ('accepted', 'delivered') GROUP BY 1, 2, 3`,
      { type: QueryTypes.SELECT },
    ),
  );
  console.log(`usage report 2025, by level      : ${byLevel.toFixed(2)} s (target ≤ 1 s)   direct count over the events ${direct.toFixed(2)} s   ratio ${(direct / byLevel).toFixed(1)}× faster`);
  console.log(`usage report 2025, by agency     : ${byAgency.toFixed(2)} s (target ≤ 1 s)`);
} finally {
  await db.close();
}
process.exit(0);
