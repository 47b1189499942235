import { chromium, type Browser } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './cli.js';

/** Debian's Chromium, headless, with nothing reaching out to the network on its own. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Builds a UI bundle if this checkout has not built it yet (CI builds it in setup). */
export function ensureUiBuilt(name: string): void {
  if (existsSync(path.join(repoRoot, 'dist', 'ui', name, 'index.html'))) return;
  execFileSync(process.execPath, [path.join(repoRoot, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', `${name}/ui/vite.config.ts`], { cwd: repoRoot, stdio: 'ignore' });
}
