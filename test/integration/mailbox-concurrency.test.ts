import assert from 'node:assert/strict';
import { ImapFlow } from 'imapflow';
import { startWebmailEnv, Browser, rawMessage, type WebmailEnv } from '../support/webmail.js';
import { addDomain, addMailbox } from '../../admin/index.js';

const D = 'vanphong.test.gov.vn';
const PW = 'mat-khau-van-thu-2026';

function imap(env: WebmailEnv, mailbox: string, o: { idle?: boolean } = {}): ImapFlow {
  const client = new ImapFlow({
    host: '127.0.0.1',
    port: env.dovecot.imap.port,
    secure: false,
    doSTARTTLS: true,
    tls: { rejectUnauthorized: false },
    auth: { user: mailbox, pass: PW },
    logger: false,
    disableAutoIdle: !o.idle,
  } as any);
  client.on('error', () => undefined);
  return client;
}

/** What Thunderbird does on connect: LIST with STATUS, then STATUS on what was listed. */
async function thunderbirdOpens(client: ImapFlow): Promise<void> {
  const list = await client.list({ statusQuery: { messages: true, unseen: true } });
  for (const f of list.filter((x) => !x.flags.has('\\Noselect')).slice(0, 6)) await client.status(f.path, { messages: true, unseen: true });
}

/** APPEND as desktop clients do it: a folder that is not there yet (TRYCREATE) is created, then the APPEND repeated. */
async function appendCreating(client: ImapFlow, folder: string, raw: Buffer, flags: string[]): Promise<void> {
  try {
    await client.append(folder, raw, flags);
  } catch (e: any) {
    if (e.serverResponseCode !== 'TRYCREATE') throw e;
    await client.mailboxCreate(folder).catch((err) => { if (err.serverResponseCode !== 'ALREADYEXISTS') throw err; });
    await client.append(folder, raw, flags);
  }
}

/**
 * Many sessions on one shared mailbox (the clerk's "văn thư"), webmail and desktop clients at once.
 * With the mailbox list index on, Dovecot 2.3 panicked (fcntl EDEADLK on dovecot.list.index.log) when
 * sessions raced to auto-create INBOX or a special folder inside LIST-STATUS; the config now has no list
 * index (mailstore/config.ts), and this test is what says so. Its 20 rounds also leave 100 webmail sessions
 * connected over STARTTLS, which is where one login process per client (Dovecot's default) ran out.
 */
