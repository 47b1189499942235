import type { FastifyInstance, FastifyRequest, FastifyReply, FastifyError } from 'fastify';
import cookie from '@fastify/cookie';
import { QueryTypes, type Sequelize } from 'sequelize';
import { GovmailError, InvalidInputError, NotFoundError } from '../core/errors.js';
import { can, scopeFilter, scopeOf, type Action, type Principal } from './roles.js';
import { login, logout, sessionPrincipal, tokenPrincipal, grantRole, createToken } from './auth.js';
import { addAgency, getAgency, moveAgency, LEVELS } from './agencies.js';
import { addDomain, addMailbox, setMailboxActive, normaliseAddress } from './directory.js';
import { transferMailbox, resetPassword, archiveMailbox } from './lifecycle.js';
import { csvDocument } from './csv.js';
import { checkReportOptions, reportCsv, reportXlsx, usageReport, type UsageSources } from './reports.js';
import { approveCertificate, certificateCounts, certificatePath, certificateRequestPath, CERTIFICATE_STATUSES, listCertificates, rejectCertificate, renewCertificate, requestCertificate, type CertificateListOptions, type SignerContext } from './certificates.js';
import { revokeCertificate } from '../signer/index.js';

/**
 * The admin REST API. Authorisation lives in one place: every route under /api/admin declares
 * `config.access` — the action and how to find the agency it touches — and the preHandler below
 * checks it with `can`. A route that forgets to declare access is refused at start-up.
 */
export interface Access {
  action: Action;
  /** Agency paths the request touches; null = system-wide (only global grants reach it). */
  targets: (req: FastifyRequest, db: Sequelize) => Promise<Array<string | null>>;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    access?: Access;
  }
}

const COOKIE = 'gm_admin';

async function agencyPath(db: Sequelize, code: string | undefined): Promise<string | null> {
  if (!code) return null;
  return (await getAgency(db, code))?.path ?? null;
}

async function mailboxAgencyPath(db: Sequelize, address: string): Promise<string | null> {
  const [row] = await db.query<{ path: string | null }>(
    'SELECT a.path FROM mailboxes m LEFT JOIN agencies a ON a.id = m.agency_id WHERE m.address = $1',
    { bind: [address.toLowerCase()], type: QueryTypes.SELECT },
  );
  return row?.path ?? null;
}

const pageQuery = {
  type: 'object',
  properties: { page: { type: 'integer', minimum: 1, default: 1 }, pageSize: { type: 'integer', minimum: 1, maximum: 200, default: 50 }, agency: { type: 'string' } },
  additionalProperties: false,
} as const;

/** SQL filter for "agencies inside any of these subtrees"; a null scope means everywhere. */

