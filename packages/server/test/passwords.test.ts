import { randomBytes, scryptSync } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH_RATE_LIMITS } from '../src/security/authRateLimiter.js';
import {
  addMember,
  anon,
  dbKinds,
  defaultWorkspaceId,
  logIn,
  signUpAdmin,
  startTestServer,
  type TestClient,
  type TestServer,
} from './fixtures.js';

/** A hash as this server stored them before argon2id: scrypt, N = 2^14. */
function legacyScryptHash(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password, salt, 64, { N: 16384, r: 8, p: 1 });
  return ['scrypt', 16384, 8, 1, salt.toString('base64'), key.toString('base64')].join('$');
}

describe.each(dbKinds)('password hashes and password changes (%s)', (kind) => {
  let t: TestServer;
  let admin: TestClient;
  let ws: string;
  const rows = async (q: ReturnType<typeof sql>) =>
    ((await t.server.services.database.db.execute(q)) as unknown as { rows: unknown[] }).rows;
  const hashOf = async (userId: string) =>
    (
      (await rows(sql`select password_hash from users where id = ${userId}`))[0] as {
        password_hash: string;
      }
    ).password_hash;

  beforeAll(async () => {
    t = await startTestServer(kind);
    admin = await signUpAdmin(t);
    ws = await defaultWorkspaceId(admin);
  });
  afterAll(() => t.close());

  it('stores argon2id hashes that carry their parameters', async () => {
    expect(await hashOf(admin.user.id)).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  it('rehashes an old scrypt hash on a successful login, not on a failed one', async () => {
    const member = await addMember(t, 'viewer', ws);
    const old = legacyScryptHash('old-password-1234');
    await rows(sql`update users set password_hash = ${old} where id = ${member.user.id}`);

    expect(
      (
        await anon(t, 'POST', '/api/v1/auth/login', {
          email: member.user.email,
          password: 'not-the-password',
        })
      ).statusCode,
    ).toBe(401);
    expect(await hashOf(member.user.id)).toBe(old);

    const ok = await logIn(t, member.user.email, 'old-password-1234');
    expect(ok.user.id).toBe(member.user.id);
    const upgraded = await hashOf(member.user.id);
    expect(upgraded).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    // the new hash is of the same password
    expect((await logIn(t, member.user.email, 'old-password-1234')).user.id).toBe(member.user.id);
    expect(await hashOf(member.user.id)).toBe(upgraded); // not rehashed again
  });

  it('changes a password with the current one, ending the other sessions', async () => {
    const member = await addMember(t, 'editor', ws);
    const password = 'pw-editor-0123456789';
    const otherSession = await logIn(t, member.user.email, password);
    const res = await member.request('POST', '/api/v1/auth/password', {
      currentPassword: password,
      newPassword: 'a brand new password',
    });
    expect(res.statusCode, res.body).toBe(200);
    expect((await member.request('GET', '/api/v1/auth/me')).statusCode).toBe(200);
    expect((await otherSession.request('GET', '/api/v1/auth/me')).statusCode).toBe(401);
    const oldPw = await anon(t, 'POST', '/api/v1/auth/login', {
      email: member.user.email,
      password,
    });
    expect(oldPw.statusCode).toBe(401);
    await logIn(t, member.user.email, 'a brand new password');
    const audit = await rows(
      sql`select actor from audit_log where action = 'auth.password_changed' and subject = ${member.user.id}`,
    );
    expect(audit).toEqual([{ actor: member.user.id }]);
  });

  it('refuses a wrong current password, then locks password changes, keeping the hash', async () => {
    const member = await addMember(t, 'viewer', ws);
    const before = await hashOf(member.user.id);
    const change = (currentPassword: string) =>
      member.request('POST', '/api/v1/auth/password', {
        currentPassword,
        newPassword: 'attacker chosen password',
      });
    const wrong = await change('wrong-password');
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error.code).toBe('auth.invalid_credentials');
    for (let i = 1; i < AUTH_RATE_LIMITS.passwordUser.points; i++) await change('wrong-password');
    const locked = await change('pw-viewer-0123456789');
    expect(locked.statusCode).toBe(429);
    expect(locked.json().error.code).toBe('auth.rate_limited');
    expect(locked.headers['retry-after']).toMatch(/^\d+$/);
    expect(await hashOf(member.user.id)).toBe(before);
    // anonymous callers cannot change anything
    const anonymous = await anon(t, 'POST', '/api/v1/auth/password', {
      currentPassword: 'x',
      newPassword: 'attacker chosen password',
    });
    expect(anonymous.statusCode).toBe(401);
  });
});
