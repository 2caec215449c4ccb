import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addMember,
  clientOn,
  createNotebook,
  dbKinds,
  defaultWorkspaceId,
  openSession,
  registerRuntime,
  signUpAdmin,
  startPeerServer,
  startTestServer,
  type FakeRuntime,
  type TestClient,
  type TestServer,
} from './fixtures.js';

/**
 * Issue 13: compiles authorize from per-process caches checked against the database's
 * authorization epoch. These prove the cache never outlives the rows it came from: a removed
 * member, a downgraded role, a deleted grant on a parent workspace, an archived workspace or a
 * moved runtime is refused on the very next compile — also when the change was made through
 * another server process on the same PostgreSQL, or by SQL no server ran.
 */
describe.each(dbKinds)('authorization cache (%s)', (kind) => {
  let t: TestServer;
  let admin: TestClient;
  let rt: FakeRuntime;
  let ws: string;

  beforeAll(async () => {
    t = await startTestServer(kind);
    admin = await signUpAdmin(t);
    ws = await defaultWorkspaceId(admin);
    rt = await registerRuntime(admin);
  });
  afterAll(() => t.close());

  /** A notebook with a session, and a fresh editor of `workspaceId` who can run it. */
  async function setup(workspaceId = ws) {
    const nb = (await createNotebook(admin, 'cached', workspaceId)).id;
    const { sid } = await openSession(admin, nb, rt.id);
    const editor = await addMember(t, 'editor', workspaceId);
    return { nb, sid, editor };
  }

  const compile = (client: TestClient, nb: string, sid: string) =>
    client.request('POST', `/api/v1/notebooks/${nb}/compile`, {
      sid,
      cell: { id: 'c1', type: 'python', source: 'x = 1' },
    });

  /** Compile twice (the second from the warm cache): both succeed. */
  async function warm(client: TestClient, nb: string, sid: string) {
    for (let i = 0; i < 2; i++) expect((await compile(client, nb, sid)).statusCode).toBe(200);
  }

  it('refuses a removed member on the next compile', async () => {
    const { nb, sid, editor } = await setup();
    await warm(editor, nb, sid);
    const removed = await admin.request(
      'DELETE',
      `/api/v1/workspaces/${ws}/members/${editor.user.id}`,
    );
    expect(removed.statusCode).toBe(204);
    const res = await compile(editor, nb, sid);
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('notebook.not_found');
  });

  it('refuses a member downgraded to viewer on the next compile', async () => {
    const { nb, sid, editor } = await setup();
    await warm(editor, nb, sid);
    const changed = await admin.request(
      'PATCH',
      `/api/v1/workspaces/${ws}/members/${editor.user.id}`,
      {
        role: 'viewer',
      },
    );
    expect(changed.statusCode).toBe(200);
    const res = await compile(editor, nb, sid);
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('auth.permission_required');
  });

  it('refuses once the grant on a parent workspace is deleted (inherited role)', async () => {
    const child = await admin.request('POST', '/api/v1/workspaces', {
      name: 'child',
      parentId: ws,
    });
    expect(child.statusCode).toBe(201);
    const childId = child.json().id as string;
    const nb = (await createNotebook(admin, 'in the child', childId)).id;
    const { sid } = await openSession(admin, nb, rt.id);
    // an editor of the parent only: inheritance is what lets them run the child's notebook
    const editor = await addMember(t, 'editor', ws);
    await warm(editor, nb, sid);
    // the grant deleted by SQL that no server code ran: the trigger still bumps the epoch
    await t.server.services.database.db.execute(
      sql`delete from workspace_members where user_id = ${editor.user.id} and workspace_id = ${ws}`,
    );
    const res = await compile(editor, nb, sid);
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('notebook.not_found');
  });

  it('refuses a write in a workspace archived after the cache was warm', async () => {
    const child = await admin.request('POST', '/api/v1/workspaces', {
      name: 'soon archived',
      parentId: ws,
    });
    const childId = child.json().id as string;
    const { nb, sid, editor } = await setup(childId);
    await warm(editor, nb, sid);
    expect((await admin.request('POST', `/api/v1/workspaces/${childId}/archive`)).statusCode).toBe(
      200,
    );
    const res = await compile(editor, nb, sid);
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('workspace.archived');
  });

  it('refuses a session whose runtime moved to a workspace the notebook cannot use', async () => {
    const { nb, sid, editor } = await setup();
    await warm(editor, nb, sid);
    const other = await admin.request('POST', '/api/v1/workspaces', { name: 'elsewhere' });
    await t.server.services.database.db.execute(
      sql`update runtimes set workspace_id = ${other.json().id as string} where id = ${rt.id}`,
    );
    try {
      const res = await compile(editor, nb, sid);
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('runtime.unknown_runtime');
    } finally {
      await t.server.services.database.db.execute(
        sql`update runtimes set workspace_id = ${ws} where id = ${rt.id}`,
      );
    }
  });
});

describe('authorization cache across two server processes (postgres)', () => {
  let a: TestServer;
  let b: TestServer;
  let admin: TestClient;
  let rt: FakeRuntime;
  let ws: string;

  beforeAll(async () => {
    a = await startTestServer('postgres');
    b = await startPeerServer(a);
    admin = await signUpAdmin(a);
    ws = await defaultWorkspaceId(admin);
    rt = await registerRuntime(admin);
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  const compile = (client: TestClient, nb: string, sid: string) =>
    client.request('POST', `/api/v1/notebooks/${nb}/compile`, {
      sid,
      cell: { id: 'c1', type: 'python', source: 'x = 1' },
    });

  it('a change made through one server is enforced by the other on its next compile', async () => {
    const nb = (await createNotebook(admin, 'two servers')).id;
    const { sid } = await openSession(admin, nb, rt.id);
    const editorOnA = await addMember(a, 'editor', ws);
    const editorOnB = clientOn(b, editorOnA);
    const adminOnB = clientOn(b, admin);
    // both servers' caches are warm for this editor
    for (const c of [editorOnA, editorOnB, editorOnA, editorOnB]) {
      expect((await compile(c, nb, sid)).statusCode).toBe(200);
    }
    // downgraded through server B: server A refuses at once
    await adminOnB.request('PATCH', `/api/v1/workspaces/${ws}/members/${editorOnA.user.id}`, {
      role: 'viewer',
    });
    const downgraded = await compile(editorOnA, nb, sid);
    expect(downgraded.statusCode).toBe(403);
    expect(downgraded.json().error.code).toBe('auth.permission_required');
    // back to editor through A (B's cache is stale-stamped now), then removed through A: B refuses
    await admin.request('PATCH', `/api/v1/workspaces/${ws}/members/${editorOnA.user.id}`, {
      role: 'editor',
    });
    expect((await compile(editorOnB, nb, sid)).statusCode).toBe(200);
    expect(
      (await admin.request('DELETE', `/api/v1/workspaces/${ws}/members/${editorOnA.user.id}`))
        .statusCode,
    ).toBe(204);
    const removed = await compile(editorOnB, nb, sid);
    expect(removed.statusCode).toBe(404);
    expect(removed.json().error.code).toBe('notebook.not_found');
    // every compile of both servers is in one chain that verifies
    expect(await a.server.services.audit.verify()).toMatchObject({ ok: true });
  });
});
