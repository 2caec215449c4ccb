import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, SYSTEM_ACTOR, type StartedServer } from '../src/index.js';
import { createTestDatabase, type TestDatabase } from './testDatabase.js';
import { dbKinds, fakeRuntime } from './fixtures.js';

describe.each(dbKinds)('startServer (%s)', (kind) => {
  let db: TestDatabase;
  let server: StartedServer;
  beforeAll(async () => {
    db = await createTestDatabase(kind);
    server = await startServer({
      port: 0,
      dataDir: db.dataDir,
      databaseUrl: db.databaseUrl,
      logLevel: 'silent',
    });
  });
  afterAll(async () => {
    await server.close();
    await db.drop();
  });

  it('listens on loopback and answers over real HTTP', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('lets the CLI register the local runtime in-process before any user exists', async () => {
    expect(await server.services.auth.hasAnyUser()).toBe(false);
    const rt = await fakeRuntime('rt_local');
    const registered = await server.services.runtimes.register(
      { name: 'local', url: 'http://127.0.0.1:8888', identity: rt.identity },
      SYSTEM_ACTOR,
    );
    expect(registered).toMatchObject({ id: 'rt_local', fingerprint: rt.identity.fingerprint });
    const { entries } = { entries: await server.services.audit.list({ after: 0, limit: 10 }) };
    expect(entries).toEqual([
      expect.objectContaining({
        action: 'runtime.registered',
        actor: 'system:system',
        subject: 'rt_local',
      }),
    ]);
  });
});
