import type { FastifyInstance } from 'fastify';
import { GovmailError } from '../../../core/errors.js';
import { holderSigningCertificates, reportHtml, reportJson, reportPdf } from '../../../signer/index.js';
import { fetchMessage } from '../messages.js';
import { messageParams, type WebmailContext } from './context.js';

const reportSchema = {
  params: { type: 'object', required: ['folder', 'uid', 'part'], properties: { ...messageParams.properties, part: { type: 'string', pattern: '^(message|\\d{1,4}(\\.\\d{1,4}){0,9})$' } } },
  querystring: { type: 'object', properties: { format: { type: 'string', enum: ['html', 'json', 'pdf'], default: 'html' }, lang: { type: 'string', enum: ['vi', 'en'], default: 'vi' } } },
} as const;

/** The full validation report behind a signature badge, and the user's own signing certificates. */
export function signatureRoutes(app: FastifyInstance, ctx: WebmailContext): void {
  app.get('/messages/:folder/:uid/signatures/:part/report', { config: { webmailAuth: 'session' }, schema: reportSchema }, async (req, reply) => {
    const { folder, uid, part } = req.params as { folder: string; uid: number; part: string };
    const { format, lang } = req.query as { format: 'html' | 'json' | 'pdf'; lang: 'vi' | 'en' };
    const { raw, uidValidity } = await fetchMessage(ctx.mail(req), folder, uid, { markSeen: false });
    const checked = await ctx.signatures.check({ mailbox: req.webmailSession!.mailbox, folder, uid, ...(uidValidity ? { uidValidity } : {}) }, raw);
    const report = checked.reports.get(part);
    if (!report) throw new GovmailError('NOT_FOUND', `no signature report for part ${part} of message ${uid}`, `không có báo cáo chữ ký cho phần ${part} của thư ${uid}`, 404);
    reply.header('cache-control', 'private, no-store');
    if (format === 'json') return reply.type('application/json; charset=utf-8').send(reportJson(report));
    if (format === 'pdf') {
      const pdf = Buffer.from(await reportPdf(report));
      return reply.type('application/pdf').header('content-disposition', 'inline; filename="bao-cao-kiem-tra-chu-ky.pdf"').header('content-security-policy', "default-src 'none'; sandbox").send(pdf);
    }
    // The report is signer's own escaped HTML, served as a page of its own: no script may run in it.
    return reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
      .send(reportHtml(report, lang));
  });

  app.get('/certificates', { config: { webmailAuth: 'session' } }, async (req) =>
    (await holderSigningCertificates(ctx.db, req.webmailSession!.mailbox)).map((c) => ({ serial: c.serial, commonName: c.commonName, subject: c.subject, notAfter: c.notAfter.toISOString(), profile: c.profile })),
  );
}
