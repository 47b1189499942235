import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import type { Sequelize } from 'sequelize';
import { freshDatabase, testDataDir } from '../support/postgres.js';
import { initCa } from '../../signer/index.js';
import { loadKek } from '../../core/kek.js';
import { allMigrations } from '../../cli/migrations.js';
import { buildHttpApp } from '../../cli/http.js';
import { loadConfig, pkiBaseUrl } from '../../core/config.js';
import { addAgency, addDomain, addMailbox, grantRole, createToken, requestCertificate } from '../../admin/index.js';

/**
 * The role/scope matrix: every admin route, called by every kind of caller, against an agency inside
 * and one outside the caller's subtree. Any route added later without a row here fails the coverage test.
 */
type Caller = 'superadmin' | 'districtAdmin' | 'auditor' | 'user' | 'token' | 'anonymous';
const CALLERS: Caller[] = ['superadmin', 'districtAdmin', 'auditor', 'user', 'token', 'anonymous'];
const PASSWORD = 'mat-khau-kiem-thu-2026';

interface Case {
  route: string; // "METHOD /path" as in the OpenAPI document
  where: 'inside' | 'outside' | 'global';
  request: (n: number) => { method: 'GET' | 'POST'; url: string; payload?: unknown };
  /** Callers that must get a 2xx; every other caller must get 401 (anonymous) or 403. */
  allowed: Caller[];
}

let serial = 0;
const uniq = () => `${++serial}`;

