import assert from 'node:assert/strict';
import { freshDatabase } from '../support/postgres.js';
import { auditMigrations } from '../../core/audit.js';
import ExcelJS from 'exceljs';
import { adminMigrations, addAgency, addDomain, importMailboxes, parseCsv, parseXlsx, passwordsCsv, authenticate } from '../../admin/index.js';
import type { Sequelize } from 'sequelize';

const GIVEN = ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Huỳnh', 'Vũ', 'Đặng'];
const MIDDLE = ['Văn', 'Thị', 'Hữu', 'Đức', 'Ngọc'];
const NAME = ['An', 'Bình', 'Cường', 'Dũng', 'Hương', 'Hằng', 'Khánh', 'Lộc', 'Minh', 'Nhung'];

/** 5,000 rows in Excel's CSV UTF-8 shape (BOM, CRLF, quoted commas), with deliberate bad lines. */
function buildCsv(): { csv: string; bad: Map<number, string> } {
  const lines = ['email,full_name,agency_code,position,phone,cccd,quota,ghi_chu'];
  const bad = new Map<number, string>();
  for (let i = 0; i < 5000; i++) {
    const line = i + 2;
    const name = `${GIVEN[i % 8]} ${MIDDLE[i % 5]} ${NAME[i % 10]}`;
    const row = [`user${i}@example.gov.vn`, name, i % 2 ? 'H01' : 'X01', '"Chuyên viên, phòng Tổng hợp"', '0912 345 678', String(100000000000 + i), '', 'x'];
    if (i === 10) { row[0] = 'not-an-address'; bad.set(line, 'email'); }
    if (i === 20) { row[2] = 'NOPE'; bad.set(line, 'agency_code'); }
    if (i === 30) { row[1] = ''; bad.set(line, 'full_name'); }
    if (i === 40) { row[5] = '12345'; bad.set(line, 'cccd'); }
    if (i === 50) { row[0] = 'user0@example.gov.vn'; bad.set(line, 'email'); } // duplicate of line 2
    if (i === 60) { row[1] = 'Kẻ\u200BGiả Mạo'; bad.set(line, 'full_name'); } // zero-width space
    if (i === 70) { row[0] = 'x@unknown-domain.vn'; bad.set(line, 'email'); }
    if (i === 80) { row[6] = 'lots'; bad.set(line, 'quota'); }
    lines.push(row.join(','));
  }
  return { csv: '\uFEFF' + lines.join('\r\n') + '\r\n', bad };
}

describe('admin/import — bulk provisioning (real PostgreSQL)', function () {
  this.timeout(300_000);
  let db: Sequelize;
  before(async () => {
    ({ db } = await freshDatabase([...auditMigrations, ...adminMigrations]));
    await addDomain(db, 'example.gov.vn');
    await addAgency(db, { code: 'T01', name: 'UBND tỉnh', level: 'province', domain: 'example.gov.vn' });
    await addAgency(db, { code: 'H01', name: 'UBND huyện Ba Bể', level: 'district', parentCode: 'T01' });
    await addAgency(db, { code: 'X01', name: 'UBND xã Nam Mẫu', level: 'commune', parentCode: 'H01' });
  });
  after(() => db.close());

  const count = async () => ((await db.query('SELECT count(*)::int AS n FROM mailboxes'))[0] as any)[0].n as number;

  it('a dry run reports exactly the bad lines and writes nothing', async () => {
    const { csv, bad } = buildCsv();
    const report = await importMailboxes(db, parseCsv(csv.split('\r\n').slice(0, 200).join('\r\n')), { dryRun: true, defaultQuota: '1G' });
    assert.equal(await count(), 0);
    assert.deepEqual(report.problems.map((p) => [p.line, p.field]), [...bad.entries()].filter(([l]) => l <= 200));
    assert.deepEqual(report.ignoredColumns, ['ghi_chu']);
  });

  it('imports 5,000 rows: good rows in, each bad line reported with line and field; a re-run changes nothing', async () => {
    const { csv, bad } = buildCsv();
    const progress: number[] = [];
    const report = await importMailboxes(db, parseCsv(csv), { defaultQuota: '1G', onProgress: (d) => progress.push(d) });
    assert.deepEqual(report.problems.map((p) => [p.line, p.field]), [...bad.entries()]);
    assert.equal(report.created, 5000 - bad.size);
    assert.equal(report.failed, bad.size);
    assert.equal(await count(), 5000 - bad.size);
    assert.equal(progress.at(-1), 5000);
    assert.equal(report.passwords.length, report.created);

    const [row] = (await db.query(`SELECT display_name, position, agency_id FROM mailboxes WHERE address = 'user3@example.gov.vn'`))[0] as any[];
    assert.equal(row.display_name, 'Phạm Ngọc Bình'.replace('Ngọc', MIDDLE[3]).replace('Bình', NAME[3]));
    assert.equal(row.position, 'Chuyên viên, phòng Tổng hợp');
    const first = report.passwords.find((p) => p.email === 'user1@example.gov.vn')!;
    assert.equal(await authenticate(db, first.email, first.password), 'user1@example.gov.vn');
    assert.match(passwordsCsv(report.passwords.slice(0, 1)), /^\uFEFFemail,full_name,initial_password\r\n"user/);

    const audits = ((await db.query(`SELECT count(*)::int AS n FROM audit_entries WHERE action = 'mailbox.create'`))[0] as any)[0].n;
    const again = await importMailboxes(db, parseCsv(csv), { defaultQuota: '1G' });
    assert.equal(again.created, 0);
    assert.equal(again.unchanged, 5000 - bad.size);
    assert.equal(await count(), 5000 - bad.size);
    assert.equal(((await db.query(`SELECT count(*)::int AS n FROM audit_entries WHERE action = 'mailbox.create'`))[0] as any)[0].n, audits);
  });

  it('refuses a file without the required columns, naming them', async () => {
    assert.throws(() => parseCsv('email,name\na@example.gov.vn,A\n'), /full_name, agency_code/);
  });

  it('reads an Excel workbook: numbers as text, Vietnamese intact, sheet row numbers in the report', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Danh sách');
    ws.addRow(['Email', 'Full_Name', 'Agency_Code', 'CCCD']);
    ws.addRow(['xlsx1@example.gov.vn', 'Đỗ Thị Ngọc Ánh', 'X01', 1099012345]);
    ws.addRow([]);
    ws.addRow(['xlsx2@example.gov.vn', 'Bùi Văn Đức', 'X01', 'số 12']);
    const table = await parseXlsx(Buffer.from(await wb.xlsx.writeBuffer()));
    const report = await importMailboxes(db, table, { defaultQuota: '1G' });
    assert.equal(report.created, 1);
    assert.deepEqual(report.problems.map((p) => [p.line, p.field]), [[4, 'cccd']]);
    const [row] = (await db.query(`SELECT display_name, cccd FROM mailboxes WHERE address = 'xlsx1@example.gov.vn'`))[0] as any[];
    assert.deepEqual(row, { display_name: 'Đỗ Thị Ngọc Ánh', cccd: '001099012345' });
  });
});
