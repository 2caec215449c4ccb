import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createNotebook,
  dbKinds,
  defaultWorkspaceId,
  openSession,
  registerRuntime,
  signUpAdmin,
  startTestServer,
  type FakeRuntime,
  type TestClient,
  type TestServer,
} from './fixtures.js';
import {
  CANARY,
  canaryForms,
  createConnection,
  createSecret,
  dumpAllTables,
  openBundle,
  openCompiled,
} from './credentialFixtures.js';

/**
 * Issue 9 acceptance 1, server side: a canary secret stored through the API is in no API
 * response, no log line, no database row as text (spin_store values are ciphertext) and no
 * compiled program — only in the bundle sealed to the runtime.
 */
describe.each(dbKinds)('a canary secret never leaks from the server (%s)', (kind) => {
  let t: TestServer;
  let admin: TestClient;
  let ws: string;
  let rt: FakeRuntime;
  let nb: string;
  let sid: string;
  const bodies: string[] = [];

  /** Send a request and keep its answer for the leak check. */
  async function call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown) {
    const res = await admin.request(method, url, body);
    bodies.push(`${method} ${url} → ${res.statusCode}\n${res.body}`);
    return res;
  }

  beforeAll(async () => {
    t = await startTestServer(kind);
    admin = await signUpAdmin(t);
    ws = await defaultWorkspaceId(admin);
    rt = await registerRuntime(admin);
    nb = (await createNotebook(admin)).id;
    sid = (await openSession(admin, nb, rt.id)).sid;
  });
  afterAll(() => t.close());

  it('exercising every credential route shows the canary nowhere but in the sealed bundle', async () => {
    const secret = (
      await call('POST', `/api/v1/workspaces/${ws}/secrets`, {
        name: 'CANARY',
        ref: { storeType: 'spin_store' },
        value: CANARY,
      })
    ).json();
    const conn = (
      await call('POST', `/api/v1/workspaces/${ws}/connections`, {
        name: 'canary-db',
        processor: 'postgres',
        secrets: { password: CANARY },
      })
    ).json();
    await createConnection(admin, ws, {
      name: 'ref-db',
      processor: 'postgres',
      secrets: { password: '{{secret:CANARY}}' },
    });
    // refused writes carrying the canary: a taken name, a value too long for the field, a
    // value for a store that has none
    expect(
      (
        await call('POST', `/api/v1/workspaces/${ws}/secrets`, {
          name: 'CANARY',
          ref: { storeType: 'spin_store' },
          value: CANARY,
        })
      ).statusCode,
    ).toBe(409);
    expect(
      (
        await call('POST', `/api/v1/workspaces/${ws}/connections`, {
          name: 'canary-db',
          processor: 'postgres',
          secrets: { password: CANARY },
        })
      ).statusCode,
    ).toBe(409);
    expect(
      (
        await call('POST', `/api/v1/workspaces/${ws}/connections`, {
          name: 'long',
          processor: 'postgres',
          secrets: { password: CANARY.repeat(40) },
        })
      ).statusCode,
    ).toBe(400);
    expect(
      (
        await call('PATCH', `/api/v1/secrets/${secret.id}`, {
          ref: { storeType: 'runtime_env', env: 'X' },
          value: CANARY,
        })
      ).statusCode,
    ).toBe(400);
    await createSecret(admin, ws, {
      name: 'OTHER',
      ref: { storeType: 'spin_store' },
      value: CANARY,
    });

    await call('GET', `/api/v1/workspaces/${ws}/secrets`);
    await call('GET', `/api/v1/secrets/${secret.id}`);
    await call('GET', `/api/v1/workspaces/${ws}/connections`);
    await call('GET', `/api/v1/connections/${conn.id}`);
    await call('PATCH', `/api/v1/connections/${conn.id}`, { secrets: { password: CANARY } });
    await call('PATCH', `/api/v1/secrets/${secret.id}`, { value: CANARY });
    const compiled = await call('POST', `/api/v1/notebooks/${nb}/compile`, {
      sid,
      cell: { id: 'c9', type: 'shell', source: 'echo {{secret:CANARY}}' },
    });
    expect(compiled.statusCode, compiled.body).toBe(200);
    const tested = await call('POST', `/api/v1/connections/${conn.id}/test`, { sid });
    const bundle = await call('GET', `/api/v1/runtimes/${rt.id}/credentials`);
    await call('GET', `/api/v1/sessions/${sid}/timeline`);
    await call('GET', `/api/v1/audit?limit=1000`);
    await call('GET', `/api/v1/audit/export`);
    await call('GET', `/api/v1/notebooks/${nb}`);
    await call('GET', `/api/v1/notebooks/${nb}/export.ipynb`);
    await call('GET', '/api/v1/openapi.json');

    // the programs, decrypted as the runtime would, name the secret but hold no value
    const shell = await openCompiled(t, rt, compiled.json().envelope);
    expect(shell.credentials?.secrets).toEqual({ CANARY: secret.id });
    const health = await openCompiled(t, rt, tested.json().envelope);
    expect(health.credentials?.connection).toEqual({ id: conn.id, name: 'canary-db' });
    for (const res of [compiled, tested]) {
      const claims = await openCompiled(t, rt, res.json().envelope);
      for (const form of canaryForms()) expect(JSON.stringify(claims)).not.toContain(form);
    }
    // the sealed bundle is the one place the value travels, and only the runtime opens it
    const claims = await openBundle(t, rt, bundle.json().bundle);
    expect(claims.secrets.find((s) => s.name === 'CANARY')?.value).toBe(CANARY);

    const everything = bodies.join('\n');
    for (const form of canaryForms()) {
      expect(everything).not.toContain(form);
      expect(t.logs.join('')).not.toContain(form);
    }
  });

  it('a dump of every table as text holds the canary in no encoding; spin_store values are key-id-prefixed ciphertext', async () => {
    const dump = await dumpAllTables(t);
    for (const form of canaryForms()) expect(dump).not.toContain(form);
    const keyId = /"value_enc":"v1:([0-9a-f]{16}):/.exec(dump)?.[1];
    expect(keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(dump).toMatch(/"secrets_enc":"v1:[0-9a-f]{16}:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+"/);
  });
});
