import type { FastifyInstance } from 'fastify';
import { can, type Action } from '../roles.js';
import { grantRole, createToken } from '../auth.js';
import { agencyPath, byRequest, type AdminRouteOptions } from './context.js';

/** What a caller may hand on: role grants and API tokens, never beyond the caller's own rights. */
export function grantRoutes(app: FastifyInstance, opts: AdminRouteOptions): void {
  const { db } = opts;

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
    await grantRole(db, b.address, b.role, global && b.role === 'superadmin' ? null : (b.agency ?? null), byRequest(req));
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
    const t = await createToken(db, { name: b.name, agencyCode: b.agency, scopes: b.scopes }, byRequest(req));
    return reply.code(201).send(t);
  });
}
