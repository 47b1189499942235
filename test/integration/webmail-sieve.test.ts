import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { QueryTypes } from 'sequelize';
import { simpleParser } from 'mailparser';
import { startWebmailEnv, Browser, imapAs, rawMessage, type WebmailEnv } from '../support/webmail.js';
import { addDomain, addMailbox } from '../../admin/index.js';
import { createDkimKey } from '../../smtp/index.js';
import { chownTree } from '../../core/privileges.js';
import { withManageSieve, type SieveTarget } from '../../webmail/server/managesieve.js';
import { generateScript, parseScript, type SieveModel } from '../../webmail/server/sieve-script.js';

const PW = 'mat-khau-hop-thu-2026';
const D = 'sonv.test.gov.vn';
const A = `nguyenvana@${D}`;
const B = `tranthib@${D}`;
const C = `lethic@${D}`;
const REMOTE = 'khach@ngoai-tinh.example';
const INJECTION = '" ; discard; "';

describe('webmail Sieve settings — vacation reply and filters through ManageSieve', function () {
  this.timeout(180_000);
  let env: WebmailEnv;
  let target: SieveTarget;
  let ip = 0;

  const loggedIn = async (user: string) => {
    const b = new Browser(env.app, `10.88.0.${++ip}`);
    assert.equal((await b.login(user, PW)).statusCode, 200);
    return b;
  };
  const put = (b: Browser, model: unknown, query = '') => b.request('PUT', `sieve${query}`, model);
  const deliver = async (from: string, to: string, raw: Buffer) => {
    const res = await env.lmtp.deliver({ from, to: [to], raw });
    assert.ok(res.every((r) => r.accepted), JSON.stringify(res));
  };
  /** Every message of a folder, parsed, with its flags. */
  const messages = async (mailbox: string, folder = 'INBOX') => {
    const imap = await imapAs(env, mailbox);
    try {
      const box = await imap.mailboxOpen(folder);
      const out: Array<{ flags: Set<string>; mail: Awaited<ReturnType<typeof simpleParser>> }> = [];
      if (!box.exists) return out;
      for await (const m of imap.fetch('1:*', { source: true, flags: true })) out.push({ flags: m.flags ?? new Set<string>(), mail: await simpleParser(m.source!) });
      return out;
    } catch (err) {
      if (/NONEXISTENT/i.test(String((err as { serverResponseCode?: string; responseText?: string }).serverResponseCode ?? (err as { responseText?: string }).responseText))) return [];
      throw err;
    } finally {
      await imap.logout();
    }
  };
  const vacation = (over: Partial<SieveModel['vacation']> = {}): SieveModel => ({
    vacation: { enabled: true, subject: `Nghỉ phép ${INJECTION}`, body: `Tôi nghỉ phép đến hết tuần.\n${INJECTION}\nkeep;`, days: 7, ...over },
    filters: [],
  });

  before(async () => {
    env = await startWebmailEnv();
    // As `govmail start` leaves it: the whole data folder (the KEK included) belongs to the service user,
    // which is who Dovecot runs our sendmail as.
    chownTree(env.dataDir, env.identity);
    target = { host: '127.0.0.1', port: env.config.managesievePort, master: { user: env.dovecot.master.user, password: env.dovecot.master.password } };
    await addDomain(env.db, D);
    await createDkimKey(env.db, env.kek, D);
    for (const [address, name] of [[A, 'Nguyễn Văn A'], [B, 'Trần Thị B'], [C, 'Lê Thị C']]) {
      await addMailbox(env.db, { address, displayName: name, password: PW }, { defaultQuota: '1G' });
    }
  });
  after(async () => env?.stop());

  it('starts with no script and refuses a model that cannot be written safely', async () => {
    const b = await loggedIn(B);
    const res = await b.get('sieve');
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().status, 'none');
    const bad = await put(b, vacation({ subject: 'a\r\nBcc: x@y.vn' }));
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.field, 'vacation.subject');
    assert.ok(bad.json().error.vi && bad.json().error.en);
    assert.equal((await put(b, vacation({ days: 60 }))).statusCode, 400);
    assert.equal((await b.request('PUT', 'sieve', vacation(), { csrf: false })).statusCode, 403);
  });

  it('stores the vacation reply as the active "govmail" script that Dovecot compiles', async () => {
    const b = await loggedIn(B);
    const res = await put(b, vacation());
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().status, 'govmail');
    assert.deepEqual(res.json().model, vacation());
    assert.deepEqual((await b.get('sieve')).json().model, vacation());
    await withManageSieve(target, B, async (c) => {
      assert.deepEqual(await c.listScripts(), [{ name: 'govmail', active: true }]);
      const script = (await c.getScript('govmail'))!;
      assert.equal(parseScript(script).kind, 'govmail');
      assert.match(script, /:subject "Nghỉ phép \\" ; discard; \\""/);
      assert.deepEqual(await c.checkScript(script), { ok: true });
      const broken = await c.checkScript('if true { discard');
      assert.equal(broken.ok, false);
      assert.equal(await c.getScript('khong-co'), undefined);
    });
  });

  it('vacation reply fires: once per sender within :days, with the configured subject and text', async () => {
    await deliver(A, B, rawMessage({ from: `Nguyễn Văn A <${A}>`, to: B, subject: 'Mời họp giao ban', messageId: '<hop-1@sonv.test.gov.vn>' }));
    // Dovecot runs Sieve, and so our sendmail, before it answers LMTP: the reply is already in A's INBOX.
    const replies = await messages(A);
    assert.equal(replies.length, 1, 'one vacation reply');
    const reply = replies[0].mail;
    assert.equal(reply.subject, `Nghỉ phép ${INJECTION}`);
    assert.match(String(reply.headers.get('auto-submitted')), /^auto-replied\b/);
    assert.equal(reply.inReplyTo, '<hop-1@sonv.test.gov.vn>');
    assert.equal(reply.from?.value[0].address, B);
    assert.match(reply.text ?? '', /Tôi nghỉ phép đến hết tuần\.\n" ; discard; "\nkeep;/);
    assert.match(String(reply.headers.get('received') ?? ''), /with local/);

    await deliver(A, B, rawMessage({ from: A, to: B, subject: 'Nhắc lại: mời họp', messageId: '<hop-2@sonv.test.gov.vn>' }));
    assert.equal((await messages(A)).length, 1, 'no second reply within :days');
    assert.equal((await messages(B)).length, 2, 'B keeps both messages');
    const [usage] = await env.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM usage_events WHERE mailbox = $1 AND event = 'accepted' AND direction = 'internal'`, { bind: [B], type: QueryTypes.SELECT });
    assert.equal(usage.n, 1, 'the reply is counted as B\'s mail');
  });

  it('queues the reply to a remote sender with the null sender, DKIM-signed for our domain', async () => {
    await deliver(REMOTE, B, rawMessage({ from: `Khách <${REMOTE}>`, to: B, subject: 'Hỏi thủ tục', messageId: '<hoi-1@ngoai-tinh.example>' }));
    const rows = await env.db.query<{ sender: string; address: string; local: boolean; message: Buffer; origin_mailbox: string }>(
      `SELECT q.sender, r.address, r.local, q.message, q.origin_mailbox FROM smtp_queue q JOIN smtp_queue_recipients r ON r.queue_id = q.id WHERE r.address = $1`,
      { bind: [REMOTE], type: QueryTypes.SELECT },
    );
    assert.equal(rows.length, 1, JSON.stringify(rows));
    assert.equal(rows[0].sender, '');
    assert.equal(rows[0].local, false);
    assert.equal(rows[0].origin_mailbox, B);
    const raw = Buffer.from(rows[0].message).toString('utf8');
    assert.match(raw, /^DKIM-Signature:[^]*?d=sonv\.test\.gov\.vn/);
    assert.match(raw, /^Auto-Submitted: auto-replied/m);
    assert.match(raw, /^In-Reply-To: <hoi-1@ngoai-tinh\.example>/m);
  });

  it('files by filter, and an injection string is only ever a value', async () => {
    const c = await loggedIn(C);
    const model: SieveModel = {
      vacation: { enabled: false, subject: '', body: '', days: 7 },
      filters: [
        { name: 'Công văn', match: 'all', conditions: [{ field: 'subject', op: 'contains', value: '[CV]' }], actions: [{ type: 'fileinto', folder: 'Công văn đến' }, { type: 'markread' }] },
        { name: INJECTION, match: 'any', conditions: [{ field: 'subject', op: 'contains', value: INJECTION }, { field: 'from', op: 'matches-domain', value: 'spam.example' }], actions: [{ type: 'fileinto', folder: 'Tiêm' }] },
      ],
    };
    const res = await put(c, model);
    assert.equal(res.statusCode, 200, res.body);
    await deliver(A, C, rawMessage({ from: A, to: C, subject: '[CV] Số 12/STC-NS' }));
    await deliver(A, C, rawMessage({ from: A, to: C, subject: `Thử ${INJECTION} nhé` }));
    await deliver('x@spam.example', C, rawMessage({ from: 'x@spam.example', to: C, subject: 'Quảng cáo' }));
    await deliver(A, C, rawMessage({ from: A, to: C, subject: 'Thư thường' }));
    const filed = await messages(C, 'Công văn đến');
    assert.deepEqual(filed.map((m) => m.mail.subject), ['[CV] Số 12/STC-NS']);
    assert.ok(filed[0].flags.has('\\Seen'), 'marked read');
    assert.deepEqual((await messages(C, 'Tiêm')).map((m) => m.mail.subject), [`Thử ${INJECTION} nhé`, 'Quảng cáo']);
    assert.deepEqual((await messages(C)).map((m) => m.mail.subject), ['Thư thường']);
    assert.equal((await messages(A)).length, 1, 'no vacation for C');
  });

  it('reports a script made elsewhere as custom and replaces it only when asked, keeping it', async () => {
    const a = await loggedIn(A);
    const custom = 'require "fileinto";\nif header :contains "subject" "x" { fileinto "X"; }\n';
    await withManageSieve(target, A, async (c) => {
      await c.putScript('thunderbird', custom);
      await c.setActive('thunderbird');
    });
    const got = (await a.get('sieve')).json();
    assert.equal(got.status, 'custom');
    assert.equal(got.activeScript, 'thunderbird');
    const refused = await put(a, vacation());
    assert.equal(refused.statusCode, 409);
    assert.equal(refused.json().error.code, 'SIEVE_CUSTOM');
    const replaced = await put(a, vacation(), '?replaceCustom=1');
    assert.equal(replaced.statusCode, 200, replaced.body);
    assert.equal(replaced.json().status, 'govmail');
    await withManageSieve(target, A, async (c) => {
      assert.deepEqual((await c.listScripts()).sort((x, y) => x.name.localeCompare(y.name)), [{ name: 'govmail', active: true }, { name: 'thunderbird', active: false }]);
      assert.equal(await c.getScript('thunderbird'), custom);
      // Edited by hand in another client: ours by name, no longer ours to overwrite.
      await c.putScript('govmail', `${generateScript(vacation())}keep;\n`);
    });
    const edited = (await a.get('sieve')).json();
    assert.deepEqual([edited.status, edited.customReason], ['custom', 'edited']);
    assert.equal((await put(a, vacation())).statusCode, 409);
  });

  it('govmail sendmail answers with sysexits codes', async () => {
    const wrapper = path.join(env.dataDir, 'dovecot', 'sendmail');
    const run = (args: string[], input: string) => spawnSync(wrapper, args, { input, encoding: 'utf8', timeout: 60_000 });
    const msg = (from: string) => `From: ${from}\nTo: x\nSubject: t\n\nbody\n`;
    const unknown = run(['-i', '-f', '<>', '--', `khongco@${D}`], msg(B));
    assert.equal(unknown.status, 67, unknown.stderr);
    assert.match(unknown.stderr, /khongco@/);
    const stranger = run(['-i', '-f', 'la@ngoai.example', '--', A], msg('la@ngoai.example'));
    assert.equal(stranger.status, 77, stranger.stderr);
    assert.equal(run(['-i', '-f', '<>'], msg(B)).status, 64);
    const ok = run(['-i', '-f', B, '--', C], msg(B).replace('Subject: t', 'Subject: qua sendmail'));
    assert.equal(ok.status, 0, ok.stderr);
    assert.ok((await messages(C)).some((m) => m.mail.subject === 'qua sendmail'), 'LF-only input delivered');
  });
});
