import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, chownSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { isRoot, type Identity } from '../core/privileges.js';

/**
 * The mail host's TLS certificate: self-signed at first start so STARTTLS and AUTH work at once.
 * (The signer can issue a certificate from the province CA to the same files.)
 */
export function ensureSelfSignedCertificate(dataDir: string, hostname: string, owner?: Identity): { certFile: string; keyFile: string } {
  const dir = path.join(dataDir, 'tls');
  const certFile = path.join(dir, 'mail.crt');
  const keyFile = path.join(dir, 'mail.key');
  if (!existsSync(certFile) || !existsSync(keyFile)) {
    mkdirSync(dir, { recursive: true, mode: 0o750 });
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-sha256', '-days', '825',
        '-keyout', keyFile, '-out', certFile, '-subj', `/C=VN/O=GovMail/CN=${hostname}`,
        '-addext', `subjectAltName=DNS:${hostname},DNS:localhost,IP:127.0.0.1`],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    chmodSync(keyFile, 0o600);
  }
  if (owner && isRoot()) for (const f of [dir, certFile, keyFile]) chownSync(f, owner.uid, owner.gid);
  return { certFile, keyFile };
}
