import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addMember,
  createWorkspace,
  dbKinds,
  defaultWorkspaceId,
  signUpAdmin,
  startTestServer,
  type TestClient,
  type TestServer,
} from './fixtures.js';

interface NbCell {
  id: string;
  type: string;
  source: string;
  params?: Record<string, unknown>;
}
interface Nb {
  id: string;
  title: string;
  version: number;
  tags: string[];
  cells: NbCell[];
}

describe.each(dbKinds)('notebook operations (%s)', (kind) => {
  let t: TestServer;
  let admin: TestClient;
  let ws: string;

  beforeAll(async () => {
    t = await startTestServer(kind);
    admin = await signUpAdmin(t);
    ws = await defaultWorkspaceId(admin);
  });
  afterAll(() => t.close());

  async function create(title: string, cells: NbCell[], client = admin): Promise<Nb> {
    const res = await client.request('POST', '/api/v1/notebooks', { title, cells });
    expect(res.statusCode).toBe(201);
    return res.json();
  }
  async function get(id: string): Promise<Nb> {
    return (await admin.request('GET', `/api/v1/notebooks/${id}`)).json();
  }
  const ids = (nb: Nb) => nb.cells.map((c) => c.id);

  it('inserts, moves, updates and deletes cells by id, each a new version', async () => {
    const nb = await create('Cells', [
      { id: 'a', type: 'markdown', source: '# A' },
      { id: 'b', type: 'python', source: 'b = 1' },
    ]);
    const base = `/api/v1/notebooks/${nb.id}/cells`;

    const inserted = await admin.request('POST', base, {
      cell: { id: 'c', type: 'shell', source: 'uptime' },
      index: 1,
      version: 0,
    });
    expect(inserted.statusCode).toBe(201);
    expect(ids(inserted.json())).toEqual(['a', 'c', 'b']);
    expect(inserted.json().version).toBe(1);

    const moved = await admin.request('POST', `${base}/a/move`, { index: 2 });
    expect(moved.statusCode).toBe(200);
    expect(ids(moved.json())).toEqual(['c', 'b', 'a']);

    const updated = await admin.request('PATCH', `${base}/c`, {
      source: 'df -h',
      params: { output: 'jsonl' },
      version: 2,
    });
    expect(updated.statusCode).toBe(200);
    expect(updated.json().cells[0]).toMatchObject({
      id: 'c',
      type: 'shell',
      source: 'df -h',
      params: { output: 'jsonl' },
    });

    const deleted = await admin.request('DELETE', `${base}/b?version=3`);
    expect(deleted.statusCode).toBe(200);
    const now = await get(nb.id);
    expect(ids(now)).toEqual(['c', 'a']);
    expect(now.version).toBe(4);
  });

  it('refuses stale, unknown and invalid cell operations without changing the notebook', async () => {
    const nb = await create('Guarded', [{ id: 'a', type: 'python', source: 'x' }]);
    const base = `/api/v1/notebooks/${nb.id}/cells`;
    const cases: [string, string, unknown, number, string][] = [
      [
        'POST',
        base,
        { cell: { id: 'z', type: 'python', source: '' }, version: 7 },
        409,
        'request.conflict',
      ],
      [
        'POST',
        base,
        { cell: { id: 'a', type: 'python', source: 'dup' } },
        409,
        'notebook.cell_exists',
      ],
      [
        'POST',
        base,
        { cell: { id: 'z', type: 'python', source: '' }, index: 5 },
        400,
        'request.invalid',
      ],
      ['PATCH', `${base}/nope`, { source: 'y' }, 404, 'notebook.cell_not_found'],
      ['PATCH', `${base}/a`, { type: 'no_such_type' }, 400, 'request.invalid'],
      ['POST', `${base}/a/move`, { index: 1 }, 400, 'request.invalid'],
      ['DELETE', `${base}/nope`, undefined, 404, 'notebook.cell_not_found'],
      ['DELETE', `${base}/a?version=9`, undefined, 409, 'request.conflict'],
    ];
    for (const [method, url, body, status, code] of cases) {
      const res = await admin.request(method as 'POST', url, body);
      expect([method, url, res.statusCode, res.json().error.code]).toEqual([
        method,
        url,
        status,
        code,
      ]);
    }
    const after = await get(nb.id);
    expect(after.version).toBe(0);
    expect(after.cells).toMatchObject([{ id: 'a', type: 'python', source: 'x' }]);
    const versions = (await admin.request('GET', `/api/v1/notebooks/${nb.id}/versions`)).json();
    expect(versions.total).toBe(1);
  });

  it('keeps every save as a version, pages them, and restores one as a new version', async () => {
    const nb = await create('Runbook v0', [{ id: 'a', type: 'markdown', source: 'zero' }]);
    for (let v = 1; v <= 4; v++) {
      // what the web autosave sends: the whole notebook with the version it started from
      const res = await admin.request('PUT', `/api/v1/notebooks/${nb.id}`, {
        title: `Runbook v${v}`,
        version: v - 1,
        cells: [{ id: 'a', type: 'markdown', source: `save ${v}` }],
      });
      expect(res.statusCode).toBe(200);
    }
    const url = `/api/v1/notebooks/${nb.id}/versions`;
    const page = (await admin.request('GET', `${url}?limit=2&offset=1`)).json();
    expect(page.total).toBe(5);
    expect(page.items.map((v: { version: number }) => v.version)).toEqual([3, 2]);
    expect(page.items[0]).toMatchObject({
      title: 'Runbook v3',
      savedBy: admin.user.id,
      restoredFrom: null,
      cellCount: 1,
    });

    const v1 = (await admin.request('GET', `${url}/1`)).json();
    expect(v1).toMatchObject({ version: 1, title: 'Runbook v1' });
    expect(v1.cells).toEqual([{ id: 'a', type: 'markdown', source: 'save 1' }]);

    const restored = await admin.request('POST', `${url}/1/restore`, { version: 4 });
    expect(restored.statusCode).toBe(200);
    expect(restored.json()).toMatchObject({ title: 'Runbook v1', version: 5 });
    expect((await get(nb.id)).cells[0]!.source).toBe('save 1');
    const latest = (await admin.request('GET', `${url}?limit=1`)).json();
    expect(latest.total).toBe(6);
    expect(latest.items[0]).toMatchObject({ version: 5, restoredFrom: 1 });

    const audit = (await admin.request('GET', '/api/v1/audit?limit=1000')).json().entries;
    expect(
      audit.filter(
        (e: { action: string; subject: string }) =>
          e.action === 'notebook.version_restored' && e.subject === nb.id,
      ),
    ).toHaveLength(1);

    const missing = await admin.request('GET', `${url}/99`);
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('notebook.version_not_found');
    const stale = await admin.request('POST', `${url}/0/restore`, { version: 1 });
    expect(stale.statusCode).toBe(409);
    expect((await get(nb.id)).version).toBe(5);
  });

  it('lets a viewer read versions but not restore, tag or edit cells', async () => {
    const nb = await create('Viewer', [{ id: 'a', type: 'python', source: 'x' }]);
    await admin.request('PUT', `/api/v1/notebooks/${nb.id}`, {
      cells: [{ id: 'a', type: 'python', source: 'y' }],
    });
    const viewer = await addMember(t, 'viewer', ws);
    expect((await viewer.request('GET', `/api/v1/notebooks/${nb.id}/versions`)).statusCode).toBe(
      200,
    );
    for (const [method, url, body] of [
      ['POST', `/api/v1/notebooks/${nb.id}/versions/0/restore`, {}],
      ['PUT', `/api/v1/notebooks/${nb.id}/tags`, { tags: ['x'] }],
      [
        'POST',
        `/api/v1/notebooks/${nb.id}/cells`,
        { cell: { id: 'b', type: 'python', source: '' } },
      ],
      ['DELETE', `/api/v1/notebooks/${nb.id}/cells/a`, undefined],
    ] as const) {
      const res = await viewer.request(method, url, body);
      expect([url, res.statusCode, res.json().error.code]).toEqual([
        url,
        403,
        'auth.permission_required',
      ]);
    }
    const after = await get(nb.id);
    expect(after).toMatchObject({ version: 1, tags: [], cells: [{ id: 'a', source: 'y' }] });
  });

  it('tags notebooks and searches by title, content and tag, with pagination and totals', async () => {
    const other = await createWorkspace(t, 'Search');
    const disk = await create('Disk full runbook', [
      { id: 'a', type: 'shell', source: 'df -h /var' },
    ]);
    const cpu = await create('CPU', [{ id: 'a', type: 'python', source: 'load = "100%_busy"' }]);
    const tagged = await admin.request('PUT', `/api/v1/notebooks/${cpu.id}/tags`, {
      tags: ['oncall', 'linux', 'oncall'],
    });
    expect(tagged.json().tags).toEqual(['linux', 'oncall']);
    await admin.request('PUT', `/api/v1/notebooks/${disk.id}/tags`, { tags: ['linux'] });
    const elsewhere = await admin.request('POST', '/api/v1/notebooks', {
      title: 'Disk elsewhere',
      workspaceId: other,
      cells: [],
    });
    expect(elsewhere.statusCode).toBe(201);

    const search = async (qs: string) =>
      (await admin.request('GET', `/api/v1/workspaces/${ws}/notebooks?${qs}`)).json();
    const titles = (page: { items: { title: string }[] }) => page.items.map((i) => i.title);

    expect(titles(await search('q=DISK'))).toEqual(['Disk full runbook']);
    expect(titles(await search('q=%2Fvar'))).toEqual(['Disk full runbook']);
    // LIKE wildcards are literal: "%_" matches only the source that has them
    expect(titles(await search('q=%25_'))).toEqual(['CPU']);
    expect(titles(await search('tag=oncall'))).toEqual(['CPU']);
    expect((await search('tag=linux')).total).toBe(2);
    expect(titles(await search('q=disk&tag=oncall'))).toEqual([]);
    const first = await search('tag=linux&limit=1');
    const second = await search('tag=linux&limit=1&offset=1');
    expect([first.total, second.total]).toEqual([2, 2]);
    expect(new Set([...titles(first), ...titles(second)])).toEqual(
      new Set(['Disk full runbook', 'CPU']),
    );
    expect(first.items[0]).toMatchObject({ workspaceId: ws, tags: expect.any(Array), version: 0 });

    const bad = await admin.request('PUT', `/api/v1/notebooks/${cpu.id}/tags`, { tags: ['a,b'] });
    expect(bad.statusCode).toBe(400);
    expect((await get(cpu.id)).tags).toEqual(['linux', 'oncall']);

    // a member of the other workspace cannot search this one
    const outsider = await addMember(t, 'owner', other);
    const refused = await outsider.request('GET', `/api/v1/workspaces/${ws}/notebooks?q=disk`);
    // a workspace the caller is not a member of is not there for them (no existence oracle)
    expect(refused.statusCode).toBe(404);
    expect(refused.json().error.code).toBe('request.not_found');
    expect(refused.json().items).toBeUndefined();
    const theirs = (
      await outsider.request('GET', `/api/v1/workspaces/${other}/notebooks?q=disk`)
    ).json();
    expect(titles(theirs)).toEqual(['Disk elsewhere']);
  });
});
