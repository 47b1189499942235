import type { FastifyInstance } from 'fastify';
import { GovmailError } from '../../core/errors.js';
import { scopeOf } from '../roles.js';
import { checkReportOptions, reportCsv, reportXlsx, usageReport } from '../reports.js';
import type { AdminRouteOptions } from './context.js';

/** The usage report as JSON, CSV or XLSX (the certificate counts live with the certificate routes). */
export function reportRoutes(app: FastifyInstance, opts: AdminRouteOptions): void {
  const { db } = opts;

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
}
