import assert from 'node:assert/strict';
import { ClientLimiter, clientKey, recipientCapReply, smtputf8Violation, type SmtpLimits } from '../../smtp/limits.js';

const limits = (o: Partial<SmtpLimits> = {}): SmtpLimits => ({
  connectionsPerAddress: 2,
  maxRecipients: 100,
  unknownSoftLimit: 2,
  unknownHardLimit: 4,
  unknownDelayMs: 1000,
  unknownWindowMs: 60_000,
  exempt: (ip) => ip === '10.0.0.1',
  ...o,
});

describe('smtp limits — plain rules (anvil-style counters, recipient cap, SMTPUTF8)', () => {
  it('counts IPv6 clients by /64 and IPv4-mapped addresses as IPv4', () => {
    assert.equal(clientKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
    assert.equal(clientKey('2001:db8:1:2:ffff:1:2:3'), '2001:db8:1:2::/64');
    assert.equal(clientKey('::ffff:192.0.2.7'), '192.0.2.7');
    assert.equal(clientKey('192.0.2.7'), '192.0.2.7');
    assert.notEqual(clientKey('2001:db8:1:3::1'), clientKey('2001:db8:1:2::1'));
  });

  it('admits connections up to the per-address limit, releases each admitted one once, ignores unknown releases', () => {
    const l = new ClientLimiter(limits());
    assert.equal(l.admit('a', '192.0.2.1'), undefined);
    assert.equal(l.admit('b', '192.0.2.1'), undefined);
    assert.equal(l.admit('c', '192.0.2.1')?.code, 421);
    assert.equal(l.admit('d', '192.0.2.2'), undefined, 'another address has its own count');
    l.release('c', '192.0.2.1'); // refused, never admitted: must not free a slot
    assert.equal(l.openConnections('192.0.2.1'), 2);
    l.release('a', '192.0.2.1');
    l.release('a', '192.0.2.1');
    assert.equal(l.openConnections('192.0.2.1'), 1);
    assert.equal(l.admit('e', '192.0.2.1'), undefined);
  });

  it('delays after the soft limit, answers 421 at the hard limit, refuses the address until the window passes', () => {
    let now = 0;
    const l = new ClientLimiter(limits(), () => now);
    assert.deepEqual(l.unknownRecipient('192.0.2.9', 1), { delayMs: 0 });
    assert.deepEqual(l.unknownRecipient('192.0.2.9', 2), { delayMs: 0 });
    assert.equal(l.unknownRecipient('192.0.2.9', 1).delayMs, 1000, 'the address count goes on across sessions');
    assert.equal(l.unknownRecipient('192.0.2.9', 1).reply?.code, 421);
    assert.equal(l.admit('x', '192.0.2.9')?.code, 421);
    now += 60_001;
    assert.equal(l.admit('y', '192.0.2.9'), undefined, 'forgiven after the window');
  });

  it('exempts trusted addresses from every counter', () => {
    const l = new ClientLimiter(limits());
    for (let i = 0; i < 10; i++) assert.equal(l.admit(`s${i}`, '10.0.0.1'), undefined);
    for (let i = 0; i < 10; i++) assert.deepEqual(l.unknownRecipient('10.0.0.1', i), { delayMs: 0 });
  });

  it('caps recipients and asks for SMTPUTF8 only for non-ASCII addresses', () => {
    assert.equal(recipientCapReply(99, 100), undefined);
    assert.equal(recipientCapReply(100, 100)?.code, 452);
    assert.equal(smtputf8Violation('van.thu@so.gov.vn', false), undefined);
    assert.equal(smtputf8Violation('văn.thư@so.gov.vn', true), undefined);
    assert.match(smtputf8Violation('văn.thư@so.gov.vn', false)!.message, /^5\.6\.7 /);
  });
});
