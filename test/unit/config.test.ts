import assert from 'node:assert/strict';
import { loadConfig, parseSize } from '../../core/config.js';
import { GovmailError } from '../../core/errors.js';

describe('core/config', () => {
  it('has the documented embedded defaults', () => {
    const c = loadConfig({}, {});
    assert.equal(c.smtpPort, 2525);
    assert.equal(c.submissionPort, 2587);
    assert.equal(c.submissionsPort, 2465);
    assert.equal(c.imapPort, 2143);
    assert.equal(c.httpPort, 8080);
    assert.ok(c.dataDir.endsWith('/data'));
    assert.equal(c.databaseUrl, undefined);
  });

  it('takes the environment over defaults', () => {
    const c = loadConfig({}, { GOVMAIL_SMTP_PORT: '3025', GOVMAIL_SMARTHOST: 'smtp://127.0.0.1:2626' });
    assert.equal(c.smtpPort, 3025);
    assert.equal(c.smarthost, 'smtp://127.0.0.1:2626');
  });

  it('names the key and the expected form when a value is wrong', () => {
    assert.throws(
      () => loadConfig({}, { GOVMAIL_SMTP_PORT: 'abc' }),
      (err: unknown) => err instanceof GovmailError && /smtpPort \(GOVMAIL_SMTP_PORT\)/.test(err.message),
    );
    assert.throws(
      () => loadConfig({}, { GOVMAIL_SMARTHOST: 'ftp://x' }),
      (err: unknown) => err instanceof GovmailError && /smtp:\/\/host:port/.test(err.message) && /cấu hình/.test(err.messageVi),
    );
  });

  it('checks the sender-check settings: enforce by default, loopback trusted, DNS servers as addresses', () => {
    const c = loadConfig({}, {});
    assert.equal(c.senderChecks, 'enforce');
    assert.equal(c.trustedNetworks, '127.0.0.0/8,::1/128');
    assert.equal(loadConfig({}, { GOVMAIL_DNS_SERVERS: '10.0.0.53,127.0.0.1:5353' }).dnsServers, '10.0.0.53,127.0.0.1:5353');
    assert.throws(() => loadConfig({}, { GOVMAIL_TRUSTED_NETWORKS: '10.0.0.0' }), (err: unknown) => err instanceof GovmailError && /trustedNetworks/.test(err.message) && /CIDR/.test(err.message));
    assert.throws(() => loadConfig({}, { GOVMAIL_SENDER_CHECKS: 'maybe' }), (err: unknown) => err instanceof GovmailError && /senderChecks/.test(err.message));
    assert.throws(() => loadConfig({}, { GOVMAIL_DNS_SERVERS: 'dns.google' }), (err: unknown) => err instanceof GovmailError && /dnsServers/.test(err.message));
  });

  it('parses sizes', () => {
    assert.equal(parseSize('2G'), 2 * 1024 ** 3);
    assert.equal(parseSize('500m'), 500 * 1024 ** 2);
    assert.equal(parseSize('1024'), 1024);
    assert.throws(() => parseSize('2 GB'));
  });
});
