import assert from 'node:assert/strict';
import { addDomain, addMailbox } from '../../admin/index.js';
import { rspamdClient } from '../../smtp/index.js';
import { Browser, folderMessages, rawMessage, startWebmailEnv, type WebmailEnv } from '../support/webmail.js';

const D = 'sotp-hoc.test.gov.vn';
const A = `chuyenvien@${D}`;
const PW = 'mat-khau-chuyen-vien-2026';

/**
 * "Báo thư rác" and "Không phải thư rác" in the webmail move the message and teach rspamd: the judge is
 * rspamd's own statistics (its learned counts per class), read from its controller.
 */
describe('webmail — spam and not spam teach rspamd (real rspamd, PostgreSQL, Dovecot)', function () {
  this.timeout(180_000);
  let env: WebmailEnv;
  let b: Browser;
  const learned = () => rspamdClient(env.scanner!.endpoints).learned();
  const uidOf = async (folder: string, subject: string) => {
    const res = await b.get(`messages?folder=${encodeURIComponent(folder)}`);
    assert.equal(res.statusCode, 200, res.body);
    const m = (res.json().messages as Array<{ uid: number; subject: string }>).find((x) => x.subject === subject);
    assert.ok(m, `${subject} in ${folder}`);
    return m.uid;
  };

  before(async () => {
    env = await startWebmailEnv({ scan: true });
    await addDomain(env.db, D);
    await addMailbox(env.db, { address: A, displayName: 'Chuyên viên', password: PW }, { defaultQuota: '1G' });
    b = new Browser(env.app, '127.0.0.9');
    assert.equal((await b.login(A, PW)).statusCode, 200);
  });
  after(async () => {
    await env?.stop();
  });

  it('moves a reported message to Junk and rspamd learns it as spam; "not spam" brings it back and it learns ham', async () => {
    const body = 'Chúc mừng quý khách đã trúng thưởng một chiếc xe máy. Hãy bấm vào đường dẫn để nhận giải thưởng ngay hôm nay, chương trình kết thúc sau hai mươi bốn giờ.';
    const res = await env.lmtp.deliver({ from: 'khuyenmai@ngoai.example', to: [A], raw: rawMessage({ from: 'khuyenmai@ngoai.example', to: A, subject: 'Trúng thưởng xe máy', body }) });
    assert.equal(res[0]!.code, 250);
    const before = await learned();

    assert.equal((await b.post('messages/INBOX/spam', { uids: [await uidOf('INBOX', 'Trúng thưởng xe máy')] })).statusCode, 204);
    assert.equal((await folderMessages(env, A, 'Junk')).filter((m) => m.subject === 'Trúng thưởng xe máy').length, 1, 'in Junk');
    const afterSpam = await learned();
    assert.equal(afterSpam.spam, before.spam + 1, `spam learns ${JSON.stringify(before)} → ${JSON.stringify(afterSpam)}`);

    assert.equal((await b.post('messages/Junk/not-spam', { uids: [await uidOf('Junk', 'Trúng thưởng xe máy')] })).statusCode, 204);
    assert.equal((await folderMessages(env, A, 'INBOX')).filter((m) => m.subject === 'Trúng thưởng xe máy').length, 1, 'back in INBOX');
    const afterHam = await learned();
    assert.equal(afterHam.ham, afterSpam.ham + 1, `ham learns ${JSON.stringify(afterSpam)} → ${JSON.stringify(afterHam)}`);
  });

  it('still moves the message when rspamd is down (learning is advice, not a condition)', async () => {
    await env.lmtp.deliver({ from: 'x@ngoai.example', to: [A], raw: rawMessage({ from: 'x@ngoai.example', to: A, subject: 'Thư khi rspamd dừng', body: 'x' }) });
    await env.scanner!.stop();
    assert.equal((await b.post('messages/INBOX/spam', { uids: [await uidOf('INBOX', 'Thư khi rspamd dừng')] })).statusCode, 204);
    assert.equal((await folderMessages(env, A, 'Junk')).filter((m) => m.subject === 'Thư khi rspamd dừng').length, 1);
  });
});
