import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../core/errors.js';
import { selectPage } from '../../core/sql.js';
import { scopeFilter, scopeOf } from '../roles.js';
import { addAgency, getAgency, moveAgency, LEVELS } from '../agencies.js';
import { agencyPath, byRequest, pageQuery, type AdminRouteOptions } from './context.js';

/** The agency tree: list, read, add, move. */
export function agencyRoutes(app: FastifyInstance, opts: AdminRouteOptions): void {
  const { db } = opts;

  app.get('/api/admin/agencies', { schema: { querystring: pageQuery }, config: { access: { action: 'agency.read', targets: async () => [] } } }, async (req) => {
    const { page, pageSize } = req.query as { page: number; pageSize: number };
    const f = scopeFilter(scopeOf(req.principal!, 'agency.read'), 'a.path', 1);
    return selectPage(db, {
      columns: 'a.code, a.name, a.level, p.code AS parent, a.path',
      from: `FROM agencies a LEFT JOIN agencies p ON p.id = a.parent_id WHERE ${f.sql}`,
      orderBy: 'a.path',
      bind: f.bind,
      page,
      pageSize,
    });
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
    const a = await addAgency(db, { code: b.code, name: b.name, level: b.level, parentCode: b.parent, domain: b.domain, mst: b.mst, mns: b.mns }, byRequest(req));
    return reply.code(201).send(a);
  });

  app.post('/api/admin/agencies/:code/move', {
    schema: { body: { type: 'object', required: ['parent'], properties: { parent: { type: 'string' } } } },
    config: { access: { action: 'agency.write', targets: async (req) => [await agencyPath(db, (req.params as any).code), await agencyPath(db, (req.body as any)?.parent)] } },
  }, async (req) => {
    await moveAgency(db, (req.params as any).code, (req.body as any).parent, byRequest(req));
    return { ok: true };
  });
}
