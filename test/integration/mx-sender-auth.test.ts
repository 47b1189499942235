import assert from 'node:assert/strict';
import nodemailer from 'nodemailer';
import { addDomain, addMailbox } from '../../admin/index.js';
import { folderMessages } from '../support/webmail.js';
import { startSmtpEnv, type SmtpEnv } from '../support/mailenv.js';
import { startDnsServer, type DnsServer } from '../support/dns-server.js';

const D = 'sonv.test.gov.vn';
const TO = `vanthu@${D}`;

/**
 * The MX with sender checks on for loopback (trustedNetworks emptied), resolving through a real DNS
 * server on loopback, into a real Dovecot: what lands where, and what is refused.
 */
describe('MX — SPF/DKIM/DMARC enforced at DATA, junk filed by Dovecot (real PostgreSQL, Dovecot, DNS)', function () {
  this.timeout(120_000);
  let env: SmtpEnv;
  let dns: DnsServer;
  const mx = () => nodemailer.createTransport({ host: '127.0.0.1', port: env.config.smtpPort, secure: false, tls: { rejectUnauthorized: false }, name: 'mail.ngoai.example' } as any);
  const folder = (name: string) => folderMessages(env, TO, name);

  before(async () => {
    dns = await startDnsServer({
      'dung.example': { TXT: ['v=spf1 ip4:127.0.0.1 -all'] },
      '_dmarc.dung.example': { TXT: ['v=DMARC1; p=reject'] },
      'gia.example': { TXT: ['v=spf1 ip4:192.0.2.1 -all'] },
      '_dmarc.gia.example': { TXT: ['v=DMARC1; p=reject'] },
    });
    env = await startSmtpEnv('smtp://127.0.0.1:9', false, { trustedNetworks: '', dnsServers: dns.address });
    await addDomain(env.db, D);
    await addMailbox(env.db, { address: TO, displayName: 'Văn thư Sở Nội vụ', password: 'mat-khau-van-thu-2026' }, { defaultQuota: '1G' });
  });
  after(async () => {
    await env?.stop();
    await dns?.close();
  });

  it('delivers a sender its SPF names, with our Authentication-Results on top and a forged one removed', async () => {
    await mx().sendMail({
      from: 'congvan@dung.example', to: TO, subject: 'Công văn hợp lệ', text: 'Kính gửi.',
      headers: { 'Authentication-Results': 'mail.test.gov.vn; dmarc=pass header.from=tu-xung.example' },
    });
    const [m] = (await folder('INBOX')).filter((x) => x.subject === 'Công văn hợp lệ');
    assert.ok(m, 'in INBOX');
    const ours = m.source.match(/^Authentication-Results: mail\.test\.gov\.vn;[^]*?(?=\r\n\S)/gm) ?? [];
    assert.equal(ours.length, 1, m.source.slice(0, 800));
    assert.match(ours[0]!, /spf=pass/);
    assert.match(ours[0]!, /dmarc=pass/);
    assert.doesNotMatch(m.source, /tu-xung\.example/);
  });

  it('refuses at DATA a forgery of a p=reject domain, and stores nothing', async () => {
    await assert.rejects(
      mx().sendMail({ from: 'giamdoc@gia.example', to: TO, subject: 'Chuyển tiền gấp', text: 'Chuyển ngay.' }),
      (e: any) => e.responseCode === 550 && /5\.7\.1/.test(e.response) && /DMARC/.test(e.response),
    );
    assert.equal((await folder('INBOX')).filter((x) => x.subject === 'Chuyển tiền gấp').length, 0);
  });

  it('files a message that claims our own domain without our DKIM signature in Junk, not INBOX', async () => {
    await mx().sendMail({ from: `Giám đốc Sở <giamdoc@${D}>`, to: TO, subject: 'Yêu cầu mật khẩu', text: 'Gửi lại mật khẩu.' });
    assert.equal((await folder('INBOX')).filter((x) => x.subject === 'Yêu cầu mật khẩu').length, 0);
    const [junk] = (await folder('Junk')).filter((x) => x.subject === 'Yêu cầu mật khẩu');
    assert.ok(junk, 'in Junk');
    assert.match(junk.source, /^X-GovMail-Junk: from-local-domain-without-our-dkim/m);
  });

  it('strips the junk mark and our Authentication-Results from what our own users submit', async () => {
    const submission = nodemailer.createTransport({ host: '127.0.0.1', port: env.config.submissionPort, secure: false, requireTLS: true, tls: { rejectUnauthorized: false }, auth: { user: TO, pass: 'mat-khau-van-thu-2026' } } as any);
    await submission.sendMail({ from: TO, to: TO, subject: 'Thư nội bộ', text: 'x', headers: { 'X-GovMail-Junk': 'yes', 'Authentication-Results': 'mail.test.gov.vn; dmarc=fail' } });
    const [m] = (await folder('INBOX')).filter((x) => x.subject === 'Thư nội bộ');
    assert.ok(m, 'in INBOX, not Junk');
    assert.doesNotMatch(m.source, /X-GovMail-Junk/i);
    assert.doesNotMatch(m.source, /Authentication-Results: mail\.test\.gov\.vn/);
  });

  it('checks nothing for a trusted network (the default: loopback)', async () => {
    const trusted = await startSmtpEnv('smtp://127.0.0.1:9', false, { dnsServers: dns.address });
    try {
      await addDomain(trusted.db, D);
      await addMailbox(trusted.db, { address: TO, displayName: 'Văn thư', password: 'mat-khau-van-thu-2026' }, { defaultQuota: '1G' });
      const t = nodemailer.createTransport({ host: '127.0.0.1', port: trusted.config.smtpPort, secure: false, tls: { rejectUnauthorized: false } } as any);
      const queries = dns.queries;
      await t.sendMail({ from: 'giamdoc@gia.example', to: TO, subject: 'Từ máy chủ nội bộ', text: 'x' });
      assert.equal(dns.queries, queries, 'no DNS lookups for a trusted client');
    } finally {
      await trusted.stop();
    }
  });
});
