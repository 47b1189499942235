// Compose in Chromium: attach a PDF, tick "Ký tệp PDF này", send with the PIN (a wrong one first);
// the recipient sees a green badge on the PDF attachment. Real PostgreSQL, Dovecot, the submission
// pipeline, our CA and TSA, the built webmail bundle.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { simpleParser } from 'mailparser';
import { addAgency, addDomain, addMailbox } from '../../admin/index.js';
import { getProfile, initCa, issueCertificate, parseSubject, saveStampImage } from '../../signer/index.js';
import { ensureUiBuilt, launchChromium } from '../support/browser.js';
import { makeTestPdf } from '../support/pdf-fixtures.js';
import { imapAs, startWebmailEnv, type WebmailEnv } from '../support/webmail.js';

const D = 'cao-bang.test.gov.vn';
const A = `phogiamdoc@${D}`;
const B = `vanthu@${D}`;
const PW = 'mat-khau-hop-thu-2026';
const PIN = '592653';
const SHOTS = process.env.GOVMAIL_SCREENSHOTS ?? '/tmp';

describe('webmail UI: signing an attached PDF at send time (Chromium)', function () {
  this.timeout(180_000);
  let env: WebmailEnv;
  let browser: Browser;
  let page: Page;
  let pageB: Page;
  let base: string;
  const problems: string[] = [];

  async function signIn(p: Page, address: string): Promise<void> {
    await p.goto(`${base}/webmail/`);
    await p.getByLabel('Địa chỉ thư').fill(address);
    await p.getByLabel('Mật khẩu').fill(PW);
    await p.getByRole('button', { name: 'Đăng nhập' }).click();
    await p.getByRole('navigation', { name: 'Thư mục' }).waitFor();
  }

  before(async () => {
    ensureUiBuilt('webmail');
    env = await startWebmailEnv();
    await addDomain(env.db, D);
    const agency = await addAgency(env.db, { code: 'SNV-CB', name: 'Sở Nội vụ tỉnh Cao Bằng', level: 'province' });
    await addMailbox(env.db, { address: A, displayName: 'Hoàng Văn Dũng', password: PW, agencyId: agency.id, position: 'Phó Giám đốc' }, { defaultQuota: '1G' });
    await addMailbox(env.db, { address: B, displayName: 'Văn thư', password: PW, agencyId: agency.id }, { defaultQuota: '1G' });
    const pkiUrl = `http://127.0.0.1:${env.config.httpPort}/pki`;
    await initCa(env.db, env.kek, { organization: 'UBND tỉnh Cao Bằng', algorithm: 'p-256', pkiUrl, actor: 'test' });
    const profile = getProfile('individual');
    const subject = parseSubject({ commonName: 'Hoàng Văn Dũng', organization: 'Sở Nội vụ tỉnh Cao Bằng', title: 'Phó Giám đốc', email: A, cccd: '004080001234' }, profile);
    await issueCertificate(env.db, env.kek, { profile, subject, key: { kind: 'server', pin: PIN, algorithm: 'p-256' }, pkiUrl, actor: 'test' });
    await saveStampImage(env.dataDir, 'signature', A, new Uint8Array(readFileSync('certs/stamps/mau-chu-ky.png')));

    await env.app.listen({ host: '127.0.0.1', port: env.config.httpPort });
    base = `http://127.0.0.1:${env.config.httpPort}`;
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    pageB = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    for (const p of [page, pageB]) {
      p.setDefaultTimeout(20_000);
      p.on('pageerror', (e) => problems.push(e.message));
      p.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && problems.push(m.text()));
    }
    // The recipient is signed in before anything is delivered, so its mailbox exists by then.
    await signIn(pageB, B);
  });

  after(async () => {
    await browser?.close();
    await env?.stop();
  });

  it('offers "Ký tệp PDF này" under an attached PDF only (not under other files), with the stamps a person\'s certificate can make', async () => {
    await signIn(page, A);
    await page.keyboard.press('c');
    await page.getByRole('heading', { name: 'Thư mới' }).waitFor();
    const to = page.getByLabel('Người nhận');
    await to.fill(B);
    await to.press('Enter');
    await page.getByLabel('Tiêu đề').fill('Quyết định số 15/QĐ-SNV đã ký số');
    await page.getByTestId('editor').click();
    await page.keyboard.type('Gửi Văn thư quyết định đã ký số để phát hành.');
    await page.getByTestId('attach-input').setInputFiles([
      { name: 'Quyết định 15.pdf', mimeType: 'application/pdf', buffer: Buffer.from(await makeTestPdf({ pages: 2 })) },
      { name: 'ghi-chu.txt', mimeType: 'text/plain', buffer: Buffer.from('Ghi chú') },
    ]);
    await page.locator('[data-testid="upload"][data-status="done"]').nth(1).waitFor();
    const pdfRow = page.getByTestId('upload').filter({ hasText: 'Quyết định 15.pdf' });
    const txtRow = page.getByTestId('upload').filter({ hasText: 'ghi-chu.txt' });
    await pdfRow.getByTestId('pdf-sign-check').waitFor();
    assert.equal(await txtRow.getByTestId('pdf-sign-check').count(), 0, 'no signing option for a text file');

    await pdfRow.getByRole('checkbox', { name: 'Ký tệp PDF Quyết định 15.pdf' }).check();
    const stamp = pdfRow.getByTestId('pdf-sign-stamp');
    await stamp.waitFor();
    assert.match(await stamp.innerText(), /Cá nhân/);
    await stamp.click();
    // The dropdown opens (and animates) after the click returns: read its options until they are all there.
    const open = page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option');
    let options: string[] = [];
    for (let i = 0; i < 50; i++) {
      options = (await open.allInnerTexts()).map((o) => o.trim()).filter(Boolean);
      if (options.length >= 3) break;
      await page.waitForTimeout(100);
    }
    assert.deepEqual(options, ['Không hiển thị', 'Cá nhân (chức vụ, chữ ký, họ tên)', 'Bản sao (góc trên bên phải trang 1)'], 'no seal with a person\'s certificate');
    await page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: 'Cá nhân' }).click();
    await page.screenshot({ path: `${SHOTS}/webmail-sign-pdf-compose.png` });
  });

  it('a wrong PIN sends nothing and shows the attempts left; the right PIN sends the signed PDF', async () => {
    await page.getByTestId('send').click();
    const dialog = page.getByRole('dialog', { name: 'Nhập mã PIN để ký số' });
    await dialog.locator('input[type="password"]').fill('000000');
    await dialog.getByRole('button', { name: 'Ký và gửi' }).click();
    await page.getByTestId('sign-error').filter({ hasText: /sai mã PIN: còn 4 lần thử/ }).waitFor();
    await page.getByTestId('send').click();
    await dialog.locator('input[type="password"]').fill(PIN);
    await dialog.getByRole('button', { name: 'Ký và gửi' }).click();
    await page.getByText('Đã gửi thư').waitFor({ timeout: 30_000 });

    // Sent holds the signed PDF, and the message itself was not signed (the S/MIME switch stayed off).
    const imap = await imapAs(env, A);
    try {
      await imap.mailboxOpen('Sent');
      const msg = await imap.fetchOne('*', { source: true });
      const parsed = await simpleParser(msg && msg.source ? msg.source : Buffer.alloc(0));
      assert.doesNotMatch(String(parsed.headers.get('content-type') && (parsed.headers.get('content-type') as { value: string }).value), /multipart\/signed/);
      const pdf = parsed.attachments.find((x) => x.filename === 'Quyết định 15.pdf');
      assert.ok(pdf && pdf.content.includes('/ByteRange'), 'the signed PDF is in Sent');
    } finally {
      await imap.logout();
    }
  });

  it('the recipient sees a green "valid" badge on the PDF attachment with the signer and position', async () => {
    const row = pageB.getByRole('row').filter({ hasText: 'Quyết định số 15/QĐ-SNV đã ký số' });
    await row.waitFor({ timeout: 30_000 });
    await pageB.getByRole('link', { name: /Quyết định số 15\/QĐ-SNV đã ký số/ }).click();
    const attachment = pageB.getByTestId('attachment').filter({ hasText: 'Quyết định 15.pdf' });
    const badge = attachment.getByTestId('signature-badge');
    await badge.waitFor({ timeout: 30_000 });
    assert.equal(await badge.getAttribute('data-status'), 'valid');
    const text = await badge.innerText();
    assert.match(text, /Đã ký số hợp lệ/);
    assert.match(text, /Người ký: Hoàng Văn Dũng/);
    assert.match(text, /Chức vụ: Phó Giám đốc/);
    // Green: antd's success tag.
    const tag = badge.locator('.signature-tag');
    assert.match((await tag.getAttribute('class')) ?? '', /ant-tag-success/);
    const colour = await tag.evaluate((el) => getComputedStyle(el).color);
    const [r, g, b] = (colour.match(/\d+/g) ?? []).map(Number);
    assert.ok(g! > r! && g! > b!, `a green label (${colour})`);
    assert.equal(await pageB.getByTestId('attachment').filter({ hasText: 'ghi-chu.txt' }).getByTestId('signature-badge').count(), 0);
    await pageB.screenshot({ path: `${SHOTS}/webmail-sign-pdf-badge.png` });
    assert.deepEqual(problems, []);
  });
});
