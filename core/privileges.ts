import { execFileSync } from 'node:child_process';
import { chownSync, readdirSync, lstatSync } from 'node:fs';
import path from 'node:path';

/**
 * PostgreSQL and a rootless Dovecot refuse to run as root, and a mail server should not anyway.
 * When started as root we create (once) an unprivileged system user and run every child as it.
 */
export interface Identity {
  user: string;
  uid: number;
  gid: number;
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

export function currentIdentity(): Identity {
  const user = execFileSync('id', ['-un'], { encoding: 'utf8' }).trim();
  return { user, uid: process.getuid!(), gid: process.getgid!() };
}

function lookup(user: string): Identity | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return { user, uid, gid };
  } catch {
    return undefined;
  }
}

/** The identity children run as: the service user when we are root, ourselves otherwise. */
export function serviceIdentity(serviceUser: string): Identity {
  if (!isRoot()) return currentIdentity();
  const found = lookup(serviceUser);
  if (found) return found;
  execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', serviceUser], {
    stdio: 'inherit',
  });
  const created = lookup(serviceUser);
  if (!created) throw new Error(`could not create the service user ${serviceUser}`);
  return created;
}

/** Gives a folder tree to the service user (only needed when we are root). */
export function chownTree(dir: string, id: Identity): void {
  if (!isRoot()) return;
  chownSync(dir, id.uid, id.gid);
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    const st = lstatSync(p);
    if (st.isSymbolicLink()) continue;
    if (st.uid !== id.uid || st.gid !== id.gid) chownSync(p, id.uid, id.gid);
    if (st.isDirectory()) chownTree(p, id);
  }
}

/** Spawn options that make a child run as `id` when we are root. */
export function spawnAs(id: Identity): { uid?: number; gid?: number } {
  return isRoot() && id.uid !== 0 ? { uid: id.uid, gid: id.gid } : {};
}

/** Drops this process's own privileges to `id` (the launcher does this before starting services). */
export function dropPrivileges(id: Identity): void {
  if (!isRoot() || id.uid === 0) return;
  (process as any).initgroups?.(id.user, id.gid);
  process.setgid!(id.gid);
  process.setuid!(id.uid);
}
