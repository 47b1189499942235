import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { Sequelize } from 'sequelize';
import { startAdminUi, type AdminUi } from '../support/admin-ui.js';

describe('admin UI in Chromium', function () {
  this.timeout(120_000);
  let db: Sequelize;
  let page: Page;
  let base: string;
  let problems: string[];
  let refusals: string[];
  let ui: AdminUi;

  before(async () => {
    ui = await startAdminUi();
    ({ db, page, base, problems, refusals } = ui);
  });
  after(async () => {
    await ui?.close();
  });

  it('refuses a wrong password, then signs in (Vietnamese by default)', async () => {
    await page.goto(`${base}/admin/`);
    await page.getByLabel('Địa chỉ thư').fill('quantri@bac-kan.gov.vn');
    await page.getByLabel('Mật khẩu').fill('sai-mat-khau-roi');
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    await page.getByTestId('login-error').waitFor();
    assert.match(await page.getByTestId('login-error').innerText(), /Sai địa chỉ hoặc mật khẩu/);
    await page.getByLabel('Mật khẩu').fill('mat-khau-quan-tri-2026');
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    await page.getByText('Đang đăng nhập: quantri@bac-kan.gov.vn').waitFor();
    await page.getByRole('cell', { name: 'UBND tỉnh Bắc Kạn' }).waitFor();
  });

  it('shows a server-side validation error next to the field, then creates the agency', async () => {
    await page.getByTestId('add-agency').click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Mã', { exact: true }).fill('H01');
    await dialog.getByLabel('Tên', { exact: true }).fill('UBND huyện Ba Bể');
    await dialog.getByLabel('Cấp', { exact: true }).click();
    await page.getByTitle('Cấp huyện').click();
    await dialog.getByRole('button', { name: 'Lưu' }).click();
    // A district needs a parent: the server says so and the form shows it under "Cơ quan cấp trên".
    const parentError = dialog.locator('.ant-form-item').filter({ hasText: 'Cơ quan cấp trên' }).locator('.ant-form-item-explain-error');
    await parentError.waitFor();
    assert.match(await parentError.innerText(), /cơ quan cấp trên/);
    await dialog.getByLabel('Cơ quan cấp trên', { exact: true }).fill('T');
    await dialog.getByRole('button', { name: 'Lưu' }).click();
    await page.getByRole('cell', { name: 'UBND huyện Ba Bể' }).waitFor();
  });

  it('creates a mailbox, shows its initial password once, and suspends it', async () => {
    await page.getByRole('menuitem', { name: 'Hộp thư' }).click();
    await page.getByTestId('add-mailbox').click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Địa chỉ', { exact: true }).fill('nguyenvana@bac-kan.gov.vn');
    await dialog.getByLabel('Họ và tên', { exact: true }).fill('Nguyễn Văn Ánh');
    await dialog.getByLabel('Cơ quan', { exact: true }).fill('H01');
    await dialog.getByLabel('Số CCCD', { exact: true }).fill('12345');
    await dialog.getByRole('button', { name: 'Lưu' }).click();
    const cccdError = dialog.locator('.ant-form-item').filter({ hasText: 'Số CCCD' }).locator('.ant-form-item-explain-error');
    await cccdError.waitFor();
    assert.match(await cccdError.innerText(), /12 chữ số/);
    await dialog.getByLabel('Số CCCD', { exact: true }).fill('001099012345');
    await dialog.getByRole('button', { name: 'Lưu' }).click();
    await page.getByTestId('initial-password').waitFor();
    assert.match(await page.getByTestId('initial-password').innerText(), /^\S{16}$/);
    const row = page.getByRole('row').filter({ hasText: 'nguyenvana@bac-kan.gov.vn' });
    await row.getByText('Nguyễn Văn Ánh').waitFor();
    await row.getByRole('button', { name: 'Tạm khóa' }).click();
    await row.getByRole('button', { name: 'Mở lại' }).waitFor();
    const [r] = (await db.query(`SELECT active FROM mailboxes WHERE address = 'nguyenvana@bac-kan.gov.vn'`))[0] as any[];
    assert.equal(r.active, false);
  });

  it('switches to English and lists the audit log', async () => {
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('menuitem', { name: 'Audit log' }).click();
    await page.getByRole('cell', { name: 'mailbox.suspend' }).waitFor();
    await page.screenshot({ path: process.env.GOVMAIL_SCREENSHOTS ? `${process.env.GOVMAIL_SCREENSHOTS}/admin-audit.png` : '/tmp/admin-audit.png' });
  });

  it('ran no error, made no request outside the origin, and was refused only where the test provoked it', () => {
    assert.deepEqual(problems, []);
    assert.deepEqual(refusals, [
      '401 GET /api/admin/me', // not signed in yet
      '401 POST /api/session', // the wrong password
      '400 POST /api/admin/agencies', // a district without a parent
      '400 POST /api/admin/mailboxes', // a 5-digit citizen id
    ]);
  });
});
