import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { dkimSign } from 'mailauth/lib/dkim/sign.js';
import { authenticateSender, dnsResolver, removeForgedHeaders, senderVerdict, trustedNetworks, JUNK_HEADER } from '../../smtp/sender-auth.js';
import { startDnsServer, type DnsServer } from '../support/dns-server.js';

const MX = 'mx.tinh.test.gov.vn';
const GOOD_IP = '192.0.2.10';
const OTHER_IP = '198.51.100.7';

function message(from: string, subject = 'Công văn số 12/CV') {
  return Buffer.from(
    [`From: ${from}`, 'To: vanthu@sonv.tinh.test.gov.vn', `Subject: ${subject}`, 'Message-ID: <1@test>', 'Date: Thu, 26 Nov 2026 09:00:00 +0700', '', 'Kính gửi văn thư.', ''].join('\r\n'),
  );
}

describe('smtp/sender-auth — SPF, DKIM and DMARC at the MX (mailauth, through node\'s resolver to a real DNS server on loopback)', function () {
  this.timeout(30_000);
  let dns: DnsServer;
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicDer = keys.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  const privatePem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const sign = async (raw: Buffer, domain: string) => {
    const res = await dkimSign(raw, { canonicalization: 'relaxed/relaxed', signatureData: [{ signingDomain: domain, selector: 's1', privateKey: privatePem, algorithm: 'rsa-sha256' }] } as any);
    return Buffer.concat([Buffer.from(res.signatures), raw]);
  };
  const local = new Set(['sonv.tinh.test.gov.vn']);
  const check = (raw: Buffer, ip: string, sender: string, resolver = dnsResolver([dns.address])) =>
    authenticateSender(raw, { ip, helo: 'mail.ngoai.example', sender, hostname: MX, resolver, isLocalDomain: async (d) => local.has(d) });

  before(async () => {
    dns = await startDnsServer({
      'ngoai.example': { TXT: [`v=spf1 ip4:${GOOD_IP} -all`] },
      '_dmarc.ngoai.example': { TXT: ['v=DMARC1; p=reject'] },
      's1._domainkey.ngoai.example': { TXT: [`v=DKIM1; k=rsa; p=${publicDer}`] },
      'canhbao.example': { TXT: [`v=spf1 ip4:${GOOD_IP} -all`] },
      '_dmarc.canhbao.example': { TXT: ['v=DMARC1; p=quarantine'] },
      'khongchinhsach.example': { TXT: [`v=spf1 ip4:${GOOD_IP} -all`] },
      'sonv.tinh.test.gov.vn': { TXT: [] },
    });
  });
  after(() => dns.close());

  it('passes mail from an address the domain\'s SPF names: spf=pass, dmarc=pass, accepted', async () => {
    const a = await check(message('Bộ Ngoại giao <congvan@ngoai.example>'), GOOD_IP, 'congvan@ngoai.example');
    assert.equal(a.spf, 'pass');
    assert.equal(a.dmarc, 'pass');
    assert.equal(a.verdict, 'accept');
    assert.match(a.header, new RegExp(`^Received-SPF: pass`, 'm'));
    assert.match(a.header, new RegExp(`^Authentication-Results: ${MX.replace(/\./g, '\\.')};`, 'm'));
    assert.match(a.header, /dmarc=pass/);
    assert.match(a.header, /\r\n$/);
  });

  it('refuses a forgery of a p=reject domain from elsewhere, unsigned', async () => {
    const a = await check(message('congvan@ngoai.example'), OTHER_IP, 'congvan@ngoai.example');
    assert.equal(a.spf, 'fail');
    assert.equal(a.dmarc, 'fail');
    assert.equal(a.policy, 'reject');
    assert.equal(a.verdict, 'reject');
  });

  it('accepts the same sender from elsewhere when its DKIM signature verifies (forwarded mail), and not once a byte changed', async () => {
    const signed = await sign(message('congvan@ngoai.example'), 'ngoai.example');
    const a = await check(signed, OTHER_IP, 'list@forwarder.example');
    assert.equal(a.dkim, 'pass');
    assert.equal(a.dmarc, 'pass');
    assert.equal(a.verdict, 'accept');
    const tampered = Buffer.from(signed.toString().replace('Kính gửi văn thư.', 'Kính gửi kế toán.'));
    const b = await check(tampered, OTHER_IP, 'list@forwarder.example');
    assert.notEqual(b.dkim, 'pass');
    assert.equal(b.verdict, 'reject');
  });

  it('sends a p=quarantine failure to Junk', async () => {
    const a = await check(message('tb@canhbao.example'), OTHER_IP, 'tb@canhbao.example');
    assert.equal(a.dmarc, 'fail');
    assert.equal(a.verdict, 'junk');
    assert.match(a.reason!, /quarantine/);
  });

  it('accepts a failure when the domain publishes no DMARC policy (recorded in the header)', async () => {
    const a = await check(message('a@khongchinhsach.example'), OTHER_IP, 'a@khongchinhsach.example');
    assert.equal(a.spf, 'fail');
    assert.equal(a.verdict, 'accept');
    assert.match(a.header, /spf=fail/);
  });

  it('sends mail that claims one of our own domains but lacks a DKIM signature of it to Junk, even without a DMARC record', async () => {
    const a = await check(message('Giám đốc Sở <giamdoc@sonv.tinh.test.gov.vn>'), OTHER_IP, 'bounce@lua-dao.example');
    assert.equal(a.fromDomain, 'sonv.tinh.test.gov.vn');
    assert.equal(a.verdict, 'junk');
    assert.equal(a.reason, 'from-local-domain-without-our-dkim');
  });

  it('delivers when DNS does not answer: temperror, never a refusal, within the resolver timeout', async () => {
    const t0 = Date.now();
    const a = await check(message('congvan@ngoai.example'), OTHER_IP, 'congvan@ngoai.example', dnsResolver(['127.0.0.1:9'], 300));
    assert.equal(a.verdict, 'accept');
    assert.match(a.spf, /temperror|none/);
    assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms`);
  });

  it('decides by a plain rule', () => {
    assert.equal(senderVerdict({ dmarc: 'fail', policy: 'reject', fromIsLocal: false, alignedDkim: false }).verdict, 'reject');
    assert.equal(senderVerdict({ dmarc: 'fail', policy: 'quarantine', fromIsLocal: false, alignedDkim: false }).verdict, 'junk');
    assert.equal(senderVerdict({ dmarc: 'fail', policy: 'none', fromIsLocal: false, alignedDkim: false }).verdict, 'accept');
    assert.equal(senderVerdict({ dmarc: 'temperror', policy: 'reject', fromIsLocal: false, alignedDkim: false }).verdict, 'accept');
    assert.equal(senderVerdict({ dmarc: 'none', fromIsLocal: true, alignedDkim: false }).verdict, 'junk');
    assert.equal(senderVerdict({ dmarc: 'pass', fromIsLocal: true, alignedDkim: true }).verdict, 'accept');
  });

  it('removes headers from outside that would speak for us, and nothing else', () => {
    const raw = Buffer.from(
      [
        `Authentication-Results: ${MX.toUpperCase()}; dmarc=pass header.from=sonv.tinh.test.gov.vn`,
        'Authentication-Results: mx.other.example;',
        '\tspf=pass',
        `${JUNK_HEADER}: no`,
        'Subject: Thư',
        '',
        `Authentication-Results: ${MX}; in the body stays`,
        '',
      ].join('\r\n'),
    );
    const out = removeForgedHeaders(raw, MX).toString();
    assert.equal(out, ['Authentication-Results: mx.other.example;', '\tspf=pass', 'Subject: Thư', '', `Authentication-Results: ${MX}; in the body stays`, ''].join('\r\n'));
    const clean = Buffer.from('Subject: a\r\n\r\nb\r\n');
    assert.equal(removeForgedHeaders(clean, MX), clean);
  });

  it('trusts loopback by default and only the networks named', () => {
    const trusted = trustedNetworks(['127.0.0.0/8', '::1/128', '10.20.0.0/16']);
    assert.equal(trusted('127.0.0.1'), true);
    assert.equal(trusted('::ffff:127.0.0.1'), true);
    assert.equal(trusted('::1'), true);
    assert.equal(trusted('10.20.3.4'), true);
    assert.equal(trusted('10.21.3.4'), false);
    assert.equal(trusted('192.0.2.10'), false);
    assert.equal(trustedNetworks([])('127.0.0.1'), false);
  });
});
