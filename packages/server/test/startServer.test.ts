import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, SYSTEM_ACTOR, type StartedServer } from '../src/index.js';
import { createTestDatabase, type TestDatabase } from './testDatabase.js';
import { dbKinds, fakeRuntime, logIn, ADMIN, anon, type TestServer } from './fixtures.js';

describe.each(dbKinds)('startServer (%s)', (kind) => {
  let db: TestDatabase;
  let configDir: string;
  let server: StartedServer;
  beforeAll(async () => {
    db = await createTestDatabase(kind);
    configDir = await mkdtemp(join(tmpdir(), 'spin-start-config-'));
    server = await startServer({
      port: 0,
      dataDir: db.dataDir,
      databaseUrl: db.databaseUrl,
      masterKeyFile: join(configDir, 'master.key'),
      logLevel: 'silent',
    });
  });
  afterAll(async () => {
    await server.close();
    await db.drop();
    await rm(configDir, { recursive: true, force: true });
  });

  it('listens on loopback and answers over real HTTP', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    expect(server.masterKeyFile).toBe(join(configDir, 'master.key'));
  });

  it('lets the CLI register the local runtime in-process before any user exists; the first user owns it', async () => {
    expect(await server.services.auth.hasAnyUser()).toBe(false);
    const workspaceId = await server.services.notebooks.ensureDefaultWorkspace();
    expect(await server.services.notebooks.ensureDefaultWorkspace()).toBe(workspaceId);
    const rt = await fakeRuntime('rt_local');
    const registered = await server.services.runtimes.register(SYSTEM_ACTOR, {
      workspaceId,
      name: 'local',
      url: 'http://127.0.0.1:8888',
      identity: rt.identity,
    });
    expect(registered).toMatchObject({
      id: 'rt_local',
      workspaceId,
      fingerprint: rt.identity.fingerprint,
    });
    const entries = await server.services.audit.list({ all: true }, { after: 0, limit: 10 });
    expect(entries).toEqual([
      expect.objectContaining({
        action: 'runtime.registered',
        actor: 'system:system',
        subject: 'rt_local',
        workspaceId,
      }),
    ]);

    // the first user signs up into that workspace and sees the runtime
    const t = { server } as unknown as TestServer;
    expect((await anon(t, 'POST', '/api/v1/auth/signup', ADMIN)).statusCode).toBe(200);
    const admin = await logIn(t, ADMIN.email, ADMIN.password);
    const workspaces = (await admin.request('GET', '/api/v1/workspaces')).json();
    expect(workspaces).toHaveLength(1);
    expect(workspaces).toMatchObject([{ id: workspaceId, name: 'Default', role: 'owner' }]);
    const listed = (
      await admin.request('GET', `/api/v1/runtimes?workspaceId=${workspaceId}`)
    ).json();
    expect(listed.map((r: { id: string }) => r.id)).toEqual(['rt_local']);
  });
});
