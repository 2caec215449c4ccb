import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';

/**
 * Password hashing: argon2id (RFC 9106) through `@node-rs/argon2`, with OWASP's
 * Password Storage Cheat Sheet parameters (m = 19 MiB, t = 2, p = 1). Hashes are PHC strings
 * (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`), so each carries its own parameters and
 * they can be raised later: {@link needsRehash} tells the login to replace a weaker hash.
 *
 * Older hashes are `scrypt$N$r$p$<salt b64>$<hash b64>` (N = 2^14); they still verify and
 * are rehashed to argon2id on the next successful login.
 */
export const ARGON2_PARAMS = {
  /** `Algorithm.Argon2id` (a const enum, so spelled as its value under verbatimModuleSyntax). */
  algorithm: 2,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

/** Largest scrypt cost a stored legacy hash may ask for (bounds memory at verify time). */
const MAX_LEGACY_SCRYPT_N = 2 ** 20;

/** Hash a password (argon2id, random 16-byte salt). */
export function hashPassword(password: string): Promise<string> {
  return argon2Hash(password.normalize('NFKC'), ARGON2_PARAMS);
}

/** Constant-time check of a password against a stored hash of any supported kind. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  if (stored.startsWith('$argon2')) {
    try {
      return await argon2Verify(stored, password.normalize('NFKC'));
    } catch {
      return false; // malformed stored hash: never a match
    }
  }
  if (stored.startsWith('scrypt$')) return verifyLegacyScrypt(password, stored);
  return false;
}

/** Parameters of an argon2 PHC string, or null when it is not one. */
function argon2Params(stored: string): { id: string; m: number; t: number; p: number } | null {
  const m = /^\$(argon2(?:id|i|d))\$v=\d+\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(stored);
  if (!m) return null;
  return { id: m[1]!, m: Number(m[2]), t: Number(m[3]), p: Number(m[4]) };
}

/**
 * Whether `stored` is weaker than what {@link hashPassword} makes today (another scheme, or
 * argon2 with lower parameters): the login then stores a fresh hash.
 */
export function needsRehash(stored: string): boolean {
  const p = argon2Params(stored);
  if (!p || p.id !== 'argon2id') return true;
  return (
    p.m < ARGON2_PARAMS.memoryCost ||
    p.t < ARGON2_PARAMS.timeCost ||
    p.p < ARGON2_PARAMS.parallelism
  );
}

function scryptDerive(
  password: string,
  salt: Buffer,
  keyLen: number,
  opts: ScryptOptions,
): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, keyLen, opts, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

async function verifyLegacyScrypt(password: string, stored: string): Promise<boolean> {
  const [, n, r, p, saltB64, hashB64] = stored.split('$');
  const N = Number(n);
  const R = Number(r);
  const P = Number(p);
  if (!saltB64 || !hashB64 || !(N > 1 && N <= MAX_LEGACY_SCRYPT_N) || !(R >= 1 && R <= 32)) {
    return false;
  }
  if (!(P >= 1 && P <= 16)) return false;
  const expected = Buffer.from(hashB64, 'base64');
  // scrypt needs 128·N·r bytes; Node refuses above `maxmem` (32 MiB by default)
  const maxmem = 128 * N * R * 2;
  const key = await scryptDerive(password, Buffer.from(saltB64, 'base64'), expected.length, {
    N,
    r: R,
    p: P,
    maxmem,
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

let dummy: Promise<string> | undefined;
/** A hash of a random password, compared against when the email is unknown (equal timing). */
export function dummyPasswordHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(16).toString('hex'));
  return dummy;
}
