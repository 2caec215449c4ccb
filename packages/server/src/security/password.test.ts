import { randomBytes, scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ARGON2_PARAMS, hashPassword, needsRehash, verifyPassword } from './password.js';

/** A hash in the format this server wrote before argon2id (scrypt, N = 2^14). */
function legacyScryptHash(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password, salt, 64, { N: 16384, r: 8, p: 1 });
  return ['scrypt', 16384, 8, 1, salt.toString('base64'), key.toString('base64')].join('$');
}

describe('password hashing', () => {
  it('makes argon2id PHC hashes that carry their parameters and verify', async () => {
    const stored = await hashPassword('correct horse battery');
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
    expect(await verifyPassword('correct horse battery', stored)).toBe(true);
    expect(await verifyPassword('correct horse batterz', stored)).toBe(false);
    expect(needsRehash(stored)).toBe(false);
    // two hashes of one password differ (random salt)
    expect(await hashPassword('correct horse battery')).not.toBe(stored);
  });

  it('still verifies old scrypt hashes and marks them for rehashing', async () => {
    const old = legacyScryptHash('old password 1');
    expect(await verifyPassword('old password 1', old)).toBe(true);
    expect(await verifyPassword('old password 2', old)).toBe(false);
    expect(needsRehash(old)).toBe(true);
  });

  it('marks argon2 hashes with weaker parameters, or argon2i, for rehashing', () => {
    const { memoryCost: m } = ARGON2_PARAMS;
    expect(needsRehash(`$argon2id$v=19$m=${m / 2},t=2,p=1$c2FsdHNhbHQ$aGFzaA`)).toBe(true);
    expect(needsRehash(`$argon2id$v=19$m=${m},t=1,p=1$c2FsdHNhbHQ$aGFzaA`)).toBe(true);
    expect(needsRehash(`$argon2i$v=19$m=${m},t=2,p=1$c2FsdHNhbHQ$aGFzaA`)).toBe(true);
    expect(needsRehash(`$argon2id$v=19$m=${m * 2},t=3,p=1$c2FsdHNhbHQ$aGFzaA`)).toBe(false);
  });

  it('never matches malformed or hostile stored hashes', async () => {
    for (const stored of [
      '',
      'plaintext',
      '$argon2id$v=19$m=19456,t=2,p=1$!!$!!',
      'scrypt$1099511627776$8$1$c2FsdA$aGFzaA', // N far too large: refused before deriving
      'scrypt$16384$8$1$$',
    ]) {
      expect(await verifyPassword('anything', stored)).toBe(false);
    }
  });
});
