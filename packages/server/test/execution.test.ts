import type { Output } from '@spin/protocol';
import {
  importKey,
  openProgram,
  verifyAccessToken,
  type Jwks,
  type ProgramClaims,
} from '@spin/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addMember,
  createNotebook,
  dbKinds,
  defaultWorkspaceId,
  fakeRuntime,
  makeReceipt,
  METRICS_TOKEN,
  openSession,
  registerRuntime,
  SAMPLE_OUTPUTS,
  signUpAdmin,
  startTestServer,
  type FakeRuntime,
  type TestClient,
  type TestServer,
} from './fixtures.js';

describe.each(dbKinds)('execution path (%s)', (kind) => {
  let t: TestServer;
  let admin: TestClient;
  let rt: FakeRuntime;
  let nb: { id: string };
  let sid: string;
  let jwks: Jwks;

  beforeAll(async () => {
    t = await startTestServer(kind);
    admin = await signUpAdmin(t);
    rt = await registerRuntime(admin);
    nb = await createNotebook(admin);
    sid = (await openSession(admin, nb.id, rt.id)).sid;
    jwks = (await t.server.app.inject({ url: '/.well-known/jwks.json' })).json();
  });
  afterAll(() => t.close());

  async function compile(client: TestClient, cell: object, session = sid, notebookId = nb.id) {
    return client.request('POST', `/api/v1/notebooks/${notebookId}/compile`, {
      sid: session,
      cell,
    });
  }

  async function open(envelope: string): Promise<ProgramClaims> {
    return openProgram(envelope, {
      decryptionKey: await importKey(rt.encryption.privateJwk, 'ECDH-ES+A256KW'),
      decryptionKid: rt.encryption.publicJwk.kid,
      serverJwks: jwks,
      audience: rt.id,
      claimJti: async () => true,
    });
  }

  async function compiledProgram(cellId = 'c1') {
    const res = await compile(admin, { id: cellId, type: 'python', source: 'print(1 + 1)' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    return { jti: body.jti as string, cell: cellId, sid, sub: admin.user.id, notebook: nb.id };
  }

  it('reuses the session of a notebook on a runtime', async () => {
    expect((await openSession(admin, nb.id, rt.id)).sid).toBe(sid);
    const unknown = await admin.request('POST', '/api/v1/sessions', {
      notebookId: nb.id,
      runtimeId: 'rt_nope',
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('runtime.unknown_runtime');
  });

  it('rejects a runtime whose fingerprint does not match its keys; re-registering is a 409 that changes nothing', async () => {
    const other = await fakeRuntime();
    const res = await admin.request('POST', '/api/v1/runtimes', {
      name: 'evil',
      url: 'http://127.0.0.1:9999',
      identity: {
        ...other.identity,
        keys: { ...other.identity.keys, signing: rt.signing.publicJwk },
      },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('request.invalid');
    expect(res.json().error.message).toContain('fingerprint');

    // a kid that is not the key's thumbprint is refused too
    const renamed = await admin.request('POST', '/api/v1/runtimes', {
      name: 'evil',
      url: 'http://127.0.0.1:9999',
      identity: {
        ...other.identity,
        keys: { ...other.identity.keys, signing: { ...other.signing.publicJwk, kid: 'mine' } },
      },
    });
    expect(renamed.statusCode).toBe(400);
    expect(renamed.json().error.message).toContain('thumbprint');

    const before = (await admin.request('GET', '/api/v1/runtimes')).json();
    const again = await admin.request('POST', '/api/v1/runtimes', {
      name: 'local',
      url: 'http://127.0.0.1:8899',
      identity: (await fakeRuntime(rt.id)).identity,
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('runtime.already_registered');
    expect((await admin.request('GET', '/api/v1/runtimes')).json()).toEqual(before);
    const entries = (await admin.request('GET', '/api/v1/audit?limit=1000')).json().entries;
    expect(
      entries.filter((e: { action: string }) => e.action === 'runtime.registered'),
    ).toHaveLength(1);
  });

  it('compiles a python cell into a program only the runtime can open', async () => {
    const res = await compile(admin, { id: 'c1', type: 'python', source: 'print(1 + 1)' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ cell: 'c1', runtimeId: rt.id });
    expect(body.envelope.split('.')).toHaveLength(5);
    expect(body.envelope).not.toContain('print');
    const claims = await open(body.envelope);
    expect(claims).toMatchObject({
      iss: t.server.config.publicUrl,
      aud: rt.id,
      sub: admin.user.id,
      sid,
      cell: 'c1',
      notebook: nb.id,
      jti: body.jti,
      program: { kind: 'kernel', kernel: 'python3', code: 'print(1 + 1)' },
      limits: { timeoutMs: 600_000, outputBytes: 10 * 1024 * 1024 },
    });
    expect(claims.exp - claims.iat).toBeLessThanOrEqual(300);
    expect(claims.exp).toBeGreaterThan(claims.iat);
  });

  it('compiles a shell cell into a shell processor call; markdown is unsupported', async () => {
    const shell = await compile(admin, { id: 'c2', type: 'shell', source: 'echo hi' });
    expect(shell.statusCode).toBe(200);
    const { program } = await open(shell.json().envelope);
    expect(program).toMatchObject({
      kind: 'processor',
      processor: 'shell',
      connection: null,
      params: { script: 'echo hi', env: {}, output: 'text' },
      resultVar: 'cell_c2',
    });
    // No time range given: the last hour, resolved to instants when compiled.
    const range = program.kind === 'processor' ? program.timeRange! : null;
    expect(Date.parse(range!.to) - Date.parse(range!.from)).toBe(3600_000);
    expect(Math.abs(Date.parse(range!.to) - Date.now())).toBeLessThan(60_000);
    const md = await compile(admin, { id: 'c3', type: 'markdown', source: '# x' });
    expect(md.statusCode).toBe(400);
    expect(md.json().error.code).toBe('compile.unsupported_cell');
  });

  it('rejects a session that belongs to another notebook', async () => {
    const other = await createNotebook(admin, 'Other');
    const res = await compile(admin, { id: 'c1', type: 'python', source: '1' }, sid, other.id);
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('session.not_found');
  });

  it('issues access tokens whose claims and perms follow the role', async () => {
    const ws = await defaultWorkspaceId(admin);
    // Participants run and watch; owner rights (interrupt, own) are the session owner's alone.
    const expected = {
      editor: ['view', 'execute'],
      agent: ['view', 'execute'],
      viewer: ['view'],
    } as const;
    for (const [role, perms] of Object.entries(expected)) {
      const member = await addMember(t, role as 'editor', ws);
      const res = await member.request('POST', `/api/v1/sessions/${sid}/token`);
      expect(res.statusCode, role).toBe(200);
      const body = res.json();
      expect(body.runtime.id).toBe(rt.id);
      const claims = await verifyAccessToken(body.token, {
        serverJwks: jwks,
        audience: rt.id,
        issuer: t.server.config.publicUrl,
      });
      expect(claims).toMatchObject({
        sub: member.user.id,
        sid,
        notebook: nb.id,
        role,
        ownerEpoch: 0,
      });
      expect(claims.perms).toEqual(perms);
      expect(claims.exp - claims.iat).toBe(600);
    }
    const owner = await admin.request('POST', `/api/v1/sessions/${sid}/token`);
    const claims = await verifyAccessToken(owner.json().token, {
      serverJwks: jwks,
      audience: rt.id,
    });
    expect(claims.role).toBe('owner');
    expect(claims.perms).toEqual(['view', 'execute', 'interrupt', 'own']);
  });

  it('accepts a receipt: one cell.executed audit entry, outputs and lastRun on the notebook', async () => {
    const program = await compiledProgram('c1');
    const receipt = await makeReceipt(rt, program);
    const res = await admin.request('POST', '/api/v1/receipts', {
      receipt,
      outputs: SAMPLE_OUTPUTS,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ auditSeq: expect.any(Number), status: 'ok' });

    const entries = (await admin.request('GET', '/api/v1/audit?limit=1000')).json().entries;
    const executed = entries.filter(
      (e: { action: string; data: { jti: string } }) =>
        e.action === 'cell.executed' && e.data.jti === program.jti,
    );
    expect(executed).toHaveLength(1);
    expect(executed[0].seq).toBe(res.json().auditSeq);
    expect(executed[0].data).toMatchObject({
      jti: program.jti,
      notebook: nb.id,
      cell: 'c1',
      sid,
      runtime: rt.id,
      status: 'ok',
      seqFirst: 1,
      seqLast: 4,
      receipt,
    });
    expect(executed[0].data.outputsSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(
      entries.some(
        (e: { action: string; subject: string }) =>
          e.action === 'program.compiled' && e.subject === program.jti,
      ),
    ).toBe(true);

    const notebook = (await admin.request('GET', `/api/v1/notebooks/${nb.id}`)).json();
    const cell = notebook.cells.find((c: { id: string }) => c.id === 'c1');
    expect(cell.outputs).toEqual(SAMPLE_OUTPUTS);
    expect(cell.lastRun).toEqual({
      jti: program.jti,
      status: 'ok',
      startedAt: '2026-11-25T10:00:00.000Z',
      endedAt: '2026-11-25T10:00:01.000Z',
      executionCount: 3,
      exitCode: null,
    });

    const dup = await admin.request('POST', '/api/v1/receipts', {
      receipt,
      outputs: SAMPLE_OUTPUTS,
    });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error.code).toBe('receipt.duplicate');

    // Saving the notebook keeps verified outputs of cells that still exist.
    const saved = await admin.request('PUT', `/api/v1/notebooks/${nb.id}`, {
      cells: [{ id: 'c1', type: 'python', source: 'print(2 + 2)' }],
    });
    expect(saved.statusCode).toBe(200);
    expect(saved.json().cells).toEqual([
      {
        id: 'c1',
        type: 'python',
        source: 'print(2 + 2)',
        outputs: SAMPLE_OUTPUTS,
        lastRun: cell.lastRun,
      },
    ]);
  });

  it('keeps the newest run when receipts arrive out of order', async () => {
    const older = await compiledProgram('c-order');
    const newer = await compiledProgram('c-order');
    const newOutputs: Output[] = [{ output_type: 'stream', name: 'stdout', text: 'new\n' }];
    const oldOutputs: Output[] = [{ output_type: 'stream', name: 'stdout', text: 'old\n' }];
    const newerReceipt = await makeReceipt(rt, newer, newOutputs, {
      startedAt: '2026-11-25T11:00:00.000Z',
      endedAt: '2026-11-25T11:00:01.000Z',
    });
    const olderReceipt = await makeReceipt(rt, older, oldOutputs, {
      startedAt: '2026-11-25T10:30:00.000Z',
      endedAt: '2026-11-25T10:30:01.000Z',
    });
    const save = await admin.request('PUT', `/api/v1/notebooks/${nb.id}`, {
      cells: [{ id: 'c-order', type: 'python', source: 'print("x")' }],
    });
    expect(save.statusCode).toBe(200);
    for (const [receipt, outputs] of [
      [newerReceipt, newOutputs],
      [olderReceipt, oldOutputs],
    ] as const) {
      const res = await admin.request('POST', '/api/v1/receipts', { receipt, outputs });
      expect(res.statusCode).toBe(200); // both runs are audited
    }
    const cell = (await admin.request('GET', `/api/v1/notebooks/${nb.id}`))
      .json()
      .cells.find((c: { id: string }) => c.id === 'c-order');
    expect(cell.outputs).toEqual(newOutputs);
    expect(cell.lastRun.jti).toBe(newer.jti);
  });

  it('tells which receipts of a session are still missing', async () => {
    const done = await compiledProgram('c-pending');
    const open = await compiledProgram('c-pending');
    const posted = await admin.request('POST', '/api/v1/receipts', {
      receipt: await makeReceipt(rt, done),
      outputs: SAMPLE_OUTPUTS,
    });
    expect(posted.statusCode).toBe(200);
    const other = await createNotebook(admin, 'Other');
    const otherSid = (await openSession(admin, other.id, rt.id)).sid;
    const res = await admin.request('POST', `/api/v1/sessions/${sid}/pending-receipts`, {
      jtis: [done.jti, open.jti, 'never-compiled'],
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ pending: [open.jti] });
    // a program of this session is not pending in another session
    const elsewhere = await admin.request('POST', `/api/v1/sessions/${otherSid}/pending-receipts`, {
      jtis: [open.jti],
    });
    expect(elsewhere.json()).toEqual({ pending: [] });
    const tooMany = await admin.request('POST', `/api/v1/sessions/${sid}/pending-receipts`, {
      jtis: Array.from({ length: 1001 }, (_, i) => `j${i}`),
    });
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().error.code).toBe('request.invalid');
  });

  it('rejects a receipt with an altered signature', async () => {
    const receipt = await makeReceipt(rt, await compiledProgram());
    const [h, p, s] = receipt.split('.');
    const flipped = `${h}.${p}.${s!.startsWith('A') ? 'B' : 'A'}${s!.slice(1)}`;
    const res = await admin.request('POST', '/api/v1/receipts', {
      receipt: flipped,
      outputs: SAMPLE_OUTPUTS,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('receipt.signature_invalid');
  });

  it('rejects a receipt signed by a key other than the registered runtime key', async () => {
    const impostor = { ...(await fakeRuntime(rt.id)) };
    const receipt = await makeReceipt(impostor, await compiledProgram());
    const res = await admin.request('POST', '/api/v1/receipts', {
      receipt,
      outputs: SAMPLE_OUTPUTS,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('receipt.signature_invalid');
  });

  it('rejects altered outputs', async () => {
    const receipt = await makeReceipt(rt, await compiledProgram());
    const altered = [{ output_type: 'stream', name: 'stdout', text: '3\n' }, SAMPLE_OUTPUTS[1]];
    const res = await admin.request('POST', '/api/v1/receipts', { receipt, outputs: altered });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('receipt.digest_mismatch');
  });

  it('rejects a receipt whose claims do not match the program', async () => {
    const program = await compiledProgram('c1');
    const receipt = await makeReceipt(rt, { ...program, cell: 'c2' });
    const res = await admin.request('POST', '/api/v1/receipts', {
      receipt,
      outputs: SAMPLE_OUTPUTS,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('receipt.mismatch');
  });

  it('rejects a receipt for a program the server never compiled', async () => {
    const program = { ...(await compiledProgram()), jti: crypto.randomUUID() };
    const receipt = await makeReceipt(rt, program);
    const res = await admin.request('POST', '/api/v1/receipts', {
      receipt,
      outputs: SAMPLE_OUTPUTS,
    });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('receipt.unknown_program');
    const garbage = await admin.request('POST', '/api/v1/receipts', {
      receipt: 'x.y.z',
      outputs: [],
    });
    expect(garbage.statusCode).toBe(400);
    expect(garbage.json().error.code).toBe('receipt.malformed');
  });

  it('counts compiles and receipts in /metrics', async () => {
    const text = (
      await t.server.app.inject({
        url: '/metrics',
        headers: { authorization: `Bearer ${METRICS_TOKEN}` },
      })
    ).body;
    expect(text).toMatch(/spin_compiles_total\{cell_type="python"\} [1-9]/);
    // one receipt in the acceptance test, two in the out-of-order test, one in the pending test
    expect(text).toMatch(/spin_receipts_total\{result="accepted"\} 4/);
    expect(text).toMatch(/spin_receipts_total\{result="receipt.digest_mismatch"\} 1/);
    expect(text).toMatch(
      /spin_http_requests_total\{method="POST",route="\/api\/v1\/receipts",status="200"\} 4/,
    );
  });
});
