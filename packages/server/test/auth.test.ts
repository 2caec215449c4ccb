import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN,
  addMember,
  defaultWorkspaceId,
  anon,
  dbKinds,
  logIn,
  startTestServer,
  type TestClient,
  type TestServer,
} from './fixtures.js';

describe.each(dbKinds)('auth (%s)', (kind) => {
  let t: TestServer;
  let admin: TestClient;
  beforeAll(async () => {
    t = await startTestServer(kind);
  });
  afterAll(() => t.close());

  it('sign-up is open only until the first user exists', async () => {
    expect((await anon(t, 'GET', '/api/v1/auth/state')).json()).toEqual({ signupOpen: true });
    expect(await t.server.services.auth.hasAnyUser()).toBe(false);

    const res = await anon(t, 'POST', '/api/v1/auth/signup', ADMIN);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.user).toMatchObject({ email: ADMIN.email, name: 'Ada', orgRole: 'admin' });
    expect(body.csrfToken).toMatch(/^[\w-]{40,}$/);
    admin = await logIn(t, ADMIN.email, ADMIN.password);

    expect((await anon(t, 'GET', '/api/v1/auth/state')).json()).toEqual({ signupOpen: false });
    // with a live session the state says so, letting the web skip a 401 from /auth/me
    expect((await admin.request('GET', '/api/v1/auth/state')).json()).toEqual({
      signupOpen: false,
      signedIn: true,
    });
    const again = await anon(t, 'POST', '/api/v1/auth/signup', {
      email: 'eve@example.com',
      password: 'another password',
      name: 'Eve',
    });
    expect(again.statusCode).toBe(403);
    expect(again.json().error.code).toBe('auth.signup_closed');

    const ws = await admin.request('GET', '/api/v1/workspaces');
    expect(ws.json()).toHaveLength(1);
    expect(ws.json()).toMatchObject([
      { id: expect.any(String), name: 'Default', role: 'owner', parentId: null, archivedAt: null },
    ]);
  });

  it('sets an httpOnly, SameSite=Lax, Path=/ session cookie for 14 days (not Secure on http)', async () => {
    const res = await anon(t, 'POST', '/api/v1/auth/login', {
      email: ADMIN.email,
      password: ADMIN.password,
    });
    const raw = String(res.headers['set-cookie']);
    expect(raw).toMatch(/^spin_session=[\w-]{40,};/);
    expect(raw).toContain('HttpOnly');
    expect(raw).toContain('SameSite=Lax');
    expect(raw).toContain('Path=/');
    expect(raw).not.toContain('Secure');
    const cookie = res.cookies.find((c) => c.name === 'spin_session')!;
    const days = ((cookie.expires as Date).getTime() - Date.now()) / 86_400_000;
    expect(Math.round(days)).toBe(14);
  });

  it('answers a wrong password and an unknown email with the same 401', async () => {
    const wrongPw = await anon(t, 'POST', '/api/v1/auth/login', {
      email: ADMIN.email,
      password: 'not the password',
    });
    const noUser = await anon(t, 'POST', '/api/v1/auth/login', {
      email: 'nobody@example.com',
      password: 'not the password',
    });
    expect(wrongPw.statusCode).toBe(401);
    expect(noUser.statusCode).toBe(401);
    expect(wrongPw.json()).toEqual(noUser.json());
    expect(wrongPw.json().error.code).toBe('auth.invalid_credentials');
    expect(wrongPw.headers['set-cookie']).toBeUndefined();
  });

  it('locks an account after 10 failed logins, even for the right password, with a clear 429', async () => {
    const ws = await defaultWorkspaceId(await logIn(t, ADMIN.email, ADMIN.password));
    const member = await addMember(t, 'editor', ws);
    const password = 'pw-editor-0123456789'; // as addMember sets it
    const attempt = (pw: string) =>
      anon(t, 'POST', '/api/v1/auth/login', { email: member.user.email, password: pw });
    for (let i = 0; i < 10; i++) {
      expect((await attempt('wrong-password-123')).statusCode).toBe(401);
    }
    const locked = await attempt(password);
    expect(locked.statusCode).toBe(429);
    expect(locked.json().error.code).toBe('auth.rate_limited');
    expect(locked.headers['retry-after']).toMatch(/^\d+$/);
    expect(locked.json().error.message).toContain('try again in 15 minutes');
    // other accounts are not locked by it
    expect((await anon(t, 'POST', '/api/v1/auth/login', ADMIN)).statusCode).toBe(200);
  });

  it('GET /auth/me needs a session', async () => {
    const none = await anon(t, 'GET', '/api/v1/auth/me');
    expect(none.statusCode).toBe(401);
    expect(none.json().error.code).toBe('auth.unauthenticated');
    const bogus = await t.server.app.inject({
      method: 'GET',
      url: '/api/v1/auth/me',
      cookies: { spin_session: 'forged' },
    });
    expect(bogus.statusCode).toBe(401);
    const me = await admin.request('GET', '/api/v1/auth/me');
    expect(me.statusCode).toBe(200);
    expect(me.json()).toEqual({ user: admin.user, csrfToken: admin.csrf });
  });

  it('rejects state-changing requests without the right CSRF token', async () => {
    const body = { title: 'csrf' };
    const missing = await t.server.app.inject({
      method: 'POST',
      url: '/api/v1/notebooks',
      cookies: { spin_session: admin.cookie },
      payload: body,
    });
    expect(missing.statusCode).toBe(403);
    expect(missing.json().error.code).toBe('auth.csrf_failed');
    const wrong = await admin.request('POST', '/api/v1/notebooks', body, {
      'x-csrf-token': admin.csrf.slice(1) + 'x',
    });
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json().error.code).toBe('auth.csrf_failed');
    const ok = await admin.request('POST', '/api/v1/notebooks', body);
    expect(ok.statusCode).toBe(201);
  });

  it('accepts only JSON on signup and login (form posts fail)', async () => {
    for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data']) {
      const res = await t.server.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { 'content-type': type },
        payload: `email=${encodeURIComponent(ADMIN.email)}&password=${ADMIN.password}`,
      });
      expect(res.statusCode, type).toBe(415);
      expect(res.json().error.code).toBe('request.unsupported_media_type');
      expect(res.headers['set-cookie']).toBeUndefined();
    }
  });

  it('maps malformed JSON, schema failures, unknown routes and huge bodies to error codes', async () => {
    const malformed = await t.server.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: '{"email": "a@b.c",',
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toEqual({
      error: { code: 'request.malformed_json', message: 'request body is not valid JSON' },
    });

    const invalid = await anon(t, 'POST', '/api/v1/auth/login', { email: 'not-an-email' });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().error.code).toBe('request.invalid');
    expect(invalid.json().error.details.issues.length).toBeGreaterThan(0);

    const unknown = await anon(t, 'GET', '/api/v1/nope');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('request.not_found');

    const huge = await t.server.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ email: 'a@b.co', password: 'x'.repeat(33 * 1024 * 1024) }),
    });
    expect(huge.statusCode).toBe(413);
    expect(huge.json().error.code).toBe('request.too_large');
  });

  it('logout ends the session', async () => {
    const c = await logIn(t, ADMIN.email, ADMIN.password);
    expect((await c.request('POST', '/api/v1/auth/logout')).statusCode).toBe(200);
    const me = await c.request('GET', '/api/v1/auth/me');
    expect(me.statusCode).toBe(401);
  });

  it('marks the cookie Secure when the public URL is https', async () => {
    const secure = await startTestServer(kind, { publicUrl: 'https://spin.example.com' });
    try {
      const res = await anon(secure, 'POST', '/api/v1/auth/signup', ADMIN);
      expect(String(res.headers['set-cookie'])).toContain('Secure');
    } finally {
      await secure.close();
    }
  });
});
