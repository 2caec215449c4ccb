import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addMember,
  createNotebook,
  dbKinds,
  defaultWorkspaceId,
  makeReceipt,
  openSession,
  registerRuntime,
  SAMPLE_OUTPUTS,
  signUpAdmin,
  startTestServer,
  type FakeRuntime,
  type TestClient,
  type TestServer,
} from './fixtures.js';
import {
  CANARY,
  createConnection,
  createSecret,
  openBundle,
  openCompiled,
} from './credentialFixtures.js';

/** Encrypted credential sync and program credentials (issue 9). */
describe.each(dbKinds)('credential bundles and program credentials (%s)', (kind) => {
  let t: TestServer;
  let admin: TestClient;
  let agent: TestClient;
  let viewer: TestClient;
  let ws: string;
  let child: string;
  let rt: FakeRuntime;
  let nb: string;
  let sid: string;
  let childNb: string;
  let childSid: string;
  let dbId: string;

  beforeAll(async () => {
    t = await startTestServer(kind);
    admin = await signUpAdmin(t);
    ws = await defaultWorkspaceId(admin);
    child = (
      await admin.request('POST', '/api/v1/workspaces', { name: 'Team', parentId: ws })
    ).json().id;
    agent = await addMember(t, 'agent', ws);
    viewer = await addMember(t, 'viewer', ws);
    rt = await registerRuntime(admin, ws);
    nb = (await createNotebook(admin)).id;
    sid = (await openSession(admin, nb, rt.id)).sid;
    childNb = (await createNotebook(admin, 'Child notebook', child)).id;
    childSid = (await openSession(admin, childNb, rt.id)).sid;
    dbId = (
      await createConnection(admin, ws, {
        name: 'orders-db',
        processor: 'postgres',
        config: { host: 'db.internal' },
        secrets: { password: '{{secret:DB_PASSWORD}}' },
        isDefault: true,
      })
    ).json().id;
    await createSecret(admin, ws, {
      name: 'DB_PASSWORD',
      ref: { storeType: 'spin_store' },
      value: CANARY,
    });
    await createSecret(admin, ws, {
      name: 'API_TOKEN',
      ref: { storeType: 'runtime_env', env: 'OPS_API_TOKEN' },
    });
  });
  afterAll(() => t.close());

  async function fetchBundle(client: TestClient, have?: number) {
    const q = have === undefined ? '' : `?have=${have}`;
    return client.request('GET', `/api/v1/runtimes/${rt.id}/credentials${q}`);
  }

  it('seals the bundle to the runtime: opened with its key it holds the values; the relay sees ciphertext', async () => {
    const res = await fetchBundle(agent);
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain(CANARY);
    const { version, bundle } = res.json() as { version: number; bundle: string };
    expect(version).toBeGreaterThan(0);
    const claims = await openBundle(t, rt, bundle);
    expect(claims).toMatchObject({ aud: rt.id, version });
    const secret = claims.secrets.find((s) => s.name === 'DB_PASSWORD')!;
    expect(secret).toMatchObject({ value: CANARY, ref: { storeType: 'spin_store' } });
    // a runtime_env secret travels as a reference only: the server never had its value
    const env = claims.secrets.find((s) => s.name === 'API_TOKEN')!;
    expect(env.ref).toEqual({ storeType: 'runtime_env', env: 'OPS_API_TOKEN' });
    expect(env).not.toHaveProperty('value');
    const conn = claims.connections.find((c) => c.id === dbId)!;
    expect(conn).toMatchObject({
      name: 'orders-db',
      processor: 'postgres',
      config: { host: 'db.internal' },
      secrets: { password: '{{secret:DB_PASSWORD}}' },
      secretIds: { DB_PASSWORD: secret.id },
    });
    // the current version again: nothing to send
    const again = await fetchBundle(agent, version);
    expect(again.json()).toEqual({ version, bundle: null });
  });

  it("holds the credentials of the runtime's workspace, its descendants and ancestors only", async () => {
    const inChild = (
      await createConnection(admin, child, { name: 'team-db', processor: 'mysql' })
    ).json();
    const { bundle } = (await fetchBundle(admin)).json();
    const claims = await openBundle(t, rt, bundle);
    expect(claims.connections.map((c) => c.id)).toContain(inChild.id);
    // a runtime of the child workspace does not receive the child's sibling's credentials…
    const sibling = (
      await admin.request('POST', '/api/v1/workspaces', { name: 'Sibling', parentId: ws })
    ).json().id;
    const siblingConn = (
      await createConnection(admin, sibling, { name: 'sibling-db', processor: 'mysql' })
    ).json();
    const childRt = await registerRuntime(admin, child);
    const childBundle = (
      await admin.request('GET', `/api/v1/runtimes/${childRt.id}/credentials`)
    ).json();
    const childClaims = await openBundle(t, childRt, childBundle.bundle);
    const ids = childClaims.connections.map((c) => c.id);
    // …but it does receive what the child inherits from its parent
    expect(ids).toContain(dbId);
    expect(ids).toContain(inChild.id);
    expect(ids).not.toContain(siblingConn.id);
  });

  it('bumps the version on every change that affects the runtime; a deleted connection is gone from the next bundle', async () => {
    const v1 = (await fetchBundle(admin)).json().version as number;
    expect((await fetchBundle(admin)).json().version).toBe(v1);
    const temp = (
      await createConnection(admin, ws, { name: 'temp-db', processor: 'postgres' })
    ).json();
    const v2 = (await fetchBundle(admin, v1)).json();
    expect(v2.version).toBeGreaterThan(v1);
    expect((await openBundle(t, rt, v2.bundle)).connections.map((c) => c.id)).toContain(temp.id);
    await admin.request('PATCH', `/api/v1/connections/${temp.id}`, { config: { host: 'h2' } });
    const v3 = (await fetchBundle(admin, v2.version)).json();
    expect(v3.version).toBeGreaterThan(v2.version);
    await admin.request('DELETE', `/api/v1/connections/${temp.id}`);
    const v4 = (await fetchBundle(admin, v3.version)).json();
    expect(v4.version).toBeGreaterThan(v3.version);
    const claims = await openBundle(t, rt, v4.bundle);
    expect(claims.version).toBe(v4.version);
    expect(claims.connections.map((c) => c.id)).not.toContain(temp.id);
  });

  it('refuses viewers (403) and callers who cannot use the runtime (404); audits every fetch', async () => {
    const denied = await fetchBundle(viewer);
    expect([denied.statusCode, denied.json().error.code]).toEqual([
      403,
      'auth.permission_required',
    ]);
    const unknown = await admin.request('GET', '/api/v1/runtimes/rt_nope/credentials');
    expect(unknown.json().error.code).toBe('runtime.unknown_runtime');
    const audit = (
      await admin.request('GET', `/api/v1/audit?action=credentials.bundle_fetched&limit=1000`)
    ).json().entries as { action: string; actor: string; data: Record<string, unknown> }[];
    const fetches = audit.filter((e) => e.action === 'credentials.bundle_fetched');
    expect(fetches.length).toBeGreaterThanOrEqual(5);
    expect(fetches.some((e) => e.actor === agent.user.id && e.data.runtime === rt.id)).toBe(true);
    expect(JSON.stringify(audit)).not.toContain(CANARY);
  });

  it('compiles claims with connection and secret ids and the bundle version — never values', async () => {
    const res = await agent.request('POST', `/api/v1/notebooks/${nb}/compile`, {
      sid,
      cell: {
        id: 'q1',
        type: 'postgres',
        source: 'SELECT * FROM orders WHERE token = {{secret:API_TOKEN}}',
        connection: 'orders-db',
      },
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    const claims = await openCompiled(t, rt, body.envelope);
    const bundle = (await fetchBundle(admin)).json();
    const secrets = (await admin.request('GET', `/api/v1/workspaces/${ws}/secrets`)).json() as {
      id: string;
      name: string;
    }[];
    expect(claims.workspace).toBe(ws);
    expect(claims.credentials).toEqual({
      bundleVersion: bundle.version,
      connection: { id: dbId, name: 'orders-db' },
      secrets: { API_TOKEN: secrets.find((s) => s.name === 'API_TOKEN')!.id },
    });
    expect(body.credentialsVersion).toBe(bundle.version);
    expect(claims.program).toMatchObject({ kind: 'processor', connection: 'orders-db' });
    expect(JSON.stringify(claims)).not.toContain(CANARY);
    // the compile is audited with names only
    const audit = (
      await admin.request('GET', `/api/v1/audit?action=program.compiled&limit=1000`)
    ).json().entries as { subject: string; data: Record<string, unknown> }[];
    const entry = audit.find((e) => e.subject === body.jti)!;
    expect(entry.data).toMatchObject({ connection: 'orders-db', secrets: ['API_TOKEN'] });
  });

  it('resolves the default connection of the type, Python get_secret names, and names from a child notebook', async () => {
    const byDefault = await admin.request('POST', `/api/v1/notebooks/${childNb}/compile`, {
      sid: childSid,
      cell: { id: 'd1', type: 'postgres', source: 'SELECT 1' },
    });
    expect(byDefault.statusCode, byDefault.body).toBe(200);
    const claims = await openCompiled(t, rt, byDefault.json().envelope);
    expect(claims.credentials?.connection).toEqual({ id: dbId, name: 'orders-db' });
    expect(claims.program).toMatchObject({ connection: 'orders-db' });
    expect(claims.workspace).toBe(child);

    const py = await admin.request('POST', `/api/v1/notebooks/${nb}/compile`, {
      sid,
      cell: { id: 'p1', type: 'python', source: 'pw = SpinSecrets.get_secret("DB_PASSWORD")' },
    });
    const pyClaims = await openCompiled(t, rt, py.json().envelope);
    expect(Object.keys(pyClaims.credentials!.secrets)).toEqual(['DB_PASSWORD']);
    expect(JSON.stringify(pyClaims)).not.toContain(CANARY);

    const plain = await admin.request('POST', `/api/v1/notebooks/${nb}/compile`, {
      sid,
      cell: { id: 'p2', type: 'python', source: '1 + 1' },
    });
    // nothing used: no sync needed
    expect(plain.json().credentialsVersion).toBe(0);
  });

  it('a {{secret_var:v}} program may use any secret of its workspace chain, by id', async () => {
    const res = await admin.request('POST', `/api/v1/notebooks/${childNb}/compile`, {
      sid: childSid,
      cell: { id: 'sv1', type: 'shell', source: 'echo {{secret_var:which}}' },
    });
    expect(res.statusCode, res.body).toBe(200);
    const claims = await openCompiled(t, rt, res.json().envelope);
    expect(Object.keys(claims.credentials!.secrets).sort()).toEqual(['API_TOKEN', 'DB_PASSWORD']);
    expect(res.json().credentialsVersion).toBeGreaterThan(0);
    expect(JSON.stringify(claims)).not.toContain(CANARY);
  });

  it('a missing connection or secret is a clear compile error', async () => {
    const noConn = await admin.request('POST', `/api/v1/notebooks/${nb}/compile`, {
      sid,
      cell: { id: 'm1', type: 'postgres', source: 'SELECT 1', connection: 'nope-db' },
    });
    expect([noConn.statusCode, noConn.json().error.code]).toEqual([404, 'connection.not_found']);
    expect(noConn.json().error.message).toContain('nope-db');
    const noSecret = await admin.request('POST', `/api/v1/notebooks/${nb}/compile`, {
      sid,
      cell: { id: 'm2', type: 'shell', source: 'echo {{secret:MISSING}}' },
    });
    expect([noSecret.statusCode, noSecret.json().error.code]).toEqual([404, 'secret.not_found']);
    const wrongType = await admin.request('POST', `/api/v1/notebooks/${nb}/compile`, {
      sid,
      cell: { id: 'm3', type: 'mysql', source: 'SELECT 1', connection: 'orders-db' },
    });
    expect(wrongType.json().error.code).toBe('cell.invalid_params');
  });

  it("Test compiles the processor's health check through the normal compile path", async () => {
    const res = await admin.request('POST', `/api/v1/connections/${dbId}/test`, { sid });
    expect(res.statusCode, res.body).toBe(200);
    const claims = await openCompiled(t, rt, res.json().envelope);
    expect(claims.program).toEqual({
      kind: 'processor',
      processor: 'postgres',
      connection: 'orders-db',
      params: { health: true },
    });
    expect(claims.credentials?.connection).toEqual({ id: dbId, name: 'orders-db' });
    expect(claims.sid).toBe(sid);
    const agentTry = await agent.request('POST', `/api/v1/connections/${dbId}/test`, { sid });
    expect(agentTry.statusCode).toBe(403);
  });

  it('the session timeline lists each run: who, status, runtime, duration, connections', async () => {
    const compiled = await agent.request('POST', `/api/v1/notebooks/${nb}/compile`, {
      sid,
      cell: { id: 't1', type: 'postgres', source: 'SELECT 2', connection: 'orders-db' },
    });
    const jti = compiled.json().jti as string;
    const receipt = await makeReceipt(rt, {
      jti,
      cell: 't1',
      sid,
      sub: agent.user.id,
      notebook: nb,
    });
    const posted = await agent.request('POST', '/api/v1/receipts', {
      receipt,
      outputs: SAMPLE_OUTPUTS,
    });
    expect(posted.statusCode, posted.body).toBe(200);
    const res = await viewer.request('GET', `/api/v1/sessions/${sid}/timeline`);
    expect(res.statusCode).toBe(200);
    const run = (res.json().runs as Record<string, unknown>[]).find((r) => r.jti === jti);
    expect(run).toEqual({
      jti,
      cell: 't1',
      processor: 'postgres',
      user: { id: agent.user.id, name: 'agent' },
      issuedAt: expect.any(String),
      status: 'ok',
      startedAt: '2026-11-25T10:00:00.000Z',
      endedAt: '2026-11-25T10:00:01.000Z',
      durationMs: 1000,
      runtime: { id: rt.id, name: 'local' },
      connections: ['orders-db'],
    });
    // secret names stay out of it (agents and viewers read timelines)
    expect(res.body).not.toContain('API_TOKEN');
    expect(res.body).not.toContain('DB_PASSWORD');
  });
});
