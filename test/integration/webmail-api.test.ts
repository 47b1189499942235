import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import * as OTPAuth from 'otpauth';
import { QueryTypes } from 'sequelize';
import { startWebmailEnv, Browser, imapAs, rawMessage, messageWithPdf, type WebmailEnv } from '../support/webmail.js';
import { addAgency, addAlias, addDomain, addMailbox, getAgency, setMailboxActive } from '../../admin/index.js';
import { queueStats } from '../../smtp/index.js';
import { linkKey, signLink, sessionIdOf, fetchRemoteImage, isPublicAddress, WEBMAIL_COOKIE } from '../../webmail/index.js';

const PW = 'mat-khau-hop-thu-2026';
const D = 'sotttt.test.gov.vn';
const A = `nguyenvana@${D}`;
const B = `tranthib@${D}`;
const C = `lethic@${D}`;
const SORT_FOLDER = 'Sắp xếp';
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

let ipCounter = 0;
/** Each test gets its own client address, so the per-IP login limit of one test never touches another. */
const nextIp = () => `10.77.${Math.floor(++ipCounter / 200)}.${(ipCounter % 200) + 1}`;

describe('webmail API — real PostgreSQL, Dovecot and the submission pipeline', function () {
  this.timeout(120_000);
  let env: WebmailEnv;
  let a: Browser;
  /** UIDs in A's sort folder by label. */
  const sortUid: Record<string, number> = {};

  const deliver = async (to: string, raw: Buffer) => {
    const res = await env.lmtp.deliver({ from: 'congvan@bo-ngoai.vn', to: [to], raw });
    assert.ok(res.every((r) => r.accepted), JSON.stringify(res));
  };
  const loggedIn = async (user: string) => {
    const b = new Browser(env.app, nextIp());
    const res = await b.login(user, PW);
    assert.equal(res.statusCode, 200, res.body);
    return b;
  };

  before(async () => {
    env = await startWebmailEnv();
    await addDomain(env.db, D);
    await addAgency(env.db, { code: 'T', name: 'UBND tỉnh', level: 'province' });
    const agency = await addAgency(env.db, { code: 'STTTT', name: 'Sở Thông tin và Truyền thông', level: 'department', parentCode: 'T' });
    const agencyId = (await getAgency(env.db, agency.code))!.id;
    await addMailbox(env.db, { address: A, displayName: 'Nguyễn Văn A', password: PW, agencyId, position: 'Chuyên viên' }, { defaultQuota: '1G' });
    await addMailbox(env.db, { address: B, displayName: 'Trần Thị B', password: PW, agencyId }, { defaultQuota: '1G' });
    await addMailbox(env.db, { address: C, displayName: 'Lê Thị C', password: PW }, { defaultQuota: '1G' });
    await addAlias(env.db, `vanthu@${D}`, A);

    // A's INBOX: three messages over LMTP (uids 1–3); B's INBOX: one (uid 1).
    await deliver(A, rawMessage({ from: 'Bộ Nội vụ <congvan@bo-ngoai.vn>', to: A, subject: 'Giấy mời họp', body: 'Kính mời anh dự họp.' }));
    await deliver(A, messageWithPdf({ from: 'congvan@bo-ngoai.vn', to: A, subject: 'Cong van kem PDF' }));
    await deliver(
      A,
      rawMessage({
        from: 'tin@bao-ngoai.vn',
        to: A,
        subject: 'Bản tin có ảnh',
        contentType: 'text/html; charset=utf-8',
        headers: ['References: <goc-1@bo-ngoai.vn> <goc-2@bo-ngoai.vn>'],
        body: '<p>Xin chào</p><img src="https://anh.bao-ngoai.vn/logo.png" alt="logo">',
      }),
    );
    await deliver(B, rawMessage({ from: 'congvan@bo-ngoai.vn', to: B, subject: 'Thư riêng của B' }));

    // A's sort folder: APPENDed with chosen arrival dates, senders, subjects and sizes.
    const imap = await imapAs(env, A);
    await imap.mailboxCreate(SORT_FOLDER);
    await imap.mailboxCreate(['Dự án', '2025']);
    const rows: Array<[string, string, string, string, number, boolean]> = [
      // label, from, subject, arrival date, body padding, with PDF
      ['m1', 'Bùi Văn Một <mot@ngoai.vn>', 'Điều chỉnh kế hoạch', '2025-03-01T09:00:00+07:00', 10, false],
      ['m2', 'An Thị Hai <hai@ngoai.vn>', 'Báo cáo quý', '2025-03-02T09:00:00+07:00', 3000, false],
      ['m3', 'Cao Văn Ba <ba@ngoai.vn>', 'Công văn số 15', '2025-03-03T09:00:00+07:00', 500, true],
      ['m4', 'Đinh Thị Bốn <bon@ngoai.vn>', 'Ảnh hội nghị', '2025-03-04T23:30:00+07:00', 20000, false],
      ['m5', 'Ân Văn Năm <nam@ngoai.vn>', 'Kế hoạch năm', '2025-03-05T09:00:00+07:00', 100, false],
      ['m6', 'Giang Văn Sáu <sau@ngoai.vn>', 'Giấy mời', '2025-03-06T09:00:00+07:00', 1000, false],
      ['m7', 'Hà Văn Bảy <bay@ngoai.vn>', 'Thông báo nghỉ lễ', '2025-03-07T09:00:00+07:00', 50, false],
    ];
    for (const [label, from, subject, date, pad, pdf] of rows) {
      const raw = pdf
        ? messageWithPdf({ from, to: A, subject: `=?UTF-8?B?${Buffer.from(subject).toString('base64')}?=`, date: new Date(date) })
        : rawMessage({ from, to: A, subject, date: new Date(date), body: `Nội dung ${label} về ngân sách tỉnh. ${'x'.repeat(pad)}` });
      const res = await imap.append(SORT_FOLDER, raw, [], new Date(date));
      sortUid[label] = (res as any).uid;
    }
    await imap.logout();
    a = await loggedIn(A);
  });
  after(() => env?.stop());

  const page = async (b: Browser, query: string) => {
    const res = await b.get(`messages?${query}`);
    assert.equal(res.statusCode, 200, res.body);
    return res.json() as { total: number; page: number; pageSize: number; messages: Array<{ uid: number; subject: string; from: { name: string; address: string }; seen: boolean; flagged: boolean; hasAttachments: boolean; size: number; date: string; flags: string[] }> };
  };
  const labels = (msgs: Array<{ uid: number }>) => msgs.map((m) => Object.entries(sortUid).find(([, u]) => u === m.uid)?.[0] ?? `uid${m.uid}`);
  const folderQuery = `folder=${encodeURIComponent(SORT_FOLDER)}`;

  describe('login and sessions', () => {
    it('logs in with an HttpOnly SameSite=Strict cookie and answers /session; a wrong password is 401', async () => {
      const b = new Browser(env.app, nextIp());
      const ok = await b.login(A.toUpperCase(), PW);
      assert.equal(ok.statusCode, 200);
      assert.deepEqual(ok.json().user, { address: A, name: 'Nguyễn Văn A' });
      assert.equal(ok.json().totpRequired, undefined);
      const cookie = (ok.cookies as any[]).find((c) => c.name === WEBMAIL_COOKIE);
      assert.ok(cookie.httpOnly);
      assert.equal(cookie.sameSite, 'Strict');
      assert.equal(cookie.path, '/webmail/api');
      const session = await b.get('session');
      assert.equal(session.statusCode, 200);
      assert.equal(session.json().csrfToken, b.csrf);

      const bad = await new Browser(env.app, nextIp()).login(A, 'sai-mat-khau-roi');
      assert.equal(bad.statusCode, 401);
      assert.equal(bad.json().error.code, 'LOGIN_FAILED');
      assert.match(bad.json().error.vi, /sai/);
      assert.equal((await new Browser(env.app, nextIp()).get('folders')).statusCode, 401);
    });

    it('answers 429 after 5 failures against one account, even to the right password, for 15 minutes', async () => {
      const b = new Browser(env.app, nextIp());
      await addMailbox(env.db, { address: `khoa@${D}`, displayName: 'Bị khóa', password: PW }, { defaultQuota: '1G' });
      for (let i = 0; i < 5; i++) assert.equal((await b.login(`khoa@${D}`, `sai-${i}-mat-khau`)).statusCode, 401);
      const locked = await new Browser(env.app, nextIp()).login(`khoa@${D}`, PW);
      assert.equal(locked.statusCode, 429);
      assert.equal(locked.json().error.code, 'TOO_MANY_ATTEMPTS');
      assert.match(locked.json().error.vi, /thử lại sau 15 phút/);
      assert.match(locked.json().error.en, /try again in 15 minutes/);
      // Other accounts from the same address are not locked by this one.
      assert.equal((await b.login(C, PW)).statusCode, 200);
    });

    it('refuses a change without the right CSRF token with 403', async () => {
      const body = { uids: [1], add: ['\\Flagged'] };
      const none = await a.post('messages/INBOX/flags', body, { csrf: false });
      assert.equal(none.statusCode, 403);
      assert.equal(none.json().error.code, 'CSRF');
      const wrong = await a.request('POST', 'messages/INBOX/flags', body, { csrf: false, headers: { 'x-csrf-token': 'x'.repeat(a.csrf.length) } });
      assert.equal(wrong.statusCode, 403);
      assert.equal((await a.post('messages/INBOX/flags', body)).statusCode, 204);
      assert.equal((await a.post('messages/INBOX/flags', { uids: [1], remove: ['\\Flagged'] })).statusCode, 204);
    });

    it('issues a new session id at login: a cookie set before login is never adopted', async () => {
      const b = new Browser(env.app, nextIp());
      const planted = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
      b.cookies.set(WEBMAIL_COOKIE, planted);
      assert.equal((await b.login(B, PW)).statusCode, 200);
      const issued = b.cookies.get(WEBMAIL_COOKIE)!;
      assert.notEqual(issued, planted);
      const attacker = new Browser(env.app, nextIp());
      attacker.cookies.set(WEBMAIL_COOKIE, planted);
      assert.equal((await attacker.get('session')).statusCode, 401);
      // Logging in again from a logged-in browser replaces the session too; the old id stops working.
      const old = new Browser(env.app, nextIp());
      old.cookies.set(WEBMAIL_COOKIE, issued);
      assert.equal((await b.login(B, PW)).statusCode, 200);
      assert.notEqual(b.cookies.get(WEBMAIL_COOKIE), issued);
      assert.equal((await old.get('session')).statusCode, 401);
      assert.equal((await b.get('session')).statusCode, 200);
    });

    it('ends a session at logout and by remote sign-out from another session', async () => {
      const first = await loggedIn(B);
      const second = await loggedIn(B);
      const list = (await first.get('sessions')).json() as Array<{ id: string; current: boolean; ip: string }>;
      const secondId = sessionIdOf(second.cookies.get(WEBMAIL_COOKIE)!);
      assert.ok(list.some((s) => s.id === secondId && !s.current && s.ip === second.ip));
      assert.ok(list.some((s) => s.current));
      assert.equal((await second.get('folders')).statusCode, 200);
      assert.equal((await first.del(`sessions/${secondId}`)).statusCode, 204);
      assert.equal((await second.get('folders')).statusCode, 401);
      // Another mailbox's session cannot be ended from here.
      assert.equal((await first.del(`sessions/${sessionIdOf(a.cookies.get(WEBMAIL_COOKIE)!)}`)).statusCode, 404);
      assert.equal((await a.get('session')).statusCode, 200);
      assert.equal((await first.post('logout')).statusCode, 204);
      assert.equal((await first.get('session')).statusCode, 401);
      assert.equal((await first.get('folders')).statusCode, 401);
    });

    it('ends a session after 30 idle minutes, after 12 hours, and when the mailbox is suspended', async () => {
      const idle = await loggedIn(B);
      const old = await loggedIn(B);
      const live = await loggedIn(B);
      const age = (b: Browser, column: string, interval: string) =>
        env.db.query(`UPDATE webmail_sessions SET ${column} = now() - interval '${interval}' WHERE id = $1`, { bind: [sessionIdOf(b.cookies.get(WEBMAIL_COOKIE)!)] });
      await age(idle, 'last_seen_at', '31 minutes');
      await age(old, 'created_at', '12 hours 1 minute');
      await age(live, 'last_seen_at', '29 minutes');
      assert.equal((await idle.get('session')).statusCode, 401);
      assert.equal((await old.get('session')).statusCode, 401);
      assert.equal((await live.get('folders')).statusCode, 200, 'activity keeps it alive');
      assert.equal((await live.get('session')).statusCode, 200);

      // Suspension ends it on the next request, although its IMAP connection is already open.
      await setMailboxActive(env.db, B, false);
      try {
        const res = await live.get('folders');
        assert.equal(res.statusCode, 401);
      } finally {
        await setMailboxActive(env.db, B, true);
      }
      assert.equal((await live.get('folders')).statusCode, 401, 'resuming does not bring the session back');
      assert.equal((await loggedIn(B)).csrf.length > 0, true);
    });

    it('requires a TOTP code once two-step login is on; a code works once; the secret is stored sealed', async () => {
      const c = await loggedIn(C);
      const setup = await c.post('settings/totp/setup');
      assert.equal(setup.statusCode, 200, setup.body);
      const { secret, uri } = setup.json();
      assert.match(uri, /^otpauth:\/\/totp\/GovMail:lethic%40sotttt\.test\.gov\.vn\?/);
      const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' });
      assert.equal((await c.post('settings/totp/enable', { code: '000000' === totp.generate() ? '111111' : '000000' })).statusCode, 400);
      assert.equal((await c.post('totp/enable', { code: totp.generate() })).statusCode, 204);
      assert.equal((await c.get('settings/totp')).json().enabled, true);
      assert.equal((await c.post('settings/totp/setup')).statusCode, 409);
      const [row] = await env.db.query<{ secret_sealed: string }>('SELECT secret_sealed FROM webmail_totp WHERE mailbox = $1', { bind: [C], type: QueryTypes.SELECT });
      assert.ok(!row.secret_sealed.includes(secret) && row.secret_sealed.startsWith('v1.'));

      const b = new Browser(env.app, nextIp());
      const first = await b.login(C, PW);
      assert.equal(first.statusCode, 200);
      assert.equal(first.json().totpRequired, true);
      const pending = b.cookies.get(WEBMAIL_COOKIE);
      const blocked = await b.get('folders');
      assert.equal(blocked.statusCode, 401);
      assert.equal(blocked.json().error.code, 'TOTP_REQUIRED');
      assert.equal((await b.login(C, PW, '123456' === totp.generate() ? '654321' : '123456')).statusCode, 401);

      // Enabling spent this time step's code; the next step's code is within the accepted drift.
      const code = totp.generate({ timestamp: Date.now() + 30_000 });
      const second = await b.login(C, PW, code);
      assert.equal(second.statusCode, 200, second.body);
      assert.equal(second.json().totpRequired, undefined);
      assert.notEqual(b.cookies.get(WEBMAIL_COOKIE), pending);
      assert.equal((await b.get('folders')).statusCode, 200);
      const replay = await new Browser(env.app, nextIp()).login(C, PW, code);
      assert.equal(replay.statusCode, 401, 'a code is accepted once');
    });
  });

  describe('reading', () => {
    it('lists folders with unread and total counts after delivery over LMTP', async () => {
      const res = await a.get('folders');
      assert.equal(res.statusCode, 200);
      const folders = res.json() as Array<{ path: string; name: string; specialUse: string | null; delimiter: string; unseen: number; total: number }>;
      const inbox = folders.find((f) => f.path === 'INBOX')!;
      assert.equal(inbox.total, 3);
      assert.equal(inbox.unseen, 3);
      assert.deepEqual(Object.fromEntries(folders.filter((f) => f.specialUse && f.path !== 'INBOX').map((f) => [f.specialUse, f.path])), { '\\Drafts': 'Drafts', '\\Sent': 'Sent', '\\Trash': 'Trash', '\\Junk': 'Junk' });
      assert.equal(folders.find((f) => f.path === SORT_FOLDER)?.total, 7);
      assert.ok(folders.some((f) => f.path === 'Dự án/2025' && f.name === '2025' && f.delimiter === '/'));
    });

    it('pages a folder newest first and sorts by sender, subject and size, both ways', async () => {
      const p1 = await page(a, `${folderQuery}&pageSize=3`);
      assert.equal(p1.total, 7);
      assert.deepEqual(labels(p1.messages), ['m7', 'm6', 'm5']);
      assert.equal(p1.messages[0].date, new Date('2025-03-07T09:00:00+07:00').toISOString());
      assert.deepEqual(labels((await page(a, `${folderQuery}&pageSize=3&page=3`)).messages), ['m1']);
      assert.deepEqual(labels((await page(a, `${folderQuery}&pageSize=3&page=4`)).messages), []);
      assert.deepEqual(labels((await page(a, `${folderQuery}&order=asc&pageSize=2`)).messages), ['m1', 'm2']);
      // By the sender's display name, as Dovecot compares (i;unicode-casemap folds the marks of An/Ân,
      // Bùi …, but Đ is a letter of its own there and sorts after Z — see webmail/README.md).
      const byFrom = labels((await page(a, `${folderQuery}&sort=from&order=asc`)).messages);
      assert.deepEqual(byFrom.slice(2), ['m1', 'm3', 'm6', 'm7', 'm4']);
      assert.deepEqual(new Set(byFrom.slice(0, 2)), new Set(['m2', 'm5']));
      // Ảnh, Báo cáo, Công văn, Giấy mời, Kế hoạch, Thông báo, then Điều chỉnh (Đ after Z, as above); newest-first reversed.
      const bySubjectDesc = labels((await page(a, `${folderQuery}&sort=subject&order=desc`)).messages);
      assert.deepEqual(bySubjectDesc, ['m1', 'm7', 'm5', 'm6', 'm3', 'm2', 'm4']);
      const bySize = (await page(a, `${folderQuery}&sort=size&order=desc`)).messages;
      assert.equal(labels(bySize)[0], 'm4');
      assert.ok(bySize.every((m, i) => i === 0 || bySize[i - 1].size >= m.size));
      assert.equal(p1.messages[0].from.name, 'Hà Văn Bảy');
      assert.equal(p1.messages[0].subject, 'Thông báo nghỉ lễ');
      assert.equal((await page(a, `${folderQuery}&sort=date&pageSize=7`)).messages.find((m) => m.uid === sortUid.m3)?.hasAttachments, true);
      const bad = await a.get('messages?sort=color');
      assert.equal(bad.statusCode, 400);
    });

    it('keeps a sorted list current: new mail, flag changes and expunges show on the next page load', async () => {
      await page(a, `${folderQuery}&pageSize=3`);
      const imap = await imapAs(env, A);
      const appended = await imap.append(SORT_FOLDER, rawMessage({ from: 'moi@ngoai.vn', to: A, subject: 'Mới đến' }), []);
      const lock = await imap.getMailboxLock(SORT_FOLDER);
      try {
        await imap.messageFlagsAdd(String(sortUid.m6), ['\\Flagged'], { uid: true });
      } finally {
        lock.release();
      }
      const after = await page(a, `${folderQuery}&pageSize=3`);
      assert.equal(after.total, 8);
      assert.equal(after.messages[0].uid, (appended as any).uid);
      assert.equal(after.messages.find((m) => m.uid === sortUid.m6)?.flagged, true);
      const bySize = await page(a, `${folderQuery}&sort=size&order=asc&pageSize=50`);
      assert.equal(bySize.total, 8, 'a list that cannot just append is sorted again');
      const lock2 = await imap.getMailboxLock(SORT_FOLDER);
      try {
        await imap.messageFlagsRemove(String(sortUid.m6), ['\\Flagged'], { uid: true });
        await imap.messageDelete(String((appended as any).uid), { uid: true });
      } finally {
        lock2.release();
        await imap.logout();
      }
      const gone = await page(a, `${folderQuery}&pageSize=3`);
      assert.equal(gone.total, 7);
      assert.deepEqual(labels(gone.messages), ['m7', 'm6', 'm5']);
      assert.equal(gone.messages[1].flagged, false);
      assert.equal((await page(a, `${folderQuery}&sort=size&order=asc`)).total, 7);
    });

    it('searches by sender, recipient, subject, body, date range, attachment and anywhere', async () => {
      const found = async (q: string) => labels((await page(a, `${folderQuery}&${q}`)).messages).sort();
      assert.deepEqual(await found('from=hai%40ngoai.vn'), ['m2']);
      assert.deepEqual(await found(`subject=${encodeURIComponent('kế hoạch')}`), ['m1', 'm5']);
      assert.deepEqual(await found(`body=${encodeURIComponent('Nội dung m6')}`), ['m6']);
      // Vietnamese days: 4 March 23:30 (+07) is still the 4th.
      assert.deepEqual(await found('since=2025-03-04&before=2025-03-06'), ['m4', 'm5']);
      assert.deepEqual(await found('hasAttachment=1'), ['m3']);
      assert.deepEqual(await found(`q=${encodeURIComponent('Bảy')}`), ['m7']);
      assert.deepEqual(await found(`to=${encodeURIComponent(A)}&subject=${encodeURIComponent('Giấy mời')}`), ['m6']);
      const paged = await page(a, `${folderQuery}&subject=${encodeURIComponent('kế hoạch')}&pageSize=1&order=asc`);
      assert.equal(paged.total, 2);
      assert.deepEqual(labels(paged.messages), ['m1']);
      assert.equal((await a.get(`messages?${folderQuery}&since=2025-02-30`)).statusCode, 400);
    });

    it('opens a message rendered for the sandboxed frame, marks it read and signs its image links', async () => {
      const res = await a.get('messages/INBOX/3');
      assert.equal(res.statusCode, 200, res.body);
      const m = res.json();
      assert.equal(m.folder, 'INBOX');
      assert.equal(m.uid, 3);
      assert.equal(m.subject, 'Bản tin có ảnh');
      assert.ok(m.flags.includes('\\Seen'));
      assert.equal(m.blockedRemote, 1);
      assert.doesNotMatch(m.html, /anh\.bao-ngoai\.vn/);
      assert.deepEqual(m.references, ['<goc-1@bo-ngoai.vn>', '<goc-2@bo-ngoai.vn>']);
      assert.ok(m.warnings.some((w: { code: string }) => w.code === 'external-sender'));
      const shown = (await a.get('messages/INBOX/3?allowRemote=1')).json();
      assert.equal(shown.blockedRemote, 0);
      const proxied = /\/webmail\/api\/proxy\?u=([^&"]+)&amp;sig=([^"&]+)/.exec(shown.html);
      assert.ok(proxied, shown.html);
      assert.equal(decodeURIComponent(proxied[1]), 'https://anh.bao-ngoai.vn/logo.png');
      const inbox = ((await a.get('folders')).json() as any[]).find((f) => f.path === 'INBOX');
      assert.equal(inbox.unseen, 2);
      assert.equal((await a.get('messages/INBOX/99')).statusCode, 404);
      assert.equal((await a.get(`messages/${encodeURIComponent('Không có')}/1`)).statusCode, 404);
    });

    it('serves parts as downloads with nosniff and a sandbox CSP; inline only for PDF and images; signed links need no cookie', async () => {
      const m = (await a.get('messages/INBOX/2')).json();
      const pdf = m.attachments.find((x: { filename: string }) => x.filename === 'cong-van.pdf');
      const html = m.attachments.find((x: { filename: string }) => x.filename === 'trang.html');
      assert.ok(pdf && html, JSON.stringify(m.attachments));
      const dl = await a.get(`messages/INBOX/2/parts/${pdf.partId}`);
      assert.equal(dl.statusCode, 200);
      assert.equal(dl.headers['content-type'], 'application/pdf');
      assert.match(String(dl.headers['content-disposition']), /^attachment; filename="cong-van.pdf"/);
      assert.equal(dl.headers['x-content-type-options'], 'nosniff');
      assert.match(String(dl.headers['content-security-policy']), /\bsandbox\b/);
      assert.ok(dl.rawPayload.subarray(0, 5).equals(Buffer.from('%PDF-')));
      const inline = await a.get(`messages/INBOX/2/parts/${pdf.partId}?inline=1`);
      assert.match(String(inline.headers['content-disposition']), /^inline; filename="cong-van.pdf"/);
      assert.match(String(inline.headers['content-security-policy']), /\bsandbox\b/);
      const htmlInline = await a.get(`messages/INBOX/2/parts/${html.partId}?inline=1`);
      assert.match(String(htmlInline.headers['content-disposition']), /^attachment;/);
      assert.equal(htmlInline.headers['x-content-type-options'], 'nosniff');

      const raw = await a.get('messages/INBOX/2/raw');
      assert.equal(raw.headers['content-type'], 'message/rfc822');
      assert.match(String(raw.headers['content-disposition']), /^attachment; filename="2.eml"/);
      assert.match(raw.body, /Subject: Cong van kem PDF/);

      // What the frame loads arrives without the cookie: a link signed for this session works, nothing else.
      const sid = sessionIdOf(a.cookies.get(WEBMAIL_COOKIE)!);
      const key = linkKey(env.kek);
      const anonymous = new Browser(env.app, nextIp());
      const signed = signLink(key, 'part', sid, `INBOX\n2\n${pdf.partId}`);
      assert.equal((await anonymous.get(`messages/INBOX/2/parts/${pdf.partId}?sig=${signed}`)).statusCode, 200);
      assert.equal((await anonymous.get(`messages/INBOX/1/parts/${pdf.partId}?sig=${signed}`)).statusCode, 403, 'a signature names its message');
      assert.equal((await anonymous.get(`messages/INBOX/2/parts/${pdf.partId}?sig=${signed.slice(0, -2)}xx`)).statusCode, 403);
      assert.equal((await anonymous.get(`messages/INBOX/2/parts/${pdf.partId}`)).statusCode, 401);
      const expired = signLink(key, 'part', sid, `INBOX\n2\n${pdf.partId}`, -1);
      assert.equal((await anonymous.get(`messages/INBOX/2/parts/${pdf.partId}?sig=${expired}`)).statusCode, 403);
    });

    it('groups a folder into conversations with thread=1, newest conversation first', async () => {
      const folder = 'Hội thoại';
      const imap = await imapAs(env, A);
      await imap.mailboxCreate(folder);
      const add = async (subject: string, day: number, id: string, parent?: string) =>
        ((await imap.append(folder, rawMessage({ from: 'x@ngoai.vn', to: A, subject, messageId: `<${id}@t.vn>`, headers: parent ? [`In-Reply-To: <${parent}@t.vn>`, `References: <${parent}@t.vn>`] : [] }), [], new Date(Date.UTC(2025, 4, day)))) as any).uid as number;
      const x = await add('Lịch công tác', 1, 'x');
      const z = await add('Việc khác', 2, 'z');
      const y = await add('Re: Lịch công tác', 3, 'y', 'x');
      const q = `folder=${encodeURIComponent(folder)}&thread=1`;
      const first = await page(a, q);
      assert.equal(first.total, 2);
      const rows = first.messages as unknown as Array<{ uid: number; thread: { size: number; uids: number[] } }>;
      assert.deepEqual(rows.map((m) => [m.uid, m.thread.size, m.thread.uids]), [[y, 2, [y, x]], [z, 1, [z]]]);
      const w = await add('Re: Việc khác', 4, 'w', 'z');
      await imap.logout();
      const after = (await page(a, q)).messages as unknown as Array<{ uid: number; thread: { uids: number[] } }>;
      assert.deepEqual(after.map((m) => m.thread.uids), [[w, z], [y, x]], 'a new reply brings its conversation to the top');
      assert.equal((await page(a, `${q}&subject=${encodeURIComponent('Lịch')}`)).total, 1);
    });

    it('reads and writes folders whose names hold the hierarchy separator', async () => {
      const moved = await a.post(`messages/${encodeURIComponent(SORT_FOLDER)}/move`, { uids: [sortUid.m1], to: 'Dự án/2025' });
      assert.equal(moved.statusCode, 204, moved.body);
      const list = await page(a, `folder=${encodeURIComponent('Dự án/2025')}`);
      assert.equal(list.total, 1);
      const opened = await a.get(`messages/${encodeURIComponent('Dự án/2025')}/${list.messages[0].uid}`);
      assert.equal(opened.statusCode, 200, opened.body);
      assert.equal(opened.json().subject, 'Điều chỉnh kế hoạch');
      assert.equal((await a.post(`messages/${encodeURIComponent('Dự án/2025')}/move`, { uids: [list.messages[0].uid], to: SORT_FOLDER })).statusCode, 204);
      const back = await page(a, `${folderQuery}&order=asc&pageSize=1`);
      assert.equal(back.messages[0].subject, 'Điều chỉnh kế hoạch');
      sortUid.m1 = back.messages[0].uid;
    });
  });

  describe('changing', () => {
    it('sets and clears flags, moves, deletes to Trash and from Trash for good, and marks spam', async () => {
      const b = await loggedIn(B);
      for (let i = 0; i < 4; i++) await deliver(B, rawMessage({ from: 'x@ngoai.vn', to: B, subject: `Thư ${i}` }));
      const uids = (await page(b, 'folder=INBOX&order=asc')).messages.map((m) => m.uid);
      assert.equal(uids.length, 5);
      assert.equal((await b.post('messages/INBOX/flags', { uids: [uids[1], uids[2]], add: ['\\Seen', '\\Flagged', '$Label1'] })).statusCode, 204);
      let msgs = (await page(b, 'folder=INBOX&order=asc')).messages;
      assert.ok(msgs[1].seen && msgs[1].flagged && msgs[1].flags.includes('$Label1') && !msgs[0].seen);
      assert.equal((await b.post('messages/INBOX/flags', { uids: [uids[1]], remove: ['\\Flagged'] })).statusCode, 204);
      msgs = (await page(b, 'folder=INBOX&order=asc')).messages;
      assert.ok(!msgs[1].flagged && msgs[2].flagged);
      assert.equal((await b.post('messages/INBOX/flags', { uids: [uids[1]], add: ['\\Deleted'] })).statusCode, 400, '\\Deleted only through delete');

      assert.equal((await b.post('messages/INBOX/move', { uids: [uids[1]], to: 'Khong-co-thu-muc' })).statusCode, 404);
      assert.equal((await b.post('messages/INBOX/delete', { uids: [uids[1]] })).statusCode, 204);
      assert.equal((await b.post('messages/INBOX/spam', { uids: [uids[2]] })).statusCode, 204);
      assert.equal((await page(b, 'folder=INBOX')).total, 3);
      const trash = await page(b, 'folder=Trash');
      assert.equal(trash.total, 1);
      const junk = await page(b, 'folder=Junk');
      assert.equal(junk.total, 1);
      assert.ok(junk.messages[0].flags.includes('$Junk'));
      assert.equal((await b.post('messages/Trash/delete', { uids: [trash.messages[0].uid] })).statusCode, 204);
      assert.equal((await page(b, 'folder=Trash')).total, 0, 'deleted from Trash is gone');
      assert.equal((await b.post('messages/INBOX/move', { uids: [uids[3]], to: 'Trash' })).statusCode, 204);
      assert.equal((await page(b, 'folder=Trash')).total, 1);
    });

    it('uploads an attachment, sends to a local mailbox through the pipeline and keeps a copy in Sent', async () => {
      const boundary = '----govmail-test';
      const file = Buffer.from('%PDF-1.4 tờ trình\n');
      const payload = Buffer.concat([
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="Tờ trình số 7.pdf"\r\nContent-Type: application/pdf\r\n\r\n`),
        file,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
      const up = await a.request('POST', 'uploads', undefined, { headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, payload });
      assert.equal(up.statusCode, 200, up.body);
      const upload = up.json() as { id: string; filename: string; size: number; contentType: string };
      assert.match(upload.id, /^[0-9a-f-]{36}$/);
      assert.deepEqual({ filename: upload.filename, size: upload.size, contentType: upload.contentType }, { filename: 'Tờ trình số 7.pdf', size: file.length, contentType: 'application/pdf' });
      const queuedBefore = (await queueStats(env.db)).queued;

      const sent = await a.post('send', {
        from: A,
        to: [`Trần Thị B <${B}>`],
        cc: ['doitac@ngoai-tinh.example'],
        bcc: [C],
        subject: 'Về việc triển khai chữ ký số — đợt 2',
        // As a browser sends it: bare \n line ends, which must leave as CRLF.
        text: 'Kính gửi chị B,\nĐề nghị phối hợp.\n\n> trích dẫn',
        html: '<p>Kính gửi chị B,</p><p>Đề nghị phối hợp.</p>',
        attachments: [up.json().id],
        inReplyTo: '<goc-1@bo-ngoai.vn>',
      });
      assert.equal(sent.statusCode, 200, sent.body);
      const result = sent.json();
      assert.match(result.messageId, new RegExp(`^<[^@]+@${D.replace(/\./g, '\\.')}>$`));
      assert.deepEqual(result.delivered.sort(), [C, B].sort());
      assert.deepEqual(result.queued, ['doitac@ngoai-tinh.example']);
      assert.equal((await queueStats(env.db)).queued, queuedBefore + 1);

      const imapB = await imapAs(env, B);
      const lock = await imapB.getMailboxLock('INBOX');
      let source = '';
      try {
        for await (const m of imapB.fetch({ header: { 'message-id': result.messageId } } as any, { source: true, envelope: true }, { uid: true })) {
          source = m.source!.toString();
          assert.equal(m.envelope?.subject, 'Về việc triển khai chữ ký số — đợt 2');
          assert.equal(m.envelope?.from?.[0].name, 'Nguyễn Văn A');
        }
      } finally {
        lock.release();
        await imapB.logout();
      }
      assert.ok(source, 'B received the message');
      assert.match(source, /with HTTP/);
      assert.match(source, /In-Reply-To: <goc-1@bo-ngoai.vn>/);
      assert.doesNotMatch(source, /^Bcc:/im, 'Bcc never travels');
      assert.match(source, /filename\*?=?.*T=E1=BB=9D|filename\*0\*=utf-8''T%E1%BB%9D|T%E1%BB%9D/i);

      const sentCopy = await page(a, 'folder=Sent');
      assert.equal(sentCopy.total, 1);
      assert.ok(sentCopy.messages[0].seen);
      assert.ok(sentCopy.messages[0].hasAttachments);
      const raw = (await a.get(`messages/Sent/${sentCopy.messages[0].uid}/raw`)).body;
      assert.match(raw, new RegExp(`^Bcc: ${C.replace(/\./g, '\\.')}`, 'im'), 'the Sent copy shows whom A bcc-ed');

      // The upload is gone once sent.
      const again = await a.post('send', { from: A, to: [B], subject: 'lại', text: 'x', attachments: [up.json().id] });
      assert.equal(again.statusCode, 404);
      // Sending as an own alias is fine.
      const alias = await a.post('send', { from: `vanthu@${D}`, to: [B], subject: 'Từ văn thư', text: 'x' });
      assert.equal(alias.statusCode, 200, alias.body);
    });

    it('forwards with the original attachments: chosen parts become the user\'s uploads, byte for byte; a missing part is 404', async () => {
      await deliver(A, messageWithPdf({ from: 'congvan@bo-ngoai.vn', to: A, subject: 'Chuyển tiếp kèm tệp' }));
      const list = await page(a, 'folder=INBOX');
      const uid = list.messages.find((m: { subject: string }) => m.subject === 'Chuyển tiếp kèm tệp')!.uid;
      const opened = (await a.get(`messages/INBOX/${uid}`)).json() as { attachments: Array<{ partId: string; filename: string; size: number }> };
      const pdf = opened.attachments.find((x) => x.filename === 'cong-van.pdf')!;
      const original = (await a.get(`messages/INBOX/${uid}/parts/${pdf.partId}`)).rawPayload;

      const copied = await a.post(`messages/INBOX/${uid}/forward-attachments`, { parts: [pdf.partId] });
      assert.equal(copied.statusCode, 200, copied.body);
      const [upload] = copied.json() as Array<{ id: string; filename: string; size: number; contentType: string }>;
      assert.deepEqual({ filename: upload.filename, size: upload.size, contentType: upload.contentType }, { filename: 'cong-van.pdf', size: original.length, contentType: 'application/pdf' });
      assert.equal((await a.post(`messages/INBOX/${uid}/forward-attachments`, { parts: ['9.9'] })).statusCode, 404);
      assert.equal((await a.post(`messages/INBOX/${uid}/forward-attachments`, { parts: ['../1'] })).statusCode, 400);
      const b = await loggedIn(B);

      const sent = await a.post('send', { from: A, to: [B], subject: 'Fwd: Chuyển tiếp kèm tệp', text: 'Chuyển chị B.', attachments: [upload.id] });
      assert.equal(sent.statusCode, 200, sent.body);
      const atB = await page(b, 'folder=INBOX');
      const got = atB.messages.find((m: { subject: string }) => m.subject === 'Fwd: Chuyển tiếp kèm tệp')!;
      const gotOpened = (await b.get(`messages/INBOX/${got.uid}`)).json() as { attachments: Array<{ partId: string; filename: string }> };
      const part = gotOpened.attachments.find((x) => x.filename === 'cong-van.pdf')!;
      assert.deepEqual((await b.get(`messages/INBOX/${got.uid}/parts/${part.partId}`)).rawPayload, original);
    });

    it('refuses to send as an address the user does not own, with 403 and a clear message', async () => {
      const before = (await page(await loggedIn(B), 'folder=INBOX')).total;
      const res = await a.post('send', { from: B, to: [B], subject: 'Giả mạo', text: 'x' });
      assert.equal(res.statusCode, 403);
      assert.equal(res.json().error.code, 'SENDER_NOT_ALLOWED');
      assert.match(res.json().error.vi, /chỉ được gửi bằng địa chỉ của mình/);
      assert.match(res.json().error.en, /only as your own mailbox/);
      assert.equal((await page(await loggedIn(B), 'folder=INBOX')).total, before);
      const unknown = await a.post('send', { from: A, to: [`khongco@${D}`], subject: 'x', text: 'x' });
      assert.equal(unknown.statusCode, 400);
      assert.equal(unknown.json().error.code, 'RECIPIENT_REFUSED');
    });

    it('saves a draft and replaces it on the next save', async () => {
      const first = await a.post('drafts', { to: [B], subject: 'Nháp', text: 'bản 1' });
      assert.equal(first.statusCode, 200, first.body);
      const second = await a.post('drafts', { to: [B], subject: 'Nháp', text: 'bản 2', draftUid: first.json().uid });
      assert.equal(second.statusCode, 200);
      const drafts = await page(a, 'folder=Drafts');
      assert.equal(drafts.total, 1);
      assert.equal(drafts.messages[0].uid, second.json().uid);
      assert.ok(drafts.messages[0].flags.includes('\\Draft'));
      const sent = await a.post('send', { to: [B], subject: 'Nháp', text: 'bản cuối', draftUid: second.json().uid });
      assert.equal(sent.statusCode, 200);
      assert.equal((await page(a, 'folder=Drafts')).total, 0, 'sending removes the draft');
    });
  });

  describe('isolation and the rest of the API', () => {
    it("keeps users apart: B asking for A's folder or UID gets B's own data or 404", async () => {
      const b = await loggedIn(B);
      const own = await b.get('messages/INBOX/1');
      assert.equal(own.statusCode, 200);
      assert.equal(own.json().subject, 'Thư riêng của B');
      // Every UID of A's INBOX, asked by B, is B's own message or nothing.
      const aSubjects = new Set((await page(a, 'folder=INBOX')).messages.map((m) => m.subject));
      const bUids = new Set((await page(b, 'folder=INBOX&pageSize=200')).messages.map((m) => m.uid));
      for (const m of (await page(a, 'folder=INBOX')).messages) {
        const res = await b.get(`messages/INBOX/${m.uid}`);
        if (bUids.has(m.uid)) {
          assert.equal(res.statusCode, 200);
          assert.ok(res.json().to.some((t: { address: string }) => t.address === B), `uid ${m.uid} is B's own`);
          assert.ok(!aSubjects.has(res.json().subject) || res.json().subject === 'Thư mới');
        } else assert.equal(res.statusCode, 404, `uid ${m.uid}`);
      }
      assert.equal((await b.get('messages/INBOX/4000')).statusCode, 404);
      assert.equal((await b.get(`messages?${folderQuery}`)).statusCode, 404);
      assert.equal((await b.get(`messages/${encodeURIComponent(SORT_FOLDER)}/${sortUid.m2}`)).statusCode, 404);
      await b.post('messages/INBOX/flags', { uids: [2, 3], add: ['\\Flagged'] });
      const aInbox = await page(a, 'folder=INBOX');
      assert.ok(aInbox.messages.every((m) => !m.flagged), "A's messages are untouched");
      const boundary = 'x';
      const up = await a.request('POST', 'uploads', undefined, {
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
        payload: Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nbi mat\r\n--${boundary}--\r\n`),
      });
      const stolen = await b.post('send', { to: [B], subject: 'x', text: 'x', attachments: [up.json().id] });
      assert.equal(stolen.statusCode, 404);
    });

    it('lists identities and finds colleagues in the directory with or without diacritics', async () => {
      assert.deepEqual(((await a.get('identities')).json() as Array<{ address: string }>).map((i) => i.address).sort(), [A, `vanthu@${D}`]);
      const plain = (await a.get(`directory?q=${encodeURIComponent('nguyen van a')}`)).json();
      assert.equal(plain[0].address, A);
      assert.deepEqual(plain[0], { name: 'Nguyễn Văn A', address: A, agency: 'Sở Thông tin và Truyền thông', position: 'Chuyên viên', kind: 'person' });
      assert.equal((await a.get(`directory?q=${encodeURIComponent('TRAN thi')}`)).json()[0].address, B);
      assert.ok(((await a.get(`directory?q=${encodeURIComponent('so thong tin')}`)).json() as any[]).length >= 2);
      assert.deepEqual((await a.get('directory?q=khong-ai-ca')).json(), []);
    });

    it('pushes new INBOX mail over /events', async () => {
      await env.app.listen({ host: '127.0.0.1', port: 0 });
      const port = (env.app.server.address() as net.AddressInfo).port;
      const text = await new Promise<string>((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port, path: '/webmail/api/events', headers: { cookie: a.cookieHeader } }, (res) => {
          assert.equal(res.statusCode, 200);
          assert.match(String(res.headers['content-type']), /^text\/event-stream/);
          let buf = '';
          res.setEncoding('utf8');
          res.on('data', (d) => {
            buf += d;
            if (buf.includes('event: mail')) {
              req.destroy();
              resolve(buf);
            }
          });
          // Once the stream is IDLE: a message leaves INBOX (the IDLE connection hears the expunge), then new mail arrives.
          setTimeout(async () => {
            try {
              const uid = (await page(a, 'folder=INBOX&order=asc&pageSize=1')).messages[0].uid;
              assert.equal((await a.post('messages/INBOX/move', { uids: [uid], to: SORT_FOLDER })).statusCode, 204);
              setTimeout(() => deliver(A, rawMessage({ from: 'x@ngoai.vn', to: A, subject: 'Thư mới' })).catch(reject), 1000);
            } catch (err) {
              reject(err);
            }
          }, 2000);
        });
        req.on('error', (err) => ((err as any).code === 'ECONNRESET' ? undefined : reject(err)));
        setTimeout(() => {
          req.destroy();
          reject(new Error('no event within 20 s'));
        }, 20_000);
      });
      assert.match(text, /event: mail\ndata: \{"folder":"INBOX"\}/);
    });

    it('sends the strict CSP and framing headers on every API answer', async () => {
      for (const res of [await a.get('session'), await a.get('folders'), await new Browser(env.app, nextIp()).get('folders'), await a.get('nothing-here')]) {
        assert.equal(res.headers['content-security-policy'], "default-src 'self'; frame-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
        assert.equal(res.headers['x-frame-options'], 'DENY');
        assert.equal(res.headers['referrer-policy'], 'no-referrer');
        assert.equal(res.headers['x-content-type-options'], 'nosniff');
      }
    });
  });

  describe('image proxy', () => {
    let server: http.Server;
    let hits = 0;
    let port = 0;
    before(async () => {
      server = http.createServer((req, res) => {
        hits++;
        if (req.url === '/anh.png') return res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
        if (req.url === '/trang.html') return res.writeHead(200, { 'content-type': 'text/html' }).end('<script>1</script>');
        if (req.url === '/hinh.svg') return res.writeHead(200, { 'content-type': 'image/svg+xml' }).end('<svg/>');
        if (req.url === '/lon.png') return res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.alloc(6 * 1024 * 1024));
        if (req.url === '/chuyen') return res.writeHead(302, { location: `http://127.0.0.2:${port}/anh.png` }).end();
        res.writeHead(404).end();
      });
      await new Promise<void>((r) => server.listen(0, '0.0.0.0', r));
      port = (server.address() as net.AddressInfo).port;
    });
    after(() => new Promise<void>((r) => server.close(() => r())));

    it('refuses loopback, private and link-local targets, also by name, before connecting', async () => {
      const sid = sessionIdOf(a.cookies.get(WEBMAIL_COOKIE)!);
      const key = linkKey(env.kek);
      for (const u of [
        `http://127.0.0.1:${port}/anh.png`,
        `http://localhost:${port}/anh.png`,
        `http://[::1]:${port}/anh.png`,
        `http://[::ffff:127.0.0.1]:${port}/anh.png`,
        'http://10.1.2.3/anh.png',
        'http://172.16.0.1/anh.png',
        'http://192.168.1.1/anh.png',
        'http://169.254.169.254/latest/meta-data',
        'http://100.64.0.1/anh.png',
        'http://[fd00::1]/anh.png',
        'http://0.0.0.0/anh.png',
      ]) {
        const res = await a.get(`proxy?u=${encodeURIComponent(u)}&sig=${signLink(key, 'proxy', sid, u)}`);
        assert.equal(res.statusCode, 403, `${u}: ${res.body}`);
        assert.equal(res.json().error.code, 'PROXY_REFUSED');
      }
      assert.equal(hits, 0, 'nothing was fetched');
      const u = 'https://anh.bao-ngoai.vn/logo.png';
      assert.equal((await a.get(`proxy?u=${encodeURIComponent(u)}`)).statusCode, 400, 'no signature');
      assert.equal((await a.get(`proxy?u=${encodeURIComponent(u)}&sig=${signLink(key, 'part', sid, u)}`)).statusCode, 403, 'a part signature is not a proxy one');
      assert.equal((await a.get(`proxy?u=${encodeURIComponent(u + 'x')}&sig=${signLink(key, 'proxy', sid, u)}`)).statusCode, 403, 'signed for another URL');
    });

    it('classifies addresses and checks type, size and redirects of what it fetches', async () => {
      assert.equal(isPublicAddress('8.8.8.8'), true);
      assert.equal(isPublicAddress('2001:4860:4860::8888'), true);
      for (const ip of ['127.0.0.1', '10.0.0.1', '172.31.255.255', '192.168.0.1', '169.254.1.1', '100.100.100.100', '::1', 'fe80::1', 'fc00::1', '::ffff:10.0.0.1', '224.0.0.1']) assert.equal(isPublicAddress(ip), false, ip);
      // Only here is loopback allowed (127.0.0.1 alone), to reach the checks after the address check.
      const o = { addressAllowed: (ip: string) => ip === '127.0.0.1' };
      const ok = await fetchRemoteImage(`http://127.0.0.1:${port}/anh.png`, o);
      assert.equal(ok.contentType, 'image/png');
      assert.ok(ok.body.equals(PNG));
      await assert.rejects(fetchRemoteImage(`http://127.0.0.1:${port}/trang.html`, o), (e: any) => e.status === 415);
      await assert.rejects(fetchRemoteImage(`http://127.0.0.1:${port}/hinh.svg`, o), (e: any) => e.status === 415);
      await assert.rejects(fetchRemoteImage(`http://127.0.0.1:${port}/lon.png`, o), (e: any) => e.status === 413);
      const before = hits;
      await assert.rejects(fetchRemoteImage(`http://127.0.0.1:${port}/chuyen`, o), (e: any) => e.status === 403);
      assert.equal(hits, before + 1, 'the redirect target (127.0.0.2) was refused without a request');
      await assert.rejects(fetchRemoteImage('file:///etc/passwd', o), (e: any) => e.status === 400);
    });
  });
});
