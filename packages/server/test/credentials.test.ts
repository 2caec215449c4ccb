import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addMember,
  createWorkspace,
  dbKinds,
  defaultWorkspaceId,
  logIn,
  signUpAdmin,
  startTestServer,
  type TestClient,
  type TestServer,
} from './fixtures.js';
import { CANARY, createConnection, createSecret, rowOf } from './credentialFixtures.js';

/** Connections and secrets over the API (issue 9): CRUD, write-only reads, inheritance, RBAC. */
describe.each(dbKinds)('connections and secrets (%s)', (kind) => {
  let t: TestServer;
  let admin: TestClient;
  let ws: string;
  let child: string;
  let editor: TestClient;
  let agent: TestClient;
  let viewer: TestClient;

  beforeAll(async () => {
    t = await startTestServer(kind);
    admin = await signUpAdmin(t);
    ws = await defaultWorkspaceId(admin);
    const res = await admin.request('POST', '/api/v1/workspaces', {
      name: 'Payments',
      parentId: ws,
    });
    child = (res.json() as { id: string }).id;
    editor = await addMember(t, 'editor', ws);
    agent = await addMember(t, 'agent', ws);
    viewer = await addMember(t, 'viewer', ws);
  });
  afterAll(() => t.close());

  it('creates a connection validated by its manifest; write-only fields read back as { set: true }', async () => {
    const res = await createConnection(admin, ws, {
      name: 'orders-db',
      processor: 'postgres',
      config: { host: 'db.internal', database: 'orders' },
      secrets: { password: CANARY },
    });
    expect(res.statusCode).toBe(201);
    expect(res.body).not.toContain(CANARY);
    const created = res.json();
    // defaults of the manifest's configSchema are applied
    expect(created).toMatchObject({
      name: 'orders-db',
      processor: 'postgres',
      workspaceId: ws,
      config: { host: 'db.internal', database: 'orders', port: 5432, readOnly: true },
      secrets: { password: { set: true } },
      isDefault: false,
      version: 1,
    });
    const read = await editor.request('GET', `/api/v1/connections/${created.id}`);
    expect(read.statusCode).toBe(200);
    expect(read.json().secrets).toEqual({ password: { set: true } });
    expect(read.body).not.toContain(CANARY);
  });

  it('refuses an unknown processor, unknown or invalid fields, and a taken name — storing nothing', async () => {
    const unknown = await createConnection(admin, ws, { name: 'x1', processor: 'oracle' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('processor.not_found');
    expect(unknown.json().error.message).toContain('postgres');

    const badConfig = await createConnection(admin, ws, {
      name: 'x2',
      processor: 'postgres',
      config: { port: 'five' },
    });
    expect(badConfig.statusCode).toBe(400);
    expect(badConfig.json().error).toMatchObject({ code: 'request.invalid' });
    expect(badConfig.json().error.message).toContain('port');

    const extra = await createConnection(admin, ws, {
      name: 'x3',
      processor: 'postgres',
      config: { hots: 'typo' },
    });
    expect(extra.statusCode).toBe(400);

    const badSecret = await createConnection(admin, ws, {
      name: 'x4',
      processor: 'postgres',
      secrets: { apiKey: CANARY },
    });
    expect(badSecret.statusCode).toBe(400);
    expect(badSecret.json().error.message).toContain('apiKey');
    expect(badSecret.body).not.toContain(CANARY);

    const taken = await createConnection(admin, ws, { name: 'orders-db', processor: 'mysql' });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().error.code).toBe('connection.name_taken');

    const list = (await admin.request('GET', `/api/v1/workspaces/${ws}/connections`)).json();
    expect(list.map((c: { name: string }) => c.name)).toEqual(['orders-db']);
  });

  it('accepts a {{secret:NAME}} reference in a write-only field', async () => {
    const res = await createConnection(admin, ws, {
      name: 'metrics',
      processor: 'prometheus',
      config: { url: 'http://prom.internal:9090' },
      secrets: { token: '{{secret:PROM_TOKEN}}' },
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().secrets).toEqual({ token: { set: true } });
  });

  it('updates: given fields replace, null clears, others stay; version guards concurrent edits', async () => {
    const created = (
      await createConnection(admin, ws, {
        name: 'billing-db',
        processor: 'postgres',
        secrets: { password: 'first' },
      })
    ).json();
    const renamed = await admin.request('PATCH', `/api/v1/connections/${created.id}`, {
      name: 'billing',
      config: { host: 'billing.internal' },
      version: created.version,
    });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json()).toMatchObject({
      name: 'billing',
      config: { host: 'billing.internal' },
      secrets: { password: { set: true } },
      version: created.version + 1,
    });
    const stale = await admin.request('PATCH', `/api/v1/connections/${created.id}`, {
      config: { host: 'stale' },
      version: created.version,
    });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error.code).toBe('request.conflict');
    const cleared = await admin.request('PATCH', `/api/v1/connections/${created.id}`, {
      secrets: { password: null },
    });
    expect(cleared.json().secrets).toEqual({});
    expect(cleared.json().config.host).toBe('billing.internal');
  });

  it('keeps one default connection per type: setting a new default clears the old', async () => {
    const a = (
      await createConnection(admin, ws, { name: 'pg-a', processor: 'postgres', isDefault: true })
    ).json();
    const b = (
      await createConnection(admin, ws, { name: 'pg-b', processor: 'postgres', isDefault: true })
    ).json();
    const mysql = (
      await createConnection(admin, ws, { name: 'my-a', processor: 'mysql', isDefault: true })
    ).json();
    const list = (await admin.request('GET', `/api/v1/workspaces/${ws}/connections`)).json() as {
      id: string;
      isDefault: boolean;
    }[];
    const isDefault = (id: string) => list.find((c) => c.id === id)!.isDefault;
    expect([isDefault(a.id), isDefault(b.id), isDefault(mysql.id)]).toEqual([false, true, true]);
    await admin.request('PATCH', `/api/v1/connections/${a.id}`, { isDefault: true });
    const after = (await admin.request('GET', `/api/v1/workspaces/${ws}/connections`)).json() as {
      id: string;
      isDefault: boolean;
    }[];
    expect(
      after
        .filter((c) => c.isDefault)
        .map((c) => c.id)
        .sort(),
    ).toEqual([a.id, mysql.id].sort());
  });

  it('child workspaces inherit connections and secrets; a child can shadow a name', async () => {
    await createSecret(admin, ws, { name: 'SHARED', ref: { storeType: 'spin_store' }, value: 'p' });
    const own = await createConnection(admin, child, { name: 'orders-db', processor: 'mysql' });
    expect(own.statusCode).toBe(201);
    const list = (await admin.request('GET', `/api/v1/workspaces/${child}/connections`)).json() as {
      name: string;
      workspaceId: string;
      processor: string;
    }[];
    // nearest first: the child's own orders-db comes before the parent's
    const orders = list.filter((c) => c.name === 'orders-db');
    expect(orders.map((c) => [c.workspaceId, c.processor])).toEqual([
      [child, 'mysql'],
      [ws, 'postgres'],
    ]);
    const secrets = (await admin.request('GET', `/api/v1/workspaces/${child}/secrets`)).json();
    expect(secrets.map((s: { name: string }) => s.name)).toContain('SHARED');
    // the parent does not see the child's connections
    const parent = (await admin.request('GET', `/api/v1/workspaces/${ws}/connections`)).json();
    expect(parent.some((c: { workspaceId: string }) => c.workspaceId === child)).toBe(false);
  });

  it('secrets: spin_store values are write-only; runtime_env and vault hold only a reference', async () => {
    const stored = await createSecret(admin, ws, {
      name: 'DB_PASSWORD',
      description: 'orders',
      ref: { storeType: 'spin_store' },
      value: CANARY,
    });
    expect(stored.statusCode).toBe(201);
    expect(stored.body).not.toContain(CANARY);
    expect(stored.json()).toMatchObject({ name: 'DB_PASSWORD', value: { set: true }, version: 1 });
    const env = await createSecret(admin, ws, {
      name: 'API_TOKEN',
      ref: { storeType: 'runtime_env', env: 'OPS_API_TOKEN' },
    });
    expect(env.json()).toMatchObject({
      ref: { storeType: 'runtime_env', env: 'OPS_API_TOKEN' },
      value: { set: false },
    });
    const vault = await createSecret(admin, ws, {
      name: 'VAULT_PW',
      ref: { storeType: 'vault', vault: { path: 'ops/db', key: 'password' } },
    });
    expect(vault.json().ref).toEqual({
      storeType: 'vault',
      vault: { mount: 'secret', path: 'ops/db', key: 'password' },
    });
    const withValue = await createSecret(admin, ws, {
      name: 'ENV_WITH_VALUE',
      ref: { storeType: 'runtime_env', env: 'X' },
      value: CANARY,
    });
    expect(withValue.statusCode).toBe(400);
    expect(withValue.json().error.code).toBe('request.invalid');
    expect(withValue.body).not.toContain(CANARY);
    const dup = await createSecret(admin, ws, {
      name: 'DB_PASSWORD',
      ref: { storeType: 'spin_store' },
    });
    expect(dup.json().error.code).toBe('secret.name_taken');

    const id = stored.json().id as string;
    const updated = await admin.request('PATCH', `/api/v1/secrets/${id}`, { value: 'rotated' });
    expect(updated.json()).toMatchObject({ value: { set: true }, version: 2 });
    const moved = await admin.request('PATCH', `/api/v1/secrets/${id}`, {
      ref: { storeType: 'runtime_env', env: 'DB_PASSWORD' },
    });
    // moving a secret out of spin_store drops the stored value
    expect(moved.json()).toMatchObject({
      value: { set: false },
      ref: { storeType: 'runtime_env' },
    });
    expect(JSON.parse((await rowOf(t, 'secrets', id))!).value_enc).toBeNull();
    const gone = await admin.request('DELETE', `/api/v1/secrets/${id}`);
    expect(gone.json()).toEqual({ deleted: true });
    expect((await admin.request('GET', `/api/v1/secrets/${id}`)).json().error.code).toBe(
      'secret.not_found',
    );
  });

  it('agents and viewers see names and types only; every route showing config or secret names refuses them, rows unchanged', async () => {
    const con = (
      await createConnection(admin, ws, {
        name: 'agent-visible',
        processor: 'postgres',
        config: { host: 'private-host.internal' },
        secrets: { password: CANARY },
      })
    ).json();
    const sec = (
      await createSecret(admin, ws, {
        name: 'AGENT_HIDDEN',
        ref: { storeType: 'spin_store' },
        value: CANARY,
      })
    ).json();
    const before = [await rowOf(t, 'connections', con.id), await rowOf(t, 'secrets', sec.id)];
    for (const who of [agent, viewer]) {
      const list = await who.request('GET', `/api/v1/workspaces/${ws}/connections`);
      expect(list.statusCode).toBe(200);
      const mine = (list.json() as Record<string, unknown>[]).find((c) => c.id === con.id);
      expect(mine).toEqual({
        id: con.id,
        workspaceId: ws,
        name: 'agent-visible',
        processor: 'postgres',
        isDefault: false,
      });
      expect(list.body).not.toContain('private-host');
      expect(list.body).not.toContain('password');
      const refusals = [
        await who.request('GET', `/api/v1/connections/${con.id}`),
        await who.request('PATCH', `/api/v1/connections/${con.id}`, { config: { host: 'evil' } }),
        await who.request('DELETE', `/api/v1/connections/${con.id}`),
        await who.request('POST', `/api/v1/connections/${con.id}/test`, { sid: 'ses_x' }),
        await who.request('POST', `/api/v1/workspaces/${ws}/connections`, {
          name: 'evil',
          processor: 'postgres',
        }),
        await who.request('GET', `/api/v1/workspaces/${ws}/secrets`),
        await who.request('GET', `/api/v1/secrets/${sec.id}`),
        await who.request('PATCH', `/api/v1/secrets/${sec.id}`, { value: 'evil' }),
        await who.request('DELETE', `/api/v1/secrets/${sec.id}`),
        await who.request('POST', `/api/v1/workspaces/${ws}/secrets`, {
          name: 'EVIL',
          ref: { storeType: 'spin_store' },
        }),
      ];
      for (const r of refusals) {
        expect([r.statusCode, r.json().error.code]).toEqual([403, 'auth.permission_required']);
        expect(r.body).not.toContain('AGENT_HIDDEN');
        expect(r.body).not.toContain('private-host');
      }
    }
    // editors see config but may not change anything
    const editPatch = await editor.request('PATCH', `/api/v1/connections/${con.id}`, {
      name: 'renamed',
    });
    expect(editPatch.statusCode).toBe(403);
    expect([await rowOf(t, 'connections', con.id), await rowOf(t, 'secrets', sec.id)]).toEqual(
      before,
    );
    const names = (await admin.request('GET', `/api/v1/workspaces/${ws}/connections`)).json();
    expect(names.some((c: { name: string }) => c.name === 'evil')).toBe(false);
  });

  it('an agent API token lists names and types (filtered by processor) and is refused config', async () => {
    const minted = await agent.request('POST', '/api/v1/tokens', {
      name: 'oncall bot',
      kind: 'agent',
      workspaceId: ws,
      expiresInDays: 1,
    });
    expect(minted.statusCode, minted.body).toBe(201);
    const bearer = { authorization: `Bearer ${minted.json().secret as string}` };
    const list = await t.server.app.inject({
      url: `/api/v1/workspaces/${ws}/connections?processor=mysql`,
      headers: bearer,
    });
    expect(list.statusCode).toBe(200);
    const items = list.json() as { processor: string; name: string }[];
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((c) => c.processor === 'mysql')).toBe(true);
    expect(Object.keys(items[0]!).sort()).toEqual([
      'id',
      'isDefault',
      'name',
      'processor',
      'workspaceId',
    ]);
    const one = await t.server.app.inject({
      url: `/api/v1/connections/${(list.json() as { id: string }[])[0]!.id}`,
      headers: bearer,
    });
    expect([one.statusCode, one.json().error.code]).toEqual([403, 'auth.permission_required']);
    const secrets = await t.server.app.inject({
      url: `/api/v1/workspaces/${ws}/secrets`,
      headers: bearer,
    });
    expect(secrets.statusCode).toBe(403);
  });

  it('another workspace cannot see or touch them (404, row unchanged)', async () => {
    const other = await createWorkspace(t, 'Elsewhere');
    await t.server.services.auth.createUser({
      email: 'outsider@example.com',
      password: 'outsider password 123',
      name: 'Out',
      workspaceId: other,
      role: 'owner',
    });
    const outsider = await logIn(t, 'outsider@example.com', 'outsider password 123');
    const con = (
      await createConnection(admin, ws, { name: 'private-db', processor: 'postgres' })
    ).json();
    const sec = (
      await createSecret(admin, ws, {
        name: 'PRIVATE',
        ref: { storeType: 'spin_store' },
        value: 'v',
      })
    ).json();
    const before = [await rowOf(t, 'connections', con.id), await rowOf(t, 'secrets', sec.id)];
    const tries = [
      [await outsider.request('GET', `/api/v1/connections/${con.id}`), 'connection.not_found'],
      [
        await outsider.request('PATCH', `/api/v1/connections/${con.id}`, { name: 'mine' }),
        'connection.not_found',
      ],
      [await outsider.request('DELETE', `/api/v1/connections/${con.id}`), 'connection.not_found'],
      [
        await outsider.request('PATCH', `/api/v1/secrets/${sec.id}`, { value: 'x' }),
        'secret.not_found',
      ],
      [await outsider.request('DELETE', `/api/v1/secrets/${sec.id}`), 'secret.not_found'],
      [await outsider.request('GET', `/api/v1/workspaces/${ws}/connections`), 'request.not_found'],
      [
        await outsider.request('POST', `/api/v1/workspaces/${ws}/secrets`, {
          name: 'X',
          ref: { storeType: 'spin_store' },
        }),
        'request.not_found',
      ],
    ] as const;
    for (const [res, code] of tries) {
      expect([res.statusCode, res.json().error.code]).toEqual([404, code]);
    }
    expect([await rowOf(t, 'connections', con.id), await rowOf(t, 'secrets', sec.id)]).toEqual(
      before,
    );
  });

  it('an archived workspace is read-only: connections list, nothing is created', async () => {
    const res = await admin.request('POST', '/api/v1/workspaces', { name: 'Old', parentId: ws });
    const old = (res.json() as { id: string }).id;
    expect((await admin.request('POST', `/api/v1/workspaces/${old}/archive`)).statusCode).toBe(200);
    const refused = await createConnection(admin, old, { name: 'late-db', processor: 'postgres' });
    expect([refused.statusCode, refused.json().error.code]).toEqual([409, 'workspace.archived']);
    const listed = await admin.request('GET', `/api/v1/workspaces/${old}/connections`);
    expect(listed.statusCode).toBe(200);
    expect(listed.json().some((c: { name: string }) => c.name === 'late-db')).toBe(false);
  });

  it('documents every credential route in the OpenAPI document with an operationId', async () => {
    const doc = (await admin.request('GET', '/api/v1/openapi.json')).json() as {
      paths: Record<string, Record<string, { operationId?: string; summary?: string }>>;
    };
    const ops = Object.values(doc.paths).flatMap((p) => Object.values(p));
    const ids = ops.map((o) => o.operationId);
    for (const id of [
      'listConnections',
      'createConnection',
      'getConnection',
      'updateConnection',
      'deleteConnection',
      'testConnection',
      'listSecrets',
      'createSecret',
      'getSecret',
      'updateSecret',
      'deleteSecret',
      'getCredentialBundle',
      'getSessionTimeline',
    ]) {
      expect(ids).toContain(id);
      expect(ops.find((o) => o.operationId === id)?.summary).toBeTruthy();
    }
  });

  it('audits every change by name, never by value', async () => {
    const res = await admin.request('GET', `/api/v1/audit?workspaceId=${ws}&limit=1000`);
    expect(res.statusCode).toBe(200);
    const actions = (res.json().entries as { action: string }[]).map((e) => e.action);
    for (const a of [
      'connection.created',
      'connection.updated',
      'secret.created',
      'secret.updated',
      'secret.deleted',
    ]) {
      expect(actions).toContain(a);
    }
    expect(res.body).not.toContain(CANARY);
  });
});
