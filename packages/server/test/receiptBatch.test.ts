import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addMember,
  createNotebook,
  createWorkspace,
  defaultWorkspaceId,
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

  /**
   * A receipt for a program this server compiled is authorized from caches without a read; its
   * batch's statement confirms the epoch and the notebook's workspace, or it is checked again.
   */
  describe('receipts authorized from caches', () => {
    async function editorRun(cell: string) {
      const ws = await defaultWorkspaceId(admin);
      const editor = await addMember(t, 'editor', ws);
      const warm = await editor.request('POST', `/api/v1/notebooks/${nb}/compile`, {
        sid,
        cell: { id: `${cell}-warm`, type: 'python', source: 'x = 1' },
      });
      expect(warm.statusCode, warm.body).toBe(200);
      // its receipt reads the runtime's key under this epoch (cached from then on)
      const warmJti = warm.json().jti as string;
      const warmReceipt = await makeReceipt(rt, {
        jti: warmJti,
        cell: `${cell}-warm`,
        sid,
        sub: editor.user.id,
        notebook: nb,
      });
      const warmPosted = await editor.request('POST', '/api/v1/receipts', {
        receipt: warmReceipt,
        outputs: SAMPLE_OUTPUTS,
      });
      expect(warmPosted.statusCode, warmPosted.body).toBe(200);
      const res = await editor.request('POST', `/api/v1/notebooks/${nb}/compile`, {
        sid,
        cell: { id: cell, type: 'python', source: 'x = 1' },
      });
      expect(res.statusCode, res.body).toBe(200);
      const jti = res.json().jti as string;
      const receipt = await makeReceipt(rt, { jti, cell, sid, sub: editor.user.id, notebook: nb });
      const post = () =>
        editor.request('POST', '/api/v1/receipts', { receipt, outputs: SAMPLE_OUTPUTS });
      return { ws, editor, jti, post };
    }

    it('records a receipt in one statement, and answers its replay as a duplicate', async () => {
      const { jti, post } = await editorRun('k1');
      const { statements } = t.server.counters;
      const res = await post();
      expect(res.statusCode, res.body).toBe(200);
      expect(t.server.counters.statements - statements).toBe(1);
      expect(await auditedJtis()).toContain(jti);
      const again = await post();
      expect(again.statusCode).toBe(409);
      expect(again.json().error.code).toBe('receipt.duplicate');
    });

    it('refuses the receipt of a member removed after the compile, changing nothing', async () => {
      const { ws, editor, jti, post } = await editorRun('k2');
      const removed = await admin.request(
        'DELETE',
        `/api/v1/workspaces/${ws}/members/${editor.user.id}`,
      );
      expect(removed.statusCode).toBe(204);
      const res = await post();
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('receipt.unknown_program');
      expect(await auditedJtis()).not.toContain(jti);
      expect(await runOf('k2')).toBeNull();
      expect(await t.server.services.audit.verify()).toMatchObject({ ok: true });
    });

    it('refuses the receipt once the notebook moved by SQL to a workspace the poster cannot see', async () => {
      const { ws, jti, post } = await editorRun('k3');
      const other = await createWorkspace(t, 'elsewhere');
      // no server ran this: the authorization epoch does not move, the notebook's workspace does
      await db().execute(sql`update notebooks set workspace_id = ${other} where id = ${nb}`);
      try {
        const res = await post();
        expect(res.statusCode).toBe(404);
        expect(res.json().error.code).toBe('receipt.unknown_program');
        expect(await auditedJtis()).not.toContain(jti);
      } finally {
        await db().execute(sql`update notebooks set workspace_id = ${ws} where id = ${nb}`);
      }
    });
  });
});
