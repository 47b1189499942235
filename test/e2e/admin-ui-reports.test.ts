import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { QueryTypes, type Sequelize } from 'sequelize';
import { freshDatabase, freePort, testDataDir } from '../support/postgres.js';
import { launchChromium, ensureUiBuilt } from '../support/browser.js';
import { allMigrations } from '../../cli/migrations.js';
import { buildHttpApp } from '../../cli/http.js';
import { loadConfig, pkiBaseUrl } from '../../core/config.js';
import { loadKek } from '../../core/kek.js';
import { initCa } from '../../signer/index.js';
import { addAgency, addDomain, addMailbox, grantRole, localDay } from '../../admin/index.js';

/**
 * The usage report and the certificate pages in Chromium, against the real app and database: an
 * agency admin and the province's superadmin, each in their own browser context.
 */
describe('admin UI in Chromium — usage report and certificates', function () {
  this.timeout(180_000);
  const SUPER = { address: 'quantri@bac-kan.gov.vn', password: 'mat-khau-quan-tri-2026' };
  const ADMIN = { address: 'admin.babe@bac-kan.gov.vn', password: 'mat-khau-huyen-ba-be-2026' };
  const shots = process.env.GOVMAIL_SCREENSHOTS ?? '/tmp';
  const dataDir = testDataDir('govmail-ui-reports-');
  let db: Sequelize;
  let app: FastifyInstance;
  let browser: Browser;
  let base: string;
  const contexts: BrowserContext[] = [];
  let superPage: Page;
  let adminPage: Page;
  const problems: string[] = [];
  const refusals: string[] = [];
  const today = localDay(new Date());

  const watch = (page: Page, who: string) => {
    page.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && problems.push(`${who}: ${m.text()}`));
    page.on('pageerror', (e) => problems.push(`${who}: ${e.message}`));
    page.on('response', (r) => r.status() >= 400 && refusals.push(`${who} ${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`));
    page.on('request', (r) => !r.url().startsWith(base) && !r.url().startsWith('blob:') && problems.push(`${who}: request left the origin: ${r.url()}`));
  };
  const newPage = async (who: string, width = 1280) => {
    const context = await browser.newContext({ viewport: { width, height: 900 }, acceptDownloads: true, locale: 'vi-VN', timezoneId: 'Asia/Ho_Chi_Minh' });
    contexts.push(context);
    const page = await context.newPage();
    watch(page, who);
    return page;
  };
  const signIn = async (page: Page, who: { address: string; password: string }) => {
    await page.goto(`${base}/admin/`);
    await page.getByLabel('Địa chỉ thư').fill(who.address);
    await page.getByLabel('Mật khẩu').fill(who.password);
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    await page.getByText(`Đang đăng nhập: ${who.address}`).waitFor();
  };
  /**
   * The whole page: the viewport is first made as tall as the page (Playwright's fullPage capture
   * briefly overrides the window size, which antd's Sider answers by collapsing its menu mid-shot).
   */
  const screenshot = async (page: Page, name: string) => {
    await page.keyboard.press('Escape');
    await page.locator('.ant-message-notice').waitFor({ state: 'detached' });
    const size = page.viewportSize()!;
    await page.setViewportSize({ width: size.width, height: await page.evaluate(() => document.documentElement.scrollHeight) });
    await page.screenshot({ path: `${shots}/${name}` });
    await page.setViewportSize(size);
  };
  const openMenu = async (page: Page, name: string) => page.getByRole('menuitem', { name }).click();
  const row = (page: Page, id: number | string) => page.locator(`tr[data-row-key="${id}"]`);
  const statusOf = async (page: Page, id: number) => (await row(page, id).locator('td[data-col="status"] .ant-tag').innerText()).trim();
  const requests = () =>
    db.query<{ id: number; status: string; serial: string | null; renewal_of: string | null; requested_by: string; subject: object }>(
      'SELECT id, status, serial, renewal_of, requested_by, subject FROM admin_cert_requests ORDER BY id',
      { type: QueryTypes.SELECT },
    );

  before(async () => {
    ensureUiBuilt('admin');
    ({ db } = await freshDatabase(allMigrations()));
    const port = await freePort();
    const config = loadConfig({ httpPort: port, dataDir }, {});
    await initCa(db, loadKek(dataDir, {}), { organization: 'UBND tỉnh Bắc Kạn', algorithm: 'p-256', pkiUrl: pkiBaseUrl(config), actor: 'test' });
    await addDomain(db, 'bac-kan.gov.vn');
    const t = await addAgency(db, { code: 'T', name: 'UBND tỉnh Bắc Kạn', level: 'province', domain: 'bac-kan.gov.vn', mst: '4700000001' });
    const h = await addAgency(db, { code: 'H1', name: 'UBND huyện Ba Bể', level: 'district', parentCode: 'T', mns: '1034567' });
    await addMailbox(db, { address: SUPER.address, displayName: 'Quản trị tỉnh', password: SUPER.password, agencyId: t.id }, { defaultQuota: '1G' });
    await addMailbox(db, { address: ADMIN.address, displayName: 'Quản trị huyện Ba Bể', password: ADMIN.password, agencyId: h.id }, { defaultQuota: '1G' });
    await addMailbox(db, { address: 'vanthu.babe@bac-kan.gov.vn', displayName: 'Văn thư UBND huyện Ba Bể', agencyId: h.id, kind: 'functional' }, { defaultQuota: '1G' });
    await addMailbox(db, { address: 'lan.babe@bac-kan.gov.vn', displayName: 'Hoàng Thị Lan', agencyId: h.id }, { defaultQuota: '1G' });
    await grantRole(db, SUPER.address, 'superadmin', null);
    await grantRole(db, ADMIN.address, 'agency_admin', 'H1');

    // This month's traffic, as smtp records it: within the default period (the month so far, Vietnamese days).
    const monthStart = new Date(`${today.slice(0, 8)}01T00:00:00+07:00`).getTime();
    const at = new Date(Math.max(monthStart, Date.now() - 10 * 60_000)).toISOString();
    const events: Array<[string, string, string, number]> = [
      [SUPER.address, 'accepted', 'internal', 3],
      [SUPER.address, 'accepted', 'out', 1],
      [ADMIN.address, 'accepted', 'internal', 2],
      ['vanthu.babe@bac-kan.gov.vn', 'delivered', 'internal', 3],
      ['vanthu.babe@bac-kan.gov.vn', 'delivered', 'in', 2],
      // Refused by the MX's scan (spam, malware): one row per local recipient.
      [SUPER.address, 'refused', 'in', 1],
      ['vanthu.babe@bac-kan.gov.vn', 'refused', 'in', 4],
    ];
    for (const [mailbox, event, direction, n] of events) {
      for (let i = 0; i < n; i++) {
        await db.query('INSERT INTO usage_events (at, event, mailbox, domain, direction, size) VALUES ($1, $2, $3, $4, $5, $6)', { bind: [at, event, mailbox, 'bac-kan.gov.vn', direction, 2000] });
      }
    }
    // vanthu logged in an hour ago (Dovecot's last-login record): active without sending.
    await db.query('INSERT INTO mailstore_usage (username, bytes, messages, last_login) VALUES ($1, $2, 5, $3)', { bind: ['vanthu.babe@bac-kan.gov.vn', 3 * 1024 * 1024, Math.floor(Date.now() / 1000) - 3600] });

    app = await buildHttpApp(config, db);
    await app.listen({ host: '127.0.0.1', port });
    base = `http://127.0.0.1:${port}`;
    browser = await launchChromium();
    adminPage = await newPage('agency admin');
    superPage = await newPage('superadmin');
  });
  after(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await app?.close();
    await db?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  let requestId = 0;
  let serial = '';

  it('an agency admin files an organisation certificate request; a record without a CCCD is refused next to the mailbox field', async () => {
    await signIn(adminPage, ADMIN);
    // An agency admin is not offered the audit log (the server would refuse it).
    assert.deepEqual(await adminPage.getByRole('menuitem').allInnerTexts(), ['Cơ quan', 'Hộp thư', 'Chứng thư số', 'Báo cáo sử dụng']);
    await openMenu(adminPage, 'Chứng thư số');
    await adminPage.getByTestId('request-certificate').click();
    const dialog = adminPage.getByRole('dialog', { name: 'Đề nghị cấp chứng thư' });
    await dialog.getByRole('radio', { name: 'Cá nhân' }).check();
    await dialog.getByLabel('Mã cơ quan').fill('H1');
    await dialog.getByLabel('Hộp thư người giữ chứng thư').fill('lan.babe@bac-kan.gov.vn');
    await dialog.getByRole('button', { name: 'Đề nghị cấp chứng thư' }).click();
    const mailboxError = dialog.locator('.ant-form-item').filter({ hasText: 'Hộp thư người giữ chứng thư' }).locator('.ant-form-item-explain-error');
    await mailboxError.waitFor();
    assert.match(await mailboxError.innerText(), /chưa có số CCCD/);
    assert.equal((await requests()).length, 0);

    await dialog.getByRole('radio', { name: 'Tổ chức (văn thư giữ)' }).check();
    await dialog.getByLabel('Hộp thư người giữ chứng thư').fill('vanthu.babe@bac-kan.gov.vn');
    await dialog.getByRole('button', { name: 'Đề nghị cấp chứng thư' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const [filed] = await requests();
    assert.equal(filed.requested_by, ADMIN.address);
    requestId = filed.id;
    await row(adminPage, requestId).getByText('UBND huyện Ba Bể').first().waitFor();
    assert.equal(await statusOf(adminPage, requestId), 'Chờ duyệt');
    assert.equal(await row(adminPage, requestId).getByRole('button', { name: 'Duyệt' }).count(), 0, 'only a superadmin approves');
  });

  it('the superadmin approves it and is shown the PKCS#12 password once, with a warning; the .p12 opens with it', async () => {
    await signIn(superPage, SUPER);
    await openMenu(superPage, 'Chứng thư số');
    await row(superPage, requestId).getByRole('button', { name: 'Duyệt' }).click();
    const dialog = superPage.getByRole('dialog', { name: 'Duyệt và cấp chứng thư' });
    await dialog.getByRole('button', { name: 'Duyệt' }).click();
    const issued = superPage.getByTestId('issued');
    await issued.waitFor();
    assert.match(await superPage.getByTestId('shown-once').innerText(), /Mật khẩu chỉ hiển thị một lần[\s\S]*không thể hiển thị lại/);
    const password = (await superPage.getByTestId('p12-password').innerText()).trim();
    assert.match(password, /^\S{16}$/);
    const [download] = await Promise.all([superPage.waitForEvent('download'), superPage.getByTestId('download-p12').click()]);
    assert.match(download.suggestedFilename(), /^UBND-huyen-Ba-Be-[0-9a-f]{16}\.p12$/);
    const p12 = path.join(dataDir, 'issued.p12');
    await download.saveAs(p12);
    const opened = spawnSync('openssl', ['pkcs12', '-in', p12, '-passin', `pass:${password}`, '-nokeys', '-clcerts'], { encoding: 'utf8' });
    assert.equal(opened.status, 0, opened.stderr);
    const subject = spawnSync('openssl', ['x509', '-noout', '-subject', '-nameopt', 'utf8,sep_comma_plus_space'], { input: opened.stdout, encoding: 'utf8' });
    assert.match(subject.stdout, /CN=UBND huyện Ba Bể/);
    assert.equal(spawnSync('openssl', ['pkcs12', '-in', p12, '-passin', 'pass:wrong-password', '-nokeys'], { encoding: 'utf8' }).status === 0, false, 'the password is what opens it');

    await superPage.getByTestId('issued-close').click();
    await issued.waitFor({ state: 'detached' });
    assert.equal(await superPage.getByText(password).count(), 0, 'the password is gone once closed');
    serial = (await requests())[0].serial!;
    assert.ok(serial);
    await superPage.locator(`tr[data-row-key="${requestId}"] td[data-col="status"]`).getByText('Đã cấp').waitFor();
  });

  it('the agency admin renews the certificate: a new request with the same subject, marked as a renewal, which the superadmin approves', async () => {
    await adminPage.reload();
    await openMenu(adminPage, 'Chứng thư số');
    assert.deepEqual(await row(adminPage, requestId).locator('td[data-col="actions"]').getByRole('button').allInnerTexts(), ['Gia hạn', 'Thu hồi']);
    await row(adminPage, requestId).getByRole('button', { name: 'Gia hạn' }).click();
    await adminPage.getByRole('button', { name: 'Xác nhận' }).click();
    await adminPage.getByText(/Đã gửi đề nghị gia hạn số \d+/).waitFor();
    const [original, renewal] = await requests();
    assert.deepEqual({ status: renewal.status, renewalOf: renewal.renewal_of, subject: renewal.subject, by: renewal.requested_by }, { status: 'requested', renewalOf: serial, subject: original.subject, by: ADMIN.address });
    await row(adminPage, renewal.id).getByText('Gia hạn của').waitFor();
    assert.equal(await statusOf(adminPage, renewal.id), 'Chờ duyệt');

    await superPage.reload();
    await openMenu(superPage, 'Chứng thư số');
    await row(superPage, renewal.id).getByRole('button', { name: 'Duyệt' }).click();
    // This holder runs an old Windows: the legacy PKCS#12, whose weakness the dialog spells out.
    const approve = superPage.getByRole('dialog', { name: 'Duyệt và cấp chứng thư' });
    await approve.getByTestId('legacy-p12').check();
    assert.match(await approve.getByTestId('legacy-p12-note').innerText(), /Yếu hơn mặc định[\s\S]*Weaker than the default/);
    await approve.getByRole('button', { name: 'Duyệt' }).click();
    const password = (await superPage.getByTestId('p12-password').innerText()).trim();
    const [download] = await Promise.all([superPage.waitForEvent('download'), superPage.getByTestId('download-p12').click()]);
    const p12 = path.join(dataDir, 'renewal-legacy.p12');
    await download.saveAs(p12);
    const info = spawnSync('openssl', ['pkcs12', '-in', p12, '-passin', `pass:${password}`, '-info', '-noout', '-legacy'], { encoding: 'utf8' });
    assert.equal(info.status, 0, info.stderr);
    assert.match(info.stderr, /MAC: sha1/);
    assert.match(info.stderr, /Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC/);
    await superPage.getByTestId('issued-close').click();
    await superPage.locator(`tr[data-row-key="${renewal.id}"] td[data-col="status"]`).getByText('Đã cấp').waitFor();
    const [{ renewal_of }] = await db.query<{ renewal_of: string }>('SELECT renewal_of FROM signer_certificates WHERE serial = $1', { bind: [(await requests())[1].serial], type: QueryTypes.SELECT });
    assert.equal(renewal_of, serial, 'the signer issued it as a renewal');
  });

  it('the superadmin revokes the original with an RFC 5280 reason; the list shows it revoked, and the status filter finds it', async () => {
    await row(superPage, requestId).getByRole('button', { name: 'Thu hồi' }).click();
    const dialog = superPage.getByRole('dialog', { name: 'Thu hồi chứng thư' });
    await dialog.getByLabel('Lý do thu hồi (RFC 5280)').click();
    await superPage.getByTitle('Lộ khóa bí mật').click();
    await dialog.getByRole('button', { name: 'Thu hồi' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await superPage.locator(`tr[data-row-key="${requestId}"] td[data-col="status"]`).getByText('Đã thu hồi').waitFor();
    assert.equal(await row(superPage, requestId).locator('td[data-col="actions"]').getByRole('button').count(), 0, 'nothing left to do with a revoked certificate');
    const [revoked] = await db.query<{ status: string; revocation_reason: number }>('SELECT status, revocation_reason FROM signer_certificates WHERE serial = $1', { bind: [serial], type: QueryTypes.SELECT });
    assert.deepEqual(revoked, { status: 'revoked', revocation_reason: 1 }, 'keyCompromise is reason code 1');

    await superPage.getByTestId('filter-status').click();
    await superPage.getByTitle('Đã thu hồi').click();
    await superPage.locator('.ant-table-tbody tr.ant-table-row').first().waitFor();
    await superPage.waitForFunction(() => document.querySelectorAll('.ant-table-tbody tr.ant-table-row').length === 1);
    assert.deepEqual(await superPage.locator('.ant-table-tbody tr.ant-table-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-row-key'))), [String(requestId)]);
    await superPage.getByTestId('filter-status').locator('.ant-select-clear').click();
    await superPage.waitForFunction(() => document.querySelectorAll('.ant-table-tbody tr.ant-table-row').length === 2);
    await screenshot(superPage, 'admin-certificates.png');
  });

  it('the superadmin opens the usage report: this month so far, by level, with totals, and bar charts whose bars are the table’s numbers', async () => {
    await openMenu(superPage, 'Báo cáo sử dụng');
    assert.equal(await superPage.getByLabel('Từ ngày').inputValue(), `${today.slice(0, 8)}01`);
    assert.equal(await superPage.getByLabel('Đến ngày').inputValue(), today);
    const cell = (group: string, col: string) => superPage.locator(`tr[data-row-key="${group}"] td[data-col="${col}"]`);
    await cell('district', 'sentInternal').waitFor();
    assert.equal(await cell('province', 'group').innerText(), 'Cấp tỉnh');
    assert.equal(await cell('district', 'group').innerText(), 'Cấp huyện');

    const expected: Record<string, Record<string, string>> = {
      province: { mailboxes: '1', activeUsers: '1', sentInternal: '3', sentExternal: '1', receivedInternal: '0', receivedExternal: '0' },
      district: { mailboxes: '3', activeUsers: '2', sentInternal: '2', sentExternal: '0', receivedInternal: '3', receivedExternal: '2' },
    };
    const traffic = superPage.getByRole('img', { name: /^Thư gửi và nhận, nội bộ và bên ngoài\./ });
    const users = superPage.getByRole('img', { name: /^Người dùng hoạt động so với hộp thư đã cấp\./ });
    for (const [group, values] of Object.entries(expected)) {
      for (const [col, value] of Object.entries(values)) {
        const chart = col === 'mailboxes' || col === 'activeUsers' ? users : traffic;
        const tableCell = (await cell(group, col).innerText()).trim();
        const barLabel = (await chart.locator(`text[data-category="${group}"][data-series="${col}"]`).textContent())?.trim();
        assert.equal(tableCell, value, `table ${group}/${col}`);
        assert.equal(barLabel, tableCell, `bar label ${group}/${col} equals the table cell`);
      }
    }
    // Refused messages are a column of the table (not a bar of the traffic chart).
    assert.equal((await cell('province', 'refused').innerText()).trim(), '1');
    assert.equal((await cell('district', 'refused').innerText()).trim(), '4');
    assert.equal(await superPage.locator('th').filter({ hasText: 'Bị chặn (thư rác, mã độc)' }).count(), 1);
    // The bars' lengths are proportional to their values: one scale for the whole chart.
    const bars = await traffic.locator('rect[data-series]').evaluateAll((rects) => rects.map((r) => ({ value: Number(r.getAttribute('data-value')), width: Number(r.getAttribute('width')) })));
    assert.equal(bars.length, 8);
    const perUnit = bars.find((b) => b.value === 3)!.width / 3;
    assert.ok(perUnit > 0);
    for (const b of bars) assert.ok(Math.abs(b.width - b.value * perUnit) < 0.01, `bar of ${b.value} is ${b.width} wide`);
    assert.match((await traffic.getAttribute('aria-label'))!, /Cấp huyện: Gửi nội bộ 2, Gửi ra ngoài 0, Nhận nội bộ 3, Nhận từ bên ngoài 2/);

    const totals = superPage.getByTestId('report-totals');
    assert.equal(await totals.locator('[data-col="sentInternal"]').innerText(), '5');
    assert.equal(await totals.locator('[data-col="receivedInternal"]').innerText(), '3');
    assert.equal(await totals.locator('[data-col="mailboxes"]').innerText(), '4');
    assert.equal(await totals.locator('[data-col="refused"]').innerText(), '5');

    // Certificates by level and profile: the renewal is valid, the original revoked.
    const counts = superPage.locator('.ant-card').filter({ hasText: 'Chứng thư số theo cấp và loại' }).locator('tr.ant-table-row');
    assert.deepEqual(await counts.first().locator('td').allInnerTexts(), ['Cấp huyện', 'Tổ chức (văn thư giữ)', '1', '1', '0']);

    await superPage.getByText('Theo cơ quan', { exact: true }).click();
    await cell('H1', 'receivedExternal').waitFor();
    assert.equal(await cell('H1', 'receivedExternal').innerText(), '2');
    assert.equal((await traffic.locator('text[data-category="H1"][data-series="receivedExternal"]').textContent())?.trim(), '2');
    assert.equal(await cell('H1', 'refused').innerText(), '4');
    assert.equal((await traffic.locator('text[data-category="T"][data-series="sentInternal"]').textContent())?.trim(), (await cell('T', 'sentInternal').innerText()).trim());
    await superPage.getByText('Theo cấp', { exact: true }).click();
    await cell('province', 'sentInternal').waitFor();
    await screenshot(superPage, 'admin-report.png');
  });

  it('exports the report as CSV with the period and grouping on screen, and offers XLSX with the same query', async () => {
    const [download] = await Promise.all([superPage.waitForEvent('download'), superPage.getByTestId('export-csv').click()]);
    assert.equal(download.suggestedFilename(), 'govmail-usage.csv');
    const lines = readFileSync((await download.path())!, 'utf8').replace(/^\uFEFF/, '').trim().split('\r\n');
    assert.equal(
      lines[0],
      'Mã / Code,Tên / Name,Cấp / Level,Hộp thư / Mailboxes,Người dùng hoạt động (30 ngày) / Active users,Gửi nội bộ / Sent internal,Gửi ra ngoài / Sent external,Nhận nội bộ / Received internal,Nhận từ ngoài / Received external,"Bị chặn (thư rác, mã độc) / Refused (spam, malware)",Dung lượng (byte) / Storage (bytes),Thư đã ký số / Signed messages,Văn bản đã ký số / Signed documents',
    );
    assert.deepEqual(lines.slice(1).map((l) => l.split(',').slice(0, 10).join(',')), [
      '"province","province","province","1","1","3","1","0","0","1"',
      '"district","district","district","3","2","2","0","3","2","4"',
    ]);
    const xlsx = await superPage.getByTestId('export-xlsx').getAttribute('href');
    assert.equal(xlsx, `/api/admin/reports/usage?by=level&from=${today.slice(0, 8)}01&to=${today}&format=xlsx`);
    const res = await superPage.request.get(`${base}${xlsx}`);
    assert.equal(res.headers()['content-type'], 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    assert.equal((await res.body()).subarray(0, 2).toString(), 'PK');
  });

  it('flags a period that ends before it starts and asks nothing of the server', async () => {
    const before = refusals.length;
    await superPage.getByLabel('Từ ngày').fill(today);
    await superPage.getByLabel('Đến ngày').fill(`${Number(today.slice(0, 4)) - 1}${today.slice(4)}`);
    await superPage.getByText('Ngày bắt đầu không được sau ngày kết thúc').waitFor();
    assert.equal(await superPage.getByTestId('export-csv').getAttribute('href'), null, 'no export of a bad period');
    assert.equal(refusals.length, before);
    await superPage.getByLabel('Đến ngày').fill(today);
    await superPage.locator('tr[data-row-key="province"]').waitFor();
  });

  it('fits a tablet (768 px): no page-wide horizontal scrolling on the report and certificate pages; English works too', async () => {
    await superPage.setViewportSize({ width: 768, height: 1024 });
    const overflow = () => superPage.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    await superPage.getByRole('img', { name: /^Thư gửi và nhận/ }).waitFor();
    assert.ok((await overflow()) <= 0, `report page overflows by ${await overflow()} px`);
    const chart = superPage.getByRole('img', { name: /^Thư gửi và nhận/ });
    await superPage.waitForFunction(() => {
      const svg = document.querySelector('[data-testid="traffic-chart"] svg');
      return svg !== null && Number(svg.getAttribute('width')) < 700;
    });
    const chartBox = (await chart.boundingBox())!;
    assert.ok(chartBox.x >= 0 && chartBox.x + chartBox.width <= 768, `chart spans ${chartBox.x}..${chartBox.x + chartBox.width}`);
    // Drawn for the width it has, not shrunk: its text keeps its size on a tablet.
    assert.equal(Math.round(chartBox.width), Number(await chart.getAttribute('width')));
    await superPage.getByRole('button', { name: 'English' }).click();
    await superPage.getByRole('img', { name: /^Messages sent and received, internal and external\./ }).waitFor();
    assert.equal(await superPage.locator('th').filter({ hasText: 'Refused (spam, malware)' }).count(), 1);
    await openMenu(superPage, 'Certificates');
    await row(superPage, requestId).locator('td[data-col="status"]').getByText('Revoked').waitFor();
    assert.ok((await overflow()) <= 0, `certificate page overflows by ${await overflow()} px`);
    // The actions of the issued renewal are in sight without scrolling the table sideways.
    const [, renewal] = await requests();
    const table = (await superPage.locator('.ant-table-wrapper').boundingBox())!;
    assert.ok(table.x + table.width <= 768);
    for (const name of ['Renew', 'Revoke']) {
      const box = (await row(superPage, renewal.id).getByRole('button', { name }).boundingBox())!;
      assert.ok(box.x >= table.x && box.x + box.width <= table.x + table.width, `${name} is at ${box.x}..${box.x + box.width}, the table at ${table.x}..${table.x + table.width}`);
    }
    await superPage.getByRole('button', { name: 'Tiếng Việt' }).click();
  });

  it('ran no error, made no request outside the origin, and was refused only where the test provoked it', () => {
    assert.deepEqual(problems, []);
    assert.deepEqual(refusals, [
      'agency admin 401 GET /api/admin/me', // not signed in yet
      'agency admin 400 POST /api/admin/certificates/requests', // a mailbox without a CCCD
      'superadmin 401 GET /api/admin/me',
    ]);
  });
});
