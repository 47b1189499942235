import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Sequelize } from 'sequelize';
import type { Kek } from '../core/kek.js';
import { caByName, caChain, listCas } from './ca.js';
import { OcspResponder } from './ocsp.js';
import { currentCrl } from './revocation.js';
import { pem, toDer } from './x509.js';
import { TimeStampAuthority } from './tsa/authority.js';
import { tsaRoutes } from './tsa/http.js';
import { verifyRoutes } from './validation/http.js';

/**
 * The public PKI endpoints whose URLs are written into our certificates. They carry only public data
 * (certificates, CRLs, OCSP answers) and so need no authentication.
 */
export async function pkiRoutes(app: FastifyInstance, o: { db: Sequelize; kek: Kek; pkiUrl: string; dataDir?: string }): Promise<void> {
  const { db, kek } = o;
  const responder = new OcspResponder(db, kek, o.pkiUrl);
  const notFound = (reply: FastifyReply, what: string) => reply.code(404).type('text/plain; charset=utf-8').send(`Không tìm thấy / not found: ${what}\n`);

  app.addContentTypeParser('application/ocsp-request', { parseAs: 'buffer', bodyLimit: 64 * 1024 }, (_req, body, done) => done(null, body));

  app.get<{ Params: { name: string } }>('/pki/ca/:name', { schema: { hide: true } }, async (req, reply) => {
    const ca = await caByName(db, req.params.name.replace(/\.(crt|cer|der)$/, ''));
    if (!ca?.cert_der) return notFound(reply, req.params.name);
    return reply.type('application/pkix-cert').header('cache-control', 'public, max-age=86400').send(ca.cert_der);
  });

  app.get('/pki/chain.pem', { schema: { hide: true } }, async (_req, reply) => {
    const issuing = (await listCas(db)).find((c) => c.role === 'issuing' && c.status === 'active');
    if (!issuing) return notFound(reply, 'issuing CA');
    const chain = await caChain(db, issuing);
    return reply.type('application/x-pem-file').send(chain.map((c) => pem('CERTIFICATE', toDer(c))).join(''));
  });

  app.get<{ Params: { name: string } }>('/pki/crl/:name', { schema: { hide: true } }, async (req, reply) => {
    const ca = await caByName(db, req.params.name.replace(/\.crl$/, ''));
    if (!ca) return notFound(reply, req.params.name);
    const der = await currentCrl(db, kek, ca);
    return reply.type('application/pkix-crl').header('cache-control', 'public, max-age=300').send(der);
  });

  const ocspReply = (reply: FastifyReply, der: Buffer) => reply.type('application/ocsp-response').header('cache-control', 'no-cache').send(der);
  app.post('/pki/ocsp', { schema: { hide: true } }, async (req, reply) => ocspReply(reply, await responder.respond(req.body as Buffer)));
  // RFC 6960 Appendix A.1: GET carries the base64 request, URL-encoded, as the last path segment.
  app.get<{ Params: { '*': string } }>('/pki/ocsp/*', { schema: { hide: true } }, async (req, reply) =>
    ocspReply(reply, await responder.respond(Buffer.from(decodeURIComponent(req.params['*']), 'base64'))),
  );

  // RFC 3161 time-stamping by our own TSA (its key and certificate are made on the first request).
  await app.register(tsaRoutes, { authority: new TimeStampAuthority(db, kek, { pkiUrl: o.pkiUrl, dataDir: o.dataDir }) });

  // The public signature verification page (/verify), in its own context (multipart, error pages).
  await app.register(verifyRoutes, { db, kek, ...(o.dataDir ? { dataDir: o.dataDir } : {}) });
}
