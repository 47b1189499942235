import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { generatePassword, hashGeneratedPassword, hashPassword, verifyPassword } from '../../admin/index.js';

describe('admin — password hashes', () => {
  it('generates 16 characters from the look-alike-free alphabet, every character reachable', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const p = generatePassword();
      assert.match(p, /^[a-hjkmnp-zA-HJ-NP-Z2-9]{16}$/);
      for (const c of p) seen.add(c);
    }
    assert.equal(seen.size, 55);
  });

  it('writes Dovecot {SSHA512} for generated passwords: SHA-512(password ‖ salt) ‖ salt, salted per call', async () => {
    const p = generatePassword();
    const a = hashGeneratedPassword(p);
    const b = hashGeneratedPassword(p);
    assert.notEqual(a, b);
    const raw = Buffer.from(a.slice('{SSHA512}'.length), 'base64');
    assert.equal(raw.length, 64 + 16);
    const expected = createHash('sha512').update(p).update(raw.subarray(64)).digest();
    assert.deepEqual(raw.subarray(0, 64), expected);
    assert.equal(await verifyPassword(a, p), true);
    assert.equal(await verifyPassword(a, p.toLowerCase() === p ? p.toUpperCase() : p.toLowerCase()), false);
    assert.equal(await verifyPassword('{SSHA512}AAAA', p), false);
  });

  it('refuses the fast hash for a password a person chose', () => {
    assert.throws(() => hashGeneratedPassword('mật-khẩu-của-tôi-2026'), /generatePassword/);
    assert.throws(() => hashGeneratedPassword('abcdefghjkmnpqrs1'), /generatePassword/);
  });

  it('keeps argon2id for chosen passwords', async () => {
    const h = await hashPassword('Mật khẩu rất dài 2026');
    assert.match(h, /^\{ARGON2ID\}\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.equal(await verifyPassword(h, 'Mật khẩu rất dài 2026'), true);
    assert.equal(await verifyPassword(h, 'Mat khau rat dai 2026'), false);
  });
});
