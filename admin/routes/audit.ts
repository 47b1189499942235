import type { FastifyInstance } from 'fastify';
import { QueryTypes } from 'sequelize';
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

/** The audit trail: a paged search and a CSV export with the hash chain. */
export function auditRoutes(app: FastifyInstance, opts: AdminRouteOptions): void {
  const { db } = opts;

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
}
