import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './cli.js';

/** One entry of the hostile-mail corpus' index.json (its README says what each field means). */
export interface HostileVector {
  id: string;
  file: string;
  class: string;
  safe: string;
  structure: string;
  hosts?: string[];
  interaction?: string;
  chromium_raw?: string[];
}

// The corpus lives beside the repository (../shared); a clone elsewhere on this machine finds it at /work/shared.
export const HOSTILE_DIR =
  [process.env.HOSTILE_MAIL_DIR, path.resolve(repoRoot, '../shared/testdata/hostile-mail'), '/work/shared/testdata/hostile-mail'].find(
    (d): d is string => Boolean(d) && existsSync(path.join(d!, 'index.json')),
  ) ?? path.resolve(repoRoot, '../shared/testdata/hostile-mail');
export const haveHostileCorpus = existsSync(path.join(HOSTILE_DIR, 'index.json'));
export const hostileVectors: HostileVector[] = haveHostileCorpus ? JSON.parse(readFileSync(path.join(HOSTILE_DIR, 'index.json'), 'utf8')).vectors : [];
