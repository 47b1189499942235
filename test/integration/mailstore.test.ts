import assert from 'node:assert/strict';
import net from 'node:net';
import { ImapFlow } from 'imapflow';
import { startMailEnv, type MailEnv } from '../support/mailenv.js';
import { addDomain, addMailbox, setMailboxActive } from '../../admin/index.js';
import { freePort, testDataDir } from '../support/postgres.js';
import { startEmbeddedPostgres } from '../../core/embedded-postgres.js';
import { serviceIdentity, chownTree } from '../../core/privileges.js';
import { connect, migrate } from '../../core/db.js';
import { loadConfig } from '../../core/config.js';
import { allMigrations } from '../../cli/migrations.js';
import { startDovecot, ensureSelfSignedCertificate } from '../../mailstore/index.js';

const PW = 'mat-khau-hop-thu-2026';

function imap(env: { dovecot: { imap: { port: number } } }, user: string, pass: string): ImapFlow {
  return new ImapFlow({ host: '127.0.0.1', port: env.dovecot.imap.port, secure: false, doSTARTTLS: true, tls: { rejectUnauthorized: false }, auth: { user, pass }, logger: false });
}

describe('mailstore — real Dovecot over our PostgreSQL', function () {
  this.timeout(60_000);
  let env: MailEnv;
  before(async () => {
    env = await startMailEnv();
    await addDomain(env.db, 'ubnd.test.gov.vn');
    await addMailbox(env.db, { address: 'chanh.vp@ubnd.test.gov.vn', displayName: 'Chánh Văn phòng', password: PW }, { defaultQuota: '1G' });
    await addMailbox(env.db, { address: 'nho@ubnd.test.gov.vn', displayName: 'Hộp thư nhỏ', password: PW, quota: '4K' }, { defaultQuota: '1G' });
  });
  after(() => env?.stop());

  it('delivers over LMTP with an exact answer per recipient', async () => {
    const raw = Buffer.from('From: a@ext.vn\r\nTo: chanh.vp@ubnd.test.gov.vn\r\nSubject: =?UTF-8?B?' + Buffer.from('Giấy mời họp').toString('base64') + '?=\r\n\r\nKính gửi anh.\r\n');
    const res = await env.lmtp.deliver({ from: 'a@ext.vn', to: ['chanh.vp@ubnd.test.gov.vn', 'khongco@ubnd.test.gov.vn'], raw });
    assert.deepEqual(res.map((r) => [r.recipient, r.accepted, r.code, r.enhanced]), [
      ['chanh.vp@ubnd.test.gov.vn', true, 250, '2.0.0'],
      ['khongco@ubnd.test.gov.vn', false, 550, '5.1.1'],
    ]);
  });

  it('refuses mail over quota with 552 5.2.2', async () => {
    const res = await env.lmtp.deliver({ from: 'a@ext.vn', to: ['nho@ubnd.test.gov.vn'], raw: Buffer.from('Subject: big\r\n\r\n' + 'x'.repeat(8000) + '\r\n') });
    assert.equal(res[0].accepted, false);
    assert.equal(res[0].code, 552);
    assert.equal(res[0].enhanced, '5.2.2');
  });

  it('lets the user read it over IMAP after STARTTLS, with the special-use folders', async () => {
    const client = imap(env, 'chanh.vp@ubnd.test.gov.vn', PW);
    await client.connect();
    const list = await client.list();
    const special = Object.fromEntries(list.filter((m) => m.specialUse && m.specialUse !== '\\Inbox').map((m) => [m.specialUse, m.path]));
    assert.deepEqual(special, { '\\Drafts': 'Drafts', '\\Sent': 'Sent', '\\Trash': 'Trash', '\\Junk': 'Junk' });
    const lock = await client.getMailboxLock('INBOX');
    try {
      const msg = await client.fetchOne('*', { envelope: true });
      assert.ok(msg);
      assert.equal(msg.envelope?.subject, 'Giấy mời họp');
    } finally {
      lock.release();
      await client.logout();
    }
  });

  it('lets a generated initial password ({SSHA512}) log in over IMAP, and nothing else', async () => {
    const made = await addMailbox(env.db, { address: 'moi@ubnd.test.gov.vn', displayName: 'Cán bộ mới' }, { defaultQuota: '1G' });
    const [row] = (await env.db.query(`SELECT password_hash, must_change_password FROM mailboxes WHERE address = 'moi@ubnd.test.gov.vn'`))[0] as any[];
    assert.match(row.password_hash, /^\{SSHA512\}/);
    assert.equal(row.must_change_password, true);
    const client = imap(env, 'moi@ubnd.test.gov.vn', made.password!);
    await client.connect();
    await client.logout();
    const wrong = imap(env, 'moi@ubnd.test.gov.vn', made.password!.slice(0, 15) + (made.password!.endsWith('a') ? 'b' : 'a'));
    await assert.rejects(wrong.connect());
  });

  it('files mail the MX marked as junk into Junk with the global sieve_before script', async () => {
    await addMailbox(env.db, { address: 'ketoan@ubnd.test.gov.vn', displayName: 'Kế toán', password: PW }, { defaultQuota: '1G' });
    const res = await env.lmtp.deliver({ from: 'lua-dao@ngoai.example', to: ['ketoan@ubnd.test.gov.vn'], raw: Buffer.from('X-GovMail-Junk: dmarc=fail policy=quarantine\r\nFrom: giamdoc@ubnd.test.gov.vn\r\nSubject: Chuyển khoản gấp\r\n\r\nx\r\n') });
    assert.equal(res[0].accepted, true, res[0].response);
    const client = imap(env, 'ketoan@ubnd.test.gov.vn', PW);
    await client.connect();
    try {
      const junk = await client.status('Junk', { messages: true });
      assert.equal(junk.messages, 1);
      const lock = await client.getMailboxLock('Junk');
      try {
        const got = await client.fetchOne('*', { envelope: true });
        assert.equal(got && got.envelope?.subject, 'Chuyển khoản gấp');
      } finally {
        lock.release();
      }
      const inbox = await client.status('INBOX', { messages: true });
      assert.equal(inbox.messages, 0);
    } finally {
      await client.logout();
    }
  });

  it('refuses a password login before TLS from another host', async () => {
    // Dovecot counts a client on its own IP as secured, so come from 127.0.0.2 as a remote client would.
    const greeting = await new Promise<string>((resolve, reject) => {
      const sock = net.connect({ host: '127.0.0.1', port: env.dovecot.imap.port, localAddress: '127.0.0.2' });
      let buf = '';
      sock.on('data', (d) => {
        buf += d;
        if (buf.includes('a OK') || buf.includes('a NO') || buf.includes('a BAD')) {
          sock.end();
          resolve(buf);
        } else if (buf.includes('\r\n') && !buf.includes('a LOGIN')) {
          buf += 'a LOGIN';
          sock.write(`a LOGIN chanh.vp@ubnd.test.gov.vn ${PW}\r\n`);
        }
      });
      sock.on('error', reject);
    });
    assert.match(greeting, /LOGINDISABLED/);
    assert.match(greeting, /a (NO|BAD)/);
    assert.doesNotMatch(greeting, /a OK/);
  });

  it('lets the webmail log in as a user through the loopback master user', async () => {
    const m = env.dovecot.master;
    const client = imap(env, `chanh.vp@ubnd.test.gov.vn${m.separator}${m.user}`, m.password);
    await client.connect();
    const status = await client.status('INBOX', { messages: true });
    assert.equal(status.messages, 1);
    await client.logout();
    await assert.rejects(imap(env, `chanh.vp@ubnd.test.gov.vn${m.separator}${m.user}`, 'wrong-master-password').connect());
  });

  it('keeps usage and last login in PostgreSQL', async () => {
    const rows = (await env.db.query(`SELECT bytes::int, messages::int, last_login FROM mailstore_usage WHERE username = 'chanh.vp@ubnd.test.gov.vn'`))[0] as any[];
    assert.equal(rows[0].messages, 1);
    assert.ok(rows[0].bytes > 50);
    assert.ok(Number(rows[0].last_login) > Date.now() / 1000 - 120, 'last_login recorded by the IMAP login');
  });

  it('refuses a suspended mailbox at once', async () => {
    await setMailboxActive(env.db, 'nho@ubnd.test.gov.vn', false);
    await assert.rejects(imap(env, 'nho@ubnd.test.gov.vn', PW).connect());
    const res = await env.lmtp.deliver({ from: 'a@ext.vn', to: ['nho@ubnd.test.gov.vn'], raw: Buffer.from('Subject: x\r\n\r\nx\r\n') });
    assert.equal(res[0].code, 550);
    await setMailboxActive(env.db, 'nho@ubnd.test.gov.vn', true);
    const client = imap(env, 'nho@ubnd.test.gov.vn', PW);
    await client.connect();
    await client.logout();
  });
});

