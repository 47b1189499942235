import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import type { Sequelize } from 'sequelize';
import { addAgency, addDomain, addMailbox, grantRole } from '../../admin/index.js';
import { buildHttpApp, type HttpServices } from '../../cli/http.js';
import { allMigrations } from '../../cli/migrations.js';
import { loadConfig, type Config } from '../../core/config.js';
import { ensureUiBuilt, launchChromium } from './browser.js';
import { freePort, freshDatabase, testDataDir } from './postgres.js';

export const ADMIN = { address: 'quantri@bac-kan.gov.vn', password: 'mat-khau-quan-tri-2026' };

/**
 * The admin console in Chromium against the one Fastify app `govmail start` builds, on a fresh database
 * with a province agency and its superadmin (ADMIN). `problems` collects console errors, page errors
 * and requests leaving the origin; `refusals` every answer ≥ 400, for the test to compare with what it expects.
 */
export interface AdminUi {
  db: Sequelize;
  app: FastifyInstance;
  browser: Browser;
  page: Page;
  base: string;
  problems: string[];
  refusals: string[];
  close(): Promise<void>;
}

export async function startAdminUi(o: { config?: Partial<Record<keyof Config, unknown>>; services?: HttpServices } = {}): Promise<AdminUi> {
  ensureUiBuilt('admin');
  const { db } = await freshDatabase(allMigrations());
  await addDomain(db, 'bac-kan.gov.vn');
  await addAgency(db, { code: 'T', name: 'UBND tỉnh Bắc Kạn', level: 'province', domain: 'bac-kan.gov.vn' });
  const agencyId = ((await db.query(`SELECT id FROM agencies WHERE code = 'T'`))[0][0] as any).id;
  await addMailbox(db, { address: ADMIN.address, displayName: 'Quản trị tỉnh', password: ADMIN.password, agencyId }, { defaultQuota: '1G' });
  await grantRole(db, ADMIN.address, 'superadmin', null);
  const port = await freePort();
  const app = await buildHttpApp(loadConfig({ httpPort: port, dataDir: testDataDir('govmail-ui-'), ...o.config }, {}), db, o.services);
  await app.listen({ host: '127.0.0.1', port });
  const base = `http://127.0.0.1:${port}`;
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const problems: string[] = [];
  const refusals: string[] = [];
  page.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && problems.push(m.text()));
  page.on('response', (r) => r.status() >= 400 && refusals.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`));
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('request', (r) => !r.url().startsWith(base) && problems.push(`request left the origin: ${r.url()}`));
  return {
    db, app, browser, page, base, problems, refusals,
    async close() {
      await browser.close();
      await app.close();
      await db.close();
    },
  };
}
