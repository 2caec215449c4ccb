import { sql } from 'drizzle-orm';
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
 * Issue 13: a receipt batch is written in one statement that records every receipt or none —
 * it aborts unless every program still awaits its receipt. These prove a stale read is
 * refused: a receipt verified against a program row that another writer marked since is a
 * duplicate, changing nothing, while the rest of its batch is recorded and the chain verifies.
 */
describe.each(dbKinds)('receipt batches (%s)', (kind) => {
  let t: TestServer;
  let admin: TestClient;
  let rt: FakeRuntime;
  let nb: string;
  let sid: string;

  beforeAll(async () => {
    t = await startTestServer(kind);
    admin = await signUpAdmin(t);
    rt = await registerRuntime(admin);
    nb = (await createNotebook(admin, 'batches')).id;
    sid = (await openSession(admin, nb, rt.id)).sid;
  });
  afterAll(() => t.close());

  const db = () => t.server.services.database.db;
  const actor = () => ({
    kind: 'user' as const,
    userId: admin.user.id,
    email: admin.user.email,
    name: admin.user.name,
    orgRole: 'admin' as const,
  });

  async function compiled(cell: string) {
    const res = await admin.request('POST', `/api/v1/notebooks/${nb}/compile`, {
      sid,
      cell: { id: cell, type: 'python', source: 'x = 1' },
    });
    expect(res.statusCode, res.body).toBe(200);
    const jti = res.json().jti as string;
    // authorized as the route does, before anything else writes the program row
    const grant = await t.server.services.authorize(actor(), 'notebook.view', {
      type: 'program',
      jti,
    });
    const receipt = await makeReceipt(rt, { jti, cell, sid, sub: admin.user.id, notebook: nb });
    return { jti, grant, input: { receipt, outputs: SAMPLE_OUTPUTS } };
  }

  const auditedJtis = async () =>
    (
      (await db().execute(
        sql`select subject from audit_log where action = 'cell.executed'`,
      )) as unknown as { rows: { subject: string }[] }
    ).rows.map((r) => r.subject);
  const runOf = async (cell: string) =>
    (
      (await db().execute(
        sql`select jti from cell_runs where notebook_id = ${nb} and cell_id = ${cell}`,
      )) as unknown as { rows: { jti: string }[] }
    ).rows[0]?.jti ?? null;

  it('records a batch in one statement, without a transaction', async () => {
    const warmUp = await compiled('a0'); // the first receipt also reads the runtime's key
    await t.server.services.receipts.submit(warmUp.grant, warmUp.input);
    const runs = await Promise.all(['a1', 'a2', 'a3'].map(compiled));
    const { statements, transactions } = t.server.counters;
    const results = await Promise.all(
      runs.map((r) => t.server.services.receipts.submit(r.grant, r.input)),
    );
    expect(t.server.counters.statements - statements).toBe(1);
    expect(t.server.counters.transactions - transactions).toBe(0);
    expect(new Set(results.map((r) => r.auditSeq)).size).toBe(3);
    expect(await auditedJtis()).toEqual(expect.arrayContaining(runs.map((r) => r.jti)));
    expect(await runOf('a3')).toBe(runs[2]!.jti);
  });

  it('refuses a receipt whose program was marked after it was read; records the rest', async () => {
    const stale = await compiled('s1');
    const fresh = await compiled('s2');
    // another writer records s1's receipt after the authorizer read its row as pending
    await db().execute(
      sql`update programs set receipt_status = 'ok', receipt_at = now() where jti = ${stale.jti}`,
    );
    const [staleResult, freshResult] = await Promise.allSettled([
      t.server.services.receipts.submit(stale.grant, stale.input),
      t.server.services.receipts.submit(fresh.grant, fresh.input),
    ]);
    expect(staleResult.status).toBe('rejected');
    expect((staleResult as PromiseRejectedResult).reason).toMatchObject({
      code: 'receipt.duplicate',
    });
    expect(freshResult.status).toBe('fulfilled');
    const audited = await auditedJtis();
    expect(audited).toContain(fresh.jti);
    expect(audited).not.toContain(stale.jti);
    expect(await runOf('s1')).toBeNull();
    expect(await runOf('s2')).toBe(fresh.jti);
    expect(await t.server.services.audit.verify()).toMatchObject({ ok: true });
    // the next batch takes the one-statement path again
    const next = await compiled('s3');
    const { statements } = t.server.counters;
    await t.server.services.receipts.submit(next.grant, next.input);
    expect(t.server.counters.statements - statements).toBe(1);
  });
});
