import type { WorkspaceDetail } from '@spin/protocol';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addMember,
  createNotebook,
  createWorkspace,
  dbKinds,
  defaultWorkspaceId,
  openSession,
  registerRuntime,
  signUpAdmin,
  startTestServer,
  type TestClient,
  type TestServer,
} from './fixtures.js';

/** Workspaces (issue 7): create, nest with inherited roles and runtimes, settings, archive, delete. */
describe.each(dbKinds)('workspaces (%s)', (kind) => {
  let t: TestServer;
  let admin: TestClient;
  let root: string;

  beforeAll(async () => {
    t = await startTestServer(kind);
    admin = await signUpAdmin(t);
    root = await defaultWorkspaceId(admin);
  });
  afterAll(() => t.close());

  const rowOf = async (table: string, id: string, column = 'id') => {
    const { rows } = (await t.server.services.database.db.execute(
      sql`select * from ${sql.identifier(table)} where ${sql.identifier(column)} = ${id}`,
    )) as unknown as { rows: unknown[] };
    return rows[0] ?? null;
  };
  const auditActions = async (subject: string) =>
    (
      (await admin.request('GET', '/api/v1/audit?limit=1000')).json() as {
        entries: { action: string; subject: string | null }[];
      }
    ).entries
      .filter((e) => e.subject === subject)
      .map((e) => e.action);
  const create = async (as: TestClient, body: Record<string, unknown>) => {
    const res = await as.request('POST', '/api/v1/workspaces', body);
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as WorkspaceDetail;
  };

  it('any member creates a top-level workspace and owns it; creating under a parent needs its owner', async () => {
    const viewer = await addMember(t, 'viewer', root);
    const mine = await create(viewer, { name: 'Viewer team', description: 'scratch' });
    expect(mine).toMatchObject({ name: 'Viewer team', role: 'owner', parentId: null });
    expect(mine.allowedActions).toContain('workspace.update');
    expect(mine.allowedActions).not.toContain('workspace.delete'); // org admins only
    expect(await auditActions(mine.id)).toEqual(['workspace.created']);

    const count = async () =>
      (
        (await t.server.services.database.db.execute(
          sql`select count(*)::int as n from workspaces`,
        )) as unknown as { rows: { n: number }[] }
      ).rows[0]!.n;
    const before = await count();
    const refused = await viewer.request('POST', '/api/v1/workspaces', {
      name: 'Sneaky',
      parentId: root,
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('auth.permission_required');
    expect(await count()).toBe(before);
  });

  it('children inherit role grants and runtimes from their ancestors', async () => {
    const ops = await create(admin, { name: 'Ops', parentId: root });
    const db = await create(admin, { name: 'Ops DB', parentId: ops.id });
    const editor = await addMember(t, 'editor', ops.id);
    const viewer = await addMember(t, 'viewer', ops.id);
    const parentRuntime = await registerRuntime(admin, ops.id);
    const childRuntime = await registerRuntime(admin, db.id);

    // the editor of Ops is an editor two levels down, and sees it listed with that role
    const listed = (await editor.request('GET', '/api/v1/workspaces')).json() as WorkspaceDetail[];
    expect(listed.map((w) => [w.name, w.role])).toEqual([
      ['Ops', 'editor'],
      ['Ops DB', 'editor'],
    ]);
    const nb = await createNotebook(editor, 'In the child', db.id);
    expect(nb.workspaceId).toBe(db.id);
    const seen = (await viewer.request('GET', `/api/v1/notebooks/${nb.id}`)).json();
    expect(seen.allowedActions).toEqual(['notebook.view']);
    const edited = await viewer.request('PUT', `/api/v1/notebooks/${nb.id}`, { title: 'x' });
    expect(edited.statusCode).toBe(403);

    // a runtime of the parent runs the child's notebook; the child's is not usable in the parent
    const session = await openSession(editor, nb.id, parentRuntime.id);
    expect(session.sid).toMatch(/^ses_/);
    const usable = (await editor.request('GET', `/api/v1/runtimes?workspaceId=${db.id}`)).json();
    expect(usable.map((r: { id: string }) => r.id).sort()).toEqual(
      [parentRuntime.id, childRuntime.id].sort(),
    );
    const parentNb = await createNotebook(editor, 'In the parent', ops.id);
    const wrong = await editor.request('POST', '/api/v1/sessions', {
      notebookId: parentNb.id,
      runtimeId: childRuntime.id,
    });
    expect(wrong.statusCode).toBe(404);
    expect(wrong.json().error.code).toBe('runtime.unknown_runtime');
    const sessions = (await t.server.services.database.db.execute(
      sql`select count(*)::int as n from exec_sessions where notebook_id = ${parentNb.id}`,
    )) as unknown as { rows: { n: number }[] };
    expect(sessions.rows[0]!.n).toBe(0);

    // a stranger to the tree sees none of it
    const other = await createWorkspace(t, 'Elsewhere');
    const outsider = await addMember(t, 'owner', other);
    const res = await outsider.request('GET', `/api/v1/workspaces/${db.id}`);
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('request.not_found');
  });

  it('settings: name, description, parent, default runtime, retention; no cycles', async () => {
    const a = await create(admin, { name: 'A', parentId: root });
    const b = await create(admin, { name: 'B', parentId: a.id });
    const c = await create(admin, { name: 'C', parentId: b.id });
    const rt = await registerRuntime(admin, a.id);

    const saved = await admin.request('PATCH', `/api/v1/workspaces/${c.id}`, {
      name: 'C2',
      description: 'databases',
      defaultRuntimeId: rt.id, // the grandparent's runtime is usable here
      sessionRetentionDays: 30,
    });
    expect(saved.statusCode, saved.body).toBe(200);
    expect(saved.json()).toMatchObject({
      name: 'C2',
      description: 'databases',
      defaultRuntimeId: rt.id,
      sessionRetentionDays: 30,
    });
    expect(await auditActions(c.id)).toEqual(['workspace.created', 'workspace.updated']);

    // moving A under its grandchild would make A its own ancestor
    const before = await rowOf('workspaces', a.id);
    const cycle = await admin.request('PATCH', `/api/v1/workspaces/${a.id}`, { parentId: c.id });
    expect(cycle.statusCode).toBe(400);
    expect(cycle.json().error.code).toBe('workspace.parent_cycle');
    const self = await admin.request('PATCH', `/api/v1/workspaces/${a.id}`, { parentId: a.id });
    expect(self.json().error.code).toBe('workspace.parent_cycle');
    expect(await rowOf('workspaces', a.id)).toEqual(before);

    // a runtime of an unrelated workspace cannot be the default
    const elsewhere = await create(admin, { name: 'Unrelated' });
    const foreign = await registerRuntime(admin, elsewhere.id);
    const cBefore = await rowOf('workspaces', c.id);
    const bad = await admin.request('PATCH', `/api/v1/workspaces/${c.id}`, {
      defaultRuntimeId: foreign.id,
    });
    expect(bad.statusCode).toBe(404);
    expect(bad.json().error.code).toBe('runtime.unknown_runtime');
    expect(await rowOf('workspaces', c.id)).toEqual(cBefore);

    // moving C to the top level works and leaves the rest in place
    const moved = await admin.request('PATCH', `/api/v1/workspaces/${c.id}`, {
      parentId: null,
      defaultRuntimeId: null,
    });
    expect(moved.json()).toMatchObject({ parentId: null, defaultRuntimeId: null });
  });

  it('an archived workspace (and what is inside it) is read-only until unarchived', async () => {
    const ws = await create(admin, { name: 'Old incident', parentId: root });
    const inner = await create(admin, { name: 'Inner', parentId: ws.id });
    const rt = await registerRuntime(admin, ws.id);
    const nb = await createNotebook(admin, 'Postmortem', ws.id);
    const innerNb = await createNotebook(admin, 'Inner notes', inner.id);
    const sid = (await openSession(admin, nb.id, rt.id)).sid;
    const editor = await addMember(t, 'editor', ws.id);

    const archived = await admin.request('POST', `/api/v1/workspaces/${ws.id}/archive`);
    expect(archived.json().archivedAt).toEqual(expect.any(String));
    expect(archived.json().allowedActions).not.toContain('notebook.create');

    const nbBefore = await rowOf('notebooks', nb.id);
    for (const [method, url, body] of [
      ['PUT', `/api/v1/notebooks/${nb.id}`, { title: 'changed' }],
      ['PUT', `/api/v1/notebooks/${innerNb.id}`, { title: 'changed' }],
      ['POST', '/api/v1/notebooks', { title: 'new', workspaceId: ws.id }],
      [
        'POST',
        `/api/v1/notebooks/${nb.id}/compile`,
        { sid, cell: { id: 'c1', type: 'python', source: '1' } },
      ],
    ] as const) {
      const res = await editor.request(method, url, body);
      const asAdmin = await admin.request(method, url, body);
      for (const r of [res, asAdmin]) {
        expect([r.statusCode, r.json().error?.code], `${method} ${url}`).toEqual([
          409,
          'workspace.archived',
        ]);
      }
    }
    const wsBefore = await rowOf('workspaces', ws.id);
    const rename = await admin.request('PATCH', `/api/v1/workspaces/${ws.id}`, { name: 'renamed' });
    expect([rename.statusCode, rename.json().error.code]).toEqual([409, 'workspace.archived']);
    expect(await rowOf('workspaces', ws.id)).toEqual(wsBefore);
    expect(await rowOf('notebooks', nb.id)).toEqual(nbBefore);
    const programs = (await t.server.services.database.db.execute(
      sql`select count(*)::int as n from programs where notebook_id = ${nb.id}`,
    )) as unknown as { rows: { n: number }[] };
    expect(programs.rows[0]!.n).toBe(0);

    // still readable, and the UI is told what is left
    const read = await editor.request('GET', `/api/v1/notebooks/${nb.id}`);
    expect(read.statusCode).toBe(200);
    expect(read.json().allowedActions).toEqual(['notebook.view']);

    const back = await admin.request('DELETE', `/api/v1/workspaces/${ws.id}/archive`);
    expect(back.json().archivedAt).toBeNull();
    const edit = await editor.request('PUT', `/api/v1/notebooks/${nb.id}`, { title: 'changed' });
    expect(edit.statusCode).toBe(200);
    expect(await auditActions(ws.id)).toEqual([
      'workspace.created',
      'workspace.archived',
      'workspace.unarchived',
    ]);
  });

  it('only org admins delete; a parent with children is refused; the audit trail stays', async () => {
    const ws = await create(admin, { name: 'To delete', parentId: root });
    const child = await create(admin, { name: 'Child', parentId: ws.id });
    const nb = await createNotebook(admin, 'Goes with it', child.id);
    const owner = await addMember(t, 'owner', ws.id);

    const byOwner = await owner.request('DELETE', `/api/v1/workspaces/${child.id}`);
    expect(byOwner.statusCode).toBe(403);
    expect(byOwner.json().error.code).toBe('auth.permission_required');
    expect(await rowOf('workspaces', child.id)).not.toBeNull();

    const withChildren = await admin.request('DELETE', `/api/v1/workspaces/${ws.id}`);
    expect(withChildren.statusCode).toBe(409);
    expect(withChildren.json().error.code).toBe('workspace.has_children');
    expect(await rowOf('workspaces', ws.id)).not.toBeNull();

    const deleted = await admin.request('DELETE', `/api/v1/workspaces/${child.id}`);
    expect(deleted.json()).toEqual({ deleted: child.id });
    expect(await rowOf('workspaces', child.id)).toBeNull();
    expect(await rowOf('notebooks', nb.id)).toBeNull();
    expect(await auditActions(child.id)).toEqual(['workspace.created', 'workspace.deleted']);
    const notebookCreated = (
      (await admin.request('GET', '/api/v1/audit?limit=1000')).json() as {
        entries: { action: string; subject: string }[];
      }
    ).entries.filter((e) => e.subject === nb.id);
    expect(notebookCreated.map((e) => e.action)).toEqual(['notebook.created']);
    expect((await admin.request('GET', '/api/v1/audit/verify')).json()).toMatchObject({ ok: true });
  });
});
