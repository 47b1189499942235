import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { GovmailError, InvalidInputError } from '../core/errors.js';

/**
 * Certificate profiles are data (certs/profiles/*.json) so a province can match its CPS without a
 * code change: a file of the same name in <data>/profiles/ replaces the shipped one.
 */
const subjectField = z.enum(['commonName', 'organization', 'organizationalUnit', 'locality', 'province', 'country', 'title', 'email', 'cccd', 'mst', 'mns', 'dnsNames']);
export type SubjectField = z.infer<typeof subjectField>;

const profileSchema = z.object({
  name: z.string().regex(/^[a-z][a-z0-9-]*$/),
  title: z.object({ vi: z.string(), en: z.string() }),
  subject: z.object({
    required: z.array(subjectField),
    oneOf: z.array(z.array(subjectField)).default([]),
    allowed: z.array(subjectField),
  }),
  keyUsage: z.array(z.enum(['digitalSignature', 'nonRepudiation', 'keyEncipherment'])),
  keyEnciphermentForRsa: z.boolean(),
  extendedKeyUsage: z.array(z.enum(['emailProtection', 'clientAuth', 'serverAuth', 'documentSigning', 'ocspSigning', 'timeStamping'])),
  extendedKeyUsageCritical: z.boolean().default(false),
  ocspNoCheck: z.boolean().default(false),
  emailInSubjectAltName: z.boolean(),
  policies: z.array(z.string().regex(/^\d+(\.\d+)+$/, 'an OID such as 1.3.6.1.4.1.32473.1')),
  validityDays: z.object({ default: z.number().int().positive(), maxNew: z.number().int().positive(), maxExtension: z.number().int().positive() }),
});
export type Profile = z.infer<typeof profileSchema>;

/** Decree 68/2024: a new certificate lives at most 5 years, an extension at most 3. */
export const LEGAL_MAX_NEW_DAYS = 5 * 365 + 1;
export const LEGAL_MAX_EXTENSION_DAYS = 3 * 365 + 1;

const shippedDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../certs/profiles');

function profileDirs(dataDir?: string): string[] {
  // Compiled code runs from dist/signer; the data files stay in the source tree's certs/.
  const candidates = [shippedDir, path.resolve(shippedDir, '../../../certs/profiles')];
  const dirs = [candidates.find((d) => existsSync(d)) ?? shippedDir];
  if (dataDir) dirs.push(path.join(dataDir, 'profiles'));
  return dirs;
}

export function loadProfiles(dataDir?: string): Map<string, Profile> {
  const profiles = new Map<string, Profile>();
  for (const dir of profileDirs(dataDir)) {
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      const parsed = profileSchema.safeParse(JSON.parse(readFileSync(path.join(dir, file), 'utf8')));
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new GovmailError('PROFILE_INVALID', `profile ${file}: ${issue.path.join('.')}: ${issue.message}`, `hồ sơ chứng thư ${file}: ${issue.path.join('.')}: ${issue.message}`);
      }
      const p = parsed.data;
      if (p.validityDays.maxNew > LEGAL_MAX_NEW_DAYS || p.validityDays.maxExtension > LEGAL_MAX_EXTENSION_DAYS) {
        throw new GovmailError('PROFILE_INVALID', `profile ${file}: validity beyond Decree 68/2024 (5 years new, 3 years extension)`, `hồ sơ ${file}: thời hạn vượt Nghị định 68/2024 (5 năm cấp mới, 3 năm gia hạn)`);
      }
      profiles.set(p.name, p);
    }
  }
  return profiles;
}

export function getProfile(name: string, dataDir?: string): Profile {
  const profiles = loadProfiles(dataDir);
  const p = profiles.get(name);
  if (!p) throw new InvalidInputError('profile', `one of ${[...profiles.keys()].join(', ')}`, `một trong ${[...profiles.keys()].join(', ')}`, name);
  return p;
}
