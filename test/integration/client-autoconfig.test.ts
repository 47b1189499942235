import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startWebmailEnv, Browser, type WebmailEnv } from '../support/webmail.js';
import { addDomain, addMailbox } from '../../admin/index.js';
import { appleMobileconfig } from '../../webmail/index.js';
import { clientDiscoveryRecords } from '../../smtp/dkim.js';

const D = 'sotp.test.gov.vn';

/** Python's own XML and plist parsers (Debian's python3) read what we serve: they are the judges of well-formedness. */
function python(script: string, input: string): any {
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', script], { input, encoding: 'utf8' }));
}
const READ_THUNDERBIRD = `
import sys, json, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.read().encode())
p = root.find('emailProvider')
out = {'id': p.get('id'), 'domain': p.findtext('domain'), 'servers': []}
for tag in ('incomingServer', 'outgoingServer'):
    for s in p.findall(tag):
        out['servers'].append({'kind': tag, 'type': s.get('type'), 'host': s.findtext('hostname'), 'port': int(s.findtext('port')), 'socket': s.findtext('socketType'), 'user': s.findtext('username'), 'auth': s.findtext('authentication')})
print(json.dumps(out))`;
const READ_OUTLOOK = `
import sys, json, xml.etree.ElementTree as ET
ns = {'a': 'http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a'}
root = ET.fromstring(sys.stdin.read().encode())
acc = root.find('a:Response/a:Account', ns)
print(json.dumps({'type': acc.findtext('a:AccountType', None, ns), 'protocols': [{'type': p.findtext('a:Type', None, ns), 'server': p.findtext('a:Server', None, ns), 'port': int(p.findtext('a:Port', None, ns)), 'login': p.findtext('a:LoginName', None, ns), 'encryption': p.findtext('a:Encryption', None, ns)} for p in acc.findall('a:Protocol', ns)]}))`;

