import assert from 'node:assert/strict';
import nodemailer from 'nodemailer';
import { startSmtpEnv, type SmtpEnv } from '../support/mailenv.js';
import { startSink, type Sink } from '../support/smtp-sink.js';
import { smtpDialog } from '../support/smtp-dialog.js';
import { addAlias, addDomain, addMailbox } from '../../admin/index.js';

const D = 'songv.test.gov.vn';
const PW = 'mat-khau-hop-thu-2026';

/**
 * The MX's and submission's limits against a real GovMail (PostgreSQL, Dovecot, our SMTP servers).
 * 127.0.0.1 is exempt in the test set-up; each test is a different client at 127.0.0.x so the
 * per-address counters of one test do not touch another's.
 */
describe('smtp — limits at the MX and submission (harvesting, recipient cap, connections, idle, AUTH before TLS, SMTPUTF8, send rate)', function () {
  this.timeout(90_000);
  let env: SmtpEnv;
  let sink: Sink;

  before(async () => {
    sink = await startSink();
    env = await startSmtpEnv(sink.url, { pollMs: 100, retryBaseSeconds: 1 }, {
      smtpUnknownRecipientSoftLimit: 2,
      smtpUnknownRecipientHardLimit: 4,
      smtpErrorDelayMs: 400,
      smtpConnectionsPerAddress: 3,
      smtpIdleTimeoutSeconds: 5,
      sendMessagesPerHour: 3,
      sendExternalRecipientsPerHour: 3,
    });
    await addDomain(env.db, D);
    await addMailbox(env.db, { address: `vanthu@${D}`, displayName: 'Văn thư Sở Nội vụ', password: PW }, { defaultQuota: '1G' });
    await addMailbox(env.db, { address: `chuyenvien@${D}`, displayName: 'Chuyên viên', password: PW }, { defaultQuota: '1G' });
    for (let i = 1; i <= 101; i++) await addAlias(env.db, `phong${i}@${D}`, `vanthu@${D}`);
  });
  after(async () => {
    await env?.stop();
    await sink?.close();
  });

  it('slows a directory harvester after the soft limit, closes with 421 at the hard limit, and refuses its next connection; another address is served', async () => {
    const c = await smtpDialog(env.config.smtpPort, '127.0.0.2');
    assert.match(await c.reply(), /^220 /);
    assert.match(await c.send('EHLO harvester.example'), /^250/);
    assert.match(await c.send('MAIL FROM:<spam@example.net>'), /^250/);
    const times: number[] = [];
    const answers: string[] = [];
    for (let i = 1; i <= 4; i++) {
      const t0 = Date.now();
      answers.push(await c.send(`RCPT TO:<khongco${i}@${D}>`));
      times.push(Date.now() - t0);
    }
    assert.match(answers[0]!, /^550 5\.1\.1/);
    assert.match(answers[1]!, /^550 5\.1\.1/);
    assert.match(answers[2]!, /^550 5\.1\.1/);
    assert.ok(times[2]! >= 380, `the third unknown recipient must wait the error delay (took ${times[2]} ms)`);
    assert.match(answers[3]!, /^421 4\.7\.0 Too many unknown recipients.*Quá nhiều người nhận không tồn tại/);
    await c.closed;

    const again = await smtpDialog(env.config.smtpPort, '127.0.0.2');
    assert.match(await again.reply(), /^421 4\.7\.0 Too many unknown recipients/);
    await again.closed;

    const other = await smtpDialog(env.config.smtpPort, '127.0.0.3');
    assert.match(await other.reply(), /^220 /);
    other.end();
  });

  it('caps recipients per transaction at 100 with 452 4.5.3; the first 100 stay accepted and the message is delivered once', async () => {
    const c = await smtpDialog(env.config.smtpPort, '127.0.0.4');
    await c.reply();
    await c.send('EHLO doitac.example');
    assert.match(await c.send('MAIL FROM:<doitac@example.net>'), /^250/);
    for (let i = 1; i <= 100; i++) assert.match(await c.send(`RCPT TO:<phong${i}@${D}>`), /^250/, `RCPT ${i}`);
    assert.match(await c.send(`RCPT TO:<phong101@${D}>`), /^452 4\.5\.3 Too many recipients.*at most 100.*tối đa 100/);
    assert.match(await c.send('DATA'), /^354/);
    assert.match(await c.send(`From: <doitac@example.net>\r\nTo: <phong1@${D}>\r\nSubject: 100 recipients\r\n\r\nKinh gui.\r\n.`), /^250/);
    await c.send('QUIT');
  });

  it('refuses a connection beyond the per-address limit with 421 and takes a new one once one closes', async () => {
    const open = [];
    for (let i = 0; i < 3; i++) {
      const c = await smtpDialog(env.config.smtpPort, '127.0.0.5');
      assert.match(await c.reply(), /^220 /);
      open.push(c);
    }
    const fourth = await smtpDialog(env.config.smtpPort, '127.0.0.5');
    assert.match(await fourth.reply(), /^421 4\.7\.0 Too many connections from your address \(at most 3\)/);
    await fourth.closed;
    const elsewhere = await smtpDialog(env.config.smtpPort, '127.0.0.6');
    assert.match(await elsewhere.reply(), /^220 /, 'another address still gets in');
    elsewhere.end();
    open[0]!.end();
    await open[0]!.closed;
    // The server sees the close a moment after the client does.
    let next;
    for (let tries = 0; tries < 50; tries++) {
      next = await smtpDialog(env.config.smtpPort, '127.0.0.5');
      const banner = await next.reply();
      if (banner.startsWith('220')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(next!.isClosed(), false, 'a slot freed by a closed connection is taken again');
    for (const c of [...open.slice(1), next!]) c.end();
  });

  it('disconnects an idle client with 421 after the idle timeout', async () => {
    const c = await smtpDialog(env.config.smtpPort, '127.0.0.7');
    assert.match(await c.reply(), /^220 /);
    assert.match(await c.send('EHLO slow.example'), /^250/);
    assert.match(await c.reply(), /^421 .*Timeout/i);
    await c.closed;
  });

  it('submission on the STARTTLS port advertises AUTH only after TLS (RFC 4954 §4)', async () => {
    const c = await smtpDialog(env.config.submissionPort, '127.0.0.8');
    await c.reply();
    const before = await c.send('EHLO client.example');
    assert.match(before, /STARTTLS/);
    assert.doesNotMatch(before, /AUTH/);
    assert.doesNotMatch(await c.send('AUTH PLAIN AGZvbwBiYXI='), /^2/);
    await c.starttls();
    const after = await c.send('EHLO client.example');
    assert.match(after, /250[ -]AUTH PLAIN LOGIN/);
    assert.doesNotMatch(after, /STARTTLS/);
    c.end();
  });

  it('refuses non-ASCII addresses without SMTPUTF8 with 553 5.6.7 and takes them with it (RFC 6531)', async () => {
    const c = await smtpDialog(env.config.smtpPort, '127.0.0.9');
    await c.reply();
    assert.match(await c.send('EHLO doitac.example'), /SMTPUTF8/);
    assert.match(await c.send('MAIL FROM:<người.gửi@ví-dụ.vn>'), /^553 5\.6\.7 .*SMTPUTF8/);
    assert.match(await c.send('MAIL FROM:<doitac@example.net>'), /^250/);
    assert.match(await c.send(`RCPT TO:<văn.thư@${D}>`), /^553 5\.6\.7/);
    await c.send('RSET');
    assert.match(await c.send('MAIL FROM:<người.gửi@ví-dụ.vn> SMTPUTF8'), /^250/);
    c.end();
  });

  it('limits what a mailbox sends per hour: the fourth message gets 450 4.7.1 over SMTP; a trusted address is exempt', async () => {
    const transport = (localAddress: string) =>
      nodemailer.createTransport({ host: '127.0.0.1', port: env.config.submissionsPort, secure: true, localAddress, tls: { rejectUnauthorized: false }, auth: { user: `vanthu@${D}`, pass: PW } } as any);
    const t = transport('127.0.0.10');
    for (let i = 1; i <= 3; i++) {
      const info = await t.sendMail({ from: `vanthu@${D}`, to: `chuyenvien@${D}`, subject: `Thông báo ${i}`, text: 'Kính gửi.' });
      assert.match(info.response, /^250 /);
    }
    await assert.rejects(
      t.sendMail({ from: `vanthu@${D}`, to: `chuyenvien@${D}`, subject: 'Thông báo 4', text: 'Kính gửi.' }),
      (e: any) => e.responseCode === 450 && /4\.7\.1 .*3 messages in the last hour/.test(e.response),
    );
    t.close();
    const exempt = transport('127.0.0.1');
    assert.match((await exempt.sendMail({ from: `vanthu@${D}`, to: `chuyenvien@${D}`, subject: 'Từ hệ thống của tỉnh', text: 'x' })).response, /^250 /);
    exempt.close();
  });

  it('limits external recipients per hour for the webmail path too, counting nothing for the refused message', async () => {
    const send = (to: string[], subject: string) =>
      env.smtp.submit({ mailbox: `chuyenvien@${D}`, envelopeFrom: `chuyenvien@${D}`, recipients: to, clientIp: '192.0.2.10', raw: Buffer.from(`From: <chuyenvien@${D}>\r\nTo: ${to.join(', ')}\r\nSubject: ${subject}\r\n\r\nx\r\n`) });
    await send(['a@doitac.example', 'b@doitac.example'], 'hai người nhận');
    await assert.rejects(send(['c@doitac.example', 'd@doitac.example'], 'vượt giới hạn'), (e: any) => /450 4\.7\.1 .*3 external recipients/.test(e.message));
    await send(['c@doitac.example'], 'còn đúng một');
    await send([`vanthu@${D}`], 'nội bộ không bị giới hạn người nhận ngoài');
    await assert.rejects(send([`vanthu@${D}`], 'thư thứ năm'), (e: any) => /450 4\.7\.1 .*3 messages/.test(e.message));
  });
});
