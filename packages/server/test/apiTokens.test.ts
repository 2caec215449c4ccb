import { sql } from 'drizzle-orm';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addMember,
  createNotebook,
  createWorkspace,
  dbKinds,
  defaultWorkspaceId,
  openSession,
  registerRuntime,
  runtimeRow,
  signUpAdmin,
  startTestServer,
  type FakeRuntime,
  type TestClient,
  type TestServer,
} from './fixtures.js';

describe.each(dbKinds)('API tokens (%s)', (kind) => {
  let t: TestServer;
  let admin: TestClient;
  let ws: string;
  let otherWs: string;
  let nb: string;
  let otherNb: string;
  let rt: FakeRuntime;

  /** A request with `Authorization: Bearer <secret>` and nothing else (no cookie, no CSRF). */
  const bearer = (secret: string, method: string, url: string, body?: unknown) =>
    t.server.app.inject({
      method: method as 'GET',
      url,
      headers: { authorization: `Bearer ${secret}` },
      ...(body !== undefined ? { payload: body as object } : {}),
    });

  const rows = async (query: ReturnType<typeof sql>) =>
    ((await t.server.services.database.db.execute(query)) as unknown as { rows: unknown[] }).rows;

  async function createToken(
    client: TestClient,
    body: Record<string, unknown>,
  ): Promise<{ id: string; secret: string; role: string }> {
    const res = await client.request('POST', '/api/v1/tokens', {
      name: 'bot',
      workspaceId: ws,
      expiresInDays: 30,
      ...body,
    });
    expect(res.statusCode, res.body).toBe(201);
    const { token, secret } = res.json();
    return { id: token.id, secret, role: token.role };
  }

  beforeAll(async () => {
    t = await startTestServer(kind);
    admin = await signUpAdmin(t);
    ws = await defaultWorkspaceId(admin);
    otherWs = await createWorkspace(t, 'Other');
    nb = (await createNotebook(admin, 'Runbook')).id;
    otherNb = (await createNotebook(admin, 'Elsewhere', otherWs)).id;
    rt = await registerRuntime(admin);
  });
  afterAll(() => t.close());

  it('shows the secret once, stores only its SHA-256, lists created/last used/expiry and audits creation', async () => {
    const res = await admin.request('POST', '/api/v1/tokens', {
      name: 'laptop',
      kind: 'personal',
      workspaceId: ws,
      expiresInDays: 7,
    });
    expect(res.statusCode).toBe(201);
    const { token, secret } = res.json();
    expect(secret).toMatch(/^spin_pat_[\w-]{43}$/);
    expect(token).toMatchObject({ kind: 'personal', role: 'owner', lastUsedAt: null });
    expect(Math.round((Date.parse(token.expiresAt) - Date.now()) / 86_400_000)).toBe(7);

    const stored = await rows(sql`select * from api_tokens where id = ${token.id}`);
    expect(JSON.stringify(stored)).not.toContain(secret);
    const { createHash } = await import('node:crypto');
    expect(stored).toMatchObject([
      { secret_hash: createHash('sha256').update(secret).digest('hex') },
    ]);

    const listed = await admin.request('GET', '/api/v1/tokens');
    expect(listed.body).not.toContain(secret);
    expect(listed.body).not.toContain('secret');
    expect(listed.json()).toContainEqual({
      ...token,
      lastUsedAt: null,
    });

    expect((await bearer(secret, 'GET', `/api/v1/notebooks/${nb}`)).statusCode).toBe(200);
    const after = (await admin.request('GET', '/api/v1/tokens')).json() as {
      id: string;
      lastUsedAt: string | null;
    }[];
    expect(after.find((x) => x.id === token.id)!.lastUsedAt).not.toBeNull();

    const audit = (await admin.request('GET', '/api/v1/audit?limit=1000')).json().entries;
    expect(audit).toContainEqual(
      expect.objectContaining({ action: 'token.create', subject: token.id, workspaceId: ws }),
    );
    expect(JSON.stringify(audit)).not.toContain(secret);
    expect(t.logs.join('')).not.toContain(secret);
  });

  it('a bearer request needs no CSRF token; a cookie request still does', async () => {
    const { secret } = await createToken(admin, { kind: 'personal' });
    const viaToken = await bearer(secret, 'POST', '/api/v1/sessions', {
      notebookId: nb,
      runtimeId: rt.id,
    });
    expect(viaToken.statusCode).toBe(200);
    const viaCookie = await t.server.app.inject({
      method: 'POST',
      url: '/api/v1/sessions',
      cookies: { spin_session: admin.cookie },
      payload: { notebookId: nb, runtimeId: rt.id },
    });
    expect(viaCookie.statusCode).toBe(403);
    expect(viaCookie.json().error.code).toBe('auth.csrf_failed');
  });

  it('an agent token runs what the agent role allows and nothing else; refused writes change nothing', async () => {
    // Created by the org admin (an owner everywhere), the token still acts as an agent.
    const agent = await createToken(admin, { kind: 'agent' });
    expect(agent.secret).toMatch(/^spin_agt_/);
    expect(agent.role).toBe('agent');

    // Allowed: view, open a session, mint a runtime access token, compile a cell.
    expect((await bearer(agent.secret, 'GET', `/api/v1/notebooks/${nb}`)).statusCode).toBe(200);
    const session = await bearer(agent.secret, 'POST', '/api/v1/sessions', {
      notebookId: nb,
      runtimeId: rt.id,
    });
    expect(session.statusCode).toBe(200);
    const sid = session.json().sid as string;
    const minted = await bearer(agent.secret, 'POST', `/api/v1/sessions/${sid}/token`);
    expect(minted.statusCode).toBe(200);
    expect(decodeJwt(minted.json().token)).toMatchObject({
      role: 'agent',
      sub: admin.user.id,
      sid,
      aud: rt.id,
      // the token's user opened the session, so it is the session's owner (restart: `own`)
      perms: ['view', 'execute', 'interrupt', 'own'],
    });
    const compiled = await bearer(agent.secret, 'POST', `/api/v1/notebooks/${nb}/compile`, {
      sid,
      cell: { id: 'c1', type: 'python', source: 'print(1 + 1)' },
    });
    expect(compiled.statusCode).toBe(200);
    const workspaces = await bearer(agent.secret, 'GET', '/api/v1/workspaces');
    expect(workspaces.json()).toMatchObject([{ id: ws, name: 'Default', role: 'agent' }]);

    // Refused: edit, create, manage runtimes, read the audit log, other workspaces, tokens.
    const notebookBefore = await rows(sql`select * from notebooks where id = ${nb}`);
    const notebookCount = await rows(sql`select count(*)::int as n from notebooks`);
    const runtimeBefore = await runtimeRow(t, rt.id);
    const tokensBefore = await rows(sql`select id, revoked_at from api_tokens order by id`);
    const refusals: [string, string, unknown, number, string][] = [
      ['PUT', `/api/v1/notebooks/${nb}`, { title: 'pwned' }, 403, 'auth.permission_required'],
      [
        'POST',
        '/api/v1/notebooks',
        { title: 'x', workspaceId: ws },
        403,
        'auth.permission_required',
      ],
      [
        'POST',
        `/api/v1/runtimes/${rt.id}/repair`,
        { expectedFingerprint: rt.identity.fingerprint, identity: rt.identity, url: 'http://x' },
        403,
        'auth.permission_required',
      ],
      ['GET', '/api/v1/audit', undefined, 403, 'auth.permission_required'],
      ['GET', '/api/v1/audit/verify', undefined, 403, 'token.not_allowed'],
      ['GET', `/api/v1/notebooks/${otherNb}`, undefined, 404, 'notebook.not_found'],
      ['GET', `/api/v1/notebooks?workspaceId=${otherWs}`, undefined, 404, 'request.not_found'],
      [
        'POST',
        '/api/v1/tokens',
        { name: 'longer', kind: 'personal', workspaceId: ws, expiresInDays: 366 },
        403,
        'token.not_allowed',
      ],
      ['GET', '/api/v1/tokens', undefined, 403, 'token.not_allowed'],
      ['DELETE', `/api/v1/tokens/${agent.id}`, undefined, 403, 'token.not_allowed'],
    ];
    for (const [method, url, body, status, code] of refusals) {
      const res = await bearer(agent.secret, method, url, body);
      expect([method, url, res.statusCode, res.json().error?.code]).toEqual([
        method,
        url,
        status,
        code,
      ]);
    }
    expect(await rows(sql`select * from notebooks where id = ${nb}`)).toEqual(notebookBefore);
    expect(await rows(sql`select count(*)::int as n from notebooks`)).toEqual(notebookCount);
    expect(await runtimeRow(t, rt.id)).toEqual(runtimeBefore);
    expect(await rows(sql`select id, revoked_at from api_tokens order by id`)).toEqual(
      tokensBefore,
    );
  });

  it("a token never exceeds its owner's role: a viewer's agent token cannot run, a demotion caps it", async () => {
    const viewer = await addMember(t, 'viewer', ws);
    const weak = await createToken(viewer, { kind: 'agent' });
    expect(weak.role).toBe('viewer');
    // a viewer may join the open session to watch it, but not run a cell in it
    const joined = await bearer(weak.secret, 'POST', '/api/v1/sessions', {
      notebookId: nb,
      runtimeId: rt.id,
    });
    expect(joined.statusCode).toBe(200);
    const refused = await bearer(weak.secret, 'POST', `/api/v1/notebooks/${nb}/compile`, {
      sid: joined.json().sid as string,
      cell: { id: 'c1', type: 'python', source: 'print(1 + 1)' },
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('auth.permission_required');

    const editor = await addMember(t, 'editor', ws);
    const personal = await createToken(editor, { kind: 'personal' });
    expect(personal.role).toBe('editor');
    const title = { title: 'by editor token' };
    expect(
      (await bearer(personal.secret, 'PUT', `/api/v1/notebooks/${nb}`, title)).statusCode,
    ).toBe(200);
    await t.server.services.database.db.execute(
      sql`update workspace_members set role = 'viewer' where user_id = ${editor.user.id}`,
    );
    const before = await rows(sql`select * from notebooks where id = ${nb}`);
    const demoted = await bearer(personal.secret, 'PUT', `/api/v1/notebooks/${nb}`, {
      title: 'after demotion',
    });
    expect(demoted.statusCode).toBe(403);
    expect(demoted.json().error.code).toBe('auth.permission_required');
    expect(await rows(sql`select * from notebooks where id = ${nb}`)).toEqual(before);
  });

  it('a revoked token is refused on its next request with token.revoked; revocation is audited', async () => {
    const { id, secret } = await createToken(admin, { kind: 'agent' });
    expect((await bearer(secret, 'GET', `/api/v1/notebooks/${nb}`)).statusCode).toBe(200);
    const revoked = await admin.request('DELETE', `/api/v1/tokens/${id}`);
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json().revokedAt).not.toBeNull();

    const next = await bearer(secret, 'GET', `/api/v1/notebooks/${nb}`);
    expect(next.statusCode).toBe(401);
    expect(next.json().error.code).toBe('token.revoked');
    const sessionsBefore = await rows(sql`select count(*)::int as n from exec_sessions`);
    const write = await bearer(secret, 'POST', '/api/v1/sessions', {
      notebookId: nb,
      runtimeId: rt.id,
    });
    expect(write.json().error.code).toBe('token.revoked');
    expect(await rows(sql`select count(*)::int as n from exec_sessions`)).toEqual(sessionsBefore);

    const audit = (await admin.request('GET', '/api/v1/audit?limit=1000')).json().entries;
    expect(audit).toContainEqual(
      expect.objectContaining({ action: 'token.revoke', subject: id, actor: admin.user.id }),
    );
    // Someone else's token is not theirs to revoke (and not visible).
    const editor = await addMember(t, 'editor', ws);
    const other = await createToken(admin, { kind: 'personal' });
    const foreign = await editor.request('DELETE', `/api/v1/tokens/${other.id}`);
    expect(foreign.statusCode).toBe(404);
    expect(await rows(sql`select revoked_at from api_tokens where id = ${other.id}`)).toEqual([
      { revoked_at: null },
    ]);
  });

  it('an expired token is refused on its next request with token.expired; unknown ones with token.invalid', async () => {
    const { id, secret } = await createToken(admin, { kind: 'personal' });
    expect((await bearer(secret, 'GET', `/api/v1/notebooks/${nb}`)).statusCode).toBe(200);
    // Let the clock pass its expiry (moving the row's expiry into the past).
    await t.server.services.database.db.execute(
      sql`update api_tokens set expires_at = now() - interval '1 second' where id = ${id}`,
    );
    const next = await bearer(secret, 'GET', `/api/v1/notebooks/${nb}`);
    expect(next.statusCode).toBe(401);
    expect(next.json().error.code).toBe('token.expired');

    for (const wrong of [`${secret.slice(0, -2)}xx`, 'not-a-spin-token']) {
      const res = await bearer(wrong, 'GET', `/api/v1/notebooks/${nb}`);
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('token.invalid');
    }
  });

  it('a oneshot token runs its one notebook once, in one session', async () => {
    const missing = await admin.request('POST', '/api/v1/tokens', {
      name: 'ci',
      kind: 'oneshot',
      workspaceId: ws,
      expiresInDays: 1,
    });
    expect(missing.json().error.code).toBe('token.notebook_required');
    const wrongWs = await admin.request('POST', '/api/v1/tokens', {
      name: 'ci',
      kind: 'oneshot',
      workspaceId: ws,
      notebookId: otherNb,
      expiresInDays: 1,
    });
    expect(wrongWs.json().error.code).toBe('notebook.not_found');

    const one = await createToken(admin, { kind: 'oneshot', notebookId: nb, expiresInDays: 1 });
    expect(one.secret).toMatch(/^spin_ost_/);
    const second = (await createNotebook(admin, 'Not this one')).id;
    const elsewhere = await bearer(one.secret, 'GET', `/api/v1/notebooks/${second}`);
    expect(elsewhere.statusCode).toBe(403);
    expect(elsewhere.json().error.code).toBe('token.not_allowed');

    const { sid } = await openSession(admin, nb, rt.id);
    const compile = (cell: string, s = sid) =>
      bearer(one.secret, 'POST', `/api/v1/notebooks/${nb}/compile`, {
        sid: s,
        cell: { id: cell, type: 'python', source: 'print(1)' },
      });
    expect((await compile('c1')).statusCode).toBe(200);
    expect((await compile('c2')).statusCode).toBe(200);
    const programs = await rows(sql`select count(*)::int as n from programs`);
    const again = await compile('c1');
    expect(again.statusCode).toBe(403);
    expect(again.json().error.code).toBe('token.oneshot_spent');

    const rt2 = await registerRuntime(admin);
    const { sid: sid2 } = await openSession(admin, nb, rt2.id);
    const otherSession = await compile('c3', sid2);
    expect(otherSession.statusCode).toBe(403);
    expect(otherSession.json().error.code).toBe('token.oneshot_spent');
    expect(await rows(sql`select count(*)::int as n from programs`)).toEqual(programs);
  });

  it('refuses a bad token request with a clear error and creates nothing', async () => {
    const before = await rows(sql`select count(*)::int as n from api_tokens`);
    for (const body of [
      { name: 'x', kind: 'root', workspaceId: ws, expiresInDays: 1 },
      { name: 'x', kind: 'agent', workspaceId: ws, expiresInDays: 0 },
      { name: 'x', kind: 'agent', workspaceId: ws, expiresInDays: 367 },
      { name: '', kind: 'agent', workspaceId: ws, expiresInDays: 1 },
      { name: 'x', kind: 'agent', workspaceId: ws, expiresInDays: 1, notebookId: nb },
    ]) {
      const res = await admin.request('POST', '/api/v1/tokens', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error.code).toMatch(/^request\./);
    }
    const outsider = await addMember(t, 'owner', otherWs);
    const res = await outsider.request('POST', '/api/v1/tokens', {
      name: 'x',
      kind: 'personal',
      workspaceId: ws,
      expiresInDays: 1,
    });
    expect(res.statusCode).toBe(404);
    expect(await rows(sql`select count(*)::int as n from api_tokens`)).toEqual(before);
  });
});
