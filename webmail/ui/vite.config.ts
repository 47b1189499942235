import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/webmail/',
  plugins: [react()],
  build: { outDir: fileURLToPath(new URL('../../dist/ui/webmail', import.meta.url)), emptyOutDir: true, chunkSizeWarningLimit: 2000 },
  // `npx vite --config webmail/ui/vite.config.ts` while `govmail start` runs: the API is proxied to it.
  server: { proxy: { '/webmail/api': `http://127.0.0.1:${process.env.GOVMAIL_HTTP_PORT ?? 8080}` } },
  logLevel: 'warn',
});
