import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import type { Sequelize } from 'sequelize';
import { freshDatabase, testDataDir } from '../support/postgres.js';
import { allMigrations } from '../../cli/migrations.js';
import { buildHttpApp } from '../../cli/http.js';
import { loadConfig } from '../../core/config.js';
import { addAgency, addDomain, addMailbox, grantRole } from '../../admin/index.js';

/** GET /api/admin/spam-filter: the config's thresholds and per-domain overrides with the embedded scanner's health, province-wide roles only. */
describe('admin API — spam filter status (real PostgreSQL)', function () {
  this.timeout(120_000);
  const PASSWORD = 'mat-khau-kiem-thu-2026';
  let db: Sequelize;
  let apps: FastifyInstance[] = [];
  const session: Record<string, Record<string, string>> = {};

  const login = async (app: FastifyInstance, address: string) => {
    const res = await app.inject({ method: 'POST', url: '/api/session', payload: { username: address, password: PASSWORD } });
    assert.equal(res.statusCode, 200, res.body);
    return { cookie: String(res.headers['set-cookie']).split(';')[0]!, 'x-csrf-token': res.json().csrfToken as string };
  };
  const build = async (overrides: Record<string, unknown>, health?: () => any) => {
    const app = await buildHttpApp(loadConfig({ dataDir: testDataDir('govmail-spamfilter-'), ...overrides }, {}), db, { scannerHealth: health });
    apps.push(app);
    return app;
  };

  before(async () => {
    ({ db } = await freshDatabase(allMigrations()));
    await addDomain(db, 'example.gov.vn');
    await addAgency(db, { code: 'T', name: 'UBND tỉnh', level: 'province', domain: 'example.gov.vn' });
    await addAgency(db, { code: 'H1', name: 'UBND huyện Một', level: 'district', parentCode: 'T' });
    for (const [local, agency, role, grant] of [['superadmin', 'T', 'superadmin', null], ['auditor', 'T', 'auditor', null], ['districtadmin', 'H1', 'agency_admin', 'H1']] as const) {
      const id = ((await db.query(`SELECT id FROM agencies WHERE code = '${agency}'`))[0][0] as any).id;
      await addMailbox(db, { address: `${local}@example.gov.vn`, displayName: local, password: PASSWORD, agencyId: id }, { defaultQuota: '1G' });
      await grantRole(db, `${local}@example.gov.vn`, role, grant);
    }
  });
  after(async () => {
    for (const app of apps) await app.close();
    apps = [];
    await db.close();
  });

  it('shows the superadmin the scanner health, the defaults and the per-domain overrides; the auditor too; an agency admin gets 403', async () => {
    const health = { rspamd: 'running', clamav: 'no-signatures', clamavDatabaseDir: '/var/lib/clamav', restarts: 2 } as const;
    const app = await build(
      {
        spamJunkScore: 5,
        spamRejectScore: 12,
        scanUnavailable: 'accept',
        maxAttachmentSize: '20M',
        scanDomains: {
          'congan.example.gov.vn': { spamJunkScore: 3, spamRejectScore: 8, blockedExtensions: 'exe, .ZIP,docm', encryptedArchives: 'refuse' },
          'a.example.gov.vn': { maxAttachmentSize: '5M' },
        },
      },
      () => health,
    );
    for (const who of ['superadmin', 'auditor', 'districtadmin']) session[who] = await login(app, `${who}@example.gov.vn`);

    const res = await app.inject({ method: 'GET', url: '/api/admin/spam-filter', headers: session.superadmin });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.enabled, true);
    assert.equal(body.scanner, 'embedded');
    assert.deepEqual(body.health, health);
    const { blockedExtensions, ...defaults } = body.defaults;
    assert.deepEqual(defaults, { junkScore: 5, rejectScore: 12, unavailable: 'accept', timeoutMs: 5000, maxAttachmentSize: '20M', encryptedArchives: 'junk', builtInExtensions: true });
    assert.ok(blockedExtensions.includes('exe') && blockedExtensions.includes('lnk'), String(blockedExtensions));
    // Only what each domain overrides, sorted by domain; extensions as the MX reads them.
    assert.deepEqual(body.domains, [
      { domain: 'a.example.gov.vn', maxAttachmentSize: '5M' },
      { domain: 'congan.example.gov.vn', junkScore: 3, rejectScore: 8, blockedExtensions: ['exe', 'zip', 'docm'], encryptedArchives: 'refuse' },
    ]);

    const auditor = await app.inject({ method: 'GET', url: '/api/admin/spam-filter', headers: session.auditor });
    assert.equal(auditor.statusCode, 200, auditor.body);
    assert.equal(auditor.json().health.clamav, 'no-signatures');

    const agencyAdmin = await app.inject({ method: 'GET', url: '/api/admin/spam-filter', headers: session.districtadmin });
    assert.equal(agencyAdmin.statusCode, 403, agencyAdmin.body);
    assert.equal(agencyAdmin.json().error.code, 'FORBIDDEN');
    assert.equal((await app.inject({ method: 'GET', url: '/api/admin/spam-filter' })).statusCode, 401);

    const doc = app.swagger() as any;
    assert.ok(doc.paths['/api/admin/spam-filter']?.get, 'in the OpenAPI document');
  });

  it('names an external rspamd by host only, reports no health for it, and says when the filter is off', async () => {
    const external = await build({ rspamdUrl: 'http://rspamd.tinh.gov.vn:11333' }, () => ({ rspamd: 'running', clamav: 'absent', clamavDatabaseDir: '/x', restarts: 0 }));
    const ext = (await external.inject({ method: 'GET', url: '/api/admin/spam-filter', headers: await login(external, 'superadmin@example.gov.vn') })).json();
    assert.equal(ext.scanner, 'external');
    assert.equal(ext.externalHost, 'rspamd.tinh.gov.vn:11333');
    assert.equal(ext.health, undefined);
    assert.deepEqual(ext.domains, []);

    const off = await build({ spamFilter: 'off', blockedExtensions: 'exe,js' });
    const st = (await off.inject({ method: 'GET', url: '/api/admin/spam-filter', headers: await login(off, 'superadmin@example.gov.vn') })).json();
    assert.equal(st.enabled, false);
    assert.equal(st.scanner, 'off');
    assert.deepEqual(st.defaults.blockedExtensions, ['exe', 'js']);
    assert.equal(st.defaults.builtInExtensions, false);
  });
});
