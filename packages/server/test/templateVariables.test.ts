import { importKey, openProgram, type Jwks, type ProgramClaims } from '@spin/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addMember,
  createNotebook,
  dbKinds,
  defaultWorkspaceId,
  openSession,
  registerRuntime,
  signUpAdmin,
  startTestServer,
  type FakeRuntime,
  type TestClient,
  type TestServer,
} from './fixtures.js';

// Issue 9: template variables are stored with the notebook's settings, and the server — not the
// client — decides what a program's template values are.
describe.each(dbKinds)('notebook template variables (%s)', (kind) => {
  let t: TestServer;
  let admin: TestClient;
  let rt: FakeRuntime;
  let nb: { id: string };
  let sid: string;
  let jwks: Jwks;

  const templateVariables = [
    { name: 'env', type: 'input', valueKind: 'string', allowed: ['prod', 'staging'] },
    { name: 'region', type: 'static', value: 'eu-west-1' },
    { name: 'hosts', type: 'code_python', code: 'import socket\n[socket.gethostname()]' },
  ];
  const settings = { timeRange: { from: 'now-1h', to: 'now' }, templateVariables };

  beforeAll(async () => {
    t = await startTestServer(kind);
    admin = await signUpAdmin(t);
    rt = await registerRuntime(admin);
    nb = await createNotebook(admin);
    const saved = await admin.request('PUT', `/api/v1/notebooks/${nb.id}`, { settings });
    if (saved.statusCode !== 200) throw new Error(saved.body);
    sid = (await openSession(admin, nb.id, rt.id)).sid;
    jwks = (await t.server.app.inject({ url: '/.well-known/jwks.json' })).json();
  });
  afterAll(() => t.close());

  async function open(envelope: string): Promise<ProgramClaims> {
    return openProgram(envelope, {
      decryptionKey: await importKey(rt.encryption.privateJwk, 'ECDH-ES+A256KW'),
      decryptionKid: rt.encryption.publicJwk.kid,
      serverJwks: jwks,
      audience: rt.id,
      claimJti: async () => true,
    });
  }

  it('stores the definitions with the notebook (defaults applied) and reads them back', async () => {
    const got = (await admin.request('GET', `/api/v1/notebooks/${nb.id}`)).json();
    expect(got.settings.templateVariables).toEqual([
      templateVariables[0],
      templateVariables[1],
      { ...templateVariables[2], kernel: 'python3' },
    ]);
  });

  it('refuses bad definitions with a clear error and keeps the notebook as it was', async () => {
    const before = (await admin.request('GET', `/api/v1/notebooks/${nb.id}`)).json();
    for (const [bad, says] of [
      [[templateVariables[1], templateVariables[1]], 'defined twice'],
      [[{ name: 'n', type: 'input', valueKind: 'number', default: 'ten' }], 'must be a number'],
      [[{ name: 'x', type: 'magic' }], 'type'],
      [[{ name: 'bad name', type: 'static', value: 1 }], 'letters'],
    ] as const) {
      const res = await admin.request('PUT', `/api/v1/notebooks/${nb.id}`, {
        settings: { ...settings, templateVariables: bad },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('request.invalid');
      expect(res.json().error.message).toContain(says);
    }
    const after = (await admin.request('GET', `/api/v1/notebooks/${nb.id}`)).json();
    expect(after.version).toBe(before.version);
    expect(after.settings).toEqual(before.settings);
  });

  it('puts the checked input and the stored static value in the program, nothing else', async () => {
    const res = await admin.request('POST', `/api/v1/notebooks/${nb.id}/compile`, {
      sid,
      cell: { id: 's', type: 'shell', source: 'echo {{env}} {{region}}' },
      templateValues: { env: 'staging' },
    });
    expect(res.statusCode, res.body).toBe(200);
    const { program } = await open(res.json().envelope);
    expect(program).toMatchObject({
      kind: 'processor',
      params: { script: 'echo {{env}} {{region}}' },
      vars: { env: 'staging', region: 'eu-west-1' },
    });
  });

  it('refuses client values for static variables and values outside the allowed list', async () => {
    const audit = async () =>
      (await admin.request('GET', '/api/v1/audit?limit=500'))
        .json()
        .entries.filter((e: { action: string }) => e.action === 'program.compiled').length;
    const compiledBefore = await audit();
    for (const [templateValues, code] of [
      [{ region: 'us-east-1' }, 'template.not_input'],
      [{ env: 'dev' }, 'template.invalid_value'],
      [{ env: 42 }, 'template.invalid_value'],
      [{ other: 'x' }, 'template.unknown_variable'],
    ] as const) {
      const res = await admin.request('POST', `/api/v1/notebooks/${nb.id}/compile`, {
        sid,
        cell: { id: 's', type: 'shell', source: 'echo {{region}}' },
        templateValues,
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe(code);
    }
    const missing = await admin.request('POST', `/api/v1/notebooks/${nb.id}/compile`, {
      sid,
      cell: { id: 's', type: 'shell', source: 'echo {{env}}' },
    });
    expect(missing.json().error).toMatchObject({ code: 'template.missing_value' });
    expect(await audit()).toBe(compiledBefore); // nothing was compiled
  });

  it("compiles a code_python variable from the notebook's definition, for runners only", async () => {
    const res = await admin.request('POST', `/api/v1/notebooks/${nb.id}/variables/hosts/compile`, {
      sid,
      code: 'import os; os.system("rm -rf /")', // not a field: ignored
    });
    expect(res.statusCode, res.body).toBe(200);
    const claims = await open(res.json().envelope);
    expect(claims.cell).toBe('var:hosts');
    expect(claims.program).toMatchObject({
      kind: 'kernel',
      kernel: 'python3',
      templateVar: 'hosts',
    });
    const code = claims.program.kind === 'kernel' ? claims.program.code : '';
    expect(code).toContain(JSON.stringify(templateVariables[2]!.code));
    expect(code).not.toContain('rm -rf');

    for (const [name, codeWanted] of [
      ['region', 'template.unknown_variable'], // static: nothing to run
      ['nothing', 'template.unknown_variable'],
    ] as const) {
      const r = await admin.request(
        'POST',
        `/api/v1/notebooks/${nb.id}/variables/${name}/compile`,
        {
          sid,
        },
      );
      expect(r.statusCode).toBe(400);
      expect(r.json().error.code).toBe(codeWanted);
    }

    const viewer = await addMember(t, 'viewer', await defaultWorkspaceId(admin));
    const denied = await viewer.request(
      'POST',
      `/api/v1/notebooks/${nb.id}/variables/hosts/compile`,
      {
        sid,
      },
    );
    expect(denied.statusCode).toBe(403);
    expect(denied.json().error.code).toBe('auth.permission_required');
  });
});
