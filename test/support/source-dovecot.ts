import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ImapFlow } from 'imapflow';
import { serviceIdentity, chownTree, spawnAs } from '../../core/privileges.js';
import { stopChild } from '../../core/embedded-postgres.js';
import net from 'node:net';
import { freePort, testDataDir } from './postgres.js';

/**
 * The mail server a province migrates FROM, for the migration tests: a plain Dovecot of the test's own,
 * unrelated to our config on purpose (passwd-file users, Maildir++ with "." as hierarchy separator like
 * Courier and many old provincial servers, plaintext IMAP, a master user). "Sent Items" and "Deleted
 * Items" carry SPECIAL-USE flags; "Đã gửi"-style names are left for name detection.
 */
export interface SourceDovecot {
  host: string;
  port: number;
  master: { user: string; password: string };
  confFile: string;
  /** Adds a user (takes effect at once: passwd-file is re-read when it changes). */
  addUser(address: string, password: string): void;
  connect(address: string, password: string): Promise<ImapFlow>;
  stop(): Promise<void>;
}

export async function startSourceDovecot(): Promise<SourceDovecot> {
  const dir = testDataDir('govmail-source-');
  const identity = serviceIdentity('govmail');
  const port = await freePort();
  const baseDir = `/tmp/gm-src-${randomBytes(4).toString('hex')}`;
  const master = { user: 'migrator', password: randomBytes(12).toString('hex') };
  const users = new Map<string, string>();
  const usersFile = path.join(dir, 'users');
  const writeUsers = () =>
    writeFileSync(usersFile, [...users].map(([u, p]) => `${u}:{PLAIN}${p}:${identity.uid}:${identity.gid}::${path.join(dir, 'mail', u)}::\n`).join(''), { mode: 0o644 });
  mkdirSync(path.join(dir, 'mail'), { recursive: true });
  writeUsers();
  writeFileSync(path.join(dir, 'masters'), `${master.user}:{PLAIN}${master.password}::::::\n`, { mode: 0o644 });
  const confFile = path.join(dir, 'dovecot.conf');
  writeFileSync(
    confFile,
    [
      'protocols = imap',
      'listen = 127.0.0.1',
      `base_dir = ${baseDir}`,
      `state_dir = ${path.join(dir, 'state')}`,
      `instance_name = gm-source-${port}`,
      'log_path = /dev/stderr',
      'ssl = no',
      'disable_plaintext_auth = no',
      'auth_mechanisms = plain login',
      'auth_master_user_separator = *',
      'auth_failure_delay = 0',
      `default_login_user = ${identity.user}`,
      `default_internal_user = ${identity.user}`,
      `default_internal_group = ${identity.user}`,
      `first_valid_uid = ${identity.uid}`,
      'mail_location = maildir:~/Maildir',
      'namespace inbox {',
      '  inbox = yes',
      '  separator = .',
      '  mailbox "Sent Items" {',
      '    special_use = \\Sent',
      '  }',
      '  mailbox "Deleted Items" {',
      '    special_use = \\Trash',
      '  }',
      '}',
      'passdb {',
      '  driver = passwd-file',
      `  args = scheme=PLAIN ${path.join(dir, 'masters')}`,
      '  master = yes',
      '  pass = yes',
      '}',
      'passdb {',
      '  driver = passwd-file',
      `  args = scheme=PLAIN username_format=%u ${usersFile}`,
      '}',
      'userdb {',
      '  driver = passwd-file',
      `  args = username_format=%u ${usersFile}`,
      '}',
      'service imap-login {',
      '  chroot =',
      '  inet_listener imap {',
      `    port = ${port}`,
      '  }',
      '  inet_listener imaps {',
      '    port = 0',
      '  }',
      '}',
      'service anvil {',
      '  chroot =',
      '}',
      'protocol imap {',
      '  mail_max_userip_connections = 100',
      '}',
      '',
    ].join('\n'),
  );
  mkdirSync(path.join(dir, 'state'), { recursive: true });
  chownTree(dir, identity);
  const child: ChildProcess = spawn('/usr/sbin/dovecot', ['-F', '-c', confFile], { stdio: ['ignore', 'ignore', 'pipe'], ...spawnAs(identity) });
  let log = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (log = (log + c).slice(-4000)));
  const dead = () => child.exitCode !== null || child.signalCode !== null;
  try {
    await waitForImapGreeting(port, dead);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`source dovecot did not start: ${(err as Error).message}\n${log}`);
  }
  return {
    host: '127.0.0.1',
    port,
    master,
    confFile,
    addUser(address, password) {
      users.set(address, password);
      writeUsers();
      mkdirSync(path.join(dir, 'mail', address), { recursive: true });
      chownTree(path.join(dir, 'mail'), identity);
    },
    async connect(address, password) {
      const client = new ImapFlow({ host: '127.0.0.1', port, secure: false, doSTARTTLS: false, auth: { user: address, pass: password }, logger: false } as ConstructorParameters<typeof ImapFlow>[0] & { doSTARTTLS: boolean });
      client.on('error', () => undefined);
      await client.connect();
      return client;
    },
    async stop() {
      await stopChild(child, 'SIGTERM', 10_000);
      rmSync(dir, { recursive: true, force: true });
      rmSync(baseDir, { recursive: true, force: true });
    },
  };
}

/** Polls until the port greets with "* OK" (Dovecot takes a moment to bind), or the process died. */
async function waitForImapGreeting(port: number, dead: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (dead()) throw new Error('dovecot exited');
    const greeted = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.setTimeout(2000, () => (s.destroy(), resolve(false)));
      s.once('data', (d) => (s.destroy(), resolve(/^\* OK/.test(d.toString()))));
      s.once('error', () => resolve(false));
    });
    if (greeted) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no IMAP greeting within 30 s');
}
