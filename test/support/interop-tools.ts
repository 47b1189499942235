// The independent tools that judge our signatures and PKCS#12 files: OpenSSL, NSS (certutil, cmsutil,
// pk12util) and gpgsm, each with a private database or home folder under the test's data folder.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface ToolResult {
  code: number | null;
  /** stdout and stderr together, as a person at the terminal sees them. */
  out: string;
}

export function tool(cmd: string, args: string[], o: { input?: string; env?: NodeJS.ProcessEnv } = {}): ToolResult {
  const r = spawnSync(cmd, args, { input: o.input, env: { ...process.env, ...o.env }, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

const pemToDer = (pem: string) => Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');

/** An NSS database (sql:) trusting `rootPem` for e-mail and objects, as Thunderbird's would. */
export function nssDatabase(dir: string, rootPem: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'root.pem'), rootPem);
  const db = `sql:${dir}`;
  for (const args of [['-N', '-d', db, '--empty-password'], ['-A', '-d', db, '-n', 'govmail-root', '-t', 'C,C,C', '-i', path.join(dir, 'root.pem')]]) {
    const r = tool('certutil', args);
    if (r.code !== 0) throw new Error(`certutil ${args.join(' ')}: ${r.out}`);
  }
  return db;
}

/** `cmsutil -D` of a detached signature (the signer verified for e-mail signing, usage 4). */
export function cmsutilVerify(db: string, signature: string, content: string): ToolResult {
  return tool('cmsutil', ['-D', '-d', db, '-i', signature, '-c', content, '-n', '-u', '4']);
}

/**
 * A gpgsm home that trusts `rootPem` (trustlist.txt), checks no CRLs (we run no dirmngr) and lets the
 * passphrase come from stdin (loopback pinentry). The root is imported so chains can be built.
 */
export function gpgsmHome(dir: string, rootPem: string): NodeJS.ProcessEnv {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(path.join(dir, 'gpgsm.conf'), 'disable-crl-checks\ndisable-dirmngr\n');
  writeFileSync(path.join(dir, 'gpg-agent.conf'), 'allow-loopback-pinentry\n');
  const fingerprint = createHash('sha1').update(pemToDer(rootPem)).digest('hex').toUpperCase().match(/../g)!.join(':');
  writeFileSync(path.join(dir, 'trustlist.txt'), `${fingerprint} S relax\n`);
  writeFileSync(path.join(dir, 'root.pem'), rootPem);
  const env = { GNUPGHOME: dir };
  const r = tool('gpgsm', ['--batch', '--import', path.join(dir, 'root.pem')], { env });
  if (r.code !== 0) throw new Error(`gpgsm --import root: ${r.out}`);
  return env;
}

export function gpgsmVerify(env: NodeJS.ProcessEnv, signature: string, content: string): ToolResult {
  return tool('gpgsm', ['--batch', '--verify', signature, content], { env });
}

export function gpgsmImportP12(env: NodeJS.ProcessEnv, file: string, password: string): ToolResult {
  return tool('gpgsm', ['--batch', '--pinentry-mode', 'loopback', '--passphrase-fd', '0', '--import', file], { env, input: password });
}

/** Stops the gpg-agent a gpgsm home started, so no process outlives the test. */
export function stopGpgAgent(env: NodeJS.ProcessEnv): void {
  tool('gpgconf', ['--kill', 'gpg-agent'], { env });
}

/** The two parts of a multipart/signed message: the signed entity (as signed, CRLF) and the DER signature. */
export function splitMultipartSigned(message: string): { signedEntity: Buffer; signature: Buffer } {
  const boundary = /boundary="?([^";\r\n]+)"?/i.exec(message)?.[1];
  if (!boundary) throw new Error('not a multipart/signed message: no boundary');
  const parts = message.split(`--${boundary}`);
  const entity = parts[1]!.replace(/^\r\n/, '').replace(/\r\n$/, '');
  const sigPart = parts[2]!;
  const body = sigPart.slice(sigPart.indexOf('\r\n\r\n') + 4);
  return { signedEntity: Buffer.from(entity, 'utf8'), signature: Buffer.from(body.replace(/\s/g, ''), 'base64') };
}
