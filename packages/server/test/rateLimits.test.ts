import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type SpinServer } from '../src/index.js';
import { AUTH_RATE_LIMITS } from '../src/security/authRateLimiter.js';
import {
  addMember,
  ADMIN,
  anon,
  createNotebook,
  dbKinds,
  defaultWorkspaceId,
  openSession,
  registerRuntime,
  signUpAdmin,
  startTestServer,
  type TestClient,
  type TestServer,
} from './fixtures.js';

const quiet = () =>
  new Writable({
    write(_chunk, _enc, cb) {
      cb();
    },
  });

/** Another server process on the same database and data directory as `t` (same config). */
const sameDatabase = (t: TestServer): Promise<SpinServer> =>
  createServer({ config: t.server.config, logger: quiet() });

const login = (app: SpinServer['app'], email: string, password: string) =>
  app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });

describe.each(dbKinds)('auth rate limits kept in the database (%s)', (kind) => {
  let t: TestServer;
  let admin: TestClient;
  let ws: string;
  const rows = async (q: ReturnType<typeof sql>, server: SpinServer = t.server) =>
    ((await server.services.database.db.execute(q)) as unknown as { rows: unknown[] }).rows;

  beforeAll(async () => {
    t = await startTestServer(kind);
    admin = await signUpAdmin(t);
    ws = await defaultWorkspaceId(admin);
  });
  afterAll(async () => {
    await t.server.close(); // the process started after the restart test
    await t.close();
  });

  it('answers 429 auth.rate_limited with Retry-After, and stores no email or address', async () => {
    const member = await addMember(t, 'viewer', ws);
    const budget = AUTH_RATE_LIMITS.loginAccount.points;
    for (let i = 0; i < budget; i++) {
      expect((await login(t.server.app, member.user.email, 'wrong-password')).statusCode).toBe(401);
    }
    const locked = await login(t.server.app, member.user.email, 'pw-viewer-0123456789');
    expect(locked.statusCode).toBe(429);
    expect(locked.json().error.code).toBe('auth.rate_limited');
    const retryAfter = Number(locked.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(AUTH_RATE_LIMITS.loginAccount.durationS);
    expect(locked.cookies).toEqual([]);

    const stored = JSON.stringify(await rows(sql`select * from rate_limits`));
    expect(stored).not.toContain(member.user.email);
    expect(stored).not.toContain('127.0.0.1');
    // the admin's own account is not affected
    expect((await login(t.server.app, ADMIN.email, ADMIN.password)).statusCode).toBe(200);
  });

  it('holds the budget against a burst of parallel guesses', async () => {
    const member = await addMember(t, 'editor', ws);
    const budget = AUTH_RATE_LIMITS.loginAccount.points;
    const answers = await Promise.all(
      Array.from({ length: budget * 2 }, (_, i) =>
        login(t.server.app, member.user.email, `guess-${i}`),
      ),
    );
    const statuses = answers.map((r) => r.statusCode).sort();
    expect(statuses).toEqual([...Array(budget).fill(401), ...Array(budget).fill(429)]);
  });

  it('keeps a lockout across a restart of the server', async () => {
    const member = await addMember(t, 'viewer', ws);
    for (let i = 0; i < AUTH_RATE_LIMITS.loginAccount.points; i++) {
      await login(t.server.app, member.user.email, 'wrong-password');
    }
    await t.server.close();
    const restarted = await sameDatabase(t);
    try {
      const res = await login(restarted.app, member.user.email, 'pw-viewer-0123456789');
      expect(res.statusCode).toBe(429);
      expect(res.json().error.code).toBe('auth.rate_limited');
    } finally {
      await restarted.close();
    }
    // keep the suite going on a fresh process over the same data
    t.server = await sameDatabase(t);
  });

  it('refuses invitation tokens after too many bad ones from a client, changing nothing', async () => {
    const created = (
      await admin.request('POST', `/api/v1/workspaces/${ws}/invitations`, { role: 'owner' })
    ).json() as { token: string; invitation: { id: string } };
    for (let i = 0; i < AUTH_RATE_LIMITS.invitationClient.points; i++) {
      const res = await anon(t, 'POST', '/api/v1/invitations/lookup', {
        token: `guess-${i}-${'x'.repeat(30)}`,
      });
      expect(res.json().error.code).toBe('invitation.not_found');
    }
    const usersBefore = await rows(sql`select id from users order by id`);
    // even the right token is refused now, and nothing is created
    const res = await anon(t, 'POST', '/api/v1/invitations/signup', {
      token: created.token,
      email: 'mallory@example.com',
      password: 'a long enough password',
      name: 'Mallory',
    });
    expect(res.statusCode).toBe(429);
    expect(res.json().error.code).toBe('auth.rate_limited');
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    expect(await rows(sql`select id from users order by id`)).toEqual(usersBefore);
    expect(
      await rows(sql`select accepted_at from invitations where id = ${created.invitation.id}`),
    ).toEqual([{ accepted_at: null }]);
  });

  it('limits minting runtime access tokens per user', async () => {
    const rt = await registerRuntime(admin);
    const nb = await createNotebook(admin);
    const { sid } = await openSession(admin, nb.id, rt.id);
    let last = 0;
    for (let i = 0; i < AUTH_RATE_LIMITS.tokenUser.points; i++) {
      last = (await admin.request('POST', `/api/v1/sessions/${sid}/token`)).statusCode;
    }
    expect(last).toBe(200);
    const over = await admin.request('POST', `/api/v1/sessions/${sid}/token`);
    expect(over.statusCode).toBe(429);
    expect(over.json().error.code).toBe('auth.rate_limited');
    expect(Number(over.headers['retry-after'])).toBeLessThanOrEqual(
      AUTH_RATE_LIMITS.tokenUser.durationS,
    );
  });
});

describe('auth rate limits shared by two server processes on one PostgreSQL database', () => {
  let t: TestServer;
  let admin: TestClient;
  let second: SpinServer;

  beforeAll(async () => {
    t = await startTestServer('postgres');
    admin = await signUpAdmin(t);
    second = await sameDatabase(t);
  });
  afterAll(async () => {
    await second.close();
    await t.close();
  });

  it('counts failed logins on either process against one budget', async () => {
    const ws = await defaultWorkspaceId(admin);
    const member = await addMember(t, 'editor', ws);
    const budget = AUTH_RATE_LIMITS.loginAccount.points;
    // half the failures on each process: neither alone has seen the budget spent
    for (let i = 0; i < budget; i++) {
      const app = i % 2 === 0 ? t.server.app : second.app;
      expect((await login(app, member.user.email, 'wrong-password')).statusCode).toBe(401);
    }
    for (const app of [t.server.app, second.app]) {
      const res = await login(app, member.user.email, 'pw-editor-0123456789');
      expect(res.statusCode).toBe(429);
      expect(res.json().error.code).toBe('auth.rate_limited');
    }
  });
});
