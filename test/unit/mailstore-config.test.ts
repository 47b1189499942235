import assert from 'node:assert/strict';
import { generateDovecotConfig, runtimeDirFor, sqlConf } from '../../mailstore/config.js';
import { classifyDovecotLine } from '../../mailstore/embedded.js';

const base = {
  confDir: '/d/dovecot', stateDir: '/d/dovecot/state', baseDir: '/tmp/gm-x', mailRoot: '/d/mail', listen: '127.0.0.1',
  ports: { imap: 2143, pop3: 2110, managesieve: 2419, lmtp: 2424 }, tls: { certFile: '/d/tls/c', keyFile: '/d/tls/k' },
  user: { name: 'govmail', uid: 998, gid: 997 }, hostname: 'mail.tinh.gov.vn',
};

describe('mailstore/config — the generated Dovecot configuration', () => {
  it('runs rootless in embedded mode', () => {
    const c = generateDovecotConfig({ ...base, mode: 'embedded' });
    assert.match(c, /^default_login_user = govmail$/m);
    assert.match(c, /^default_internal_user = govmail$/m);
    assert.ok((c.match(/^ {2}chroot = $/gm) ?? []).length >= 3, 'login services run without chroot');
    assert.match(c, /^state_dir = \/d\/dovecot\/state$/m);
    const prod = generateDovecotConfig({ ...base, mode: 'production' });
    assert.doesNotMatch(prod, /default_login_user/);
    assert.doesNotMatch(prod, /chroot = $/m);
  });

  it('requires TLS before any password and keeps LMTP on loopback', () => {
    const c = generateDovecotConfig({ ...base, mode: 'embedded' });
    assert.match(c, /^ssl = required$/m);
    assert.match(c, /^disable_plaintext_auth = yes$/m);
    assert.match(c, /inet_listener lmtp \{\s+address = 127\.0\.0\.1\s+port = 2424/);
  });

  it('puts the master user first and reads users only from the view', () => {
    const c = generateDovecotConfig({ ...base, mode: 'embedded' });
    assert.ok(c.indexOf('master = yes') < c.indexOf('driver = sql'));
    const sql = sqlConf({ host: '127.0.0.1', port: 5432, dbname: 'govmail', user: 'govmail_dovecot', password: 'p' }, '/d/mail');
    assert.match(sql, /FROM dovecot_users WHERE username = '%u'/);
    assert.doesNotMatch(sql, /FROM mailboxes/);
    assert.match(sql, /'\/d\/mail\/' \|\| mailbox_id AS home/);
  });

  it('keeps socket paths short whatever the data folder', () => {
    const dir = runtimeDirFor('/a/very/long/path/'.repeat(10));
    assert.ok(dir.length + '/auth-userdb'.length < 108);
    assert.equal(runtimeDirFor('/x'), runtimeDirFor('/x/'));
  });
});

describe('mailstore — Dovecot log lines', () => {
  it('tells panics and fatal errors from ordinary errors and information', () => {
    assert.equal(classifyDovecotLine('imap(a@b)<1><x>: Panic: fcntl(/m/dovecot.list.index.log, write-lock, F_SETLKW) locking failed: Resource deadlock avoided'), 'panic');
    assert.equal(classifyDovecotLine('imap(a@b)<1><x>: Fatal: master: service(imap): child 1 killed with signal 6'), 'fatal');
    assert.equal(classifyDovecotLine('imap(a@b)<1><x>: Error: Mailbox INBOX: Broken index'), 'error');
    assert.equal(classifyDovecotLine('master: Info: Dovecot v2.3.19.1 starting up'), 'info');
  });

  it('has no mailbox list index (its locks deadlock under concurrent sessions of one mailbox)', () => {
    assert.match(generateDovecotConfig({ ...base, mode: 'embedded' }), /^mailbox_list_index = no$/m);
  });
});
