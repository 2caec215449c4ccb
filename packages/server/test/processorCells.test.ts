import { importKey, openProgram, type Jwks, type ProgramClaims } from '@spin/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createNotebook,
  dbKinds,
  openSession,
  registerRuntime,
  signUpAdmin,
  startTestServer,
  type FakeRuntime,
  type TestClient,
  type TestServer,
} from './fixtures.js';

// Cells of processor types: their params, result variable, time range and template references
// are stored, validated by the manifest and compiled by the registry (DESIGN.md §3).
describe.each(dbKinds)('processor cells (%s)', (kind) => {
  let t: TestServer;
  let admin: TestClient;
  let rt: FakeRuntime;
  let nb: { id: string };
  let sid: string;
  let jwks: Jwks;

  beforeAll(async () => {
    t = await startTestServer(kind);
    admin = await signUpAdmin(t);
    rt = await registerRuntime(admin);
    nb = await createNotebook(admin);
    sid = (await openSession(admin, nb.id, rt.id)).sid;
    jwks = (await t.server.app.inject({ url: '/.well-known/jwks.json' })).json();
  });
  afterAll(() => t.close());

  async function compiled(cell: object, timeRange?: object): Promise<ProgramClaims['program']> {
    const res = await admin.request('POST', `/api/v1/notebooks/${nb.id}/compile`, {
      sid,
      cell,
      ...(timeRange ? { timeRange } : {}),
    });
    expect(res.statusCode, res.body).toBe(200);
    const claims = await openProgram(res.json().envelope, {
      decryptionKey: await importKey(rt.encryption.privateJwk, 'ECDH-ES+A256KW'),
      decryptionKid: rt.encryption.publicJwk.kid,
      serverJwks: jwks,
      audience: rt.id,
      claimJti: async () => true,
    });
    return claims.program;
  }

  const cells = [
    { id: 'p', type: 'python', source: 'x = 1' },
    {
      id: 's',
      type: 'shell',
      source: 'echo {{host}}',
      params: { env: { REGION: 'eu' }, output: 'jsonl' },
      resultVar: 'hosts',
      timeRange: { from: 'now-15m', to: 'now' },
    },
  ];

  it('stores params, result variable, time range and notebook settings, and reads them back', async () => {
    const created = (await admin.request('POST', '/api/v1/notebooks', { title: 'T' })).json();
    expect(created.settings).toEqual({ timeRange: { from: 'now-1h', to: 'now' } });
    const settings = { timeRange: { from: 'now-6h', to: 'now-1h' } };
    const saved = await admin.request('PUT', `/api/v1/notebooks/${created.id}`, {
      cells,
      settings,
      version: 0,
    });
    expect(saved.statusCode, saved.body).toBe(200);
    const got = (await admin.request('GET', `/api/v1/notebooks/${created.id}`)).json();
    expect(got.settings).toEqual(settings);
    expect(got.cells).toEqual(cells.map((c) => ({ ...c, outputs: [], lastRun: null })));
    // A title-only save keeps the settings.
    await admin.request('PUT', `/api/v1/notebooks/${created.id}`, { title: 'T2' });
    expect((await admin.request('GET', `/api/v1/notebooks/${created.id}`)).json().settings).toEqual(
      settings,
    );
  });

  it('refuses params the manifest rejects and unknown cell types, and keeps the notebook', async () => {
    const before = (await admin.request('GET', `/api/v1/notebooks/${nb.id}`)).json();
    const bad = await admin.request('PUT', `/api/v1/notebooks/${nb.id}`, {
      cells: [{ id: 's', type: 'shell', source: 'ls', params: { output: 'xml' } }],
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('request.invalid');
    expect(bad.json().error.message).toContain('params');
    const unknown = await admin.request('PUT', `/api/v1/notebooks/${nb.id}`, {
      cells: [{ id: 'z', type: 'nosuchprocessor', source: 'x' }],
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.message).toContain('unknown cell type');
    const reserved = await admin.request('PUT', `/api/v1/notebooks/${nb.id}`, {
      cells: [{ id: 's', type: 'shell', source: 'ls', resultVar: 'class' }],
    });
    expect(reserved.statusCode).toBe(400);
    const after = (await admin.request('GET', `/api/v1/notebooks/${nb.id}`)).json();
    expect(after.version).toBe(before.version);
    expect(after.cells).toEqual(before.cells);
  });

  it("compiles with the manifest: the cell's time range overrides the notebook's", async () => {
    const fixed = { from: '2026-01-01T00:00:00.000Z', to: '2026-01-01T06:00:00.000Z' };
    const own = await compiled(cells[1]!, fixed);
    expect(own).toMatchObject({
      kind: 'processor',
      processor: 'shell',
      params: { script: 'echo {{host}}', env: { REGION: 'eu' }, output: 'jsonl' },
      resultVar: 'hosts',
    });
    const ownRange = own.kind === 'processor' ? own.timeRange! : null;
    expect(Date.parse(ownRange!.to) - Date.parse(ownRange!.from)).toBe(15 * 60_000);
    const inherited = await compiled({ id: 'n', type: 'shell', source: 'date' }, fixed);
    expect(inherited.kind === 'processor' && inherited.timeRange).toEqual(fixed);
  });

  it('keeps template and secret references as references in the compiled program', async () => {
    // the secrets a program names must exist (their ids go in the claims, issue 9)
    const wsId = (await admin.request('GET', '/api/v1/workspaces')).json()[0].id as string;
    for (const name of ['DB_PASSWORD', 'API_TOKEN']) {
      const res = await admin.request('POST', `/api/v1/workspaces/${wsId}/secrets`, {
        name,
        ref: { storeType: 'runtime_env', env: name },
      });
      expect(res.statusCode, res.body).toBe(201);
    }
    const program = await compiled({
      id: 'sec',
      type: 'shell',
      source: 'curl -u "admin:{{secret:DB_PASSWORD}}" {{api.url}}',
      params: { env: { TOKEN: '{{secret:API_TOKEN}}' } },
    });
    expect(program.kind === 'processor' && program.params).toMatchObject({
      script: 'curl -u "admin:{{secret:DB_PASSWORD}}" {{api.url}}',
      env: { TOKEN: '{{secret:API_TOKEN}}' },
    });
    expect(program.kind === 'processor' && program.vars).toBeUndefined();
  });

  it('compiles a python cell for the kernel its params name', async () => {
    expect(
      await compiled({ id: 'k', type: 'python', source: '1', params: { kernel: 'ir' } }),
    ).toEqual({
      kind: 'kernel',
      kernel: 'ir',
      code: '1',
    });
  });
});
