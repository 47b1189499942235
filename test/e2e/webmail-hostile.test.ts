// The hostile-mail corpus (281 messages) end to end: delivered over LMTP to one mailbox of the real app
// (PostgreSQL, Dovecot, the HTTP app), each message opened through the webmail UI in Chromium, and every
// frame watched for script, requests off the origin, form submissions and navigation (corpus README,
// "End-to-end test in Chromium" and "What a passing webmail must show"). A self-test first renders three
// live vectors without the sanitiser and checks that the harness does see them.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import type { Browser, BrowserContext, Frame, Page, Request } from 'playwright-core';
import { startWebmailEnv, imapAs, Browser as ApiClient, type WebmailEnv } from '../support/webmail.js';
import { launchChromium, ensureUiBuilt } from '../support/browser.js';
import { addDomain, addMailbox } from '../../admin/index.js';
import { HOSTILE_DIR, haveHostileCorpus, hostileVectors, type HostileVector } from '../support/hostile-mail.js';

const DIR = HOSTILE_DIR;
const haveData = haveHostileCorpus;
const vectors = hostileVectors;
type Vector = HostileVector;

const D = 'hostile.test.gov.vn';
const VICTIM = `victim@${D}`;
const PW = 'mat-khau-hop-thu-2026';
/** The list's page size in the UI (webmail/ui/src/useMessageList.ts PAGE_SIZE). */
const PAGE_SIZE = 50;
/** Vectors whose markup could act on a timer (SVG animation, refresh, marquee): these get the full wait. */
const TIMED = /<(svg|animate|set|meta|marquee|math)\b|refresh|begin\s*=|dur\s*=/i;

/** One thing the harness saw, against the vector that was open at the time. */
interface Finding {
  vector: string;
  kind: 'script' | 'dialog' | 'request' | 'submission' | 'navigation' | 'popup' | 'popup-request';
  detail: string;
}

/**
 * Runs in every frame before anything of the page: records anything a message manages to run. A string,
 * not a function, so that no transpiler helper ends up in the serialised source.
 */
const HARNESS_INIT_SCRIPT = `(() => {
  const w = window;
  const report = (kind, detail) => {
    try { w.__hostileReport && w.__hostileReport({ kind, detail: String(detail).slice(0, 300), url: String(location.href).slice(0, 200) }); } catch (e) {}
  };
  try { Object.defineProperty(w, '__pwned', { value: (id) => report('__pwned', id), writable: false, configurable: false }); }
  catch (e) { w.__pwned = (id) => report('__pwned', id); }
  for (const name of ['alert', 'confirm', 'prompt', 'print']) {
    try { w[name] = (...args) => { report(name, args[0]); return name === 'confirm' ? false : name === 'prompt' ? null : undefined; }; } catch (e) {}
  }
  try {
    document.write = (...args) => report('document.write', args.join(''));
    document.writeln = (...args) => report('document.writeln', args.join(''));
  } catch (e) {}
  let seenTitle = '';
  const checkTitle = () => {
    const title = document.title || '';
    if (title.includes('PWNED-') && title !== seenTitle) { seenTitle = title; report('title', title); }
  };
  setInterval(checkTitle, 100);
  const observe = () => { try { new MutationObserver(checkTitle).observe(document, { subtree: true, childList: true, characterData: true }); } catch (e) {} };
  if (document.documentElement) observe(); else document.addEventListener('readystatechange', observe, { once: true });
})();`;

/** The message's HTML part (for the self-test, which renders it without any sanitiser). */
async function rawHtmlPart(file: string): Promise<string> {
  const parsed = await simpleParser(readFileSync(path.join(DIR, file)));
  assert.ok(typeof parsed.html === 'string' && parsed.html.length > 0, `${file} has an HTML part`);
  return parsed.html;
}

