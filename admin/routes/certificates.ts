import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GovmailError } from '../../core/errors.js';
import { scopeOf } from '../roles.js';
import { approveCertificate, certificateCounts, certificatePath, certificateRequestPath, CERTIFICATE_STATUSES, listCertificates, rejectCertificate, renewCertificate, requestCertificate, type CertificateListOptions, type SignerContext } from '../certificates.js';
import { revokeCertificate } from '../../signer/index.js';
import { agencyPath, pageQuery, type AdminRouteOptions } from './context.js';

/** Certificate requests, approval, revocation, renewal and the certificate counts report. */
export function certificateRoutes(app: FastifyInstance, opts: AdminRouteOptions): void {
  const { db } = opts;

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
    // legacy: a PKCS#12 in 3DES with an HMAC-SHA1 MAC, for old Windows and gpgsm 2.2 (weaker; see signer/README.md).
    schema: { body: { type: ['object', 'null'], properties: { validityDays: { type: 'integer', minimum: 1 }, legacy: { type: 'boolean' } }, additionalProperties: false } },
    config: { access: { action: 'cert.approve', targets: async (req) => [await certificateRequestPath(db, requestId(req))] } },
  }, async (req) => {
    const issued = await approveCertificate(db, signer(), requestId(req), { actor: req.principal!.id, ip: req.ip }, { validityDays: (req.body as { validityDays?: number } | null)?.validityDays, legacy: (req.body as { legacy?: boolean } | null)?.legacy });
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
