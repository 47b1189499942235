import assert from 'node:assert/strict';
import { addDomain, addMailbox } from '../../admin/index.js';
import { rspamdClient } from '../../smtp/index.js';
import { startSmtpEnv, type SmtpEnv } from '../support/mailenv.js';
import { imapAs, rawMessage } from '../support/webmail.js';

const D = 'sotp-imap.test.gov.vn';
const A = `chuyenvien@${D}`;

/**
 * A desktop client's Junk moves teach rspamd: Dovecot's imapsieve runs `govmail learn` (the wrapper the
 * launcher writes) when a message is moved into Junk or out of it. The judge is rspamd's own statistics.
 */
describe('IMAP — moving mail into or out of Junk teaches rspamd (real Dovecot imapsieve, rspamd)', function () {
  this.timeout(180_000);
  let env: SmtpEnv;
  const learned = () => rspamdClient(env.scanner!.endpoints).learned();
  const until = async (what: string, test: () => Promise<boolean>) => {
    for (let i = 0; i < 150; i++) {
      if (await test()) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.fail(`${what} within 30 s`);
  };
  const move = async (subject: string, from: string, to: string) => {
    const client = await imapAs(env, A);
    const lock = await client.getMailboxLock(from);
    try {
      const uids = (await client.search({ subject }, { uid: true })) || [];
      assert.equal(uids.length, 1, `${subject} in ${from}`);
      assert.ok(await client.messageMove(uids, to, { uid: true }));
    } finally {
      lock.release();
      await client.logout();
    }
  };
  const deliver = async (subject: string) => {
    const body = `${subject}: chúc mừng quý khách đã trúng thưởng, hãy bấm vào đường dẫn để nhận quà tặng trong hôm nay trước khi chương trình kết thúc.`;
    const [r] = await env.lmtp.deliver({ from: 'khuyenmai@ngoai.example', to: [A], raw: rawMessage({ from: 'khuyenmai@ngoai.example', to: A, subject, body }) });
    assert.equal(r!.code, 250);
  };

  before(async () => {
    env = await startSmtpEnv('smtp://127.0.0.1:9', false, {}, { scan: true, learning: true });
    await addDomain(env.db, D);
    await addMailbox(env.db, { address: A, displayName: 'Chuyên viên', password: 'mat-khau-chuyen-vien-2026' }, { defaultQuota: '1G' });
  });
  after(async () => {
    await env?.stop();
  });

  it('learns spam when a client moves a message into Junk, and ham when it moves one back to INBOX', async () => {
    await deliver('Quà tặng tháng mười hai');
    const start = await learned();
    await move('Quà tặng tháng mười hai', 'INBOX', 'Junk');
    await until('rspamd learns spam', async () => (await learned()).spam === start.spam + 1);
    await move('Quà tặng tháng mười hai', 'Junk', 'INBOX');
    await until('rspamd learns ham', async () => (await learned()).ham === start.ham + 1);
  });

  it('learns nothing when a message goes from Junk to Trash (deleting is not judging)', async () => {
    await deliver('Thư rác sẽ xoá');
    const before = await learned();
    await move('Thư rác sẽ xoá', 'INBOX', 'Junk');
    await until('rspamd learns spam', async () => (await learned()).spam === before.spam + 1);
    const afterSpam = await learned();
    await move('Thư rác sẽ xoá', 'Junk', 'Trash');
    await new Promise((r) => setTimeout(r, 6000));
    assert.equal((await learned()).ham, afterSpam.ham);
  });
});