export async function adminRoutes(app: FastifyInstance, opts: { db: Sequelize; defaultQuota: string; secureCookies: boolean; usage?: UsageSources; signer?: SignerContext }): Promise<void> {
  const { db } = opts;
  await app.register(cookie);

  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/api/admin/') && !(route.config as any)?.access) {
      throw new Error(`admin route ${route.method} ${route.url} declares no access rule`);
    }
  });

  app.addHook('preHandler', async (req: FastifyRequest, reply: FastifyReply) => {
    const access = req.routeOptions.config.access;
    if (!access) return;
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ')) {
      req.principal = await tokenPrincipal(db, auth.slice(7).trim());
    } else {
      const sid = req.cookies?.[COOKIE];
      const session = sid ? await sessionPrincipal(db, sid) : undefined;
      if (session) {
        // Cookies ride along on cross-site requests; a state change must also carry the session's CSRF token.
        if (req.method !== 'GET' && req.headers['x-csrf-token'] !== session.csrfToken) {
          return reply.code(403).send({ error: { code: 'CSRF', message: 'missing or wrong X-CSRF-Token', messageVi: 'thiếu hoặc sai X-CSRF-Token' } });
        }
        req.principal = session.principal;
      }
    }
    if (!req.principal) {
      return reply.code(401).send({ error: { code: 'UNAUTHENTICATED', message: 'log in or send a valid API token', messageVi: 'cần đăng nhập hoặc mã truy cập API hợp lệ' } });
    }
    const targets = await access.targets(req, db);
    // No specific target (lists, "me"): the caller must hold the action somewhere; lists then filter by scope.
    const allowed = targets.length ? targets.every((t) => can(req.principal!, access.action, t)) : scopeOf(req.principal!, access.action).length > 0;
    if (!allowed) {
      return reply.code(403).send({ error: { code: 'FORBIDDEN', message: `not allowed: ${access.action} outside your scope`, messageVi: `không được phép: ${access.action} ngoài phạm vi quản lý` } });
    }
  });

  app.setErrorHandler((err: FastifyError | GovmailError, _req, reply) => {
    if (err instanceof GovmailError) {
      const field = err instanceof InvalidInputError ? err.field : undefined;
      return reply.code(err.status).send({ error: { code: err.code, message: err.message, messageVi: err.messageVi, field } });
    }
    const validation = (err as FastifyError).validation?.[0];
    if (validation) {
      // Name the field so forms can show the error next to it.
      const field = (validation.params as any)?.missingProperty ?? validation.instancePath.replace(/^\//, '').split('/')[0] ?? undefined;
      return reply.code(400).send({ error: { code: 'INVALID_INPUT', message: err.message, messageVi: `dữ liệu không hợp lệ: ${err.message}`, field } });
    }
    app.log.error(err);
    return reply.code(500).send({ error: { code: 'INTERNAL', message: 'internal error', messageVi: 'lỗi hệ thống' } });
  });

  app.post('/api/session', {
    schema: { body: { type: 'object', required: ['username', 'password'], properties: { username: { type: 'string', maxLength: 320 }, password: { type: 'string', maxLength: 1024 } } } },
  }, async (req, reply) => {
    const { username, password } = req.body as { username: string; password: string };
    const session = await login(db, username, password, req.ip);
    if (!session) return reply.code(401).send({ error: { code: 'LOGIN_FAILED', message: 'wrong address or password', messageVi: 'sai địa chỉ hoặc mật khẩu' } });
    reply.setCookie(COOKIE, session.sessionId, { path: '/', httpOnly: true, sameSite: 'strict', secure: opts.secureCookies });
    return { user: session.principal.id, grants: session.principal.grants, csrfToken: session.csrfToken };
  });

  app.delete('/api/session', async (req, reply) => {
    const sid = req.cookies?.[COOKIE];
    if (sid) await logout(db, sid);
    reply.clearCookie(COOKIE, { path: '/' });
    return { ok: true };
  });

  app.get('/api/admin/me', { config: { access: { action: 'agency.read', targets: async () => [] } } }, async (req) => ({ user: req.principal!.id, grants: req.principal!.grants, kind: req.principal!.kind }));

  app.get('/api/admin/agencies', { schema: { querystring: pageQuery }, config: { access: { action: 'agency.read', targets: async () => [] } } }, async (req) => {
    const { page, pageSize } = req.query as { page: number; pageSize: number };
    const f = scopeFilter(scopeOf(req.principal!, 'agency.read'), 'a.path', 1);
    const items = await db.query(
      `SELECT a.code, a.name, a.level, p.code AS parent, a.path FROM agencies a LEFT JOIN agencies p ON p.id = a.parent_id
       WHERE ${f.sql} ORDER BY a.path LIMIT ${pageSize} OFFSET ${(page - 1) * pageSize}`,
      { bind: f.bind, type: QueryTypes.SELECT },
    );
    const [{ total }] = await db.query<{ total: number }>(`SELECT count(*)::int AS total FROM agencies a WHERE ${f.sql}`, { bind: f.bind, type: QueryTypes.SELECT });
    return { items, total, page, pageSize };
  });

  app.get('/api/admin/agencies/:code', { config: { access: { action: 'agency.read', targets: async (req) => [await agencyPath(db, (req.params as any).code)] } } }, async (req) => {
    const a = await getAgency(db, (req.params as any).code);
    if (!a) throw new NotFoundError('agency', 'cơ quan', (req.params as any).code);
    return a;
  });

  app.post('/api/admin/agencies', {
    schema: {
      body: {
        type: 'object',
        required: ['code', 'name', 'level'],
        properties: { code: { type: 'string' }, name: { type: 'string' }, level: { type: 'string', enum: [...LEVELS] }, parent: { type: 'string' }, domain: { type: 'string' }, mst: { type: 'string' }, mns: { type: 'string' } },
        additionalProperties: false,
      },
    },
    config: { access: { action: 'agency.write', targets: async (req) => [await agencyPath(db, (req.body as any)?.parent)] } },
  }, async (req, reply) => {
    const b = req.body as any;
    const a = await addAgency(db, { code: b.code, name: b.name, level: b.level, parentCode: b.parent, domain: b.domain, mst: b.mst, mns: b.mns }, { actor: req.principal!.id, ip: req.ip });
    return reply.code(201).send(a);
  });

  app.post('/api/admin/agencies/:code/move', {
    schema: { body: { type: 'object', required: ['parent'], properties: { parent: { type: 'string' } } } },
    config: { access: { action: 'agency.write', targets: async (req) => [await agencyPath(db, (req.params as any).code), await agencyPath(db, (req.body as any)?.parent)] } },
  }, async (req) => {
    await moveAgency(db, (req.params as any).code, (req.body as any).parent, { actor: req.principal!.id, ip: req.ip });
    return { ok: true };
  });

  app.get('/api/admin/mailboxes', {
    schema: { querystring: pageQuery },
    config: { access: { action: 'mailbox.read', targets: async (req) => ((req.query as any).agency ? [await agencyPath(db, (req.query as any).agency)] : []) } },
  }, async (req) => {
    const { page, pageSize, agency } = req.query as { page: number; pageSize: number; agency?: string };
    const f = scopeFilter(scopeOf(req.principal!, 'mailbox.read'), 'a.path', 1);
    const agencyClause = agency ? `AND a.code = $${f.bind.length + 1}` : '';
    const bind = agency ? [...f.bind, agency] : f.bind;
    // A mailbox outside every agency is visible only to system-wide roles (the filter is then 'true').
    const from = `FROM mailboxes m LEFT JOIN agencies a ON a.id = m.agency_id WHERE (${f.sql === 'true' ? 'true' : `a.path IS NOT NULL AND ${f.sql}`}) ${agencyClause}`;
    const items = await db.query(
      `SELECT m.address, m.display_name AS "displayName", m.kind, m.position, m.active, a.code AS agency, m.quota_bytes AS "quotaBytes" ${from}
       ORDER BY m.address LIMIT ${pageSize} OFFSET ${(page - 1) * pageSize}`,
      { bind, type: QueryTypes.SELECT },
    );
    const [{ total }] = await db.query<{ total: number }>(`SELECT count(*)::int AS total ${from}`, { bind, type: QueryTypes.SELECT });
    return { items, total, page, pageSize };
  });

  app.post('/api/admin/mailboxes', {
    schema: {
      body: {
        type: 'object',
        required: ['address', 'displayName', 'agency'],
        properties: {
          address: { type: 'string' }, displayName: { type: 'string' }, agency: { type: 'string' }, quota: { type: 'string' },
          kind: { type: 'string', enum: ['personal', 'functional'] }, position: { type: 'string' }, phone: { type: 'string' }, cccd: { type: 'string' },
        },
        additionalProperties: false,
      },
    },
    config: { access: { action: 'mailbox.write', targets: async (req) => [await agencyPath(db, (req.body as any)?.agency)] } },
  }, async (req, reply) => {
    const b = req.body as any;
    const agency = await getAgency(db, b.agency);
    if (!agency) throw new NotFoundError('agency', 'cơ quan', b.agency);
    const res = await addMailbox(db, { address: b.address, displayName: b.displayName, quota: b.quota, agencyId: agency.id, kind: b.kind, position: b.position, phone: b.phone, cccd: b.cccd }, { defaultQuota: opts.defaultQuota, by: { actor: req.principal!.id, ip: req.ip } });
    // The initial password goes back once, to the admin who hands it over; it is never stored in clear.
    return reply.code(201).send({ address: res.address, initialPassword: res.password });
  });

  for (const [verb, active] of [['suspend', false], ['resume', true]] as const) {
    app.post(`/api/admin/mailboxes/:address/${verb}`, {
      config: { access: { action: 'mailbox.write', targets: async (req) => [await mailboxAgencyPath(db, (req.params as any).address)] } },
    }, async (req) => {
      await setMailboxActive(db, normaliseAddress((req.params as any).address).address, active, { actor: req.principal!.id, ip: req.ip });
      return { ok: true };
    });
  }

  app.post('/api/admin/mailboxes/:address/transfer', {
    schema: { body: { type: 'object', required: ['agency'], properties: { agency: { type: 'string' }, newAddress: { type: 'string' }, keepOldAddressDays: { type: 'integer', minimum: 0, maximum: 3650 } }, additionalProperties: false } },
    // Both ends of a transfer must be inside the caller's scope.
    config: { access: { action: 'mailbox.write', targets: async (req) => [await mailboxAgencyPath(db, (req.params as any).address), await agencyPath(db, (req.body as any)?.agency)] } },
  }, async (req) => {
    const b = req.body as any;
    return transferMailbox(db, (req.params as any).address, { agencyCode: b.agency, newAddress: b.newAddress, keepOldAddressDays: b.keepOldAddressDays }, { actor: req.principal!.id, ip: req.ip });
  });

  app.post('/api/admin/mailboxes/:address/reset-password', {
    config: { access: { action: 'mailbox.write', targets: async (req) => [await mailboxAgencyPath(db, (req.params as any).address)] } },
  }, async (req) => ({ initialPassword: await resetPassword(db, (req.params as any).address, { actor: req.principal!.id, ip: req.ip }) }));

  app.post('/api/admin/mailboxes/:address/archive', {
    config: { access: { action: 'mailbox.write', targets: async (req) => [await mailboxAgencyPath(db, (req.params as any).address)] } },
  }, async (req) => {
    await archiveMailbox(db, (req.params as any).address, { actor: req.principal!.id, ip: req.ip });
    return { ok: true };
  });

  app.post('/api/admin/domains', {
    schema: { body: { type: 'object', required: ['name'], properties: { name: { type: 'string' } }, additionalProperties: false } },
    config: { access: { action: 'domain.write', targets: async () => [null] } },
  }, async (req, reply) => reply.code(201).send(await addDomain(db, (req.body as any).name, { actor: req.principal!.id, ip: req.ip })));

  app.post('/api/admin/roles', {
    schema: { body: { type: 'object', required: ['address', 'role'], properties: { address: { type: 'string' }, role: { type: 'string', enum: ['superadmin', 'agency_admin', 'auditor', 'user'] }, agency: { type: 'string' } }, additionalProperties: false } },
    // A system-wide role (no agency) can only be granted by someone who holds role.write system-wide.
    config: { access: { action: 'role.write', targets: async (req) => [await agencyPath(db, (req.body as any)?.agency)] } },
  }, async (req, reply) => {
    const b = req.body as any;
    const global = b.role === 'superadmin' || (b.role === 'auditor' && !b.agency);
    if (global && !can(req.principal!, 'role.write', null)) {
      return reply.code(403).send({ error: { code: 'FORBIDDEN', message: `only a superadmin may grant ${b.role}`, messageVi: `chỉ quản trị cấp tỉnh mới cấp được vai trò ${b.role}` } });
    }
    await grantRole(db, b.address, b.role, global && b.role === 'superadmin' ? null : (b.agency ?? null), { actor: req.principal!.id, ip: req.ip });
    return reply.code(201).send({ ok: true });
  });

  app.post('/api/admin/tokens', {
    schema: { body: { type: 'object', required: ['name', 'agency', 'scopes'], properties: { name: { type: 'string', minLength: 1, maxLength: 200 }, agency: { type: 'string' }, scopes: { type: 'array', items: { type: 'string' }, minItems: 1 } }, additionalProperties: false } },
    config: { access: { action: 'token.write', targets: async (req) => [await agencyPath(db, (req.body as any)?.agency)] } },
  }, async (req, reply) => {
    const b = req.body as { name: string; agency: string; scopes: string[] };
    // No escalation through tokens: each scope must be something the issuer may do in that agency.
    const path = await agencyPath(db, b.agency);
    const beyond = b.scopes.filter((s) => !can(req.principal!, s as Action, path));
    if (beyond.length) return reply.code(403).send({ error: { code: 'FORBIDDEN', message: `you cannot grant: ${beyond.join(', ')}`, messageVi: `bạn không thể cấp quyền: ${beyond.join(', ')}` } });
    const t = await createToken(db, { name: b.name, agencyCode: b.agency, scopes: b.scopes }, { actor: req.principal!.id, ip: req.ip });
    return reply.code(201).send(t);
  });

  const auditQuery = {
    type: 'object',
    properties: {
      ...pageQuery.properties,
      actor: { type: 'string' }, action: { type: 'string' }, target: { type: 'string' },
      from: { type: 'string', format: 'date-time' }, to: { type: 'string', format: 'date-time' },
    },
    additionalProperties: false,
  } as const;
  /** Audit search: exact actor/action, target prefix, time range. */
  const auditWhere = (q: Record<string, string | undefined>) => {
    const clauses: string[] = [];
    const bind: string[] = [];
    const add = (sql: string, v: string | undefined) => {
      if (v === undefined || v === '') return;
      bind.push(v);
      clauses.push(sql.replace('?', `$${bind.length}`));
    };
    add('actor = ?', q.actor);
    add('action = ?', q.action);
    add(`target LIKE ? || '%'`, q.target);
    add('at >= ?::timestamptz', q.from);
    add('at < ?::timestamptz', q.to);
    return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', bind };
  };

  app.get('/api/admin/audit', { schema: { querystring: auditQuery }, config: { access: { action: 'audit.read', targets: async () => [null] } } }, async (req) => {
    const q = req.query as any;
    const w = auditWhere(q);
    const items = await db.query(
      `SELECT id, at, actor, action, target, before, after, ip FROM audit_entries ${w.sql} ORDER BY id DESC LIMIT ${q.pageSize} OFFSET ${(q.page - 1) * q.pageSize}`,
      { bind: w.bind, type: QueryTypes.SELECT },
    );
    const [{ total }] = await db.query<{ total: number }>(`SELECT count(*)::int AS total FROM audit_entries ${w.sql}`, { bind: w.bind, type: QueryTypes.SELECT });
    return { items, total, page: q.page, pageSize: q.pageSize };
  });

  app.get('/api/admin/audit/export', { schema: { querystring: auditQuery }, config: { access: { action: 'audit.read', targets: async () => [null] } } }, async (req, reply) => {
    const w = auditWhere(req.query as any);
    const rows = await db.query<any>(`SELECT id, at, actor, action, target, before, after, ip, prev_hash, hash FROM audit_entries ${w.sql} ORDER BY id`, { bind: w.bind, type: QueryTypes.SELECT });
    const header = ['id', 'at', 'actor', 'action', 'target', 'before', 'after', 'ip', 'prev_hash', 'hash'];
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="govmail-audit.csv"')
      .send(csvDocument(header, rows.map((r) => header.map((k) => r[k]))));
  });

  app.get('/api/admin/reports/usage', { config: { access: { action: 'report.read', targets: async () => [] } } }, async (req, reply) => {
    if (!opts.usage) throw new GovmailError('REPORTS_UNAVAILABLE', 'usage reports are not wired in this server', 'máy chủ này chưa có báo cáo sử dụng', 503);
    const q = req.query as { by?: string; from?: string; to?: string; format?: string };
    const rows = await usageReport(db, opts.usage, { ...checkReportOptions(q), scopes: scopeOf(req.principal!, 'report.read') });
    if (q.format === 'csv') return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="govmail-usage.csv"').send(reportCsv(rows));
    if (q.format === 'xlsx') {
      return reply
        .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
        .header('content-disposition', 'attachment; filename="govmail-usage.xlsx"')
        .send(await reportXlsx(rows));
    }
    return { items: rows };
  });

  const signer = (): SignerContext => {
    if (!opts.signer) throw new GovmailError('SIGNER_UNAVAILABLE', 'the signer is not wired in this server', 'máy chủ này chưa có dịch vụ chứng thư', 503);
    return opts.signer;
  };
  const requestId = (req: FastifyRequest) => Number((req.params as { id: string }).id);

  app.get('/api/admin/certificates', {
    schema: {
      querystring: {
        type: 'object',
        properties: { ...pageQuery.properties, status: { type: 'string', enum: [...CERTIFICATE_STATUSES] }, profile: { type: 'string', enum: ['organisation', 'individual'] } },
        additionalProperties: false,
      },
    },
    config: { access: { action: 'cert.request', targets: async (req) => ((req.query as any).agency ? [await agencyPath(db, (req.query as any).agency)] : []) } },
  }, async (req) => listCertificates(db, scopeOf(req.principal!, 'cert.request'), req.query as CertificateListOptions));

  app.post('/api/admin/certificates/requests', {
    schema: {
      body: {
        type: 'object',
        required: ['agency', 'profile', 'mailbox'],
        properties: { agency: { type: 'string' }, profile: { type: 'string', enum: ['organisation', 'individual'] }, mailbox: { type: 'string' } },
        // Renewals go through POST /api/admin/certificates/:serial/renew, which checks the serial's scope.
        additionalProperties: false,
      },
    },
    config: { access: { action: 'cert.request', targets: async (req) => [await agencyPath(db, (req.body as any)?.agency)] } },
  }, async (req, reply) => reply.code(201).send(await requestCertificate(db, req.body as any, { actor: req.principal!.id, ip: req.ip }, opts.signer?.dataDir)));

  app.post('/api/admin/certificates/requests/:id/approve', {
    schema: { body: { type: ['object', 'null'], properties: { validityDays: { type: 'integer', minimum: 1 } }, additionalProperties: false } },
    config: { access: { action: 'cert.approve', targets: async (req) => [await certificateRequestPath(db, requestId(req))] } },
  }, async (req) => {
    const issued = await approveCertificate(db, signer(), requestId(req), { actor: req.principal!.id, ip: req.ip }, { validityDays: (req.body as { validityDays?: number } | null)?.validityDays });
    // The PKCS#12 and its password go back once, to the approver who hands them over; neither is stored.
    return { serial: issued.serial, certificatePem: issued.certificatePem, p12: issued.p12.toString('base64'), password: issued.password };
  });

  app.post('/api/admin/certificates/requests/:id/reject', {
    schema: { body: { type: 'object', required: ['reason'], properties: { reason: { type: 'string', minLength: 1 } }, additionalProperties: false } },
    config: { access: { action: 'cert.approve', targets: async (req) => [await certificateRequestPath(db, requestId(req))] } },
  }, async (req) => {
    await rejectCertificate(db, requestId(req), (req.body as any).reason, { actor: req.principal!.id, ip: req.ip });
    return { status: 'rejected' };
  });

  app.post('/api/admin/certificates/:serial/revoke', {
    schema: { body: { type: 'object', required: ['reason'], properties: { reason: { type: 'string' } }, additionalProperties: false } },
    config: { access: { action: 'cert.request', targets: async (req) => [await certificatePath(db, (req.params as any).serial)] } },
  }, async (req) => {
    const r = await revokeCertificate(db, signer().kek, (req.params as any).serial, (req.body as any).reason, req.principal!.id);
    return { serial: r.serial, revokedAt: r.revokedAt };
  });

  // A renewal copies the subject and profile of the certificate it renews; see renewCertificate.
  app.post('/api/admin/certificates/:serial/renew', {
    config: { access: { action: 'cert.request', targets: async (req) => [await certificatePath(db, (req.params as any).serial)] } },
  }, async (req, reply) => reply.code(201).send(await renewCertificate(db, (req.params as any).serial, { actor: req.principal!.id, ip: req.ip })));

  app.get('/api/admin/reports/certificates', { config: { access: { action: 'report.read', targets: async () => [] } } }, async (req) => ({
    items: await certificateCounts(db, scopeOf(req.principal!, 'report.read')),
  }));
}
