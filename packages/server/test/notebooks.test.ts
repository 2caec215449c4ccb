import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dbKinds,
  defaultWorkspaceId,
  signUpAdmin,
  startTestServer,
  type TestClient,
  type TestServer,
} from './fixtures.js';

describe.each(dbKinds)('notebooks (%s)', (kind) => {
  let t: TestServer;
  let admin: TestClient;
  beforeAll(async () => {
    t = await startTestServer(kind);
    admin = await signUpAdmin(t);
  });
  afterAll(() => t.close());

  it('creates, lists, reads and saves a notebook, incrementing its version', async () => {
    const ws = await defaultWorkspaceId(admin);
    const created = await admin.request('POST', '/api/v1/notebooks', {
      title: '  Runbook: disk full  ',
      cells: [{ id: 'a', type: 'markdown', source: '# Disk' }],
    });
    expect(created.statusCode).toBe(201);
    const nb = created.json();
    expect(nb).toMatchObject({
      workspaceId: ws,
      title: 'Runbook: disk full',
      version: 0,
      cells: [{ id: 'a', type: 'markdown', source: '# Disk', outputs: [], lastRun: null }],
    });

    const list = await admin.request('GET', `/api/v1/notebooks?workspaceId=${ws}`);
    expect(list.json()).toEqual([
      { id: nb.id, workspaceId: ws, title: 'Runbook: disk full', updatedAt: nb.updatedAt },
    ]);
    expect((await admin.request('GET', '/api/v1/notebooks')).json()).toHaveLength(1);

    const saved = await admin.request('PUT', `/api/v1/notebooks/${nb.id}`, {
      title: 'Runbook',
      version: 0,
      cells: [
        { id: 'a', type: 'markdown', source: '# Disk full' },
        { id: 'b', type: 'shell', source: 'df -h' },
      ],
    });
    expect(saved.statusCode).toBe(200);
    expect(saved.json()).toMatchObject({ title: 'Runbook', version: 1 });
    const got = (await admin.request('GET', `/api/v1/notebooks/${nb.id}`)).json();
    expect(got.version).toBe(1);
    expect(got.cells.map((c: { id: string; source: string }) => [c.id, c.source])).toEqual([
      ['a', '# Disk full'],
      ['b', 'df -h'],
    ]);
    const titleOnly = await admin.request('PUT', `/api/v1/notebooks/${nb.id}`, {
      title: 'Runbook 2',
    });
    expect(titleOnly.json()).toMatchObject({ title: 'Runbook 2', version: 2 });
    expect(titleOnly.json().cells).toHaveLength(2);
  });

  it('rejects a save with a stale version with 409 request.conflict and keeps the data', async () => {
    const nb = (await admin.request('POST', '/api/v1/notebooks', { title: 'Conflict' })).json();
    expect(
      (await admin.request('PUT', `/api/v1/notebooks/${nb.id}`, { title: 'A', version: 0 }))
        .statusCode,
    ).toBe(200);
    const stale = await admin.request('PUT', `/api/v1/notebooks/${nb.id}`, {
      title: 'B',
      version: 0,
    });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error.code).toBe('request.conflict');
    expect(stale.json().error.details).toEqual({ currentVersion: 1 });
    expect((await admin.request('GET', `/api/v1/notebooks/${nb.id}`)).json()).toMatchObject({
      title: 'A',
      version: 1,
    });
  });

  it('validates input and reports unknown notebooks', async () => {
    const empty = await admin.request('POST', '/api/v1/notebooks', { title: '   ' });
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error.code).toBe('request.invalid');
    const badCell = await admin.request('POST', '/api/v1/notebooks', {
      title: 'x',
      cells: [{ id: 'has space', type: 'python', source: '' }],
    });
    expect(badCell.statusCode).toBe(400);
    expect(badCell.json().error.message).toContain('cell ids');
    const dup = await admin.request('POST', '/api/v1/notebooks', {
      title: 'x',
      cells: [
        { id: 'a', type: 'python', source: '' },
        { id: 'a', type: 'python', source: '' },
      ],
    });
    expect(dup.statusCode).toBe(400);
    expect(dup.json().error.message).toContain('duplicate cell id');
    const missing = await admin.request('GET', '/api/v1/notebooks/nb_missing');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('notebook.not_found');
    const missingPut = await admin.request('PUT', '/api/v1/notebooks/nb_missing', { title: 'x' });
    expect(missingPut.statusCode).toBe(404);
  });

  it('records notebook.created in the audit log', async () => {
    const entries = (await admin.request('GET', '/api/v1/audit?limit=1000')).json().entries;
    expect(
      entries.filter((e: { action: string }) => e.action === 'notebook.created').length,
    ).toBeGreaterThanOrEqual(2);
    expect(entries[0]).toMatchObject({ seq: 1, action: 'user.signup', prevHash: '0'.repeat(64) });
  });
});