describe('mailstore — recovery after a PostgreSQL restart', function () {
  this.timeout(90_000);
  // Login processes serve many clients each (mailstore/config.ts): the one already running when reload()
  // is called may still hand a login or two to the old auth process, whose SQL connection died with
  // PostgreSQL, until the master has replaced both. So: logins work again within seconds, not at once.
  it('restores SQL auth within seconds of reload()', async () => {
    const dir = testDataDir('govmail-pgrestart-');
    const identity = serviceIdentity('govmail');
    chownTree(dir, identity);
    const pgPort = await freePort();
    const config = loadConfig({ dataDir: dir, imapPort: await freePort(), lmtpPort: await freePort(), pop3Port: await freePort(), managesievePort: await freePort(), hostname: 'mail.test.gov.vn' }, {});
    let pg = await startEmbeddedPostgres(dir, pgPort, identity);
    const db = connect(pg.url);
    await migrate(db, allMigrations());
    await addDomain(db, 'x.gov.vn');
    await addMailbox(db, { address: 'a@x.gov.vn', displayName: 'A', password: PW }, { defaultQuota: '1G' });
    await db.close();
    const dovecot = await startDovecot({ config, dbUrl: pg.url, identity, tls: ensureSelfSignedCertificate(dir, config.hostname, identity) });
    try {
      const login = async () => {
        const c = imap({ dovecot }, 'a@x.gov.vn', PW);
        await c.connect();
        await c.logout();
      };
      await login();
      await pg.stop();
      pg = await startEmbeddedPostgres(dir, pgPort, identity);
      await dovecot.reload();
      const until = Date.now() + 15_000;
      for (;;) {
        try {
          await login();
          break;
        } catch (err) {
          if (Date.now() > until) throw err;
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    } finally {
      await dovecot.stop();
      await pg.stop();
    }
  });
});
