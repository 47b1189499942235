import assert from 'node:assert/strict';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { freePort, testDataDir } from '../support/postgres.js';
import { govmail, startGovmail, waitExit } from '../support/cli.js';
import { isRoot } from '../../core/privileges.js';
import { GTUBE } from '../support/scanner.js';

/** Process owners of everything running from `dir` (postgres, dovecot, our node). */
function ownersOf(dir: string): string[] {
  const ps = execFileSync('ps', ['-eo', 'user:20,args', '--no-headers'], { encoding: 'utf8' });
  return ps.split('\n').filter((l) => l.includes(dir) && !l.includes('ps -eo')).map((l) => l.trim().split(/\s+/)[0]);
}

describe('govmail start — the embedded launcher', function () {
  this.timeout(180_000);
  let dir: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    dir = testDataDir('govmail-launch-');
    env = { GOVMAIL_LOG_LEVEL: 'warn' };
    for (const key of ['SMTP', 'SUBMISSION', 'SUBMISSIONS', 'IMAP', 'POP3', 'MANAGESIEVE', 'LMTP', 'HTTP', 'EMBEDDED_PG', 'RSPAMD', 'RSPAMD_CONTROLLER', 'CLAMD']) {
      env[`GOVMAIL_${key}_PORT`] = String(await freePort());
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('starts everything, serves commands while running, and stops every child on SIGTERM', async () => {
    const { child, output } = await startGovmail(['--data', dir], env);
    try {
      assert.match(output(), new RegExp(`HTTP 127.0.0.1:${env.GOVMAIL_HTTP_PORT}`));
      assert.match(output(), new RegExp(`IMAP 127.0.0.1:${env.GOVMAIL_IMAP_PORT}`));
      assert.match(output(), new RegExp(`MX \\(SMTP, STARTTLS\\) 127.0.0.1:${env.GOVMAIL_SMTP_PORT}`));
      assert.match(output(), new RegExp(`rspamd 127.0.0.1:${env.GOVMAIL_RSPAMD_PORT} \\(embedded`));
      const health = await fetch(`http://127.0.0.1:${env.GOVMAIL_HTTP_PORT}/healthz`);
      assert.equal(health.status, 200);

      const added = await govmail(['domain', 'add', 'UBND-Xa.Example.gov.vn', '--data', dir], { env });
      assert.equal(added.code, 0, added.stderr);
      assert.match(added.stdout, /ubnd-xa\.example\.gov\.vn/);

      const box = await govmail(['mailbox', 'add', 'chutich@ubnd-xa.example.gov.vn', '--name', 'Lê Thị Hồng Nhung', '--data', dir], { env });
      assert.equal(box.code, 0, box.stderr);
      assert.match(box.stdout, /initial password: \S{16}/);

      const dup = await govmail(['mailbox', 'add', 'chutich@ubnd-xa.example.gov.vn', '--name', 'X', '--data', dir], { env });
      assert.notEqual(dup.code, 0);
      assert.match(dup.stderr, /đã tồn tại.*already exists/);

      const status = await govmail(['status', '--data', dir], { env });
      assert.match(status.stdout, /mailboxes: 1 \(1 active\)/);
      assert.match(status.stdout, /running/);

      // The new mailbox can log in to the embedded Dovecot at once.
      const password = /initial password: (\S+)/.exec(box.stdout)![1];
      const imap = new ImapFlow({ host: '127.0.0.1', port: Number(env.GOVMAIL_IMAP_PORT), secure: false, doSTARTTLS: true, tls: { rejectUnauthorized: false }, auth: { user: 'chutich@ubnd-xa.example.gov.vn', pass: password }, logger: false });
      await imap.connect();
      assert.ok(imap.usable);
      await imap.logout();

      // …and mail sent to it through the MX lands in its inbox.
      const sent = await nodemailer.createTransport({ host: '127.0.0.1', port: Number(env.GOVMAIL_SMTP_PORT), secure: false, tls: { rejectUnauthorized: false } } as any)
        .sendMail({ from: 'congdan@example.com', to: 'chutich@ubnd-xa.example.gov.vn', subject: 'Kiến nghị', text: 'Kính gửi.' });
      assert.match(sent.response, /^250 /);
      // The embedded rspamd judges what the MX receives: GTUBE is refused at DATA.
      await assert.rejects(
        nodemailer.createTransport({ host: '127.0.0.1', port: Number(env.GOVMAIL_SMTP_PORT), secure: false, tls: { rejectUnauthorized: false } } as any)
          .sendMail({ from: 'spam@example.com', to: 'chutich@ubnd-xa.example.gov.vn', subject: 'Quảng cáo', text: GTUBE }),
        (e: any) => e.responseCode === 550 && /spam/.test(e.response),
      );
      const dns = await govmail(['domain', 'dns', 'ubnd-xa.example.gov.vn', '--data', dir], { env });
      assert.match(dns.stdout, /_domainkey\.ubnd-xa\.example\.gov\.vn\.\tIN\tTXT/);

      if (isRoot()) {
        const owners = ownersOf(dir);
        assert.ok(owners.length >= 3, `expected postgres, dovecot and govmail under ${dir}: ${owners}`);
        assert.ok(owners.every((u) => u === 'govmail'), `everything must run as the service user, saw: ${owners}`);
      }
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await waitExit(child), 0);
    assert.match(output(), /govmail stopped/);
    assert.deepEqual(ownersOf(dir), [], 'no process of this data folder may survive the stop');
    // rspamd renames its processes ("rspamd: main process"), so its port tells whether it is gone.
    assert.equal(await fetch(`http://127.0.0.1:${env.GOVMAIL_RSPAMD_PORT}/ping`).then(() => 'answered', () => 'refused'), 'refused', 'rspamd stopped');
  });

  it('reuses the data folder on a second start', async () => {
    const { child } = await startGovmail(['--data', dir], env);
    try {
      const status = await govmail(['status', '--data', dir], { env });
      assert.match(status.stdout, /mailboxes: 1 \(1 active\)/);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await waitExit(child), 0);
  });

  it('refuses a wrong setting with the key and the expected form', async () => {
    const res = await govmail(['status', '--data', dir], { env: { ...env, GOVMAIL_SMTP_PORT: 'twenty-five' } });
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /smtpPort \(GOVMAIL_SMTP_PORT\)/);
  });
});
