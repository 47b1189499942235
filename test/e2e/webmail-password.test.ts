import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { startWebmailEnv, rawMessage, type WebmailEnv } from '../support/webmail.js';
import { launchChromium, ensureUiBuilt } from '../support/browser.js';
import { addDomain, addMailbox } from '../../admin/index.js';

const D = 'lang-son.test.gov.vn';
const ADDRESS = `hoangvanb@${D}`;
const NEW_PW = 'Mùa xuân Lạng Sơn 2026';
const LATER_PW = 'Đồng Đăng có phố Kỳ Lừa';

describe('webmail password in Chromium: the forced first change, then Settings', function () {
  this.timeout(120_000);
  let env: WebmailEnv;
  let browser: Browser;
  let page: Page;
  let base: string;
  let initial: string;
  const problems: string[] = [];
  const refusals: string[] = [];

  before(async () => {
    ensureUiBuilt('webmail');
    env = await startWebmailEnv();
    await addDomain(env.db, D);
    // No password given: admin generates one and marks the mailbox must_change_password.
    initial = (await addMailbox(env.db, { address: ADDRESS, displayName: 'Hoàng Văn B' }, { defaultQuota: '1G' })).password!;
    await env.lmtp.deliver({ from: `vanphong@${D}`, to: [ADDRESS], raw: rawMessage({ from: `Văn phòng <vanphong@${D}>`, to: ADDRESS, subject: 'Chào mừng đồng chí' }) });
    await env.app.listen({ host: '127.0.0.1', port: env.config.httpPort });
    base = `http://127.0.0.1:${env.config.httpPort}`;
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && problems.push(m.text()));
    page.on('response', (r) => r.status() >= 400 && refusals.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`));
  });
  after(async () => {
    await browser?.close();
    await env?.stop();
  });

  /** WCAG 2.1 A/AA with axe-core, as webmail-ui.test.ts checks the other screens. */
  const axeCheck = async (what: string) => {
    await page.evaluate(readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8'));
    const violations = await page.evaluate(async () => {
      const r = await (window as any).axe.run(document, { iframes: false, runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
      return r.violations.map((v: any) => `${v.id}: ${v.nodes.map((n: any) => n.target.join(' ')).join(', ')}`);
    });
    assert.deepEqual(violations, [], `axe on ${what}`);
  };
  const field = (label: string) => page.getByLabel(label, { exact: true });
  const fieldError = (name: string, text?: RegExp) => page.locator(`#password_${name}_help`, text ? { hasText: text } : {});

  it('shows only the first-change screen after signing in with an issued password, then goes on to the inbox', async () => {
    await page.goto(`${base}/webmail/`);
    await page.getByLabel('Địa chỉ thư').fill(ADDRESS);
    await page.getByLabel('Mật khẩu', { exact: true }).fill(initial);
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    await page.getByRole('heading', { name: 'Đổi mật khẩu lần đầu' }).waitFor();
    assert.equal(await page.getByRole('navigation', { name: 'Thư mục' }).count(), 0);

    // Checked in the browser: too short, and two entries that differ.
    await field('Mật khẩu hiện tại').fill(initial);
    await field('Mật khẩu mới').fill('ngắn quá');
    await field('Nhập lại mật khẩu mới').fill('khác hẳn');
    await page.getByRole('button', { name: 'Đổi mật khẩu và tiếp tục' }).click();
    assert.match(await fieldError('newPassword').innerText(), /Cần ít nhất 10 ký tự/);
    assert.match(await fieldError('repeat').innerText(), /không khớp/);
    await axeCheck('the first-change screen with its field errors');

    // Checked by the server, shown next to the field it names: the mailbox name inside the password.
    await field('Mật khẩu mới').fill('Hoangvanb-mua-xuan');
    await field('Nhập lại mật khẩu mới').fill('Hoangvanb-mua-xuan');
    await page.getByRole('button', { name: 'Đổi mật khẩu và tiếp tục' }).click();
    await fieldError('newPassword', /không chứa tên hộp thư "hoangvanb"/).waitFor();

    // A wrong current password, next to its own field.
    await field('Mật khẩu hiện tại').fill('khong-phai-mat-khau');
    await field('Mật khẩu mới').fill(NEW_PW);
    await field('Nhập lại mật khẩu mới').fill(NEW_PW);
    await page.getByRole('button', { name: 'Đổi mật khẩu và tiếp tục' }).click();
    await fieldError('currentPassword', /Mật khẩu hiện tại không đúng/).waitFor();

    await field('Mật khẩu hiện tại').fill(initial);
    await page.getByRole('button', { name: 'Đổi mật khẩu và tiếp tục' }).click();
    await page.getByRole('navigation', { name: 'Thư mục' }).waitFor();
    await page.getByRole('row').filter({ hasText: 'Chào mừng đồng chí' }).waitFor();
    // Besides the session check before signing in, only the password form was refused: the first-change
    // screen asked no mail route (each would have answered PASSWORD_CHANGE_REQUIRED).
    assert.deepEqual(refusals.filter((r) => r !== '401 GET /webmail/api/session' && !r.endsWith(' POST /webmail/api/password')), []);
  });

  it('changes the password again from Settings, and the new one signs in', async () => {
    await page.getByTestId('user-menu').click();
    await page.getByRole('menuitem', { name: 'Cài đặt' }).click();
    const card = page.getByTestId('password');
    await card.waitFor();
    await field('Mật khẩu hiện tại').fill(NEW_PW);
    await field('Mật khẩu mới').fill(LATER_PW);
    await field('Nhập lại mật khẩu mới').fill(LATER_PW);
    await card.getByRole('button', { name: 'Đổi mật khẩu' }).click();
    await page.getByText('Đã đổi mật khẩu').waitFor();
    assert.equal(await field('Mật khẩu hiện tại').inputValue(), '');
    await axeCheck('settings with the password card');
    // The Apple profile for this mailbox, downloaded as a browser downloads it.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('apple-profile').click()]);
    assert.equal(download.suggestedFilename(), `${ADDRESS.replace('@', '_')}.mobileconfig`);
    const profile = readFileSync((await download.path())!, 'utf8');
    assert.match(profile, new RegExp(`<key>EmailAddress</key>\\s*<string>${ADDRESS.replace(/\./g, '\\.')}</string>`));

    await page.getByTestId('user-menu').click();
    await page.getByRole('menuitem', { name: 'Đăng xuất' }).click();
    await page.getByLabel('Địa chỉ thư').fill(ADDRESS);
    await page.getByLabel('Mật khẩu', { exact: true }).fill(LATER_PW);
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    await page.getByRole('navigation', { name: 'Thư mục' }).waitFor();
    assert.deepEqual(problems, []);
  });
});
