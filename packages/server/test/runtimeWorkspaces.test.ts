import {
  importKey,
  openProgram,
  verifyPairingGrant,
  jwksThumbprint,
  type Jwks,
  type AuditEntry,
} from '@spin/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workspacesRepository } from '../src/repositories/workspacesRepository.js';
import {
  addMember,
  createNotebook,
  createWorkspace,
  dbKinds,
  defaultWorkspaceId,
  fakeRuntime,
  openSession,
  registerRuntime,
  runtimeRow,
  signUpAdmin,
  startTestServer,
  type FakeRuntime,
  type TestClient,
  type TestServer,
} from './fixtures.js';

/**
 * Issue 5 finding 2 / acceptance 2: runtimes belong to a workspace, registering is once per id,
 * re-keying and re-pointing are explicit re-pairs by an owner of that workspace, org-level
 * actions need an org role, and the audit log is scoped.
 */
describe.each(dbKinds)('runtimes belong to a workspace (%s)', (kind) => {
  let t: TestServer;
  let admin: TestClient;
  let ws1: string;
  let ws2: string;
  let owner2: TestClient;
  let rt: FakeRuntime;
  let nb: string;
  let sid: string;
  let jwks: Jwks;

  beforeAll(async () => {
    t = await startTestServer(kind);
    admin = await signUpAdmin(t);
    ws1 = await defaultWorkspaceId(admin);
    rt = await registerRuntime(admin);
    nb = (await createNotebook(admin)).id;
    sid = (await openSession(admin, nb, rt.id)).sid;
    ws2 = await createWorkspace(t, 'Second');
    owner2 = await addMember(t, 'owner', ws2);
    jwks = (await t.server.app.inject({ url: '/.well-known/jwks.json' })).json();
  });
  afterAll(() => t.close());

  async function compileAsAdmin() {
    const res = await admin.request('POST', `/api/v1/notebooks/${nb}/compile`, {
      sid,
      cell: { id: 'c1', type: 'python', source: 'print("admin")' },
    });
    expect(res.statusCode).toBe(200);
    return res.json() as { envelope: string; jti: string };
  }

  function openWith(runtime: FakeRuntime, envelope: string) {
    return importKey(runtime.encryption.privateJwk, 'ECDH-ES+A256KW').then((decryptionKey) =>
      openProgram(envelope, {
        decryptionKey,
        decryptionKid: runtime.encryption.publicJwk.kid,
        serverJwks: jwks,
        audience: runtime.id,
        claimJti: async () => true,
      }),
    );
  }

  it('registers the runtime in the admin workspace and lists it only to its members', async () => {
    const listed = (await admin.request('GET', '/api/v1/runtimes')).json();
    expect(listed).toEqual([expect.objectContaining({ id: rt.id, workspaceId: ws1 })]);
    expect((await owner2.request('GET', '/api/v1/runtimes')).json()).toEqual([]);
    const foreign = await owner2.request('GET', `/api/v1/runtimes?workspaceId=${ws1}`);
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json().error.code).toBe('request.not_found');
  });

  it('the owner of a second workspace cannot register, re-key or re-point the first one’s runtime', async () => {
    const before = await runtimeRow(t, rt.id);
    const attacker = await fakeRuntime(rt.id);

    // register the same id with attacker keys, into their own workspace
    const register = await owner2.request('POST', '/api/v1/runtimes', {
      name: 'evil',
      url: 'http://127.0.0.1:6666',
      workspaceId: ws2,
      identity: attacker.identity,
    });
    expect(register.statusCode).toBe(409);
    expect(register.json().error.code).toBe('runtime.already_registered');

    // register anything into the first workspace
    const intoFirst = await owner2.request('POST', '/api/v1/runtimes', {
      name: 'evil',
      url: 'http://127.0.0.1:6666',
      workspaceId: ws1,
      identity: (await fakeRuntime()).identity,
    });
    expect(intoFirst.statusCode).toBe(404);
    expect(intoFirst.json().error.code).toBe('request.not_found');

    // re-key (stating the right old fingerprint), re-point, or ask for a pairing grant
    const rekey = await owner2.request('POST', `/api/v1/runtimes/${rt.id}/repair`, {
      expectedFingerprint: rt.identity.fingerprint,
      identity: attacker.identity,
    });
    const repoint = await owner2.request('POST', `/api/v1/runtimes/${rt.id}/repair`, {
      expectedFingerprint: rt.identity.fingerprint,
      identity: rt.identity,
      url: 'http://127.0.0.1:6666',
    });
    const grant = await owner2.request('POST', `/api/v1/runtimes/${rt.id}/pair-grant`, {
      allowedOrigins: ['http://evil.test'],
    });
    for (const res of [rekey, repoint, grant]) {
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('runtime.unknown_runtime');
    }

    // nor run their notebooks on it
    const theirs = await createNotebook(owner2, 'Theirs', ws2);
    const session = await owner2.request('POST', '/api/v1/sessions', {
      notebookId: theirs.id,
      runtimeId: rt.id,
    });
    expect(session.statusCode).toBe(404);
    expect(session.json().error.code).toBe('runtime.unknown_runtime');

    expect(await runtimeRow(t, rt.id)).toEqual(before);
    const entries = (await admin.request('GET', '/api/v1/audit?limit=1000')).json()
      .entries as AuditEntry[];
    expect(entries.filter((e) => e.subject === rt.id).map((e) => e.action)).toEqual([
      'runtime.registered',
    ]);

    // the admin's next program is still sealed to the real runtime, not to the attacker
    const compiled = await compileAsAdmin();
    const claims = await openWith(rt, compiled.envelope);
    expect(claims).toMatchObject({ aud: rt.id, jti: compiled.jti, sub: admin.user.id });
    expect(claims.program).toMatchObject({ code: 'print("admin")' });
    await expect(openWith(attacker, compiled.envelope)).rejects.toMatchObject({
      code: expect.stringMatching(/^envelope\./),
    });
  });

  it('audit entries are read by the owners of their workspace; org-level ones by admins only', async () => {
    const mine = await createNotebook(owner2, 'Owner two', ws2);
    const read = await owner2.request('GET', '/api/v1/audit?limit=1000');
    expect(read.statusCode).toBe(200);
    const entries = read.json().entries as AuditEntry[];
    expect(entries.length).toBeGreaterThan(0);
    expect(entries.every((e) => e.workspaceId === ws2)).toBe(true);
    expect(entries.some((e) => e.action === 'notebook.created' && e.subject === mine.id)).toBe(
      true,
    );
    expect(entries.some((e) => e.subject === rt.id || e.data.notebook === nb)).toBe(false);

    const all = (await admin.request('GET', '/api/v1/audit?limit=1000')).json()
      .entries as AuditEntry[];
    expect(all.find((e) => e.action === 'user.signup')?.workspaceId).toBeNull();
    expect(all.find((e) => e.action === 'runtime.registered')?.workspaceId).toBe(ws1);
    expect(all.find((e) => e.action === 'program.compiled')?.workspaceId).toBe(ws1);
    expect(all.filter((e) => e.workspaceId === ws1).length).toBeGreaterThan(0);

    // an editor of the first workspace reads no audit; nobody but an admin verifies the chain
    const editor = await addMember(t, 'editor', ws1);
    const refused = await editor.request('GET', '/api/v1/audit');
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('auth.permission_required');
    const verify = await owner2.request('GET', '/api/v1/audit/verify');
    expect(verify.statusCode).toBe(403);
    expect(verify.json().error.code).toBe('auth.permission_required');
    expect((await admin.request('GET', '/api/v1/audit/verify')).json()).toMatchObject({
      ok: true,
    });
  });

  it('an owner of the runtime’s workspace re-pairs it, naming the fingerprint it replaces', async () => {
    const other = await registerRuntime(admin);
    const owner1 = await addMember(t, 'owner', ws1);
    const editor1 = await addMember(t, 'editor', ws1);
    const rekeyed = await fakeRuntime(other.id);
    const before = await runtimeRow(t, other.id);
    const body = {
      expectedFingerprint: other.identity.fingerprint,
      identity: rekeyed.identity,
      url: 'http://127.0.0.1:9000',
    };

    const asEditor = await editor1.request('POST', `/api/v1/runtimes/${other.id}/repair`, body);
    expect(asEditor.statusCode).toBe(403);
    expect(asEditor.json().error.code).toBe('auth.permission_required');

    const stale = await owner1.request('POST', `/api/v1/runtimes/${other.id}/repair`, {
      ...body,
      expectedFingerprint: rekeyed.identity.fingerprint,
    });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error.code).toBe('runtime.fingerprint_mismatch');
    expect(stale.json().error.details).toEqual({ currentFingerprint: other.identity.fingerprint });

    const wrongId = await owner1.request('POST', `/api/v1/runtimes/${other.id}/repair`, {
      ...body,
      identity: (await fakeRuntime()).identity,
    });
    expect(wrongId.statusCode).toBe(400);
    expect(await runtimeRow(t, other.id)).toEqual(before);

    const ok = await owner1.request('POST', `/api/v1/runtimes/${other.id}/repair`, body);
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({
      previousFingerprint: other.identity.fingerprint,
      previousUrl: 'http://127.0.0.1:8888',
      runtime: {
        id: other.id,
        workspaceId: ws1,
        url: 'http://127.0.0.1:9000',
        fingerprint: rekeyed.identity.fingerprint,
      },
    });
    const entries = (await owner1.request('GET', '/api/v1/audit?limit=1000')).json()
      .entries as AuditEntry[];
    const repaired = entries.filter((e) => e.action === 'runtime.repaired');
    expect(repaired).toHaveLength(1);
    expect(repaired[0]).toMatchObject({
      actor: owner1.user.id,
      subject: other.id,
      workspaceId: ws1,
      data: {
        oldFingerprint: other.identity.fingerprint,
        newFingerprint: rekeyed.identity.fingerprint,
        oldUrl: 'http://127.0.0.1:8888',
        newUrl: 'http://127.0.0.1:9000',
      },
    });

    // a second re-pair that still names the old fingerprint is refused
    const again = await owner1.request('POST', `/api/v1/runtimes/${other.id}/repair`, body);
    expect(again.statusCode).toBe(409);

    // programs now go to the new keys
    const nb2 = (await createNotebook(admin, 'On the re-keyed runtime')).id;
    const sid2 = (await openSession(admin, nb2, other.id)).sid;
    const compiled = await admin.request('POST', `/api/v1/notebooks/${nb2}/compile`, {
      sid: sid2,
      cell: { id: 'c1', type: 'python', source: '1' },
    });
    expect((await openWith(rekeyed, compiled.json().envelope)).aud).toBe(other.id);
    await expect(openWith(other, compiled.json().envelope)).rejects.toBeTruthy();
  });

  it('mints pairing grants for owners of the runtime’s workspace, signed by the server key', async () => {
    const owner1 = await addMember(t, 'owner', ws1);
    const res = await owner1.request('POST', `/api/v1/runtimes/${rt.id}/pair-grant`, {
      allowedOrigins: ['http://ui.example.test:8080/some/path'],
    });
    expect(res.statusCode).toBe(200);
    const { grant, expiresAt } = res.json();
    const claims = await verifyPairingGrant(grant, { pairedJwks: jwks, runtimeId: rt.id });
    expect(claims).toMatchObject({
      iss: t.server.config.publicUrl,
      aud: rt.id,
      sub: owner1.user.id,
      purpose: 'runtime.pair',
      server: { issuer: t.server.config.publicUrl, jwks: await jwksThumbprint(jwks) },
      origins: ['http://ui.example.test:8080'],
    });
    expect(claims.exp - claims.iat).toBeLessThanOrEqual(300);
    expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now());
    await expect(
      verifyPairingGrant(grant, { pairedJwks: jwks, runtimeId: 'rt_other' }),
    ).rejects.toMatchObject({ code: 'runtime.pairing_grant_invalid' });

    const viewer = await addMember(t, 'viewer', ws1);
    const refused = await viewer.request('POST', `/api/v1/runtimes/${rt.id}/pair-grant`, {});
    expect(refused.statusCode).toBe(403);

    const entries = (await admin.request('GET', '/api/v1/audit?limit=1000')).json()
      .entries as AuditEntry[];
    expect(
      entries.filter((e) => e.action === 'runtime.pair_grant_issued' && e.subject === rt.id),
    ).toEqual([
      expect.objectContaining({
        actor: owner1.user.id,
        workspaceId: ws1,
        data: expect.objectContaining({ jti: claims.jti, origins: claims.origins }),
      }),
    ]);
  });

  it('a role counts only in its own workspace: owner of one, viewer of another', async () => {
    // the finding: "the caller's strongest role in any workspace" decided org-level actions
    const mixed = await addMember(t, 'owner', ws2);
    await workspacesRepository.setMember(
      t.server.services.database.db,
      ws1,
      mixed.user.id,
      'viewer',
    );

    const listed = (await mixed.request('GET', '/api/v1/runtimes')).json();
    expect(listed.map((r: { id: string }) => r.id)).toContain(rt.id);
    const before = await runtimeRow(t, rt.id);
    const rekey = await mixed.request('POST', `/api/v1/runtimes/${rt.id}/repair`, {
      expectedFingerprint: rt.identity.fingerprint,
      identity: (await fakeRuntime(rt.id)).identity,
    });
    expect(rekey.statusCode).toBe(403);
    expect(rekey.json().error.code).toBe('auth.permission_required');
    expect(await runtimeRow(t, rt.id)).toEqual(before);
    const audit = (await mixed.request('GET', '/api/v1/audit?limit=1000')).json()
      .entries as AuditEntry[];
    expect(audit.every((e) => e.workspaceId === ws2)).toBe(true);
    expect((await mixed.request('GET', '/api/v1/audit/verify')).statusCode).toBe(403);
  });
});
