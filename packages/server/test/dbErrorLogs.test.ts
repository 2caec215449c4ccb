import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dbKinds,
  signUpAdmin,
  startTestServer,
  type TestClient,
  type TestServer,
} from './fixtures.js';

/** Issue 5 finding 5: database errors are logged without their SQL parameters. */
describe.each(dbKinds)('database error logs (%s)', (kind) => {
  let t: TestServer;
  let admin: TestClient;
  beforeAll(async () => {
    t = await startTestServer(kind);
    admin = await signUpAdmin(t);
    // a failure only this request's values trigger (SQLSTATE 23514, not mapped to a 4xx)
    await t.server.services.database.db.execute(
      sql.raw(
        `alter table notebooks add constraint spin_test_refuse check (title <> 'refused-title-7c1e')`,
      ),
    );
  });
  afterAll(() => t.close());

  it('logs the failed SQL and the database error, never the values', async () => {
    const secretSource = 'print("SECRET-CELL-SOURCE-4f2a")';
    const logsBefore = t.logs.length;
    const res = await admin.request('POST', '/api/v1/notebooks', {
      title: 'refused-title-7c1e',
      cells: [{ id: 'c1', type: 'python', source: secretSource }],
    });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: { code: 'internal.error', message: 'Internal error' } });
    expect(res.body).not.toContain('SECRET');

    const logs = t.logs.slice(logsBefore).join('');
    const line = logs.split('\n').find((l) => l.includes('unhandled error'));
    expect(line).toBeDefined();
    const entry = JSON.parse(line!);
    expect(entry.err).toMatchObject({
      code: '23514',
      message: expect.stringMatching(/^Failed query: insert into "notebooks"/),
      cause: { code: '23514', constraint: 'spin_test_refuse' },
    });
    expect(entry.err.paramCount).toBeGreaterThan(0);
    expect(logs).not.toContain('SECRET-CELL-SOURCE-4f2a');
    expect(logs).not.toContain('refused-title-7c1e');
    expect(logs).not.toContain('params:');
  });
});
