import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { startAdminUi, type AdminUi } from '../support/admin-ui.js';

/** The spam filter page: ClamAV's state with what to do about it, the thresholds and the per-domain overrides. */
describe('admin UI in Chromium — spam filter page', function () {
  this.timeout(120_000);
  let page: Page;
  let base: string;
  let problems: string[];
  let refusals: string[];
  let ui: AdminUi;
  let clamav: 'running' | 'restarting' | 'absent' | 'no-signatures' = 'no-signatures';

  before(async () => {
    ui = await startAdminUi({
      config: { scanDomains: { 'congan.bac-kan.gov.vn': { spamJunkScore: 3, encryptedArchives: 'refuse' } } },
      services: { scannerHealth: () => ({ rspamd: 'running', clamav, clamavDatabaseDir: '/var/lib/clamav', restarts: 0 }) },
    });
    ({ page, base, problems, refusals } = ui);
  });
  after(async () => {
    await ui?.close();
  });

  it('warns that ClamAV has no signatures, naming freshclam and the folder, and shows the thresholds and overrides', async () => {
    await page.goto(`${base}/admin/`);
    await page.getByLabel('Địa chỉ thư').fill('quantri@bac-kan.gov.vn');
    await page.getByLabel('Mật khẩu').fill('mat-khau-quan-tri-2026');
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    await page.getByRole('menuitem', { name: 'Lọc thư rác' }).click();
    const warning = page.getByTestId('clamav-warning');
    await warning.waitFor();
    const text = await warning.innerText();
    assert.match(text, /ClamAV chưa có cơ sở dữ liệu mẫu virus/);
    assert.match(text, /freshclam/);
    assert.match(text, /main\.cvd và daily\.cvd vào thư mục \/var\/lib\/clamav/);
    const row = page.getByRole('row').filter({ hasText: 'congan.bac-kan.gov.vn' });
    await row.getByRole('cell', { name: 'Từ chối' }).waitFor();
    assert.match(await row.innerText(), /\b3\b/);
    await page.getByText('Điểm từ chối nhận').first().waitFor();
  });

  it('in English, says ClamAV is not installed and how to install it', async () => {
    clamav = 'absent';
    await page.getByRole('button', { name: 'English' }).click();
    const warning = page.getByTestId('clamav-warning');
    await warning.getByText('ClamAV is not installed').waitFor();
    assert.match(await warning.innerText(), /apt-get install clamav-daemon/);
    await page.screenshot({ path: process.env.GOVMAIL_SCREENSHOTS ? `${process.env.GOVMAIL_SCREENSHOTS}/admin-spam-filter.png` : '/tmp/admin-spam-filter.png', fullPage: true });
  });

  it('ran no error and was refused only before signing in', () => {
    assert.deepEqual(problems, []);
    assert.deepEqual(refusals, ['401 GET /api/admin/me']);
  });
});
