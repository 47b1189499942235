import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chownTree, type Identity } from '../../core/privileges.js';
import { startEmbeddedScanner, type ScannerHandle } from '../../smtp/index.js';
import type { Config } from '../../core/config.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** rspamd's compiled regular expressions, kept between test files: without them each start compiles for ≈ 10 s. */
const CACHE_DIR = '/tmp/govmail-test-rspamd-cache';

/**
 * The embedded rspamd and clamd on a test config's ports and data folder, through the launcher `govmail start` uses.
 * ClamAV gets one signature (EICAR's, as an MD5 hash: test/support/clamav/govmail-eicar.hdb), since a
 * test machine has no signature downloads.
 */
export async function startTestScanner(config: Config, identity: Identity, o: { clamav?: boolean; timeoutMs?: number } = {}): Promise<ScannerHandle> {
  const { dataDir } = config;
  const signatures = path.join(dataDir, 'clamav-db');
  mkdirSync(signatures, { recursive: true });
  if (o.clamav !== false) copyFileSync(path.join(here, 'clamav', 'govmail-eicar.hdb'), path.join(signatures, 'govmail-eicar.hdb'));
  chownTree(signatures, identity);
  return startEmbeddedScanner({
    dataDir,
    identity,
    scanPort: config.rspamdPort,
    controllerPort: config.rspamdControllerPort,
    clamdPort: config.clamdPort,
    clamavDatabaseDir: signatures,
    timeoutMs: o.timeoutMs ?? 5000,
    cacheDir: CACHE_DIR,
  });
}

/** The EICAR test file, put together at run time so the repository holds no copy of it. */
export function eicar(): Buffer {
  return Buffer.from(['X5O!P%@AP[4\\PZX54(P^)7CC)7}$', 'EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'].join(''), 'latin1');
}

/** The GTUBE string, which every spam filter refuses. */
export const GTUBE = ['XJS*C4JDBQADN1.NSBN3*2IDNEN*', 'GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X'].join('');

/** A zip made by Info-ZIP's `zip` (an independent tool), optionally with a password; names may hold folders. */
export function zipOf(files: Record<string, Buffer>, password?: string): Buffer {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'govmail-zip-'));
  try {
    for (const [name, content] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), content);
    }
    execFileSync('zip', ['-q', ...(password ? ['-P', password] : []), path.join(dir, 'out.zip'), ...Object.keys(files)], { cwd: dir });
    return readFileSync(path.join(dir, 'out.zip'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A PE executable's first bytes: "MZ", and at 0x3c the offset of the "PE\0\0" signature. */
export function fakeExecutable(): Buffer {
  const b = Buffer.alloc(512);
  b.write('MZ', 0, 'latin1');
  b.writeUInt32LE(0x80, 0x3c);
  b.write('PE\0\0', 0x80, 'latin1');
  return b;
}

/** A minimal PDF's bytes (its real type is pdf). */
export const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n', 'latin1');
