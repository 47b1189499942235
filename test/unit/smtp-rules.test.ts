import assert from 'node:assert/strict';
import { findBareLineEnding, LineEndingGuard, relayAllowed, senderAllowed, transactionReply, nextRetryDelaySeconds, domainOf } from '../../smtp/rules.js';

describe('smtp/rules', () => {
  it('refuses relaying for others unless authenticated', () => {
    assert.equal(relayAllowed(true, false), true);
    assert.equal(relayAllowed(false, false), false);
    assert.equal(relayAllowed(false, true), true);
    assert.equal(domainOf('A@Tinh.Gov.VN'), 'tinh.gov.vn');
    assert.equal(domainOf(''), '');
  });

  it('lets a user send only as themselves or an alias', () => {
    assert.equal(senderAllowed(['a@x.gov.vn', 'vanthu@x.gov.vn'], 'VanThu@x.gov.vn'), true);
    assert.equal(senderAllowed(['a@x.gov.vn'], 'giamdoc@x.gov.vn'), false);
  });

  it('finds every smuggling line ending, across chunk boundaries', () => {
    for (const bad of ['a\n.\nb', 'a\r.\r\n', 'a\n.\r\n', 'a\r\n.\nb', 'x\ry']) {
      const g = new LineEndingGuard();
      g.feed(Buffer.from(bad));
      assert.equal(g.end(), false, JSON.stringify(bad));
    }
    const ok = new LineEndingGuard();
    ok.feed(Buffer.from('Subject: x\r'));
    ok.feed(Buffer.from('\n\r\nbody\r\n'));
    assert.equal(ok.end(), true);
    const split = new LineEndingGuard();
    split.feed(Buffer.from('a\r'));
    split.feed(Buffer.from('b'));
    assert.equal(split.end(), false);
    const trailing = new LineEndingGuard();
    trailing.feed(Buffer.from('a\r\nb\r'));
    assert.equal(trailing.end(), false);
    assert.equal(findBareLineEnding(Buffer.from('\nx'), 0x0d), -1);
    assert.equal(findBareLineEnding(Buffer.from('\nx'), 0x41), 0);
  });

  it('answers a mixed transaction with 250 and a DSN for the permanent failures', () => {
    assert.deepEqual(transactionReply([{ outcome: 'delivered', code: 250, response: '250 ok' }, { outcome: 'permanent', code: 552, response: '552 5.2.2 full' }]).dsnFor, [1]);
    const allBad = transactionReply([{ outcome: 'permanent', code: 552, response: '552 5.2.2 <a@x> Quota exceeded' }]);
    assert.deepEqual(allBad.reply, { code: 552, message: '5.2.2 <a@x> Quota exceeded' });
    assert.equal(transactionReply([{ outcome: 'queued', code: 451, response: '451 later' }]).reply.code, 250);
  });

  it('backs off exponentially up to four hours', () => {
    assert.equal(nextRetryDelaySeconds(1), 60);
    assert.equal(nextRetryDelaySeconds(3), 240);
    assert.equal(nextRetryDelaySeconds(30), 4 * 3600);
  });
});