/** The raw source with quoted-printable undone well enough for a regex look at its markup. */
function looseSource(file: string): string {
  return readFileSync(path.join(DIR, file), 'latin1')
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

describe('webmail against the hostile-mail corpus in Chromium (real PostgreSQL, Dovecot, UI)', function () {
  this.timeout(120_000);
  let env: WebmailEnv;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let base = '';
  /** The vector whose effects are being recorded; '' between vectors. */
  let current = '';
  const findings: Finding[] = [];
  const ownPages = new Set<Page>();
  const uidOf = new Map<string, number>();
  const listPageOf = new Map<number, number>();

  const note = (kind: Finding['kind'], detail: string) => findings.push({ vector: current || '(between vectors)', kind, detail });
  const isOwnPage = (p: Page | undefined) => p !== undefined && ownPages.has(p);
  const pageOf = (r: Request): Page | undefined => {
    try {
      return r.frame().page();
    } catch {
      return undefined; // a service worker or a request whose frame is gone
    }
  };

  function watchPage(p: Page): void {
    p.on('dialog', (d) => {
      if (isOwnPage(p)) note('dialog', `${d.type()}: ${d.message().slice(0, 200)}`);
      else note('popup', `dialog in a popup: ${d.type()}: ${d.message().slice(0, 200)}`);
      void d.dismiss().catch(() => {});
    });
    p.on('framenavigated', (f: Frame) => {
      const url = f.url();
      if (f === p.mainFrame()) {
        if (!isOwnPage(p)) {
          if (/^(javascript|data|vbscript):/i.test(url)) note('popup', `popup navigated to ${url.slice(0, 200)}`);
          return;
        }
        if (p !== page) return; // the self-test and attachment pages navigate where the test sends them
        let ok = false;
        try {
          const u = new URL(url);
          ok = u.origin === base && u.pathname.startsWith('/webmail/');
        } catch {
          /* not a URL */
        }
        if (!ok) note('navigation', `main frame navigated to ${url.slice(0, 200)}`);
        return;
      }
      if (!isOwnPage(p) || url === 'about:srcdoc' || url === 'about:blank' || url.startsWith(`blob:${base}/`)) return;
      note('navigation', `frame navigated to ${url.slice(0, 200)}`);
    });
  }

  before(async function () {
    this.timeout(300_000);
    assert.ok(haveData, `the hostile-mail corpus is missing (looked in ${DIR})`);
    assert.equal(vectors.length, 281, 'index.json lists 281 vectors');
    assert.equal(readdirSync(DIR).filter((f) => f.endsWith('.eml')).length, 281, '281 .eml files');
    ensureUiBuilt('webmail');
    env = await startWebmailEnv();
    await addDomain(env.db, D);
    await addMailbox(env.db, { address: VICTIM, displayName: 'Nạn nhân', password: PW }, { defaultQuota: '1G' });
    // The raw bytes as they are, whatever their To: says; the newest (001) first in the list.
    for (const v of [...vectors].reverse()) {
      const res = await env.lmtp.deliver({ from: 'sender@hostile-mail.test', to: [VICTIM], raw: readFileSync(path.join(DIR, v.file)) });
      assert.ok(res.every((r) => r.code >= 200 && r.code < 300), `${v.id} delivered: ${JSON.stringify(res)}`);
    }
    // Which uid holds which vector (by Message-ID), and which page of the list shows it.
    const imap = await imapAs(env, VICTIM);
    try {
      await imap.mailboxOpen('INBOX');
      for await (const m of imap.fetch('1:*', { uid: true, envelope: true })) {
        const id = /^<?([^@>]+)@hostile-mail\.test>?$/.exec(m.envelope?.messageId ?? '')?.[1];
        if (id) uidOf.set(id, m.uid);
      }
    } finally {
      await imap.logout();
    }
    assert.equal(uidOf.size, 281, 'every vector is in the mailbox');
    const api = new ApiClient(env.app);
    assert.equal((await api.login(VICTIM, PW)).statusCode, 200);
    for (let p = 1; p <= Math.ceil(281 / PAGE_SIZE); p++) {
      const res = await api.get(`messages?folder=INBOX&page=${p}&pageSize=${PAGE_SIZE}&sort=date&order=desc`);
      assert.equal(res.statusCode, 200);
      for (const m of res.json().messages as Array<{ uid: number }>) listPageOf.set(m.uid, p);
    }
    assert.equal(listPageOf.size, 281);

    await env.app.listen({ host: '127.0.0.1', port: env.config.httpPort });
    base = `http://127.0.0.1:${env.config.httpPort}`;
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    context.setDefaultTimeout(15_000);
    await context.exposeBinding('__hostileReport', (_source, r: { kind: string; detail: string; url: string }) => {
      note('script', `${r.kind}(${r.detail}) in ${r.url}`);
    });
    await context.addInitScript({ content: HARNESS_INIT_SCRIPT });
    await context.route('**/*', (route) => {
      const req = route.request();
      const url = req.url();
      if (url.startsWith(`${base}/`)) return route.continue();
      if (isOwnPage(pageOf(req))) note('request', `${req.method()} ${url.slice(0, 200)} (${req.resourceType()})`);
      else note('popup-request', url.slice(0, 200));
      return route.abort('blockedbyclient');
    });
    context.on('request', (req) => {
      if (req.method() === 'POST' && !req.url().startsWith(`${base}/webmail/api/`)) note('submission', `POST ${req.url().slice(0, 200)}`);
    });
    context.on('page', (p) => {
      // Every page, the test's own included (they are marked own just after this event).
      watchPage(p);
      // A popup: allowed for an ordinary http(s) link (its request is aborted above and is not a leak).
      const vector = current;
      const check = () => {
        if (!isOwnPage(p) && /^(javascript|data|vbscript):/i.test(p.url())) findings.push({ vector: vector || '(between vectors)', kind: 'popup', detail: `popup at ${p.url().slice(0, 200)}` });
      };
      check();
      setTimeout(() => {
        if (isOwnPage(p)) return;
        check();
        void p.close().catch(() => {});
      }, 300);
    });
    page = await context.newPage();
    ownPages.add(page);

    await page.goto(`${base}/webmail/`);
    await page.getByLabel('Địa chỉ thư').fill(VICTIM);
    await page.getByLabel('Mật khẩu').fill(PW);
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    await page.getByRole('navigation', { name: 'Thư mục' }).waitFor();
    await page.locator('a.subject-link').first().waitFor();
  });

  after(async () => {
    await browser?.close();
    await env?.stop();
  });

  describe('self-test: the harness sees live vectors rendered without the sanitiser', () => {
    const live: Array<{ id: string; expect: 'script' | 'request' }> = [
      { id: '301-remote-img', expect: 'request' },
      { id: '302-img-onerror', expect: 'script' },
      { id: '303-details-ontoggle', expect: 'script' },
    ];
    for (const { id, expect } of live) {
      it(`${id}: seen as ${expect} when unsanitised`, async () => {
        const v = vectors.find((x) => x.id === id);
        assert.ok(v, `${id} is in index.json`);
        assert.ok(v.chromium_raw?.includes(expect), `${id} is live (${expect}) in chromium_raw`);
        const html = await rawHtmlPart(v.file);
        const raw = await context.newPage();
        ownPages.add(raw);
        const at = `${base}/__hostile-selftest/${id}.html`;
        await raw.route(`${base}/__hostile-selftest/**`, (route) =>
          route.request().url() === at ? route.fulfill({ contentType: 'text/html; charset=utf-8', body: html }) : route.fallback(),
        );
        current = `selftest:${id}`;
        const before = findings.length;
        try {
          await raw.goto(at);
          await raw.waitForTimeout(1_500);
        } finally {
          current = '';
          ownPages.delete(raw);
          await raw.close();
        }
        const seen = findings.slice(before).filter((f) => f.vector === `selftest:${id}`);
        if (expect === 'script') assert.ok(seen.some((f) => f.kind === 'script' && f.detail.includes(id)), `no script report for ${id}: ${JSON.stringify(seen)}`);
        else assert.ok(seen.some((f) => f.kind === 'request' && f.detail.includes(`leak.invalid/${id}`)), `no leak request for ${id}: ${JSON.stringify(seen)}`);
      });
    }
  });

  describe('each message, opened in the webmail, runs nothing, loads nothing, submits nothing, navigates nowhere', () => {
    const backButton = () => page.getByRole('button', { name: /Về danh sách/ });

    /** Back on the webmail's list, on the page that shows `uid`; then open it by clicking its row. */
    async function open(v: Vector, uid: number): Promise<void> {
      const url = new URL(page.url());
      if (url.origin !== base || !url.pathname.startsWith('/webmail/')) {
        await page.goto(`${base}/webmail/`);
        await page.locator('a.subject-link').first().waitFor();
      }
      if (await backButton().count()) await backButton().first().click();
      await page.keyboard.press('Escape'); // any modal left open
      const link = page.locator(`a.subject-link[href="#${uid}"]`);
      await page.locator('a.subject-link').first().waitFor();
      if (!(await link.count())) {
        // Not on the first page: find it with the search box by its subject tag ("[hm 051] …"), which
        // also exercises search with hostile subjects in the list.
        const box = page.getByRole('searchbox', { name: 'Tìm kiếm' });
        await box.fill(`[hm ${v.id.slice(0, 3)}]`);
        await box.press('Enter');
        await link.waitFor();
      }
      current = v.id;
      const loaded = page.waitForResponse((r) => new URL(r.url()).pathname === `/webmail/api/messages/INBOX/${uid}` && r.request().method() === 'GET');
      await link.click();
      assert.equal((await loaded).status(), 200, `${v.id}: the message loads`);
      await page.getByTestId('message-subject').waitFor();
    }

    /** Click, hover and tab through everything clickable in the message frame (click errors do not matter). */
    async function interact(frame: Frame): Promise<void> {
      const targets = await frame.$$('a, area, button, input[type=submit], input[type=image], svg a').catch(() => []);
      for (const el of targets.slice(0, 40)) {
        await el.hover({ force: true, timeout: 300 }).catch(() => {});
        await el.click({ force: true, timeout: 300 }).catch(() => {});
      }
      await frame.locator('body').click({ force: true, timeout: 300, position: { x: 2, y: 2 } }).catch(() => {});
      for (let i = 0; i < 4; i++) await page.keyboard.press('Tab').catch(() => {});
    }

    /** Open (download) every attachment, preview the previewable ones, and load each part URL as a page. */
    async function openAttachments(): Promise<void> {
      const items = page.getByTestId('attachment');
      const n = await items.count();
      for (let i = 0; i < n; i++) {
        const item = items.nth(i);
        const preview = item.getByRole('button', { name: /Xem trước/ });
        if (await preview.count()) {
          await preview.click().catch(() => {});
          await page.waitForTimeout(500);
          await page.keyboard.press('Escape');
        }
        const download = item.getByRole('link', { name: /Tải xuống/ });
        const href = await download.getAttribute('href');
        await download.click({ timeout: 2_000 }).catch(() => {});
        if (href) {
          const p = await context.newPage();
          ownPages.add(p);
          await p.goto(new URL(href, base).href, { timeout: 3_000 }).catch(() => {}); // a download, not a page
          await p.waitForTimeout(300);
          ownPages.delete(p);
          await p.close();
        }
      }
    }

    for (const v of vectors) {
      it(v.id, async () => {
        const uid = uidOf.get(v.id);
        assert.ok(uid, `${v.id} was delivered`);
        const before = findings.length;
        const timed = TIMED.test(looseSource(v.file));
        try {
          await open(v, uid);
          await page.waitForTimeout(timed ? 2_000 : 150);
          const handle = await page.$('[data-testid="message-frame"]');
          const frame = await handle?.contentFrame();
          if (frame) await interact(frame);
          if (v.interaction === 'open-attachment') await openAttachments();
          await page.waitForTimeout(timed || v.interaction ? 500 : 300);
          const main = new URL(page.url());
          if (main.origin !== base || !main.pathname.startsWith('/webmail/')) note('navigation', `main frame is at ${page.url().slice(0, 200)}`);
        } finally {
          current = '';
        }
        const mine = findings.slice(before).filter((f) => f.vector === v.id && f.kind !== 'popup-request');
        assert.deepEqual(
          mine.map((f) => `${f.kind}: ${f.detail}`),
          [],
          `${v.id} (${v.class}, raw Chromium: ${JSON.stringify(v.chromium_raw ?? null)}${v.hosts ? `, hosts ${v.hosts.join(' ')}` : ''})`,
        );
      });
    }

    it('saw nothing between vectors either', () => {
      assert.deepEqual(
        findings.filter((f) => f.vector === '(between vectors)' && f.kind !== 'popup-request').map((f) => `${f.kind}: ${f.detail}`),
        [],
      );
    });
  });
});