describe('admin API — role and scope matrix (real PostgreSQL)', function () {
  this.timeout(120_000);
  let db: Sequelize;
  let app: FastifyInstance;
  const auth: Record<Caller, Record<string, string>> = {} as any;

  const box = async (local: string, agency: string) => {
    const id = (await db.query(`SELECT id FROM agencies WHERE code = '${agency}'`))[0][0] as any;
    await addMailbox(db, { address: `${local}@example.gov.vn`, displayName: `Hộp thư ${local}`, password: PASSWORD, agencyId: id.id }, { defaultQuota: '1G' });
    return `${local}@example.gov.vn`;
  };

  before(async () => {
    ({ db } = await freshDatabase(allMigrations()));
    const config = loadConfig({ dataDir: testDataDir('govmail-scope-') }, {});
    app = await buildHttpApp(config, db);
    await initCa(db, loadKek(config.dataDir, {}), { organization: 'UBND tỉnh', algorithm: 'p-256', pkiUrl: pkiBaseUrl(config), actor: 'test' });
    await addDomain(db, 'example.gov.vn');
    await addAgency(db, { code: 'T', name: 'UBND tỉnh', level: 'province', domain: 'example.gov.vn' });
    await addAgency(db, { code: 'H1', name: 'UBND huyện Một', level: 'district', parentCode: 'T' });
    await addAgency(db, { code: 'H2', name: 'UBND huyện Hai', level: 'district', parentCode: 'T' });
    await addAgency(db, { code: 'X1', name: 'UBND xã Một', level: 'commune', parentCode: 'H1' });
    await addAgency(db, { code: 'H10', name: 'UBND huyện Mười', level: 'district', parentCode: 'T' });
    for (const [who, agency, role, grantAgency] of [
      ['superadmin', 'T', 'superadmin', null],
      ['districtadmin', 'H1', 'agency_admin', 'H1'],
      ['auditor', 'T', 'auditor', null],
      ['user', 'H1', 'user', 'H1'],
    ] as const) {
      await box(who, agency);
      await grantRole(db, `${who}@example.gov.vn`, role, grantAgency);
    }
    for (const [caller, local] of [['superadmin', 'superadmin'], ['districtAdmin', 'districtadmin'], ['auditor', 'auditor'], ['user', 'user']] as const) {
      const res = await app.inject({ method: 'POST', url: '/api/session', payload: { username: `${local}@example.gov.vn`, password: PASSWORD } });
      assert.equal(res.statusCode, 200, res.body);
      const cookie = String(res.headers['set-cookie']).split(';')[0];
      auth[caller] = { cookie, 'x-csrf-token': res.json().csrfToken };
    }
    await box('bystander', 'T');
    await db.query(`UPDATE agencies SET mst = '0100000001' WHERE code IN ('X1', 'H2')`);
    await box('vanthu.x1', 'X1');
    await box('vanthu.h2', 'H2');
    const token = await createToken(db, { name: 'Hệ thống QLVB huyện Một', agencyCode: 'H1', scopes: ['mailbox.read', 'mail.send'] }, { actor: 'test' });
    auth.token = { authorization: `Bearer ${token.token}` };
    auth.anonymous = {};
  });
  after(async () => {
    await app.close();
    await db.close();
  });

  const inside = 'X1';
  const outside = 'H2';
  const cases: Case[] = [];
  for (const [where, agency] of [['inside', inside], ['outside', outside]] as const) {
    const admins: Caller[] = where === 'inside' ? ['superadmin', 'districtAdmin'] : ['superadmin'];
    const readers: Caller[] = [...admins, 'auditor'];
    cases.push(
      { route: 'GET /api/admin/agencies/{code}', where, allowed: readers, request: () => ({ method: 'GET', url: `/api/admin/agencies/${agency}` }) },
      { route: 'POST /api/admin/agencies', where, allowed: admins, request: (n) => ({ method: 'POST', url: '/api/admin/agencies', payload: { code: `U${n}`, name: 'Đơn vị mới', level: 'unit', parent: agency } }) },
      { route: 'GET /api/admin/mailboxes', where, allowed: where === 'inside' ? [...readers, 'token'] : readers, request: () => ({ method: 'GET', url: `/api/admin/mailboxes?agency=${agency}` }) },
      { route: 'POST /api/admin/mailboxes', where, allowed: admins, request: (n) => ({ method: 'POST', url: '/api/admin/mailboxes', payload: { address: `new${n}@example.gov.vn`, displayName: 'Người mới', agency } }) },
      { route: 'POST /api/admin/roles', where, allowed: admins, request: () => ({ method: 'POST', url: '/api/admin/roles', payload: { address: 'bystander@example.gov.vn', role: 'user', agency } }) },
      { route: 'POST /api/admin/tokens', where, allowed: admins, request: (n) => ({ method: 'POST', url: '/api/admin/tokens', payload: { name: `t${n}`, agency, scopes: ['mailbox.read'] } }) },
      { route: 'GET /api/admin/certificates', where, allowed: admins, request: () => ({ method: 'GET', url: `/api/admin/certificates?agency=${agency}` }) },
      { route: 'POST /api/admin/certificates/requests', where, allowed: admins, request: () => ({ method: 'POST', url: '/api/admin/certificates/requests', payload: { agency, profile: 'organisation', mailbox: `vanthu.${agency.toLowerCase()}@example.gov.vn` } }) },
    );
  }
  cases.push(
    { route: 'GET /api/admin/me', where: 'global', allowed: ['superadmin', 'districtAdmin', 'auditor'], request: () => ({ method: 'GET', url: '/api/admin/me' }) },
    { route: 'GET /api/admin/agencies', where: 'global', allowed: ['superadmin', 'districtAdmin', 'auditor'], request: () => ({ method: 'GET', url: '/api/admin/agencies' }) },
    { route: 'POST /api/admin/domains', where: 'global', allowed: ['superadmin'], request: (n) => ({ method: 'POST', url: '/api/admin/domains', payload: { name: `d${n}.example.gov.vn` } }) },
    { route: 'GET /api/admin/audit', where: 'global', allowed: ['superadmin', 'auditor'], request: () => ({ method: 'GET', url: '/api/admin/audit?action=role.grant' }) },
    { route: 'GET /api/admin/audit/export', where: 'global', allowed: ['superadmin', 'auditor'], request: () => ({ method: 'GET', url: '/api/admin/audit/export?target=bystander' }) },
    { route: 'POST /api/admin/roles', where: 'global', allowed: ['superadmin'], request: () => ({ method: 'POST', url: '/api/admin/roles', payload: { address: 'bystander@example.gov.vn', role: 'superadmin' } }) },
    { route: 'GET /api/admin/reports/certificates', where: 'global', allowed: ['superadmin', 'districtAdmin', 'auditor'], request: () => ({ method: 'GET', url: '/api/admin/reports/certificates' }) },
    { route: 'GET /api/admin/spam-filter', where: 'global', allowed: ['superadmin', 'auditor'], request: () => ({ method: 'GET', url: '/api/admin/spam-filter' }) },
    { route: 'GET /api/admin/reports/usage', where: 'global', allowed: ['superadmin', 'districtAdmin', 'auditor'], request: () => ({ method: 'GET', url: '/api/admin/reports/usage?by=agency&from=2026-01-01&to=2026-01-31' }) },
  );
  // Routes whose target is a fresh object per call: built in the test body below.
  const perCallRoutes = [
    'POST /api/admin/agencies/{code}/move',
    'POST /api/admin/mailboxes/{address}/suspend',
    'POST /api/admin/mailboxes/{address}/resume',
    'POST /api/admin/mailboxes/{address}/transfer',
    'POST /api/admin/mailboxes/{address}/reset-password',
    'POST /api/admin/mailboxes/{address}/archive',
    'POST /api/admin/certificates/requests/{id}/approve',
    'POST /api/admin/certificates/requests/{id}/reject',
    'POST /api/admin/certificates/{serial}/revoke',
    'POST /api/admin/certificates/{serial}/renew',
  ];

  it('covers every admin route in the OpenAPI document', async () => {
    const doc = app.swagger() as any;
    const routes = Object.entries(doc.paths as Record<string, object>).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)).filter((r) => r.includes('/api/admin/'));
    const covered = new Set([...cases.map((c) => c.route), ...perCallRoutes]);
    assert.deepEqual(routes.filter((r) => !covered.has(r)), [], 'admin routes without a scope-matrix case');
  });

  for (const c of cases) {
    it(`${c.route} (${c.where})`, async () => {
      for (const caller of CALLERS) {
        const req = c.request(Number(uniq()));
        const res = await app.inject({ ...req, headers: auth[caller] } as any);
        const expected = c.allowed.includes(caller) ? '2xx' : caller === 'anonymous' ? '401' : '403';
        const got = res.statusCode < 300 ? '2xx' : String(res.statusCode);
        assert.equal(got, expected, `${caller} → ${req.method} ${req.url}: ${res.body}`);
      }
    });
  }

  it('moves, suspends and resumes only inside the subtree', async () => {
    for (const caller of CALLERS) {
      const n = uniq();
      await addAgency(db, { code: `MV${n}`, name: 'Đơn vị chuyển', level: 'unit', parentCode: 'X1' });
      const moveIn = await app.inject({ method: 'POST', url: `/api/admin/agencies/MV${n}/move`, payload: { parent: 'H1' }, headers: auth[caller] });
      const moveOut = await app.inject({ method: 'POST', url: `/api/admin/agencies/MV${n}/move`, payload: { parent: 'H2' }, headers: auth[caller] });
      const inBox = await box(`in${n}`, 'X1');
      const outBox = await box(`out${n}`, 'H2');
      const results = {
        moveIn: moveIn.statusCode,
        moveOut: moveOut.statusCode,
        suspendIn: (await app.inject({ method: 'POST', url: `/api/admin/mailboxes/${inBox}/suspend`, headers: auth[caller] })).statusCode,
        suspendOut: (await app.inject({ method: 'POST', url: `/api/admin/mailboxes/${outBox}/suspend`, headers: auth[caller] })).statusCode,
        resumeOut: (await app.inject({ method: 'POST', url: `/api/admin/mailboxes/${outBox}/resume`, headers: auth[caller] })).statusCode,
        resetIn: (await app.inject({ method: 'POST', url: `/api/admin/mailboxes/${inBox}/reset-password`, headers: auth[caller] })).statusCode,
        resetOut: (await app.inject({ method: 'POST', url: `/api/admin/mailboxes/${outBox}/reset-password`, headers: auth[caller] })).statusCode,
        transferOut: (await app.inject({ method: 'POST', url: `/api/admin/mailboxes/${inBox}/transfer`, payload: { agency: 'H2' }, headers: auth[caller] })).statusCode,
        archiveOut: (await app.inject({ method: 'POST', url: `/api/admin/mailboxes/${outBox}/archive`, headers: auth[caller] })).statusCode,
        transferIn: (await app.inject({ method: 'POST', url: `/api/admin/mailboxes/${inBox}/transfer`, payload: { agency: 'H1' }, headers: auth[caller] })).statusCode,
        archiveIn: (await app.inject({ method: 'POST', url: `/api/admin/mailboxes/${inBox}/archive`, headers: auth[caller] })).statusCode,
      };
      const deny = caller === 'anonymous' ? 401 : 403;
      const expected =
        caller === 'superadmin'
          ? { moveIn: 200, moveOut: 200, suspendIn: 200, suspendOut: 200, resumeOut: 200, resetIn: 200, resetOut: 200, transferOut: 200, archiveOut: 200, transferIn: 200, archiveIn: 200 }
          : caller === 'districtAdmin'
            ? { moveIn: 200, moveOut: 403, suspendIn: 200, suspendOut: 403, resumeOut: 403, resetIn: 200, resetOut: 403, transferOut: 403, archiveOut: 403, transferIn: 200, archiveIn: 200 }
            : Object.fromEntries(['moveIn', 'moveOut', 'suspendIn', 'suspendOut', 'resumeOut', 'resetIn', 'resetOut', 'transferOut', 'archiveOut', 'transferIn', 'archiveIn'].map((k) => [k, deny]));
      assert.deepEqual(results, expected, caller);
    }
  });

  it('approves and rejects certificate requests only as superadmin, revokes and renews only inside the subtree', async () => {
    const request = async (agency: string) => (await requestCertificate(db, { agency, profile: 'organisation', mailbox: `vanthu.${agency.toLowerCase()}@example.gov.vn` }, { actor: 'test' })).id;
    const approve = async (id: number) => {
      const res = await app.inject({ method: 'POST', url: `/api/admin/certificates/requests/${id}/approve`, headers: auth.superadmin });
      assert.equal(res.statusCode, 200, res.body);
      return res.json().serial as string;
    };
    for (const caller of CALLERS) {
      const post = async (url: string, payload?: Record<string, string>) => (await app.inject({ method: 'POST', url, payload, headers: auth[caller] })).statusCode;
      const serialIn = await approve(await request('X1'));
      const serialOut = await approve(await request('H2'));
      const results = {
        approveIn: await post(`/api/admin/certificates/requests/${await request('X1')}/approve`),
        approveOut: await post(`/api/admin/certificates/requests/${await request('H2')}/approve`),
        rejectIn: await post(`/api/admin/certificates/requests/${await request('X1')}/reject`, { reason: 'thiếu hồ sơ' }),
        // Renewal first: a revoked certificate is not renewed.
        renewOut: await post(`/api/admin/certificates/${serialOut}/renew`),
        renewIn: await post(`/api/admin/certificates/${serialIn}/renew`),
        revokeOut: await post(`/api/admin/certificates/${serialOut}/revoke`, { reason: 'superseded' }),
        revokeIn: await post(`/api/admin/certificates/${serialIn}/revoke`, { reason: 'superseded' }),
      };
      const deny = caller === 'anonymous' ? 401 : 403;
      const expected =
        caller === 'superadmin'
          ? { approveIn: 200, approveOut: 200, rejectIn: 200, revokeOut: 200, revokeIn: 200, renewOut: 201, renewIn: 201 }
          : caller === 'districtAdmin'
            ? { approveIn: 403, approveOut: 403, rejectIn: 403, revokeOut: 403, revokeIn: 200, renewOut: 403, renewIn: 201 }
            : { approveIn: deny, approveOut: deny, rejectIn: deny, revokeOut: deny, revokeIn: deny, renewOut: deny, renewIn: deny };
      assert.deepEqual(results, expected, caller);
    }
  });

  it('filters lists to the caller\'s subtree (no read crosses the boundary)', async () => {
    const seen = async (caller: Caller) => {
      const res = await app.inject({ method: 'GET', url: '/api/admin/mailboxes?pageSize=200', headers: auth[caller] });
      return (res.json().items as Array<{ agency: string }>).map((m) => m.agency);
    };
    const district = await seen('districtAdmin');
    assert.ok(district.length > 0);
    assert.ok(district.every((a) => a === 'H1' || a === 'X1' || a?.startsWith('U') || a?.startsWith('MV')), `district admin saw ${[...new Set(district)]}`);
    assert.ok((await seen('auditor')).includes('H2'));
    const agencies = (await app.inject({ method: 'GET', url: '/api/admin/agencies?pageSize=200', headers: auth.districtAdmin })).json().items.map((a: any) => a.code);
    assert.ok(!agencies.includes('H2') && !agencies.includes('T') && !agencies.includes('H10'), `district admin saw ${agencies}`);
    const report = async (caller: Caller) =>
      (await app.inject({ method: 'GET', url: '/api/admin/reports/usage?by=agency&from=2026-01-01&to=2026-01-31', headers: auth[caller] })).json().items.map((r: any) => r.group);
    const reported = await report('districtAdmin');
    assert.ok(reported.includes('X1') && reported.every((a: string) => a === 'H1' || a === 'X1' || a.startsWith('U') || a.startsWith('MV')), `district admin's report: ${reported}`);
    assert.ok((await report('auditor')).includes('H2'));
  });

  it('refuses a state change without the CSRF token, and a token asking for more than its issuer holds', async () => {
    const noCsrf = await app.inject({ method: 'POST', url: '/api/admin/domains', payload: { name: 'csrf.example.gov.vn' }, headers: { cookie: auth.superadmin.cookie } });
    assert.equal(noCsrf.statusCode, 403);
    assert.equal(noCsrf.json().error.code, 'CSRF');
    const escalate = await app.inject({ method: 'POST', url: '/api/admin/tokens', payload: { name: 'x', agency: 'X1', scopes: ['cert.approve'] }, headers: auth.districtAdmin });
    assert.equal(escalate.statusCode, 403);
    assert.match(escalate.json().error.messageVi, /không thể cấp/);
  });

  it('searches and exports the audit log', async () => {
    const found = (await app.inject({ method: 'GET', url: '/api/admin/audit?action=role.grant&target=districtadmin', headers: auth.auditor })).json();
    assert.equal(found.total, 1);
    assert.equal(found.items[0].after.role, 'agency_admin');
    const csv = await app.inject({ method: 'GET', url: '/api/admin/audit/export?action=agency.create', headers: auth.auditor });
    assert.match(String(csv.headers['content-type']), /text\/csv/);
    const lines = csv.body.replace(/^\uFEFF/, '').trim().split('\r\n');
    assert.equal(lines[0], 'id,at,actor,action,target,before,after,ip,prev_hash,hash');
    assert.ok(lines.some((l) => l.includes('UBND huyện Một')));
    assert.ok(lines.slice(1).every((l) => l.includes('"agency.create"')));
  });

  it('answers bad input with the field and the expected form', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/admin/mailboxes', payload: { address: 'x@example.gov.vn', displayName: 'X', agency: 'X1', cccd: '123' }, headers: auth.superadmin });
    assert.equal(res.statusCode, 400);
    assert.match(res.json().error.message, /cccd: expected a citizen id of 12 digits/);
    const missing = await app.inject({ method: 'POST', url: '/api/admin/agencies', payload: { name: 'X' }, headers: auth.superadmin });
    assert.equal(missing.statusCode, 400);
    assert.match(missing.json().error.message, /code|level/);
  });
});
