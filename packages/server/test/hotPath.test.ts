import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createNotebook,
  dbKinds,
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

/**
 * Issue 13: what one cell run costs the server in statements (round trips to the database).
 * A compile reads once, to authorize: the notebook with the authorization epoch — the cookie
 * session, chain, execution session and runtime come from caches that epoch confirms — and
 * writes once (the program and its audit entry in one statement). A receipt for a program this
 * server compiled reads nothing; a batch of receipts is written in one statement that confirms
 * the epoch the caches assumed.
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
    const { statements, transactions } = t.server.counters;
    const result = await fn();
    return {
      result,
      statements: t.server.counters.statements - statements,
      transactions: t.server.counters.transactions - transactions,
    };
  };
  const receiptFor = async (jti: string, cell: string) =>
    makeReceipt(rt, { jti, cell, sid, sub: admin.user.id, notebook: nb });
  const post = (receipt: string) =>
    admin.request('POST', '/api/v1/receipts', {
      receipt,
      outputs: SAMPLE_OUTPUTS,
    });

  it('compiles a cell with one read (authentication and authorization) and one write', async () => {
    await compile('warm-up');
    const { statements } = await counted(() => compile('c1'));
    expect(statements).toBe(2);
  });

  it('records a receipt with one write and no read, without a transaction', async () => {
    const first = await compile('r0'); // the first receipt also reads the runtime's key
    expect((await post(await receiptFor(first.jti, 'r0'))).statusCode).toBe(200);
    const { jti } = await compile('r1');
    const receipt = await receiptFor(jti, 'r1');
    const { result, statements, transactions } = await counted(() => post(receipt));
    expect(result.statusCode, result.body).toBe(200);
    // authorized from caches (this server compiled the program); one statement confirms the
    // epoch, marks the program, keeps the cell's run and appends the audit entry
    expect(statements).toBe(1);
    expect(transactions).toBe(0);
  });

  it('writes receipts that arrive together in one statement', async () => {
    const runs = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const { jti } = await compile(`b${i}`);
        return receiptFor(jti, `b${i}`);
      }),
    );
    const { result, statements, transactions } = await counted(() => Promise.all(runs.map(post)));
    expect(result.map((r) => r.statusCode)).toEqual(Array(10).fill(200));
    const seqs = result.map((r) => r.json().auditSeq as number);
    expect(new Set(seqs).size).toBe(10);
    expect(transactions).toBe(0);
    // no reads; the writes in as few statements as batches (at most two here)
    expect(statements).toBeLessThanOrEqual(2);
    expect(await t.server.services.audit.verify()).toMatchObject({ ok: true });
  });
});
