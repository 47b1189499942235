import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/admin/',
  plugins: [react()],
  build: { outDir: fileURLToPath(new URL('../../dist/ui/admin', import.meta.url)), emptyOutDir: true, chunkSizeWarningLimit: 2000 },
  logLevel: 'warn',
});
