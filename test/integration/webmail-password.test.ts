import assert from 'node:assert/strict';
import { ImapFlow } from 'imapflow';
import { QueryTypes } from 'sequelize';
import { startWebmailEnv, Browser, type WebmailEnv } from '../support/webmail.js';
import { addDomain, addMailbox, changePassword, setMailboxActive } from '../../admin/index.js';
import { GovmailError } from '../../core/errors.js';

const D = 'sonoivu.test.gov.vn';
const PW = 'mat-khau-ban-dau-2026';
// Vietnamese with diacritics, typed as a Vietnamese keyboard sends it (NFC): it must work over IMAP too.
const NEW_PW = 'Mật khẩu mới của tôi 2026';

let ipCounter = 0;
/** Each test gets its own client address, so the per-IP login limit of one test never touches another. */
const nextIp = () => `10.78.${Math.floor(++ipCounter / 200)}.${(ipCounter % 200) + 1}`;

describe('webmail password change — real PostgreSQL, Dovecot and the HTTP app', function () {
  this.timeout(120_000);
  let env: WebmailEnv;
  let n = 0;

  /** A fresh mailbox per test, so the tests do not depend on each other's passwords. */
  const mailbox = async (o: { generated?: boolean } = {}) => {
    const address = `canbo${++n}@${D}`;
    const made = await addMailbox(env.db, { address, displayName: `Cán bộ ${n}`, ...(o.generated ? {} : { password: PW }) }, { defaultQuota: '1G' });
    return { address, password: made.password ?? PW };
  };
  const loggedIn = async (user: string, password = PW) => {
    const b = new Browser(env.app, nextIp());
    const res = await b.login(user, password);
    assert.equal(res.statusCode, 200, res.body);
    return b;
  };
  const hashOf = async (address: string) =>
    (await env.db.query<{ password_hash: string }>('SELECT password_hash FROM mailboxes WHERE address = $1', { bind: [address], type: QueryTypes.SELECT }))[0].password_hash;
  /** A desktop client's login, straight to Dovecot: true when the password is accepted. */
  const imapLogin = async (user: string, pass: string) => {
    const client = new ImapFlow({ host: '127.0.0.1', port: env.dovecot.imap.port, secure: false, doSTARTTLS: true, tls: { rejectUnauthorized: false }, auth: { user, pass }, logger: false } as any);
    try {
      await client.connect();
      await client.logout();
      return true;
    } catch (err) {
      if ((err as any).authenticationFailed) return false;
      throw err;
    }
  };

  before(async () => {
    env = await startWebmailEnv();
    await addDomain(env.db, D);
  });
  after(() => env?.stop());

  it('changes the password: the new one opens the webmail and IMAP, the old one opens neither, and the audit entry holds no password', async () => {
    const { address } = await mailbox();
    const b = await loggedIn(address);
    const res = await b.post('password', { currentPassword: PW, newPassword: NEW_PW });
    assert.equal(res.statusCode, 204, res.body);

    assert.equal((await new Browser(env.app, nextIp()).login(address, NEW_PW)).statusCode, 200);
    assert.equal((await new Browser(env.app, nextIp()).login(address, PW)).statusCode, 401);
    assert.equal(await imapLogin(address, NEW_PW), true);
    assert.equal(await imapLogin(address, PW), false);
    assert.match(await hashOf(address), /^\{ARGON2ID\}/);

    const entries = await env.db.query<Record<string, unknown>>(`SELECT * FROM audit_entries WHERE action = 'mailbox.password.change' AND target = $1`, { bind: [address], type: QueryTypes.SELECT });
    assert.equal(entries.length, 1);
    assert.equal(entries[0].actor, address);
    const text = JSON.stringify(entries[0]);
    assert.ok(!text.includes(NEW_PW) && !text.includes(PW) && !text.includes('ARGON2'), text);
  });

  it('refuses a wrong current password with 403 PASSWORD_WRONG, changes nothing, and counts it as a failed login', async () => {
    const { address } = await mailbox();
    const b = await loggedIn(address);
    const before = await hashOf(address);
    const res = await b.post('password', { currentPassword: 'khong-phai-mat-khau', newPassword: NEW_PW });
    assert.equal(res.statusCode, 403);
    const { error } = res.json();
    assert.equal(error.code, 'PASSWORD_WRONG');
    assert.match(error.vi, /mật khẩu hiện tại không đúng/);
    assert.match(error.en, /current password/);
    assert.equal(await hashOf(address), before);
    assert.equal((await new Browser(env.app, nextIp()).login(address, PW)).statusCode, 200);

    // Five misses lock the account as five failed logins would: this route and the login page alike.
    const c = await loggedIn(address);
    for (let i = 0; i < 5; i++) assert.equal((await c.post('password', { currentPassword: `sai-${i}-mat-khau`, newPassword: NEW_PW })).statusCode, 403);
    const locked = await c.post('password', { currentPassword: PW, newPassword: NEW_PW });
    assert.equal(locked.statusCode, 429);
    assert.equal(locked.json().error.code, 'TOO_MANY_ATTEMPTS');
    assert.equal((await new Browser(env.app, nextIp()).login(address, PW)).statusCode, 429);
    assert.equal(await hashOf(address), before);
  });

  it('names the field that breaks a rule, and changes nothing', async () => {
    const { address } = await mailbox();
    const local = address.split('@')[0];
    const b = await loggedIn(address);
    const before = await hashOf(address);
    const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
      ['too short', { currentPassword: PW, newPassword: 'ngắn-quá' }, 'newPassword', /ít nhất 10 ký tự/],
      ['too long', { currentPassword: PW, newPassword: 'ạ'.repeat(1025) }, 'newPassword', /tối đa 1024 ký tự/],
      ['the current one', { currentPassword: PW, newPassword: PW }, 'newPassword', /khác với mật khẩu hiện tại/],
      ['with the mailbox name', { currentPassword: PW, newPassword: `Xin-chao-${local.toUpperCase()}-2026` }, 'newPassword', new RegExp(`không chứa tên hộp thư "${local}"`)],
      ['with a control character', { currentPassword: PW, newPassword: 'mat-khau\u0000dai-du' }, 'newPassword', /ký tự điều khiển/],
      ['no current password', { newPassword: NEW_PW }, 'currentPassword', /./],
    ];
    for (const [what, body, field, vi] of cases) {
      const res = await b.post('password', body);
      assert.equal(res.statusCode, 400, `${what}: ${res.body}`);
      const { error } = res.json();
      assert.equal(error.code, 'INVALID_INPUT', what);
      assert.equal(error.field, field, what);
      assert.match(error.vi, vi, what);
    }
    assert.equal(await hashOf(address), before);
    // 1024 letters with diacritics are 1024 characters, whatever their size in UTF-16 or UTF-8.
    assert.equal((await b.post('password', { currentPassword: PW, newPassword: 'ệ'.repeat(1024) })).statusCode, 204);
  });

  it('needs the CSRF token', async () => {
    const { address } = await mailbox();
    const b = await loggedIn(address);
    const res = await b.post('password', { currentPassword: PW, newPassword: NEW_PW }, { csrf: false });
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().error.code, 'CSRF');
  });

  it('signs out every other session of the mailbox, and keeps this one', async () => {
    const { address } = await mailbox();
    const here = await loggedIn(address);
    const other = await loggedIn(address);
    const third = await loggedIn(address);
    const elsewhere = await mailbox();
    const stranger = await loggedIn(elsewhere.address);
    assert.equal((await here.get('sessions')).json().length, 3);

    assert.equal((await here.post('password', { currentPassword: PW, newPassword: NEW_PW })).statusCode, 204);
    for (const b of [other, third]) {
      const res = await b.get('folders');
      assert.equal(res.statusCode, 401);
      assert.equal(res.json().error.code, 'UNAUTHENTICATED');
    }
    assert.equal((await here.get('folders')).statusCode, 200);
    const left = (await here.get('sessions')).json() as Array<{ current: boolean }>;
    assert.equal(left.length, 1);
    assert.equal(left[0].current, true);
    assert.equal((await stranger.get('folders')).statusCode, 200);
  });

  it('keeps a mailbox with a generated password out of its mail until it changes the password', async () => {
    const { address, password } = await mailbox({ generated: true });
    const [row] = await env.db.query<{ must_change_password: boolean }>('SELECT must_change_password FROM mailboxes WHERE address = $1', { bind: [address], type: QueryTypes.SELECT });
    assert.equal(row.must_change_password, true);

    const b = new Browser(env.app, nextIp());
    const login = await b.login(address, password);
    assert.equal(login.statusCode, 200, login.body);
    assert.equal(login.json().mustChangePassword, true);
    assert.equal((await b.get('session')).json().mustChangePassword, true);

    const refused = [
      await b.get('folders'),
      await b.get('messages?folder=INBOX'),
      await b.get('sessions'),
      await b.get('identities'),
      await b.get('directory?q=a'),
      await b.post('send', { to: [`canbo1@${D}`], subject: 'Thử', text: 'Thử' }),
      await b.post('messages/INBOX/flags', { uids: [1], add: ['\\Seen'] }),
    ];
    for (const res of refused) {
      assert.equal(res.statusCode, 403, res.body);
      const { error } = res.json();
      assert.equal(error.code, 'PASSWORD_CHANGE_REQUIRED');
      assert.match(error.vi, /đổi mật khẩu/);
      assert.match(error.en, /change your initial password/);
    }
    // What stays open: the session itself, two-step settings, and the way out.
    assert.equal((await b.get('totp')).statusCode, 200);
    assert.equal((await b.get('settings/totp')).statusCode, 200);

    assert.equal((await b.post('password', { currentPassword: password, newPassword: NEW_PW })).statusCode, 204);
    assert.equal((await b.get('folders')).statusCode, 200);
    assert.equal((await b.get('session')).json().mustChangePassword, undefined);
    const [after] = await env.db.query<{ must_change_password: boolean }>('SELECT must_change_password FROM mailboxes WHERE address = $1', { bind: [address], type: QueryTypes.SELECT });
    assert.equal(after.must_change_password, false);
    const again = await new Browser(env.app, nextIp()).login(address, NEW_PW);
    assert.equal(again.json().mustChangePassword, undefined);
    assert.equal(await imapLogin(address, NEW_PW), true);

    // Logging out works while the change is pending, too.
    const { address: second, password: secondPw } = await mailbox({ generated: true });
    const c = new Browser(env.app, nextIp());
    await c.login(second, secondPw);
    assert.equal((await c.post('logout')).statusCode, 204);
    assert.equal((await c.get('session')).statusCode, 401);
  });

  it('refuses to change the password of a suspended mailbox', async () => {
    const { address } = await mailbox();
    await setMailboxActive(env.db, address, false);
    await assert.rejects(changePassword(env.db, address, PW, NEW_PW, { actor: address }), (e: GovmailError) => e.code === 'MAILBOX_INACTIVE' && e.status === 403);
  });
});
