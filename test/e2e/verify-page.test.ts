// The public /verify page in Chromium: upload a valid, a tampered and an unknown-issuer PDF and read
// the report (Vietnamese first); the JSON and PDF formats; a 30 MB upload gets a 413 page; nothing
// of an upload is written to the data folder.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import type { Sequelize } from 'sequelize';
import { allMigrations } from '../../cli/migrations.js';
import { buildHttpApp } from '../../cli/http.js';
import { loadConfig } from '../../core/config.js';
import { loadKek } from '../../core/kek.js';
import { loadPkcs12 } from '../../signer/cms/index.js';
import { getProfile, initCa, issueCertificate, localTimestamper, parseSubject } from '../../signer/index.js';
import { signPdf } from '../../signer/pdf/index.js';
import { launchChromium } from '../support/browser.js';
import { TestPki, makeTestPdf } from '../support/pdf-fixtures.js';
import { freePort, freshDatabase, testDataDir } from '../support/postgres.js';

const PASSWORD = 'mat-khau-dai-2026';

/** Every file under `dir` with its size and modification time. */
function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      out.push(`${path.relative(dir, p)} ${st.isDirectory() ? 'dir' : st.size} ${st.mtimeMs}`);
    }
  };
  walk(dir);
  return out.sort();
}

describe('the public /verify page in Chromium', function () {
  this.timeout(180_000);
  const dataDir = testDataDir('govmail-verify-page-');
  const work = testDataDir('govmail-verify-files-');
  let db: Sequelize;
  let app: FastifyInstance;
  let browser: Browser;
  let page: Page;
  let base: string;
  let listedBefore: string[];
  const files: Record<'valid' | 'tampered' | 'foreign', Buffer> = {} as never;
  const problems: string[] = [];

  before(async () => {
    ({ db } = await freshDatabase(allMigrations()));
    const port = await freePort();
    const config = loadConfig({ httpPort: port, dataDir }, {});
    const kek = loadKek(dataDir, {});
    const pkiUrl = `http://127.0.0.1:${port}/pki`;
    await initCa(db, kek, { organization: 'UBND tỉnh Bắc Kạn', province: 'Bắc Kạn', algorithm: 'p-256', pkiUrl, actor: 'test' });
    const issue = async (profile: 'individual' | 'organisation', subject: Record<string, string>) => {
      const p = getProfile(profile);
      const issued = await issueCertificate(db, kek, { profile: p, subject: parseSubject(subject, p), key: { kind: 'p12', password: PASSWORD, algorithm: 'rsa-2048' }, pkiUrl, actor: 'test' });
      return loadPkcs12(issued.p12!, PASSWORD);
    };
    const person = await issue('individual', { commonName: 'Hoàng Thị Lan', organization: 'Sở Tư pháp tỉnh Bắc Kạn', title: 'Chuyên viên', cccd: '006190001234' });
    const agency = await issue('organisation', { commonName: 'Văn phòng UBND tỉnh Bắc Kạn', organization: 'UBND tỉnh Bắc Kạn', mst: '4700123456' });
    const timestamper = localTimestamper(db, kek, { pkiUrl, dataDir });
    let pdf = await makeTestPdf({ pages: 2 });
    for (const id of [person, agency]) pdf = (await signPdf({ pdf, certificate: id.certificate, chain: id.chain, privateKey: id.privateKey, level: 'B-T', timestamper })).pdf;
    files.valid = Buffer.from(pdf);
    files.tampered = Buffer.from(pdf);
    const at = files.tampered.toString('latin1').indexOf('/Title <FEFF') + '/Title <FEFF'.length + 3;
    files.tampered[at] = files.tampered[at] === 0x33 ? 0x34 : 0x33;
    const pki = new TestPki(path.join(work, 'pki'));
    pki.makeCas();
    const stranger = await loadPkcs12(readFileSync(pki.person('la', 'Người Lạ', '001099009999').p12), pki.password);
    files.foreign = Buffer.from((await signPdf({ pdf: await makeTestPdf({ pages: 1 }), certificate: stranger.certificate, chain: stranger.chain, privateKey: stranger.privateKey })).pdf);

    app = await buildHttpApp(config, db);
    await app.listen({ host: '127.0.0.1', port });
    base = `http://127.0.0.1:${port}`;
    // The app is up (the KEK and anything it makes at start exist): from now on nothing may change here.
    listedBefore = listing(dataDir);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('response', (r) => r.status() >= 400 && problems.push(`${r.status()} ${r.url()}`));
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('request', (r) => !r.url().startsWith(base) && problems.push(`request left the origin: ${r.url()}`));
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await db?.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  async function upload(name: string, bytes: Buffer): Promise<{ overall: string; text: string; indications: string[] }> {
    await page.goto(`${base}/verify`);
    await page.getByLabel('Tệp cần kiểm tra').setInputFiles({ name, mimeType: 'application/pdf', buffer: bytes });
    await Promise.all([page.waitForURL(`${base}/verify`), page.getByRole('button', { name: 'Kiểm tra', exact: true }).click()]);
    await page.getByTestId('overall').waitFor();
    return {
      overall: (await page.getByTestId('overall').getAttribute('data-indication'))!,
      text: await page.locator('main').innerText(),
      indications: await page.getByTestId('signature').evaluateAll((els) => els.map((e) => e.getAttribute('data-indication')!)),
    };
  }

  it('GET /verify: the upload form, Vietnamese first with English alongside, under a strict CSP', async () => {
    const res = await page.goto(`${base}/verify`);
    assert.equal(res?.status(), 200);
    assert.match(res!.headers()['content-security-policy']!, /default-src 'self'/);
    assert.equal(await page.locator('html').getAttribute('lang'), 'vi');
    await page.getByRole('heading', { name: /Kiểm tra chữ ký số/ }).waitFor();
    assert.match(await page.locator('main').innerText(), /Signature verification/);
    assert.equal(await page.locator('script').count(), 0, 'a plain page: no script at all');
  });

  it('a valid PDF (two signers, B-T): "Hợp lệ", TOTAL-PASSED for each signature, the signers and the time-stamps', async () => {
    const r = await upload('cong-van-hop-le.pdf', files.valid);
    assert.equal(r.overall, 'TOTAL-PASSED');
    assert.deepEqual(r.indications, ['TOTAL-PASSED', 'TOTAL-PASSED']);
    for (const label of ['Kết quả chung', 'Hợp lệ', 'Người ký', 'Hoàng Thị Lan', 'Văn phòng UBND tỉnh Bắc Kạn', 'Chức danh', 'Chuyên viên', 'Dấu thời gian', 'Bằng chứng thời gian (POE)', 'Tình trạng thu hồi', 'Chưa bị thu hồi', 'Phạm vi ký', 'cong-van-hop-le.pdf']) {
      assert.ok(r.text.includes(label), `${label} in:\n${r.text}`);
    }
  });

  it('a tampered PDF: "Không hợp lệ", TOTAL-FAILED / HASH_FAILURE, "Nội dung đã bị thay đổi sau khi ký"', async () => {
    const r = await upload('cong-van-bi-sua.pdf', files.tampered);
    assert.equal(r.overall, 'TOTAL-FAILED');
    assert.deepEqual(r.indications, ['TOTAL-FAILED', 'TOTAL-FAILED']);
    for (const label of ['Không hợp lệ', 'HASH_FAILURE', 'Nội dung đã bị thay đổi sau khi ký', 'Đã bị thay đổi']) assert.ok(r.text.includes(label), `${label} in:\n${r.text}`);
  });

  it('a PDF from an unknown issuer: "Chưa xác định được", INDETERMINATE / NO_CERTIFICATE_CHAIN_FOUND', async () => {
    const r = await upload('cong-van-la.pdf', files.foreign);
    assert.equal(r.overall, 'INDETERMINATE');
    assert.deepEqual(r.indications, ['INDETERMINATE']);
    for (const label of ['Chưa xác định được', 'NO_CERTIFICATE_CHAIN_FOUND', 'Không tìm thấy chuỗi chứng thư số đến một CA gốc tin cậy', 'Người Lạ']) assert.ok(r.text.includes(label), `${label} in:\n${r.text}`);
  });

  it('?format=json and ?format=pdf (pdftotext reads "Hợp lệ" and TOTAL-PASSED); ?lang=en puts English first', async () => {
    const form = (bytes: Buffer, name: string) => {
      const fd = new FormData();
      fd.append('file', new Blob([new Uint8Array(bytes)], { type: 'application/pdf' }), name);
      return fd;
    };
    const json = await fetch(`${base}/verify?format=json`, { method: 'POST', body: form(files.valid, 'a.pdf') });
    assert.equal(json.status, 200);
    const report = (await json.json()) as { overall: string; signatures: { indication: string; signer: { commonName: string } }[] };
    assert.equal(report.overall, 'TOTAL-PASSED');
    assert.deepEqual(report.signatures.map((s) => s.signer.commonName), ['Hoàng Thị Lan', 'Văn phòng UBND tỉnh Bắc Kạn']);

    const pdf = await fetch(`${base}/verify?format=pdf`, { method: 'POST', body: form(files.valid, 'a.pdf') });
    assert.equal(pdf.status, 200);
    assert.equal(pdf.headers.get('content-type'), 'application/pdf');
    const file = path.join(work, 'report.pdf');
    writeFileSync(file, Buffer.from(await pdf.arrayBuffer()));
    const text = spawnSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' }).stdout.normalize('NFC');
    for (const expected of ['Hợp lệ', 'TOTAL-PASSED', 'Hoàng Thị Lan', 'Kết quả chung / Overall result']) assert.ok(text.includes(expected), `${expected} in:\n${text}`);

    const bad = await fetch(`${base}/verify?format=pdf`, { method: 'POST', body: form(files.tampered, 'b.pdf') });
    writeFileSync(file, Buffer.from(await bad.arrayBuffer()));
    const badText = spawnSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' }).stdout.normalize('NFC');
    assert.ok(badText.includes('Không hợp lệ') && badText.includes('TOTAL-FAILED'), badText);

    const en = await fetch(`${base}/verify?lang=en`, { method: 'POST', body: form(files.valid, 'a.pdf') });
    const html = await en.text();
    assert.match(html, /<html lang="en">/);
    assert.match(html, /<span class="p">Overall result<\/span> <span class="s" lang="vi">Kết quả chung<\/span>/);
  });

  it('a 30 MB upload gets a 413 page, without the file being kept', async () => {
    const big = Buffer.alloc(30 * 1024 * 1024, 0x20);
    files.valid.copy(big);
    const fd = new FormData();
    fd.append('file', new Blob([new Uint8Array(big)], { type: 'application/pdf' }), 'qua-lon.pdf');
    const res = await fetch(`${base}/verify`, { method: 'POST', body: fd });
    assert.equal(res.status, 413);
    const body = await res.text();
    assert.match(body, /Tệp quá lớn: tối đa 25\.0 MB/);
    assert.match(body, /The file is too large/);
    const json = await fetch(`${base}/verify?format=json`, { method: 'POST', body: fd });
    assert.equal(json.status, 413);
    assert.equal(((await json.json()) as { error: string }).error, 'TOO_LARGE');
  });

  it('no upload was written to the data folder, and the pages made no error and no request elsewhere', () => {
    assert.deepEqual(listing(dataDir), listedBefore);
    assert.deepEqual(problems, []);
  });
});
