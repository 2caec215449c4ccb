import { MAX_OUTPUT_DEPTH, type Output, type ReceiptClaims } from '@spin/protocol';
import { sql } from 'drizzle-orm';
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

/** `depth` nested one-element arrays around `leaf`. */
function nested(depth: number, leaf: unknown = 'x'): unknown {
  let v: unknown = leaf;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

/**
 * Issue 5 finding 3 and 5: every run that executed is audited whatever its output holds; deep
 * nesting is refused before any recursive work; a replay is cheap; a receipt must name its
 * program's own sid, sub, notebook and cell, and a refused one changes nothing.
 */
describe.each(dbKinds)('receipts (%s)', (kind) => {
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

  async function compiled(cell = 'c1') {
    const res = await admin.request('POST', `/api/v1/notebooks/${nb}/compile`, {
      sid,
      cell: { id: cell, type: 'python', source: 'print("done")' },
    });
    expect(res.statusCode).toBe(200);
    return { jti: res.json().jti as string, cell, sid, sub: admin.user.id, notebook: nb };
  }

  /** What a refused receipt must leave alone. */
  async function snapshot(jti: string) {
    const notebook = (await admin.request('GET', `/api/v1/notebooks/${nb}`)).json();
    const audit = (await admin.request('GET', '/api/v1/audit?limit=1000')).json().entries;
    const { rows } = (await t.server.services.database.db.execute(
      sql`select receipt_status, receipt_at from programs where jti = ${jti}`,
    )) as unknown as { rows: unknown[] };
    return { cells: notebook.cells, audit, program: rows };
  }

  it('audits a run whose outputs hold NUL bytes and unpaired surrogates, storing them exactly', async () => {
    const program = await compiled('c1');
    const outputs: Output[] = [
      { output_type: 'stream', name: 'stdout', text: 'done\u0000\n' },
      { output_type: 'stream', name: 'stderr', text: 'lone \ud800 and \udfff\n' },
      {
        output_type: 'display_data',
        data: { 'text/plain': 'a\u0000b', 'application/json': { 'k\u0000': ['\ud83d'] } },
        metadata: { 'x\u0000': 1 },
      },
      {
        output_type: 'error',
        ename: 'E\u0000',
        evalue: '\udc00',
        traceback: ['line\u0000 1'],
      },
    ];
    const receipt = await makeReceipt(rt, program, outputs);
    const res = await admin.request('POST', '/api/v1/receipts', { receipt, outputs });
    expect(res.statusCode).toBe(200);

    const cell = (await admin.request('GET', `/api/v1/notebooks/${nb}`))
      .json()
      .cells.find((c: { id: string }) => c.id === 'c1');
    expect(cell.outputs).toEqual(outputs);
    expect(cell.lastRun.jti).toBe(program.jti);
    const audit = (await admin.request('GET', '/api/v1/audit?limit=1000')).json().entries;
    expect(
      audit.filter(
        (e: { action: string; subject: string }) =>
          e.action === 'cell.executed' && e.subject === program.jti,
      ),
    ).toHaveLength(1);
    expect((await admin.request('GET', '/api/v1/audit/verify')).json()).toMatchObject({
      ok: true,
    });
  });

  it('accepts outputs as deep as runtimes may make them', async () => {
    const program = await compiled('c-deep-ok');
    // output object (1) → data (2) → the MIME value's arrays
    const outputs: Output[] = [
      {
        output_type: 'display_data',
        data: { 'application/json': nested(MAX_OUTPUT_DEPTH - 2) },
        metadata: {},
      },
    ];
    const res = await admin.request('POST', '/api/v1/receipts', {
      receipt: await makeReceipt(rt, program, outputs),
      outputs,
    });
    expect(res.statusCode).toBe(200);
  });

  it('refuses 10,000-deep outputs with request.too_deep before any recursive work', async () => {
    const program = await compiled('c-deep');
    const before = await snapshot(program.jti);
    const leaf = '['.repeat(10_000) + ']'.repeat(10_000);
    // the receipt cannot even be signed over such outputs here (canonical JSON would overflow);
    // the body is refused by its depth alone, so any receipt string will do
    const payload =
      `{"receipt":${JSON.stringify(await makeReceipt(rt, program))},"outputs":[` +
      `{"output_type":"display_data","metadata":{},"data":{"application/json":${leaf}}}]}`;
    const res = await t.server.app.inject({
      method: 'POST',
      url: '/api/v1/receipts',
      cookies: { spin_session: admin.cookie },
      headers: { 'x-csrf-token': admin.csrf, 'content-type': 'application/json' },
      payload,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('request.too_deep');
    expect(await snapshot(program.jti)).toEqual(before);
  });

  it('answers a replayed receipt as a duplicate before checking its digest', async () => {
    const program = await compiled('c-replay');
    const receipt = await makeReceipt(rt, program);
    expect(
      (await admin.request('POST', '/api/v1/receipts', { receipt, outputs: SAMPLE_OUTPUTS }))
        .statusCode,
    ).toBe(200);
    const before = await snapshot(program.jti);
    // outputs that do not match the digest: a digest-first server would say digest_mismatch
    const replay = await admin.request('POST', '/api/v1/receipts', {
      receipt,
      outputs: [{ output_type: 'stream', name: 'stdout', text: 'other\n' }],
    });
    expect(replay.statusCode).toBe(409);
    expect(replay.json().error.code).toBe('receipt.duplicate');
    expect(await snapshot(program.jti)).toEqual(before);
  });

  const fields: [keyof ReceiptClaims, (c: { other: string }) => string][] = [
    ['sid', () => 'ses_someoneelse'],
    ['sub', (c) => c.other],
    ['notebook', () => 'nb_someotherbook'],
    ['cell', () => 'c-other'],
    ['iss', () => 'rt_otherruntime'],
  ];
  it.each(fields)(
    'refuses a receipt naming another %s than its program, changing nothing',
    async (field, value) => {
      const viewer = await addMember(t, 'viewer', await defaultWorkspaceId(admin));
      const program = await compiled('c-mismatch');
      // the cell has a verified run already: a refused receipt must not replace it
      const first = await compiled('c-mismatch');
      await admin.request('POST', '/api/v1/receipts', {
        receipt: await makeReceipt(rt, first),
        outputs: SAMPLE_OUTPUTS,
      });
      const before = await snapshot(program.jti);
      const outputs: Output[] = [{ output_type: 'stream', name: 'stdout', text: 'forged\n' }];
      const receipt = await makeReceipt(rt, program, outputs, {
        [field]: value({ other: viewer.user.id }),
        startedAt: '2027-01-01T00:00:00.000Z',
        endedAt: '2027-01-01T00:00:01.000Z',
      });
      const res = await admin.request('POST', '/api/v1/receipts', { receipt, outputs });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('receipt.mismatch');
      expect(res.json().error.message).toContain(field);
      expect(await snapshot(program.jti)).toEqual(before);
    },
  );
});
