import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startWebmailEnv, type WebmailEnv } from '../support/webmail.js';
import { launchChromium, ensureUiBuilt } from '../support/browser.js';
import { addDomain, addMailbox } from '../../admin/index.js';
import { getProfile, initCa, issueCertificate, parseSubject } from '../../signer/index.js';

const D = 'bac-kan.test.gov.vn';
const A = `nguyenvana@${D}`;
const B = `tranthib@${D}`;
const PW = 'mat-khau-hop-thu-2026';
const PIN = '482615';
const SHOTS = process.env.GOVMAIL_SCREENSHOTS ?? '/tmp';

/** A small message as it would arrive over SMTP; `html` may carry what a hostile sender would try. */
function htmlMessage(o: { from: string; to: string; subject: string; html: string; date?: Date; id: string }): Buffer {
  const encoded = (s: string) => `=?UTF-8?B?${Buffer.from(s).toString('base64')}?=`;
  return Buffer.from(
    [
      `From: ${o.from}`,
      `To: ${o.to}`,
      `Subject: ${encoded(o.subject)}`,
      `Date: ${(o.date ?? new Date()).toUTCString()}`,
      `Message-ID: <${o.id}@${D}>`,
      'MIME-Version: 1.0',
      'Content-Type: text/html; charset=utf-8',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from(o.html).toString('base64').replace(/.{76}/g, '$&\r\n'),
      '',
    ].join('\r\n'),
  );
}

/** axe-core's browser bundle (a dev dependency): the accessibility check injects it into each page. */
const axeSource = () => readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

