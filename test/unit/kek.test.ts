import assert from 'node:assert/strict';
import { mkdtempSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadKek, seal, unseal } from '../../core/kek.js';

describe('core/kek — private keys encrypted at rest', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kek-'));

  it('creates a 0600 key file once and reuses it', () => {
    const a = loadKek(dir, {});
    const b = loadKek(dir, {});
    assert.deepEqual(a.key, b.key);
    assert.equal(statSync(path.join(dir, 'secrets', 'kek')).mode & 0o777, 0o600);
  });

  it('round-trips, and refuses a tampered value, another context or another key', () => {
    const kek = loadKek(dir, {});
    const sealed = seal(kek, '-----BEGIN PRIVATE KEY-----\nabc', 'dkim:tinh.gov.vn');
    assert.doesNotMatch(sealed, /PRIVATE KEY/);
    assert.equal(unseal(kek, sealed, 'dkim:tinh.gov.vn').toString(), '-----BEGIN PRIVATE KEY-----\nabc');
    assert.throws(() => unseal(kek, sealed, 'dkim:other.gov.vn'));
    const parts = sealed.split('.');
    parts[3] = Buffer.from('x' + Buffer.from(parts[3], 'base64url').toString('latin1')).toString('base64url');
    assert.throws(() => unseal(kek, parts.join('.'), 'dkim:tinh.gov.vn'));
    assert.throws(() => unseal(loadKek(dir, { GOVMAIL_KEK_PASSPHRASE: 'mot cau mat khau dai' }), sealed, 'dkim:tinh.gov.vn'));
  });
});
