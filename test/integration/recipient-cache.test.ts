import assert from 'node:assert/strict';
import { QueryTypes } from 'sequelize';
import { startSmtpEnv, type SmtpEnv } from '../support/mailenv.js';
import { rawSmtp } from '../support/raw-smtp.js';
import { addAlias, addDomain, addMailbox, DIRECTORY_CHANGES, setMailboxActive } from '../../admin/index.js';
import { QUOTA_CROSSINGS } from '../../mailstore/index.js';
import { createChangeFeed, type ChangeFeed } from '../../core/notify.js';

const D = 'cache.gov.vn';

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('recipient cache kept fresh by PostgreSQL notifications (real PostgreSQL and Dovecot)', function () {
  this.timeout(60_000);
  let env: SmtpEnv;
  let feed: ChangeFeed;
  const heard: Array<[string, string | undefined]> = [];
  const rcpt = async (address: string) => {
    const out = await rawSmtp(env.config.smtpPort, ['EHLO x', 'MAIL FROM:<a@ngoai.vn>', `RCPT TO:<${address}>`, 'QUIT']);
    return /^(\d{3})/.exec(out.split('\r\n').filter(Boolean).at(-2)!)![1];
  };
  const listenerCount = async () =>
    (await env.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'govmail-notify' AND datname = current_database()`, { type: QueryTypes.SELECT }))[0].n;

  before(async () => {
    env = await startSmtpEnv('smtp://127.0.0.1:9', false);
    await addDomain(env.db, D);
    await addMailbox(env.db, { address: `mot@${D}`, displayName: 'Một', password: 'mat-khau-thu-2026' }, { defaultQuota: '1M' });
    feed = createChangeFeed(env.db, [DIRECTORY_CHANGES, QUOTA_CROSSINGS]);
    feed.subscribe(DIRECTORY_CHANGES, (p) => heard.push([DIRECTORY_CHANGES, p]));
    feed.subscribe(QUOTA_CROSSINGS, (p) => heard.push([QUOTA_CROSSINGS, p]));
    // The test's own feed and the MX's.
    await until('both listeners', async () => feed.live && (await listenerCount()) === 2);
  });
  after(async () => {
    await feed?.close();
    await env?.stop();
  });

  it('announces directory changes and quota crossings, and nothing else', async () => {
    heard.length = 0;
    await addMailbox(env.db, { address: `hai@${D}`, displayName: 'Hai', password: 'mat-khau-thu-2026' }, { defaultQuota: '1M' });
    await until('a directory notification', () => heard.some(([c]) => c === DIRECTORY_CHANGES));

    heard.length = 0;
    const usage = (bytes: number) =>
      env.db.query('INSERT INTO mailstore_usage (username, bytes, messages) VALUES ($1, $2, 1) ON CONFLICT (username) DO UPDATE SET bytes = EXCLUDED.bytes', { bind: [`hai@${D}`, bytes] });
    await usage(1000);
    await usage(500_000);
    await usage(1024 * 1024); // reaches the quota
    await usage(1024 * 1024 + 10); // still full: no second notification
    await usage(100); // below again
    await until('two quota notifications', () => heard.length >= 2);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(heard, [
      [QUOTA_CROSSINGS, `hai@${D}`],
      [QUOTA_CROSSINGS, `hai@${D}`],
    ]);
  });

  it('serves the MX from the cache, which the triggers keep fresh', async () => {
    assert.equal(await rcpt(`mot@${D}`), '250');
    assert.equal(await rcpt(`ba@${D}`), '550');

    // With the mailboxes trigger off, a suspension reaches the table but no cache hears of it: the MX
    // still answers from what it has — which shows the answers are cached, and that the trigger is what keeps them fresh.
    await env.db.query('ALTER TABLE mailboxes DISABLE TRIGGER mailboxes_changed');
    try {
      await env.db.query('UPDATE mailboxes SET active = false WHERE address = $1', { bind: [`mot@${D}`] });
      assert.equal(await rcpt(`mot@${D}`), '250');
    } finally {
      await env.db.query('ALTER TABLE mailboxes ENABLE TRIGGER mailboxes_changed');
    }
    await setMailboxActive(env.db, `mot@${D}`, false);
    assert.equal(await rcpt(`mot@${D}`), '550', 'a suspension through admin is seen at the next RCPT');
    await setMailboxActive(env.db, `mot@${D}`, true);
    assert.equal(await rcpt(`mot@${D}`), '250');

    await addMailbox(env.db, { address: `ba@${D}`, displayName: 'Ba', password: 'mat-khau-thu-2026' }, { defaultQuota: '1M' });
    assert.equal(await rcpt(`ba@${D}`), '250', 'a new mailbox takes mail at once, though its absence was cached');
  });

  it('stops taking mail for an alias when it expires', async () => {
    await addAlias(env.db, `tam@${D}`, `mot@${D}`, undefined, new Date(Date.now() + 1500));
    assert.equal(await rcpt(`tam@${D}`), '250');
    await new Promise((r) => setTimeout(r, 1600));
    assert.equal(await rcpt(`tam@${D}`), '550');
  });

  it('sees a quota reached by delivery at the next RCPT', async () => {
    assert.equal(await rcpt(`ba@${D}`), '250');
    // 3 × 350 kB: the third passes the 1 MiB quota within Dovecot's 10 % grace, and the mailbox is then full.
    const line = 'x'.repeat(998) + '\r\n';
    const raw = Buffer.from(`From: a@ngoai.vn\r\nTo: ba@${D}\r\nSubject: day\r\n\r\n${line.repeat(350)}`);
    for (let i = 0; i < 3; i++) {
      const [r] = await env.lmtp.deliver({ from: 'a@ngoai.vn', to: [`ba@${D}`], raw });
      assert.equal(r.code, 250, r.response);
    }
    assert.equal(await rcpt(`ba@${D}`), '452');
  });

  it('answers from the database while the notifications are down, and caches again once they are back', async () => {
    assert.equal(await rcpt(`mot@${D}`), '250');
    await env.db.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'govmail-notify' AND datname = current_database() AND pid <> pg_backend_pid()`);
    await until('the feed to notice', () => !feed.live);
    // Nothing announces this change, yet the MX must see it: with the feed down it asks the database.
    await env.db.query('ALTER TABLE mailboxes DISABLE TRIGGER mailboxes_changed');
    try {
      await env.db.query('UPDATE mailboxes SET active = false WHERE address = $1', { bind: [`mot@${D}`] });
      assert.equal(await rcpt(`mot@${D}`), '550');
      await env.db.query('UPDATE mailboxes SET active = true WHERE address = $1', { bind: [`mot@${D}`] });
      await until('both listeners back', async () => feed.live && (await listenerCount()) === 2);
      assert.equal(await rcpt(`mot@${D}`), '250');
      await env.db.query('UPDATE mailboxes SET active = false WHERE address = $1', { bind: [`mot@${D}`] });
      assert.equal(await rcpt(`mot@${D}`), '250', 'cached again after the reconnect');
    } finally {
      await env.db.query('ALTER TABLE mailboxes ENABLE TRIGGER mailboxes_changed');
      await env.db.query('UPDATE mailboxes SET active = true WHERE address = $1', { bind: [`mot@${D}`] });
    }
  });
});