describe('mailbox concurrency — webmail sessions and IMAP clients on one mailbox (real Dovecot)', function () {
  this.timeout(240_000);
  let env: WebmailEnv;

  before(async () => {
    env = await startWebmailEnv();
    await addDomain(env.db, D);
  });
  after(async () => {
    await env?.stop();
  });

  it('fresh mailboxes opened by 10 sessions at once, special folders deleted by a client and listed again: no failed command, no Dovecot panic', async () => {
    const errors: string[] = [];
    for (let round = 0; round < 20; round++) {
      const mailbox = `vanthu${round}@${D}`;
      await addMailbox(env.db, { address: mailbox, displayName: 'Văn thư', password: PW }, { defaultQuota: '1G' });
      const clients = Array.from({ length: 5 }, () => imap(env, mailbox));
      const browsers = Array.from({ length: 5 }, (_, i) => new Browser(env.app, `10.1.${round}.${i + 1}`));
      await Promise.all(clients.map((c) => c.connect()));
      await Promise.all([
        ...clients.map((c) => thunderbirdOpens(c).catch((e) => errors.push(`imap: ${e.responseText ?? e.message}`))),
        ...browsers.map(async (b) => {
          const login = await b.login(mailbox, PW);
          if (login.statusCode !== 200) return errors.push(`login ${login.statusCode}`);
          const folders = await b.get('folders');
          if (folders.statusCode !== 200) errors.push(`folders ${folders.statusCode} ${folders.body}`);
        }),
      ]);
      // A desktop user deletes Junk and Trash; every session lists again at once.
      await Promise.all(['Junk', 'Trash'].map((f) => clients[0]!.mailboxDelete(f).catch(() => undefined)));
      await Promise.all([
        ...clients.map((c) => thunderbirdOpens(c).catch((e) => errors.push(`imap again: ${e.responseText ?? e.message}`))),
        ...browsers.map(async (b) => {
          const folders = await b.get('folders');
          if (folders.statusCode !== 200) errors.push(`folders again ${folders.statusCode} ${folders.body}`);
        }),
      ]);
      await Promise.all(clients.map((c) => c.logout().catch(() => undefined)));
    }
    assert.deepEqual(errors, []);
    assert.deepEqual({ panics: env.dovecot.health().panics, fatals: env.dovecot.health().fatals }, { panics: 0, fatals: 0 }, env.dovecot.health().lastProblem?.line);
    // Deleted special folders come back (auto = subscribe).
    const check = imap(env, `vanthu0@${D}`);
    await check.connect();
    const uses = (await check.list()).map((f) => f.specialUse).filter(Boolean).sort();
    await check.logout();
    assert.deepEqual(uses, ['\\Drafts', '\\Inbox', '\\Junk', '\\Sent', '\\Trash']);
  });

  it('a minute of mixed work by 5 webmail sessions and 5 IMAP clients (one in IDLE) plus deliveries: no failed command, no Dovecot panic', async () => {
    const mailbox = `vanthu@${D}`;
    await addMailbox(env.db, { address: mailbox, displayName: 'Văn thư Sở', password: PW }, { defaultQuota: '2G' });
    const setup = imap(env, mailbox);
    await setup.connect();
    for (let i = 0; i < 4; i++) await setup.mailboxCreate(`Lưu trữ/${i}`);
    await setup.logout();
    for (let i = 0; i < 20; i++) await env.lmtp.deliver({ from: 'doitac@ben-ngoai.vn', to: [mailbox], raw: rawMessage({ from: 'doitac@ben-ngoai.vn', to: mailbox, subject: `Công văn đến số ${i}` }) });
    const end = Date.now() + 60_000;
    const errors: string[] = [];
    const done = { webmail: 0, imap: 0, delivered: 0, idleEvents: 0 };

    const webmailUser = async (i: number) => {
      const b = new Browser(env.app, `10.2.0.${i + 1}`);
      const login = await b.login(mailbox, PW);
      if (login.statusCode !== 200) return errors.push(`login ${login.statusCode}`);
      for (let n = 0; Date.now() < end; n++) {
        const list = await b.get('messages?folder=INBOX&page=1');
        if (list.statusCode !== 200) { errors.push(`list ${list.statusCode} ${list.body}`); continue; }
        const messages = list.json().messages as Array<{ uid: number }>;
        const pick = messages[(n * 7 + i) % Math.max(1, messages.length)];
        const steps = [
          () => b.get('folders'),
          ...(pick ? [() => b.get(`messages/INBOX/${pick.uid}`), () => b.post('messages/INBOX/flags', { uids: [pick.uid], add: ['\\Flagged'] })] : []),
          ...(pick && n % 6 === 5 ? [() => b.post('messages/INBOX/move', { uids: [pick.uid], to: `Lưu trữ/${i % 4}` })] : []),
          () => b.get('messages?folder=INBOX&page=1&q=' + encodeURIComponent('Công văn')),
        ];
        for (const step of steps) {
          const r = await step();
          // Another session may have moved the message meanwhile: that 404 is the right answer.
          if (r.statusCode >= 400 && !(r.statusCode === 404 && /"en":"no message \d+ in folder/.test(r.body))) errors.push(`webmail ${r.statusCode} ${r.body.slice(0, 200)}`);
          else done.webmail++;
        }
      }
    };
    const imapUser = async (i: number) => {
      const c = imap(env, mailbox);
      await c.connect();
      for (let n = 0; Date.now() < end; n++) {
        try {
          await thunderbirdOpens(c);
          const folder = `Lưu trữ/${i}`;
          await appendCreating(c, n % 2 ? 'Sent' : folder, rawMessage({ from: mailbox, to: 'x@ben-ngoai.vn', subject: `Bản sao ${i}-${n}` }), ['\\Seen']);
          const lock = await c.getMailboxLock('INBOX');
          try {
            const exists = (c.mailbox as any).exists as number;
            if (exists > 0) {
              const seq = 1 + ((n * 5 + i) % exists);
              await c.messageFlagsAdd(`${seq}`, ['\\Seen', '$DaXuLy']);
              if (exists > 15 && n % 4 === 3) await c.messageMove(`${seq}`, folder);
            }
          } finally {
            lock.release();
          }
          await c.status('INBOX', { messages: true, unseen: true, uidNext: true });
          done.imap++;
        } catch (e: any) {
          errors.push(`imap ${i}: ${e.responseText ?? e.message}`);
        }
      }
      await c.logout();
    };
    const idler = async () => {
      const c = imap(env, mailbox, { idle: true });
      c.on('exists', () => done.idleEvents++);
      await c.connect();
      await c.mailboxOpen('INBOX');
      while (Date.now() < end) await new Promise((r) => setTimeout(r, 250));
      await c.logout();
    };
    const deliveries = async () => {
      for (let n = 0; Date.now() < end; n++) {
        const r = await env.lmtp.deliver({ from: 'doitac@ben-ngoai.vn', to: [mailbox], raw: rawMessage({ from: 'doitac@ben-ngoai.vn', to: mailbox, subject: `Công văn mới ${n}` }) });
        if (r.some((x) => x.code !== 250)) errors.push(`lmtp ${r.map((x) => x.response).join(' ')}`);
        else done.delivered++;
        await new Promise((res) => setTimeout(res, 200));
      }
    };
    await Promise.all([...[0, 1, 2, 3, 4].map(webmailUser), ...[0, 1, 2, 3].map(imapUser), idler(), deliveries()]);
    assert.deepEqual(errors.slice(0, 10), []);
    assert.ok(done.webmail > 50 && done.imap > 20 && done.delivered > 20, `work was done: ${JSON.stringify(done)}`);
    assert.ok(done.idleEvents > 0, 'the IDLE client heard of new mail');
    const health = env.dovecot.health();
    assert.deepEqual({ panics: health.panics, fatals: health.fatals }, { panics: 0, fatals: 0 }, health.lastProblem?.line);
  });
});
