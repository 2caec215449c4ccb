import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN,
  addMember,
  clientOn,
  createNotebook,
  dbKinds,
  defaultWorkspaceId,
  logIn,
  makeReceipt,
  openSession,
  registerRuntime,
  SAMPLE_OUTPUTS,
  signUpAdmin,
  startPeerServer,
  startTestServer,
  type FakeRuntime,
  type TestClient,
  type TestServer,
} from './fixtures.js';

/**
 * Issue 13: a compile and a receipt read no cookie session — it comes from a per-process cache
 * that the authorization epoch, read with the notebook or program, confirms. These prove a
 * cached session never outlives its row: after a logout, a password change that ends the
 * other sessions, or a delete by SQL no server ran, the very next compile or receipt with that
 * cookie is a 401 — also on another server process whose cache was warm.
 */
describe.each(dbKinds)('session cache (%s)', (kind) => {
  let t: TestServer;
  let admin: TestClient;
  let rt: FakeRuntime;
  let ws: string;
  let nb: string;
  let sid: string;

  beforeAll(async () => {
    t = await startTestServer(kind);
    admin = await signUpAdmin(t);
    ws = await defaultWorkspaceId(admin);
    rt = await registerRuntime(admin);
    nb = (await createNotebook(admin, 'sessions')).id;
    sid = (await openSession(admin, nb, rt.id)).sid;
  });
  afterAll(() => t.close());

  const compile = (client: TestClient) =>
    client.request('POST', `/api/v1/notebooks/${nb}/compile`, {
      sid,
      cell: { id: 'c1', type: 'python', source: 'x = 1' },
    });

  /** Compile twice (the second with the session from the warm cache): both succeed. */
  async function warm(client: TestClient) {
    for (let i = 0; i < 2; i++) {
      const res = await compile(client);
      expect(res.statusCode, res.body).toBe(200);
    }
  }

  const expectSignedOut = (res: { statusCode: number; json: () => unknown }) => {
    expect(res.statusCode).toBe(401);
    expect((res.json() as { error: { code: string } }).error.code).toBe('auth.unauthenticated');
  };

  it('refuses a logged-out cookie on the next compile and the next receipt', async () => {
    const editor = await addMember(t, 'editor', ws);
    await warm(editor);
    const { jti } = (await compile(editor)).json() as { jti: string };
    const receipt = await makeReceipt(rt, {
      jti,
      cell: 'c1',
      sid,
      sub: editor.user.id,
      notebook: nb,
    });
    expect((await editor.request('POST', '/api/v1/auth/logout')).statusCode).toBe(200);
    expectSignedOut(await compile(editor));
    expectSignedOut(
      await editor.request('POST', '/api/v1/receipts', { receipt, outputs: SAMPLE_OUTPUTS }),
    );
  });

  it('refuses the other sessions of a user who changed their password', async () => {
    const first = await logIn(t, ADMIN.email, ADMIN.password);
    const second = await logIn(t, ADMIN.email, ADMIN.password);
    await warm(second);
    const changed = await first.request('POST', '/api/v1/auth/password', {
      currentPassword: ADMIN.password,
      newPassword: 'a brand new password 1',
    });
    expect(changed.statusCode, changed.body).toBe(200);
    expectSignedOut(await compile(second));
    // the session that changed it goes on
    expect((await compile(first)).statusCode).toBe(200);
    const back = await first.request('POST', '/api/v1/auth/password', {
      currentPassword: 'a brand new password 1',
      newPassword: ADMIN.password,
    });
    expect(back.statusCode, back.body).toBe(200);
    admin = first;
  });

  it('refuses a session deleted by SQL no server ran', async () => {
    const editor = await addMember(t, 'editor', ws);
    await warm(editor);
    await t.server.services.database.db.execute(
      sql`delete from auth_sessions where user_id = ${editor.user.id}`,
    );
    expectSignedOut(await compile(editor));
  });

  it('decides with the org role the database has now, not the cached one', async () => {
    const member = await addMember(t, 'viewer', ws);
    // a viewer may not run cells; made org admin by SQL, the next compile runs as admin
    expect((await compile(member)).statusCode).toBe(403);
    expect((await compile(member)).statusCode).toBe(403);
    await t.server.services.database.db.execute(
      sql`update users set org_role = 'admin' where id = ${member.user.id}`,
    );
    expect((await compile(member)).statusCode).toBe(200);
  });
});

describe('session cache across two server processes (postgres)', () => {
  let a: TestServer;
  let b: TestServer;

  beforeAll(async () => {
    a = await startTestServer('postgres');
    b = await startPeerServer(a);
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it('a logout through one server is enforced by the other on its next compile', async () => {
    const admin = await signUpAdmin(a);
    const rt = await registerRuntime(admin);
    const nb = (await createNotebook(admin, 'two servers')).id;
    const { sid } = await openSession(admin, nb, rt.id);
    const editorOnA = await addMember(a, 'editor', await defaultWorkspaceId(admin));
    const editorOnB = clientOn(b, editorOnA);
    const compile = (client: TestClient) =>
      client.request('POST', `/api/v1/notebooks/${nb}/compile`, {
        sid,
        cell: { id: 'c1', type: 'python', source: 'x = 1' },
      });
    for (let i = 0; i < 2; i++) expect((await compile(editorOnB)).statusCode).toBe(200);
    expect((await editorOnA.request('POST', '/api/v1/auth/logout')).statusCode).toBe(200);
    const res = await compile(editorOnB);
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('auth.unauthenticated');
  });
});