describe('webmail UI in Chromium (real PostgreSQL, Dovecot and the submission pipeline)', function () {
  this.timeout(120_000);
  let env: WebmailEnv;
  let browser: Browser;
  let contextA: BrowserContext;
  let contextB: BrowserContext;
  let page: Page;
  let pageB: Page;
  let base: string;
  const problems: string[] = [];
  const refusals: string[] = [];

  function watch(p: Page): void {
    p.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && problems.push(m.text()));
    p.on('pageerror', (e) => problems.push(e.message));
    p.on('response', (r) => r.status() >= 400 && refusals.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`));
    p.on('request', (r) => !r.url().startsWith(base) && !r.url().startsWith('data:') && !r.url().startsWith('about:') && problems.push(`request left the origin: ${r.url()}`));
  }

  async function signIn(p: Page, address: string): Promise<void> {
    await p.goto(`${base}/webmail/`);
    await p.getByLabel('Địa chỉ thư').fill(address);
    await p.getByLabel('Mật khẩu').fill(PW);
    await p.getByRole('button', { name: 'Đăng nhập' }).click();
    await p.getByRole('navigation', { name: 'Thư mục' }).waitFor();
  }

  const row = (p: Page, text: string) => p.getByRole('row').filter({ hasText: text });

  before(async () => {
    ensureUiBuilt('webmail');
    env = await startWebmailEnv(); // PostgreSQL, Dovecot, smtp's submission pipeline and the HTTP app
    await addDomain(env.db, D);
    await addMailbox(env.db, { address: A, displayName: 'Nguyễn Văn A', password: PW }, { defaultQuota: '1G' });
    await addMailbox(env.db, { address: B, displayName: 'Trần Thị B', password: PW }, { defaultQuota: '1G' });
    // A holds a signing certificate whose key the server keeps (remote signing with a PIN).
    await initCa(env.db, env.kek, { organization: 'UBND tỉnh Bắc Kạn', algorithm: 'p-256', pkiUrl: 'http://127.0.0.1:9/pki', actor: 'test' });
    const profile = getProfile('individual');
    const subject = parseSubject({ commonName: 'Nguyễn Văn A', organization: 'Sở Nội vụ tỉnh Bắc Kạn', title: 'Chuyên viên', email: A, cccd: '006090001234' }, profile);
    await issueCertificate(env.db, env.kek, { profile, subject, key: { kind: 'server', pin: PIN, algorithm: 'p-256' }, pkiUrl: 'http://127.0.0.1:9/pki', actor: 'test' });
    const deliver = (raw: Buffer) => env.lmtp.deliver({ from: `vanphong@${D}`, to: [A], raw });
    // The oldest: an outsider on a look-alike domain, whose display name claims a government address.
    await deliver(
      htmlMessage({
        id: 'gia-mao',
        from: `"Cổng dịch vụ công <hotro@dichvucong.gov.vn>" <hotro@dichvucong-gov.vn.example.com>`,
        to: A,
        subject: 'Xác nhận tài khoản dịch vụ công',
        date: new Date(Date.now() - 86400_000),
        html: '<p>Vui lòng xác nhận tài khoản của bạn.</p><img src="https://anh.example.com/logo.png" alt="logo">',
      }),
    );
    await deliver(
      htmlMessage({
        id: 'giay-moi',
        from: `"Văn phòng UBND tỉnh" <vanphong@${D}>`,
        to: `"Nguyễn Văn A" <${A}>`,
        subject: 'Giấy mời họp giao ban tháng 12',
        date: new Date(Date.now() - 3600_000),
        html:
          '<p>Kính gửi đồng chí Nguyễn Văn A,</p><p>Trân trọng kính mời đồng chí dự họp giao ban lúc 8 giờ ngày 15/12.</p>' +
          // What a hostile message tries: none of it may run, in the page or in the frame.
          '<script>parent.postMessage("ran-script", "*")</script><img src="x" onerror="parent.postMessage(\'ran-onerror\', \'*\')">',
      }),
    );
    await deliver(htmlMessage({ id: 'bao-cao', from: `"Sở Tài chính" <sotaichinh@${D}>`, to: A, subject: 'Báo cáo quyết toán ngân sách năm 2025', date: new Date(Date.now() - 7200_000), html: '<p>Số liệu quyết toán đính kèm.</p>' }));
    await deliver(htmlMessage({ id: 'quang-cao', from: `"Khuyến mãi" <khuyenmai@${D}>`, to: A, subject: 'Ưu đãi cuối năm', date: new Date(Date.now() - 10800_000), html: '<p>Mua ngay!</p>' }));

    await env.app.listen({ host: '127.0.0.1', port: env.config.httpPort });
    base = `http://127.0.0.1:${env.config.httpPort}`;
    browser = await launchChromium();
    contextA = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    contextB = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await contextA.newPage();
    pageB = await contextB.newPage();
    for (const p of [page, pageB]) {
      p.setDefaultTimeout(15_000);
      watch(p);
    }
    await page.addInitScript(() => window.addEventListener('message', (e) => ((window as any).__framePosts ??= []).push(String(e.data))));
  });
  after(async () => {
    await browser?.close();
    await env?.stop();
  });

  it('refuses a wrong password, then signs in (Vietnamese labels) and lists the inbox with its unread count', async () => {
    await page.goto(`${base}/webmail/`);
    await page.getByLabel('Địa chỉ thư').fill(A);
    await page.getByLabel('Mật khẩu').fill('sai-mat-khau');
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    await page.getByTestId('login-error').waitFor();
    assert.match(await page.getByTestId('login-error').innerText(), /Sai địa chỉ hoặc mật khẩu/);
    await page.getByLabel('Mật khẩu').fill(PW);
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    await row(page, 'Giấy mời họp giao ban tháng 12').waitFor();
    const inbox = page.getByRole('navigation', { name: 'Thư mục' }).getByRole('button', { name: /Hộp thư đến/ });
    assert.match(await inbox.innerText(), /4/);
    assert.equal(await inbox.getAttribute('aria-current'), 'page');
    for (const name of ['Thư nháp', 'Đã gửi', 'Thùng rác', 'Thư rác']) await page.getByRole('navigation', { name: 'Thư mục' }).getByRole('button', { name }).waitFor();
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Hộp thư đến');
    await page.screenshot({ path: `${SHOTS}/webmail-inbox.png` });
  });

  it('opens a message: body in a sandbox without scripts, sender address shown as text, nothing in it runs', async () => {
    await page.getByRole('link', { name: /Giấy mời họp giao ban tháng 12/ }).click();
    const frame = page.getByTestId('message-frame');
    await frame.waitFor();
    const sandbox = (await frame.getAttribute('sandbox')) ?? '';
    assert.deepEqual(sandbox.split(/\s+/).sort(), ['allow-popups', 'allow-popups-to-escape-sandbox']);
    assert.equal(await frame.getAttribute('src'), null);
    await page.frameLocator('[data-testid="message-frame"]').getByText('Trân trọng kính mời đồng chí dự họp giao ban').waitFor();
    assert.equal(await page.getByTestId('message-subject').innerText(), 'Giấy mời họp giao ban tháng 12');
    assert.match(await page.locator('.header-fields').innerText(), /Văn phòng UBND tỉnh <vanphong@bac-kan\.test\.gov\.vn>/);
    await page.waitForTimeout(300);
    assert.deepEqual(await page.evaluate(() => (window as any).__framePosts ?? []), []);
    await page.screenshot({ path: `${SHOTS}/webmail-message.png` });
    // Opening it marked it read: the inbox count drops to 3.
    await page.getByRole('navigation', { name: 'Thư mục' }).getByRole('button', { name: /Hộp thư đến.*3/ }).waitFor();
    await page.getByRole('button', { name: /Về danh sách/ }).click();
    await row(page, 'Báo cáo quyết toán').waitFor();
  });

  it('warns about an outside sender on a look-alike domain, shows the real address and blocks remote images', async () => {
    await page.getByRole('link', { name: 'Xác nhận tài khoản dịch vụ công' }).click();
    await page.frameLocator('[data-testid="message-frame"]').getByText('Vui lòng xác nhận tài khoản').waitFor();
    for (const code of ['external-sender', 'lookalike-domain', 'display-name-spoof']) await page.locator(`[data-warning="${code}"]`).waitFor();
    assert.match(await page.locator('[data-warning="lookalike-domain"]').innerText(), /dichvucong-gov\.vn\.example\.com/);
    assert.match(await page.locator('.header-fields').innerText(), /<hotro@dichvucong-gov\.vn\.example\.com>/);
    assert.match(await page.getByTestId('images-blocked').innerText(), /Đã chặn 1 ảnh/);
    await page.getByTestId('images-blocked').getByRole('button', { name: 'Hiện ảnh' }).waitFor();
    await page.screenshot({ path: `${SHOTS}/webmail-warning.png` });
    await page.getByRole('button', { name: /Về danh sách/ }).click();
  });

  it('searches by subject and by sender, then clears the search', async () => {
    await page.getByRole('searchbox', { name: 'Tìm kiếm' }).fill('quyết toán');
    await page.getByRole('searchbox', { name: 'Tìm kiếm' }).press('Enter');
    await page.getByRole('heading', { name: /Kết quả tìm kiếm/ }).waitFor();
    await row(page, 'Báo cáo quyết toán ngân sách năm 2025').waitFor();
    await row(page, 'Giấy mời họp').waitFor({ state: 'detached' });

    await page.getByRole('button', { name: 'Tìm kiếm nâng cao' }).click();
    const dialog = page.getByRole('dialog', { name: 'Tìm kiếm nâng cao' });
    await dialog.getByLabel('Người gửi').fill('khuyenmai');
    await dialog.getByRole('button', { name: 'Tìm kiếm' }).click();
    await row(page, 'Ưu đãi cuối năm').waitFor();
    await row(page, 'Báo cáo quyết toán').waitFor({ state: 'detached' });

    await page.getByRole('button', { name: 'Xóa điều kiện tìm' }).first().click();
    await row(page, 'Giấy mời họp giao ban tháng 12').waitFor();
    assert.equal(await page.locator('tbody tr.ant-table-row').count(), 4);
    assert.equal(await page.getByRole('searchbox', { name: 'Tìm kiếm' }).inputValue(), '');
  });

  it('stars a message, and deletes one to Trash with the # key', async () => {
    await row(page, 'Báo cáo quyết toán').getByRole('button', { name: 'Gắn sao' }).click();
    await row(page, 'Báo cáo quyết toán').getByRole('button', { name: 'Gắn sao', pressed: true }).waitFor();
    await row(page, 'Ưu đãi cuối năm').getByRole('checkbox').check();
    await page.keyboard.press('#');
    await page.getByText('Đã chuyển vào Thùng rác').waitFor();
    await row(page, 'Ưu đãi cuối năm').waitFor({ state: 'detached' });
    await page.getByRole('navigation', { name: 'Thư mục' }).getByRole('button', { name: 'Thùng rác' }).click();
    await row(page, 'Ưu đãi cuối năm').waitFor();
    await page.getByRole('navigation', { name: 'Thư mục' }).getByRole('button', { name: /Hộp thư đến/ }).click();
    await row(page, 'Báo cáo quyết toán').getByRole('button', { name: 'Gắn sao', pressed: true }).waitFor();
  });

  it('composes with an attachment and sends it to another mailbox, where it arrives', async () => {
    await page.keyboard.press('c');
    await page.getByRole('heading', { name: 'Thư mới' }).waitFor();
    const to = page.getByLabel('Người nhận');
    await to.fill(B);
    await to.press('Enter');
    await page.getByLabel('Tiêu đề').fill('Kế hoạch công tác quý I/2026');
    await page.getByTestId('editor').click();
    await page.keyboard.type('Gửi chị kế hoạch công tác quý I, đề nghị chị cho ý kiến.');
    await page.getByTestId('attach-input').setInputFiles({ name: 'ke-hoach-quy-1.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n% kế hoạch\n%%EOF\n') });
    await page.locator('[data-testid="upload"][data-status="done"]').waitFor();
    await page.getByTestId('draft-status').filter({ hasText: 'Đã lưu nháp' }).waitFor({ timeout: 15_000 });
    await page.screenshot({ path: `${SHOTS}/webmail-compose.png` });
    await page.getByTestId('send').click();
    await page.getByText('Đã gửi thư').waitFor();

    await signIn(pageB, B);
    await row(pageB, 'Kế hoạch công tác quý I/2026').waitFor({ timeout: 20_000 });
    await pageB.getByRole('link', { name: /Kế hoạch công tác quý I\/2026/ }).click();
    await pageB.frameLocator('[data-testid="message-frame"]').getByText('đề nghị chị cho ý kiến').waitFor();
    assert.match(await pageB.getByTestId('attachment').innerText(), /ke-hoach-quy-1\.pdf/);
    assert.match(await pageB.locator('.header-fields').innerText(), /Nguyễn Văn A <nguyenvana@bac-kan\.test\.gov\.vn>/);
  });

  it('replies with the original quoted, and the reply reaches the first mailbox without a reload', async () => {
    await pageB.keyboard.press('r');
    await pageB.getByRole('heading', { name: 'Re: Kế hoạch công tác quý I/2026' }).waitFor();
    const editor = pageB.getByTestId('editor');
    await pageB.locator('.editor-area blockquote').filter({ hasText: 'đề nghị chị cho ý kiến' }).waitFor();
    assert.match(await editor.innerText(), /Nguyễn Văn A <nguyenvana@bac-kan\.test\.gov\.vn> đã viết:/);
    await editor.click({ position: { x: 10, y: 10 } });
    await pageB.keyboard.press('Control+Home');
    await pageB.keyboard.type('Tôi nhất trí với kế hoạch.');
    await pageB.getByTestId('send').click();
    await pageB.getByText('Đã gửi thư').waitFor();

    // The first user's inbox is open: the server's event brings the reply in.
    await row(page, 'Re: Kế hoạch công tác quý I/2026').waitFor({ timeout: 20_000 });
    await page.getByRole('link', { name: /Re: Kế hoạch công tác/ }).click();
    const body = page.frameLocator('[data-testid="message-frame"]');
    await body.getByText('Tôi nhất trí với kế hoạch.').waitFor();
    await body.getByText('đề nghị chị cho ý kiến').waitFor();
  });

  it('forwards a message with its original attachment, which arrives with it', async () => {
    await pageB.getByRole('navigation', { name: 'Thư mục' }).getByRole('button', { name: /Hộp thư đến/ }).click();
    await pageB.getByRole('link', { name: /^Kế hoạch công tác quý I\/2026/ }).first().click();
    await pageB.getByTestId('message-subject').filter({ hasText: /^Kế hoạch công tác quý I\/2026$/ }).waitFor();
    await pageB.keyboard.press('f');
    await pageB.getByRole('heading', { name: 'Fwd: Kế hoạch công tác quý I/2026' }).waitFor();
    await pageB.locator('[data-testid="upload"][data-status="done"]').filter({ hasText: 'ke-hoach-quy-1.pdf' }).waitFor();
    const to = pageB.getByLabel('Người nhận');
    await to.fill(A);
    await to.press('Enter');
    await pageB.getByTestId('send').click();
    await pageB.getByText('Đã gửi thư').waitFor();

    await page.getByRole('navigation', { name: 'Thư mục' }).getByRole('button', { name: /Hộp thư đến/ }).click();
    await row(page, 'Fwd: Kế hoạch công tác quý I/2026').waitFor({ timeout: 20_000 });
    await page.getByRole('link', { name: /Fwd: Kế hoạch công tác/ }).click();
    assert.match(await page.getByTestId('attachment').innerText(), /ke-hoach-quy-1\.pdf/);
    await page.frameLocator('[data-testid="message-frame"]').getByText('Thư chuyển tiếp').first().waitFor();
  });

  it('signs a message with the "Ký số" switch and the PIN (a wrong PIN is shown next to the switch); the recipient sees the green badge', async () => {
    await page.keyboard.press('Escape');
    await row(page, 'Giấy mời họp').waitFor();
    await page.keyboard.press('c');
    await page.getByRole('heading', { name: 'Thư mới' }).waitFor();
    const to = page.getByLabel('Người nhận');
    await to.fill(B);
    await to.press('Enter');
    await page.getByLabel('Tiêu đề').fill('Quyết định đã ký số');
    await page.getByTestId('editor').click();
    await page.keyboard.type('Gửi chị quyết định đã ký số.');
    const sw = page.getByRole('switch', { name: 'Ký số' });
    await sw.click();
    await page.getByTestId('send').click();
    const dialog = page.getByRole('dialog', { name: 'Nhập mã PIN để ký số' });
    await dialog.locator('input[type="password"]').fill('000000');
    await dialog.getByRole('button', { name: 'Ký và gửi' }).click();
    await page.getByTestId('sign-error').filter({ hasText: /sai mã PIN: còn 4 lần thử/ }).waitFor();
    await page.getByTestId('send').click();
    await dialog.locator('input[type="password"]').fill(PIN);
    await dialog.getByRole('button', { name: 'Ký và gửi' }).click();
    await page.getByText('Đã gửi thư').waitFor();

    await pageB.keyboard.press('Escape');
    await row(pageB, 'Quyết định đã ký số').waitFor({ timeout: 20_000 });
    await pageB.getByRole('link', { name: /Quyết định đã ký số/ }).click();
    const badge = pageB.locator('.message-header [data-testid="signature-badge"]');
    await badge.waitFor();
    assert.equal(await badge.getAttribute('data-status'), 'valid');
    const text = await badge.innerText();
    assert.match(text, /Đã ký số hợp lệ/);
    assert.match(text, /Người ký: Nguyễn Văn A/);
    assert.match(text, /Chức vụ: Chuyên viên/);
    assert.match(text, /Cơ quan: Sở Nội vụ tỉnh Bắc Kạn/);
    await pageB.screenshot({ path: `${SHOTS}/webmail-signed.png` });
    const link = badge.getByTestId('signature-report');
    assert.equal(await link.getAttribute('target'), '_blank');
    const [report] = await Promise.all([pageB.context().waitForEvent('page'), link.click()]);
    await report.getByText('Hợp lệ').first().waitFor();
    await report.close();
  });

  it('lists the keyboard shortcuts on ?, and j/Enter/k walk through the messages', async () => {
    await page.keyboard.press('Escape'); // back to the list, from wherever the test before left off
    await row(page, 'Giấy mời họp').waitFor();
    await page.keyboard.press('?');
    const help = page.getByRole('dialog', { name: 'Phím tắt' });
    await help.waitFor();
    for (const action of ['Soạn thư mới', 'Trả lời', 'Trả lời tất cả', 'Chuyển tiếp', 'Thư sau', 'Thư trước', 'Xóa (chuyển vào Thùng rác)', 'Tìm kiếm']) await help.getByRole('cell', { name: action, exact: true }).waitFor();
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'hidden' });
    // j moves down the list, Enter opens, k opens the one before.
    const subjects = await page.locator('tbody tr.ant-table-row .subject-link').allInnerTexts();
    await page.keyboard.press('j');
    await page.keyboard.press('Enter');
    await page.getByTestId('message-subject').filter({ hasText: subjects[1] }).waitFor();
    await page.keyboard.press('k');
    await page.getByTestId('message-subject').filter({ hasText: subjects[0] }).waitFor();
  });

  it('fits a phone: compact rows, and the folders in a drawer', async () => {
    await page.setViewportSize({ width: 390, height: 800 });
    await page.keyboard.press('Escape');
    await row(page, 'Giấy mời họp').waitFor();
    assert.equal(await page.getByRole('navigation', { name: 'Thư mục' }).count(), 0);
    await page.getByRole('button', { name: 'Mở danh sách thư mục' }).click();
    await page.getByRole('dialog', { name: 'Thư mục' }).getByRole('button', { name: /Hộp thư đến/ }).waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog', { name: 'Thư mục' }).waitFor({ state: 'hidden' });
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `the page is ${width}px wide on a 390px phone`);
    await page.screenshot({ path: `${SHOTS}/webmail-phone.png` });
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('has no axe-core violations on the inbox, a message, compose, settings and the sign-in page', async () => {
    const axe = axeSource();
    const check = async (p: Page, what: string) => {
      // Colours are judged at rest: a button still fading from its disabled grey (antd's 0.2 s
      // transitions) once failed color-contrast. Finish every running transition first.
      await p.evaluate(() => document.getAnimations().forEach((a) => {
        try {
          a.finish();
        } catch {
          // an endless animation (a spinner) cannot finish; it is not a colour change
        }
      }));
      await p.evaluate(axe); // through the debugger protocol, so the page's CSP does not apply
      const violations = await p.evaluate(async () => {
        const r = await (window as any).axe.run(document, { iframes: false, runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
        return r.violations.map((v: any) => `${v.id}: ${v.nodes.map((n: any) => n.target.join(' ')).join(', ')}`);
      });
      assert.deepEqual(violations, [], `axe on ${what}`);
    };
    await row(page, 'Giấy mời họp').waitFor();
    await check(page, 'the inbox');
    await page.getByRole('link', { name: /Giấy mời họp/ }).click();
    await page.getByTestId('message-frame').waitFor();
    await check(page, 'a message');
    await page.keyboard.press('c');
    await page.getByTestId('editor').waitFor();
    await check(page, 'compose');
    await page.getByRole('button', { name: 'Hủy bỏ' }).click();
    await page.getByTestId('user-menu').click();
    await page.getByRole('menuitem', { name: 'Cài đặt' }).click();
    await page.getByRole('heading', { name: 'Cài đặt' }).waitFor();
    // The Sieve cards fill in once ManageSieve answered: check the page as it is used.
    await page.locator('form#vacation[aria-busy="false"]').waitFor();
    await page.locator('form#filters[aria-busy="false"]').waitFor();
    await check(page, 'settings');
    const fresh = await browser.newPage();
    await fresh.goto(`${base}/webmail/`);
    await fresh.getByLabel('Mật khẩu').waitFor();
    await check(fresh, 'sign-in');
    await fresh.close();
  });

  it('ran no error, made no request outside the origin, and was refused only where expected', () => {
    assert.deepEqual(problems, []);
    const unexpected = refusals.filter(
      (r) =>
        r !== '401 GET /webmail/api/session' && // not signed in yet
        r !== '401 POST /webmail/api/login' && // the wrong password
        r !== '403 POST /webmail/api/send' && // the wrong PIN
        !/^404 GET \/webmail\/api\/sessions$/.test(r), // a server without the sessions list
    );
    assert.deepEqual(unexpected, []);
    assert.ok(refusals.includes('401 POST /webmail/api/login'));
  });
});
