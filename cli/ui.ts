import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';

/** The repository root, whether we run from the sources or from dist/. */
export function projectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
}

/** Nothing on our pages may load from elsewhere or be framed; antd needs inline styles, never inline scripts. */
export const APP_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

/**
 * The webmail's page: APP_CSP, plus frames from blob: URLs, which the client makes itself to preview a PDF
 * attachment in the browser's viewer (parts are served sandboxed, and a sandboxed PDF is not shown).
 */
export const WEBMAIL_CSP = APP_CSP.replace("object-src 'none'", "frame-src 'self' blob:; object-src 'none'");

/**
 * Serves a built single-page app under `prefix`, with every unknown path under it answered by its index.html.
 * `apiPrefix`, when the app's API lives under the same prefix: unknown paths there get a 404, not the page.
 * `csp` replaces APP_CSP for this app.
 */
export async function serveSpa(app: FastifyInstance, prefix: string, distName: string, options: { apiPrefix?: string; csp?: string } = {}): Promise<void> {
  const root = path.join(projectRoot(), 'dist', 'ui', distName);
  await app.register(async (scope) => {
    scope.addHook('onSend', async (_req, reply, payload) => {
      reply.header('content-security-policy', options.csp ?? APP_CSP);
      reply.header('x-content-type-options', 'nosniff');
      reply.header('referrer-policy', 'no-referrer');
      reply.header('x-frame-options', 'DENY');
      return payload;
    });
    if (!existsSync(path.join(root, 'index.html'))) {
      scope.get(`${prefix}*`, async (_req, reply) => reply.code(503).type('text/plain; charset=utf-8').send('Giao diện chưa được xây dựng / UI not built: npm run build\n'));
      return;
    }
    await scope.register(fastifyStatic, { root, prefix, wildcard: false, index: 'index.html' });
    scope.get(`${prefix}*`, async (req, reply) => (options.apiPrefix && req.url.startsWith(options.apiPrefix) ? reply.callNotFound() : reply.sendFile('index.html', root)));
  });
}