describe('client autoconfiguration — Thunderbird autoconfig, Outlook autodiscover, Apple profile, DNS records, root URL', function () {
  this.timeout(60_000);
  let env: WebmailEnv;
  before(async () => {
    env = await startWebmailEnv();
    await addDomain(env.db, D);
  });
  after(async () => env?.stop());

  it('/ leads to the webmail', async () => {
    const res = await env.app.inject({ method: 'GET', url: '/' });
    assert.equal(res.statusCode, 302);
    assert.equal(res.headers.location, '/webmail/');
  });

  it('Thunderbird autoconfig gives IMAP and POP3 with STARTTLS and submission on 465 (TLS) and 587 (STARTTLS), user name = the address', async () => {
    for (const url of [`/mail/config-v1.1.xml?emailaddress=nguyenvana%40${D}`, `/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=nguyenvana%40${D}`]) {
      const res = await env.app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 200, url);
      assert.match(String(res.headers['content-type']), /^application\/xml/);
      const cfg = python(READ_THUNDERBIRD, res.body);
      assert.equal(cfg.domain, D);
      const c = env.config;
      assert.deepEqual(
        cfg.servers.map((s: any) => [s.kind, s.type, s.host, s.port, s.socket, s.user, s.auth]),
        [
          ['incomingServer', 'imap', c.hostname, c.imapPort, 'STARTTLS', '%EMAILADDRESS%', 'password-cleartext'],
          ['incomingServer', 'pop3', c.hostname, c.pop3Port, 'STARTTLS', '%EMAILADDRESS%', 'password-cleartext'],
          ['outgoingServer', 'smtp', c.hostname, c.submissionsPort, 'SSL', '%EMAILADDRESS%', 'password-cleartext'],
          ['outgoingServer', 'smtp', c.hostname, c.submissionPort, 'STARTTLS', '%EMAILADDRESS%', 'password-cleartext'],
        ],
      );
    }
    const viaHost = await env.app.inject({ method: 'GET', url: '/.well-known/autoconfig/mail/config-v1.1.xml', headers: { host: `autoconfig.${D}` } });
    assert.equal(python(READ_THUNDERBIRD, viaHost.body).domain, D, 'without emailaddress the domain comes from the host name');
  });

  it('answers 404 for a domain that is not ours, in Vietnamese and English', async () => {
    const res = await env.app.inject({ method: 'GET', url: '/mail/config-v1.1.xml?emailaddress=a%40gmail.com' });
    assert.equal(res.statusCode, 404);
    assert.match(res.body, /không do máy chủ này phục vụ.*not a mail domain of this server/);
  });

  it('Outlook autodiscover (POX) names IMAP, SMTP and POP3 with the address as login; a body without an address is a 400', async () => {
    const request = `<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request><EMailAddress>Tran.Thi.B@${D}</EMailAddress><AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>`;
    const res = await env.app.inject({ method: 'POST', url: '/autodiscover/autodiscover.xml', headers: { 'content-type': 'text/xml' }, payload: request });
    assert.equal(res.statusCode, 200, res.body);
    const out = python(READ_OUTLOOK, res.body);
    assert.equal(out.type, 'email');
    const c = env.config;
    assert.deepEqual(out.protocols, [
      { type: 'IMAP', server: c.hostname, port: c.imapPort, login: `tran.thi.b@${D}`, encryption: 'TLS' },
      { type: 'SMTP', server: c.hostname, port: c.submissionsPort, login: `tran.thi.b@${D}`, encryption: 'SSL' },
      { type: 'POP3', server: c.hostname, port: c.pop3Port, login: `tran.thi.b@${D}`, encryption: 'TLS' },
    ]);
    const bad = await env.app.inject({ method: 'POST', url: '/Autodiscover/Autodiscover.xml', headers: { 'content-type': 'text/xml' }, payload: '<Autodiscover/>' });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /EMailAddress/);
  });

  it('the Apple profile is a property list plistlib reads, with one IMAP account for the address', () => {
    const c = env.config;
    const profile = appleMobileconfig({ hostname: c.hostname, imapPort: c.imapPort, pop3Port: c.pop3Port, submissionPort: c.submissionPort, submissionsPort: c.submissionsPort }, `le.van.c@${D}`, 'Lê Văn C & <Phòng>');
    const p = python('import sys, json, plistlib\nd = plistlib.loads(sys.stdin.read().encode())\nprint(json.dumps(d))', profile);
    assert.equal(p.PayloadType, 'Configuration');
    const mail = p.PayloadContent[0];
    assert.equal(mail.PayloadType, 'com.apple.mail.managed');
    assert.equal(mail.EmailAccountName, 'Lê Văn C & <Phòng>');
    assert.deepEqual([mail.IncomingMailServerHostName, mail.IncomingMailServerPortNumber, mail.OutgoingMailServerPortNumber, mail.OutgoingMailServerUseSSL], [c.hostname, c.imapPort, c.submissionsPort, true]);
  });

  it('webmail settings give a signed-in user the Apple profile of their own mailbox, and nobody else', async () => {
    const address = `tran.thi.d@${D}`;
    await addMailbox(env.db, { address, displayName: 'Trần Thị D', password: 'mat-khau-thiet-bi-2026' }, { defaultQuota: '1G' });
    const stranger = await new Browser(env.app).get('client-config.mobileconfig');
    assert.equal(stranger.statusCode, 401);
    const b = new Browser(env.app);
    assert.equal((await b.login(address, 'mat-khau-thiet-bi-2026')).statusCode, 200);
    const res = await b.get('client-config.mobileconfig');
    assert.equal(res.statusCode, 200, res.body);
    assert.match(String(res.headers['content-type']), /^application\/x-apple-aspen-config/);
    assert.equal(res.headers['content-disposition'], `attachment; filename="tran.thi.d_${D}.mobileconfig"`);
    const mail = python('import sys, json, plistlib\nd = plistlib.loads(sys.stdin.read().encode())\nprint(json.dumps(d))', res.body).PayloadContent[0];
    assert.deepEqual([mail.EmailAddress, mail.EmailAccountName, mail.IncomingMailServerUsername, mail.IncomingMailServerPortNumber], [address, 'Trần Thị D', address, env.config.imapPort]);
  });

  it('DNS: RFC 6186 SRV records for what we offer, "not offered" for IMAPS/POP3S, autoconfig names', () => {
    const r = clientDiscoveryRecords(D, 'mail.sotp.test.gov.vn', { submission: 587, submissions: 465, imap: 143, pop3: 110 });
    assert.ok(r.includes(`_submissions._tcp.${D}.\tIN\tSRV\t0 1 465 mail.sotp.test.gov.vn.`));
    assert.ok(r.includes(`_imap._tcp.${D}.\tIN\tSRV\t0 1 143 mail.sotp.test.gov.vn.`));
    assert.ok(r.includes(`_imaps._tcp.${D}.\tIN\tSRV\t0 0 0 .`));
    assert.ok(r.includes(`autoconfig.${D}.\tIN\tCNAME\tmail.sotp.test.gov.vn.`));
  });
});
