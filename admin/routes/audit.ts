import type { FastifyInstance } from 'fastify';
import { exportAuditEntries, pageAuditEntries, type AuditFilter } from '../../core/audit.js';
import { csvDocument } from '../csv.js';
import { pageQuery, type AdminRouteOptions } from './context.js';

const auditQuery = {
  type: 'object',
  properties: {
    ...pageQuery.properties,
    actor: { type: 'string' }, action: { type: 'string' }, target: { type: 'string' },
    from: { type: 'string', format: 'date-time' }, to: { type: 'string', format: 'date-time' },
  },
  additionalProperties: false,
} as const;

const EXPORT_COLUMNS = ['id', 'at', 'actor', 'action', 'target', 'before', 'after', 'ip', 'prev_hash', 'hash'] as const;

/** The audit trail (core owns the table): a paged search and a CSV export with the hash chain. */
export function auditRoutes(app: FastifyInstance, opts: AdminRouteOptions): void {
  const { db } = opts;

  app.get('/api/admin/audit', { schema: { querystring: auditQuery }, config: { access: { action: 'audit.read', targets: async () => [null] } } }, async (req) => {
    const q = req.query as AuditFilter & { page: number; pageSize: number };
    return pageAuditEntries(db, q, q.page, q.pageSize);
  });

  app.get('/api/admin/audit/export', { schema: { querystring: auditQuery }, config: { access: { action: 'audit.read', targets: async () => [null] } } }, async (req, reply) => {
    const rows = await exportAuditEntries(db, req.query as AuditFilter);
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="govmail-audit.csv"')
      .send(csvDocument([...EXPORT_COLUMNS], rows.map((r) => EXPORT_COLUMNS.map((k) => r[k]))));
  });
}
