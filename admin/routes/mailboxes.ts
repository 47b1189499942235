import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../core/errors.js';
import { selectPage } from '../../core/sql.js';
import { scopeFilter, scopeOf } from '../roles.js';
import { getAgency } from '../agencies.js';
import { addDomain, addMailbox, setMailboxActive, normaliseAddress } from '../directory.js';
import { transferMailbox, resetPassword, archiveMailbox } from '../lifecycle.js';
import { agencyPath, byRequest, mailboxAgencyPath, pageQuery, type AdminRouteOptions } from './context.js';

const mailboxBody = {
  type: 'object',
  required: ['address', 'displayName', 'agency'],
  properties: {
    address: { type: 'string' }, displayName: { type: 'string' }, agency: { type: 'string' }, quota: { type: 'string' },
    kind: { type: 'string', enum: ['personal', 'functional'] }, position: { type: 'string' }, phone: { type: 'string' }, cccd: { type: 'string' },
  },
  additionalProperties: false,
} as const;

/** Mailboxes (list, add, suspend/resume) and mail domains. */
export function mailboxRoutes(app: FastifyInstance, opts: AdminRouteOptions): void {
  const { db } = opts;

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
    return selectPage(db, {
      columns: 'm.address, m.display_name AS "displayName", m.kind, m.position, m.active, a.code AS agency, m.quota_bytes AS "quotaBytes"',
      from,
      orderBy: 'm.address',
      bind,
      page,
      pageSize,
    });
  });

  app.post('/api/admin/mailboxes', {
    schema: { body: mailboxBody },
    config: { access: { action: 'mailbox.write', targets: async (req) => [await agencyPath(db, (req.body as any)?.agency)] } },
  }, async (req, reply) => {
    const b = req.body as any;
    const agency = await getAgency(db, b.agency);
    if (!agency) throw new NotFoundError('agency', 'cơ quan', b.agency);
    const res = await addMailbox(db, { address: b.address, displayName: b.displayName, quota: b.quota, agencyId: agency.id, kind: b.kind, position: b.position, phone: b.phone, cccd: b.cccd }, { defaultQuota: opts.defaultQuota, by: byRequest(req) });
    // The initial password goes back once, to the admin who hands it over; it is never stored in clear.
    return reply.code(201).send({ address: res.address, initialPassword: res.password });
  });

  for (const [verb, active] of [['suspend', false], ['resume', true]] as const) {
    app.post(`/api/admin/mailboxes/:address/${verb}`, {
      config: { access: { action: 'mailbox.write', targets: async (req) => [await mailboxAgencyPath(db, (req.params as any).address)] } },
    }, async (req) => {
      await setMailboxActive(db, normaliseAddress((req.params as any).address).address, active, byRequest(req));
      return { ok: true };
    });
  }

  lifecycleRoutes(app, opts);

  app.post('/api/admin/domains', {
    schema: { body: { type: 'object', required: ['name'], properties: { name: { type: 'string' } }, additionalProperties: false } },
    config: { access: { action: 'domain.write', targets: async () => [null] } },
  }, async (req, reply) => reply.code(201).send(await addDomain(db, (req.body as any).name, byRequest(req))));
}

/** Staff lifecycle on a mailbox: transfer to another agency, password reset, archive. */
function lifecycleRoutes(app: FastifyInstance, opts: AdminRouteOptions): void {
  const { db } = opts;
  const mailboxTarget = { action: 'mailbox.write', targets: async (req: any) => [await mailboxAgencyPath(db, req.params.address)] } as const;

  app.post('/api/admin/mailboxes/:address/transfer', {
    schema: { body: { type: 'object', required: ['agency'], properties: { agency: { type: 'string' }, newAddress: { type: 'string' }, keepOldAddressDays: { type: 'integer', minimum: 0, maximum: 3650 } }, additionalProperties: false } },
    // Both ends of a transfer must be inside the caller's scope.
    config: { access: { action: 'mailbox.write', targets: async (req) => [await mailboxAgencyPath(db, (req.params as any).address), await agencyPath(db, (req.body as any)?.agency)] } },
  }, async (req) => {
    const b = req.body as any;
    return transferMailbox(db, (req.params as any).address, { agencyCode: b.agency, newAddress: b.newAddress, keepOldAddressDays: b.keepOldAddressDays }, byRequest(req));
  });

  app.post('/api/admin/mailboxes/:address/reset-password', { config: { access: mailboxTarget } },
    async (req) => ({ initialPassword: await resetPassword(db, (req.params as any).address, byRequest(req)) }));

  app.post('/api/admin/mailboxes/:address/archive', { config: { access: mailboxTarget } }, async (req) => {
    await archiveMailbox(db, (req.params as any).address, byRequest(req));
    return { ok: true };
  });
}
