import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createNotebook,
  dbKinds,
  makeReceipt,
  openSession,
  registerRuntime,
  signUpAdmin,
  startTestServer,
  type FakeRuntime,
  type TestClient,
  type TestServer,
} from './fixtures.js';

/**
 * Issue 13: what one cell run costs the server in statements (round trips to the database).
 * A compile reads once to authenticate (the cookie session), once to authorize (the notebook
 * with the authorization epoch; chain, session and runtime come from the epoch-checked cache)
 * and writes once (the program and its audit entry in one statement).
 */
describe.each(dbKinds)('hot path statements (%s)', (kind) => {
  let t: TestServer;
  let admin: TestClient;
  let rt: FakeRuntime;
  let nb: string;
  let sid: string;

  beforeAll(async () => {
    t = await startTestServer(kind);
    admin = await signUpAdmin(t);
    rt = await registerRuntime(admin);
    nb = (await createNotebook(admin)).id;
    sid = (await openSession(admin, nb, rt.id)).sid;
  });
  afterAll(() => t.close());

  const compile = async (cell: string) => {
    const res = await admin.request('POST', `/api/v1/notebooks/${nb}/compile`, {
      sid,
      cell: { id: cell, type: 'python', source: 'x = 6 * 7' },
    });
    expect(res.statusCode).toBe(200);
    return res.json() as { jti: string };
  };
  const counted = async <T>(fn: () => Promise<T>) => {
    const before = t.server.counters.statements;
    const result = await fn();
    return { result, statements: t.server.counters.statements - before };
  };

  it('compiles a cell with one read to authenticate, one to authorize and one write', async () => {
    await compile('warm-up');
    const { statements } = await counted(() => compile('c1'));
    expect(statements).toBe(3);
  });
});
