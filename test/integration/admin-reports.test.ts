import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { QueryTypes, type Sequelize } from 'sequelize';
import ExcelJS from 'exceljs';
import { addAgency, addDomain, addMailbox, rollUpUsage, usageReport, localDay, type UsageReportRow } from '../../admin/index.js';
import { allMigrations } from '../../cli/migrations.js';
import { migrate } from '../../core/db.js';
import { usageSources } from '../../cli/reports.js';
import { getProfile, initCa, issueCertificate, parseSubject, recordSignature } from '../../signer/index.js';
import { loadKek } from '../../core/kek.js';
import { govmail } from '../support/cli.js';
import { freshDatabase, testDataDir } from '../support/postgres.js';

describe('admin/reports — usage roll-ups and reports (real PostgreSQL)', function () {
  this.timeout(120_000);
  let db: Sequelize;
  let url: string;
  const agencyPath: Record<string, string> = {};

  /** An event at a precise instant, as smtp writes them. */
  const event = (at: string, evt: string, mailbox: string, direction: string, size = 1000) =>
    db.query('INSERT INTO usage_events (at, event, mailbox, domain, direction, size) VALUES ($1, $2, $3, $4, $5, $6)', { bind: [at, evt, mailbox, mailbox.split('@')[1], direction, size] });

  before(async () => {
    ({ db, url } = await freshDatabase(allMigrations()));
    await addDomain(db, 'bacninh.gov.vn');
    for (const [code, name, level, parentCode] of [
      ['T', 'UBND tỉnh Bắc Ninh', 'province', undefined],
      ['STP', 'Sở Tư pháp', 'department', 'T'],
      ['HY', 'UBND huyện Yên Phong', 'district', 'T'],
      ['XD', 'UBND xã Đông Phong', 'commune', 'HY'],
    ] as const) {
      const a = await addAgency(db, { code, name, level, parentCode });
      agencyPath[code] = a.path;
    }
    const id = async (code: string) => (await db.query<{ id: number }>('SELECT id FROM agencies WHERE code = $1', { bind: [code], type: QueryTypes.SELECT }))[0].id;
    for (const [local, code] of [['chutich', 'T'], ['vanthu.stp', 'STP'], ['huong.stp', 'STP'], ['vanthu.hy', 'HY'], ['vanthu.xd', 'XD'], ['lan.xd', 'XD']] as const) {
      await addMailbox(db, { address: `${local}@bacninh.gov.vn`, displayName: local, agencyId: await id(code) }, { defaultQuota: '1G' });
    }
    // March 2026 in Vietnam time (UTC+7): 16:59:59Z is still 1 March, 17:00:00Z is already 2 March.
    await event('2026-03-01T16:59:59Z', 'accepted', 'vanthu.stp@bacninh.gov.vn', 'internal');
    await event('2026-03-01T16:59:59Z', 'delivered', 'vanthu.xd@bacninh.gov.vn', 'internal');
    await event('2026-03-01T17:00:00Z', 'accepted', 'vanthu.stp@bacninh.gov.vn', 'out');
    await event('2026-03-02T03:00:00Z', 'accepted', 'vanthu.hy@bacninh.gov.vn', 'internal');
    await event('2026-03-02T03:00:00Z', 'delivered', 'vanthu.xd@bacninh.gov.vn', 'internal');
    await event('2026-03-02T03:00:01Z', 'delivered', 'lan.xd@bacninh.gov.vn', 'internal');
    await event('2026-03-15T08:00:00Z', 'accepted', 'lan.xd@bacninh.gov.vn', 'in'); // an MX acceptance for a recipient, not a sending
    await event('2026-03-15T08:00:00Z', 'delivered', 'lan.xd@bacninh.gov.vn', 'in');
    await event('2026-03-20T08:00:00Z', 'sent', 'vanthu.stp@bacninh.gov.vn', 'out');
    await event('2026-02-28T10:00:00Z', 'accepted', 'chutich@bacninh.gov.vn', 'out'); // before the period
    // Refused by the MX's scan at DATA: one row per local recipient (smtp's recordRefusal), direction 'in'.
    await event('2026-03-05T02:00:00Z', 'refused', 'vanthu.stp@bacninh.gov.vn', 'in'); // one message to two STP mailboxes
    await event('2026-03-05T02:00:00Z', 'refused', 'huong.stp@bacninh.gov.vn', 'in');
    await event('2026-03-31T16:59:59Z', 'refused', 'vanthu.stp@bacninh.gov.vn', 'in'); // 31 March, last second
    await event('2026-03-31T17:00:00Z', 'refused', 'vanthu.stp@bacninh.gov.vn', 'in'); // already 1 April
    await event('2026-03-12T04:00:00Z', 'refused', 'lan.xd@bacninh.gov.vn', 'in');
    await event('2026-02-27T04:00:00Z', 'refused', 'vanthu.xd@bacninh.gov.vn', 'in'); // February, and nothing else that month
    for (let i = 0; i < 40; i++) await event(`2026-03-${String(3 + (i % 20)).padStart(2, '0')}T09:00:00Z`, 'accepted', 'huong.stp@bacninh.gov.vn', i % 4 ? 'internal' : 'out');
    // What Dovecot writes through dict-sql: storage and last login (unix seconds).
    const login = (iso: string) => Math.floor(new Date(iso).getTime() / 1000);
    for (const [user, bytes, at] of [['chutich', 5_000_000, '2026-03-30T02:00:00Z'], ['lan.xd', 2_000_000, '2026-01-05T02:00:00Z'], ['vanthu.xd', 1_000_000, null]] as const) {
      await db.query('INSERT INTO mailstore_usage (username, bytes, messages, last_login) VALUES ($1, $2, 1, $3)', { bind: [`${user}@bacninh.gov.vn`, bytes, at ? login(at) : null] });
    }
  });
  after(async () => db?.close());

  it('rolls up per local day exactly what a direct count over the events gives, and re-running changes nothing', async () => {
    await rollUpUsage(db, usageSources(db));
    const direct = await db.query(
      `SELECT (at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date::text AS day, mailbox, event, direction, count(*)::int AS messages, sum(size)::bigint::text AS bytes
         FROM usage_events GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
      { type: QueryTypes.SELECT },
    );
    const rolled = () =>
      db.query(`SELECT day::text, mailbox, event, direction, messages, bytes::text FROM admin_usage_daily ORDER BY 1, 2, 3, 4`, { type: QueryTypes.SELECT });
    assert.deepEqual(await rolled(), direct);
    assert.ok(direct.some((r: any) => r.day === '2026-03-01' && r.mailbox.startsWith('vanthu.stp') && r.direction === 'internal'));
    assert.ok(direct.some((r: any) => r.day === '2026-03-02' && r.mailbox.startsWith('vanthu.stp') && r.direction === 'out'));
    const [state] = await db.query<{ d: string }>('SELECT complete_through::text AS d FROM admin_usage_rollup', { type: QueryTypes.SELECT });
    const yesterday = new Date(Date.now() - 86_400_000);
    assert.equal(state.d, localDay(yesterday));
    await rollUpUsage(db, usageSources(db));
    assert.deepEqual(await rolled(), direct);
    const monthly = await db.query(`SELECT month::text, mailbox, sent_internal, sent_external, received_internal, received_external, refused FROM admin_usage_monthly ORDER BY 1, 2`, { type: QueryTypes.SELECT });
    const direct2 = (event: string, direction: string) => `count(*) FILTER (WHERE event = '${event}' AND direction = '${direction}')::int`;
    const fromEvents = await db.query(
      `SELECT date_trunc('month', at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date::text AS month, mailbox,
              ${direct2('accepted', 'internal')} AS sent_internal, ${direct2('accepted', 'out')} AS sent_external,
              ${direct2('delivered', 'internal')} AS received_internal, ${direct2('delivered', 'in')} AS received_external,
              ${direct2('refused', 'in')} AS refused
         FROM usage_events WHERE event IN ('accepted', 'delivered', 'refused') GROUP BY 1, 2 ORDER BY 1, 2`,
      { type: QueryTypes.SELECT },
    );
    assert.deepEqual(monthly, fromEvents, 'monthly roll-ups equal a direct count over the events');
    assert.ok(monthly.some((r: any) => r.month === '2026-02-01' && r.mailbox.startsWith('vanthu.xd') && r.refused === 1), 'a month with only refusals has its row');
  });

  it("counts today's mail too: today stays open until it is over", async () => {
    await event(new Date().toISOString(), 'accepted', 'chutich@bacninh.gov.vn', 'internal');
    const today = localDay(new Date());
    const [row] = await usageReport(db, usageSources(db), { by: 'agency', from: today, to: today }).then((r) => r.filter((x) => x.group === 'T'));
    assert.equal(row.sentInternal, 1);
    assert.equal(row.activeUsers, 1);
  });

  it('reports March per agency and per level, with active users and storage', async () => {
    const byAgency = new Map((await usageReport(db, usageSources(db), { by: 'agency', from: '2026-03-01', to: '2026-03-31' })).map((r) => [r.group, r]));
    const stp = byAgency.get('STP')!;
    // vanthu.stp: 1 internal (1 Mar), 1 out (2 Mar); huong.stp: 30 internal, 10 out. The 'sent' worker event is not a sending.
    assert.deepEqual({ mailboxes: stp.mailboxes, sentInternal: stp.sentInternal, sentExternal: stp.sentExternal, activeUsers: stp.activeUsers }, { mailboxes: 2, sentInternal: 31, sentExternal: 11, activeUsers: 2 }); // both sent within 2–31 March
    const xd = byAgency.get('XD')!;
    assert.deepEqual(
      { receivedInternal: xd.receivedInternal, receivedExternal: xd.receivedExternal, sentInternal: xd.sentInternal, storageBytes: xd.storageBytes, activeUsers: xd.activeUsers },
      { receivedInternal: 3, receivedExternal: 1, sentInternal: 0, storageBytes: 3_000_000, activeUsers: 0 },
    );
    const t = byAgency.get('T')!;
    assert.equal(t.sentExternal, 0, 'the 28 February sending is outside the period');
    assert.equal(t.activeUsers, 1, 'logged in on 30 March');
    assert.equal(t.name, 'UBND tỉnh Bắc Ninh');
    // Refusals per agency: STP 2 + 1 (the 1 April one is outside), XD 1 (the 27 February one is outside).
    assert.deepEqual(
      Object.fromEntries([...byAgency.values()].map((r) => [r.group, r.refused])),
      { T: 0, STP: 3, HY: 0, XD: 1 },
    );
    assert.equal(stp.receivedExternal, 0, 'a refused message is not a received one');

    const byLevel = await usageReport(db, usageSources(db), { by: 'level', from: '2026-03-01', to: '2026-03-31' });
    assert.deepEqual(byLevel.map((r) => r.group), ['province', 'department', 'district', 'commune']);
    const sum = (rows: UsageReportRow[], k: keyof UsageReportRow) => rows.reduce((n, r) => n + Number(r[k]), 0);
    assert.deepEqual(byLevel.map((r) => r.refused), [0, 3, 0, 1]);
    for (const k of ['mailboxes', 'sentInternal', 'sentExternal', 'receivedInternal', 'receivedExternal', 'refused', 'storageBytes'] as const) {
      assert.equal(sum(byLevel, k), sum([...byAgency.values()], k), k);
    }
    const [{ n }] = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM usage_events WHERE event = 'accepted' AND direction = 'out' AND (at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date BETWEEN '2026-03-01' AND '2026-03-31'`,
      { type: QueryTypes.SELECT },
    );
    assert.equal(sum(byLevel, 'sentExternal'), n, 'the report equals a direct count over the events');
  });

  it('gives the same figures whether a period is read from whole months, partial months or both', async () => {
    const pick = async (from: string, to: string) => {
      const r = (await usageReport(db, usageSources(db), { by: 'agency', from, to })).find((x) => x.group === 'STP')!;
      return [r.sentInternal, r.refused];
    };
    const march = await pick('2026-03-01', '2026-03-31');
    assert.deepEqual(march, [31, 3]);
    const halves = [await pick('2026-03-01', '2026-03-10'), await pick('2026-03-11', '2026-03-31')];
    assert.deepEqual([halves[0][0] + halves[1][0], halves[0][1] + halves[1][1]], march, 'two partial halves');
    assert.deepEqual(await pick('2026-02-15', '2026-03-31'), march, 'partial February before a whole March');
    // The 1 April refusal, read from the partial April.
    assert.deepEqual(await pick('2026-02-15', '2026-04-10'), [march[0], march[1] + 1], 'partial February and April around a whole March');
  });

  it('shows an agency admin only their subtree', async () => {
    const rows = await usageReport(db, usageSources(db), { by: 'agency', from: '2026-03-01', to: '2026-03-31', scopes: [agencyPath.HY] });
    assert.deepEqual(rows.map((r) => r.group).sort(), ['HY', 'XD']);
    assert.equal(rows.reduce((n, r) => n + r.refused, 0), 1, "the district admin sees the commune's refusals, not the department's");
  });

  it('admin-0011 adds the refused column to a database whose monthly roll-up was made before it, back-filled from the daily rows', async () => {
    const { db: old } = await freshDatabase(allMigrations().filter((m) => m.name !== 'admin-0011-usage-monthly-refused'));
    try {
      const columns = async () =>
        (await old.query<{ c: string }>(`SELECT column_name AS c FROM information_schema.columns WHERE table_name = 'admin_usage_monthly' ORDER BY ordinal_position`, { type: QueryTypes.SELECT })).map((r) => r.c);
      assert.deepEqual(await columns(), ['month', 'mailbox', 'sent_internal', 'sent_external', 'received_internal', 'received_external'], 'admin-0009 still makes its original table');
      // Daily rows rolled up before the upgrade (they hold every event), and the monthly rows the old roll-up made of them.
      for (const [day, mailbox, evt, direction, messages] of [
        ['2026-03-03', 'a@x.gov.vn', 'accepted', 'internal', 4],
        ['2026-03-03', 'a@x.gov.vn', 'refused', 'in', 2],
        ['2026-03-20', 'a@x.gov.vn', 'refused', 'in', 1],
        ['2026-03-20', 'a@x.gov.vn', 'refused', 'out', 7], // not a refusal at the MX
        ['2026-04-01', 'b@x.gov.vn', 'refused', 'in', 5], // no other traffic: no monthly row yet
      ] as const) {
        await old.query('INSERT INTO admin_usage_daily (day, mailbox, event, direction, messages, bytes) VALUES ($1, $2, $3, $4, $5, 0)', { bind: [day, mailbox, evt, direction, messages] });
      }
      await old.query(`INSERT INTO admin_usage_monthly VALUES ('2026-03-01', 'a@x.gov.vn', 4, 0, 0, 0)`);
      assert.deepEqual(await migrate(old, allMigrations()), ['admin-0011-usage-monthly-refused']);
      assert.equal((await columns()).at(-1), 'refused');
      assert.deepEqual(
        await old.query(`SELECT month::text, mailbox, sent_internal, refused FROM admin_usage_monthly ORDER BY 1, 2`, { type: QueryTypes.SELECT }),
        [
          { month: '2026-03-01', mailbox: 'a@x.gov.vn', sent_internal: 4, refused: 3 },
          { month: '2026-04-01', mailbox: 'b@x.gov.vn', sent_internal: 0, refused: 5 },
        ],
      );
    } finally {
      await old.close();
    }
  });

  it("counts the signer's signatures per holder: documents (PDF) and messages (S/MIME, CMS), by Vietnamese day", async () => {
    // A real certificate for the rows to point at; the signing times are then set as the test needs.
    const dir = testDataDir('govmail-report-sig-');
    const kek = loadKek(dir, {});
    await initCa(db, kek, { organization: 'UBND tỉnh Bắc Ninh', algorithm: 'p-256', pkiUrl: 'http://127.0.0.1:9/pki', actor: 'test' });
    const profile = getProfile('individual');
    const subject = parseSubject({ commonName: 'Nguyễn Thị Hương', organization: 'Sở Tư pháp', email: 'huong.stp@bacninh.gov.vn', cccd: '001190000001' }, profile);
    const { serial } = await issueCertificate(db, kek, { profile, subject, key: { kind: 'server', pin: '135790', algorithm: 'p-256' }, pkiUrl: 'http://127.0.0.1:9/pki', actor: 'test' });
    rmSync(dir, { recursive: true, force: true });
    const signature = async (at: string, holder: string, kind: 'pdf' | 'smime' | 'cms') => {
      const { id } = await recordSignature(db, { serial, holder: `${holder}@bacninh.gov.vn`, kind, metadata: { urgency: 'thuong', classification: 'none' }, output: Buffer.from(at), actor: 'test' });
      await db.query('UPDATE signer_signatures SET signed_at = $1 WHERE id = $2', { bind: [at, id] });
    };
    await signature('2026-03-01T16:59:59Z', 'vanthu.stp', 'pdf'); // 1 March in Vietnam
    await signature('2026-03-31T16:59:59Z', 'vanthu.stp', 'pdf'); // 31 March, last second
    await signature('2026-03-31T17:00:00Z', 'vanthu.stp', 'pdf'); // already 1 April
    await signature('2026-02-28T16:59:59Z', 'huong.stp', 'pdf'); // 28 February
    await signature('2026-03-10T02:00:00Z', 'lan.xd', 'smime');
    await signature('2026-03-11T02:00:00Z', 'lan.xd', 'cms');
    const byAgency = new Map((await usageReport(db, usageSources(db), { by: 'agency', from: '2026-03-01', to: '2026-03-31' })).map((r) => [r.group, r]));
    assert.deepEqual([byAgency.get('STP')!.signedDocuments, byAgency.get('STP')!.signedMessages], [2, 0]);
    assert.deepEqual([byAgency.get('XD')!.signedDocuments, byAgency.get('XD')!.signedMessages], [0, 2]);
    assert.deepEqual([byAgency.get('T')!.signedDocuments, byAgency.get('T')!.signedMessages], [0, 0]);
    const scoped = await usageReport(db, usageSources(db), { by: 'agency', from: '2026-03-01', to: '2026-03-31', scopes: [agencyPath.HY] });
    assert.equal(scoped.reduce((n, r) => n + r.signedMessages, 0), 2, 'the district admin sees the commune under it');
    assert.equal(scoped.reduce((n, r) => n + r.signedDocuments, 0), 0, 'and nothing of the department outside it');
  });

  it('govmail report usage writes CSV, JSON and XLSX, and explains bad options', async () => {
    const dir = testDataDir('govmail-report-');
    const env = { DATABASE_URL: url, GOVMAIL_LOG_LEVEL: 'warn' };
    try {
      const csv = await govmail(['report', 'usage', '--by', 'level', '--from', '2026-03-01', '--to', '2026-03-31', '--data', dir], { env });
      assert.equal(csv.code, 0, csv.stderr);
      const lines = csv.stdout.replace(/^\uFEFF/, '').trim().split('\r\n');
      assert.equal(
        lines[0],
        'Mã / Code,Tên / Name,Cấp / Level,Hộp thư / Mailboxes,Người dùng hoạt động (30 ngày) / Active users,Gửi nội bộ / Sent internal,Gửi ra ngoài / Sent external,Nhận nội bộ / Received internal,Nhận từ ngoài / Received external,"Bị chặn (thư rác, mã độc) / Refused (spam, malware)",Dung lượng (byte) / Storage (bytes),Thư đã ký số / Signed messages,Văn bản đã ký số / Signed documents',
      );
      assert.match(lines.find((l) => l.startsWith('"department"'))!, /^"department","department","department","2","2","31","11"/);
      // Every data cell is quoted: the refused count is the tenth.
      const cells = (line: string) => [...line.matchAll(/"((?:[^"]|"")*)"/g)].map((m) => m[1]);
      assert.deepEqual(
        Object.fromEntries(lines.slice(1).map(cells).map((c) => [c[0], c[9]])),
        { province: '0', department: '3', district: '0', commune: '1' },
      );
      const json = await govmail(['report', 'usage', '--by', 'agency', '--from', '2026-03-01', '--to', '2026-03-31', '--format', 'json', '--data', dir], { env });
      assert.equal(JSON.parse(json.stdout).find((r: UsageReportRow) => r.group === 'XD').receivedInternal, 3);
      const agencyCsv = await govmail(['report', 'usage', '--by', 'agency', '--from', '2026-03-01', '--to', '2026-03-31', '--data', dir], { env });
      assert.equal(agencyCsv.code, 0, agencyCsv.stderr);
      const agencyRows = agencyCsv.stdout.replace(/^\uFEFF/, '').trim().split('\r\n').slice(1).map(cells);
      assert.deepEqual(Object.fromEntries(agencyRows.map((c) => [c[0], c[9]])), { T: '0', STP: '3', HY: '0', XD: '1' }, 'refused per agency in the CSV');
      const file = `${dir}/usage.xlsx`;
      const xlsx = await govmail(['report', 'usage', '--by', 'agency', '--from', '2026-03-01', '--to', '2026-03-31', '--format', 'xlsx', '--out', file, '--data', dir], { env });
      assert.equal(xlsx.code, 0, xlsx.stderr);
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.readFile(file);
      const names = wb.worksheets[0].getColumn(2).values as unknown[];
      assert.ok(names.includes('UBND xã Đông Phong'));
      const refusedColumn = wb.worksheets[0].getColumn(10).values as unknown[];
      assert.equal(refusedColumn[1], 'Bị chặn (thư rác, mã độc) / Refused (spam, malware)');
      assert.equal(refusedColumn[names.indexOf('Sở Tư pháp')], 3);
      const noOut = await govmail(['report', 'usage', '--format', 'xlsx', '--data', dir], { env });
      assert.notEqual(noOut.code, 0);
      assert.match(noOut.stderr, /--out/);
      const badDate = await govmail(['report', 'usage', '--from', '1/3/2026', '--data', dir], { env });
      assert.match(badDate.stderr, /from: cần ngày dạng YYYY-MM-DD.*expected a date YYYY-MM-DD/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
