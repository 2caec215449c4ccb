import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, loadConfig } from '../src/index.js';
import {
  ADMIN,
  anon,
  createNotebook,
  dbKinds,
  logIn,
  makeReceipt,
  METRICS_TOKEN,
  openSession,
  registerRuntime,
  SAMPLE_OUTPUTS,
  signUpAdmin,
  startTestServer,
  type TestServer,
} from './fixtures.js';

describe.each(dbKinds)('fixed endpoints and hygiene (%s)', (kind) => {
  let t: TestServer;
  let webDir: string;
  beforeAll(async () => {
    webDir = await mkdtemp(join(tmpdir(), 'spin-web-'));
    await mkdir(join(webDir, 'assets'));
    await writeFile(
      join(webDir, 'index.html'),
      '<!doctype html><title>SPIN UI</title><div id=root></div>',
    );
    await writeFile(join(webDir, 'assets', 'app.js'), 'console.log("spin")');
    t = await startTestServer(kind, { webDir });
  });
  afterAll(() => t.close());

  it('GET /healthz checks the database', async () => {
    const res = await anon(t, 'GET', '/healthz');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('serves the OpenAPI document generated from the route schemas', async () => {
    const doc = (await anon(t, 'GET', '/api/v1/openapi.json')).json();
    expect(doc.openapi).toMatch(/^3\./);
    for (const path of [
      '/api/v1/auth/signup',
      '/api/v1/auth/login',
      '/api/v1/notebooks',
      '/api/v1/notebooks/{id}',
      '/api/v1/notebooks/{id}/compile',
      '/api/v1/runtimes',
      '/api/v1/sessions',
      '/api/v1/sessions/{sid}/token',
      '/api/v1/receipts',
      '/api/v1/audit/verify',
    ]) {
      expect(doc.paths, path).toHaveProperty([path]);
    }
    const body =
      doc.paths['/api/v1/auth/signup'].post.requestBody.content['application/json'].schema;
    // the body is the named component, defined once
    expect(body).toEqual({ $ref: '#/components/schemas/SignupRequest' });
    expect(doc.components.schemas.SignupRequest.required).toEqual(
      expect.arrayContaining(['email', 'password', 'name']),
    );
  });

  it('publishes the public signing key without private material', async () => {
    const res = await anon(t, 'GET', '/.well-known/jwks.json');
    const { keys } = res.json();
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({
      kty: 'OKP',
      crv: 'Ed25519',
      alg: 'EdDSA',
      kid: expect.any(String),
    });
    expect(keys[0]).not.toHaveProperty('d');
    expect(res.body).not.toContain('"d"');
  });

  it('GET /api/v1/server names the issuer', async () => {
    expect((await anon(t, 'GET', '/api/v1/server')).json()).toEqual({
      issuer: 'http://localhost:8080',
      version: '0.1.0',
    });
  });

  it('serves Prometheus metrics only with the metrics token', async () => {
    await anon(t, 'GET', '/healthz');
    const missing = await anon(t, 'GET', '/metrics');
    expect(missing.statusCode).toBe(401);
    expect(missing.json().error.code).toBe('auth.token_missing');
    const wrong = await t.server.app.inject({
      url: '/metrics',
      headers: { authorization: 'Bearer not-the-metrics-token' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error.code).toBe('auth.token_invalid');
    expect(wrong.body).not.toContain('spin_http_requests_total');
    const res = await t.server.app.inject({
      url: '/metrics',
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toMatch(
      /spin_http_requests_total\{method="GET",route="\/healthz",status="200"\} [1-9]/,
    );
  });

  it('serves the web UI with an SPA fallback and security headers', async () => {
    const root = await anon(t, 'GET', '/');
    expect(root.statusCode).toBe(200);
    expect(root.body).toContain('SPIN UI');
    const csp = String(root.headers['content-security-policy']);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toMatch(/connect-src [^;]*http: [^;]*ws:/);
    expect(root.headers['x-content-type-options']).toBe('nosniff');

    const deep = await anon(t, 'GET', '/notebooks/nb_123');
    expect(deep.statusCode).toBe(200);
    expect(deep.body).toContain('SPIN UI');
    const asset = await anon(t, 'GET', '/assets/app.js');
    expect(asset.body).toBe('console.log("spin")');
    const missingAsset = await anon(t, 'GET', '/assets/missing.js');
    expect(missingAsset.statusCode).toBe(404);
    expect(missingAsset.json().error.code).toBe('request.not_found');
    const api = await anon(t, 'GET', '/api/v1/unknown/thing');
    expect(api.statusCode).toBe(404);
    expect(api.json().error.code).toBe('request.not_found');
  });

  it('explains when the web UI was not built; metrics are off without SPIN_METRICS_TOKEN', async () => {
    const bare = await startTestServer(kind, { metricsToken: null });
    try {
      const metrics = await bare.server.app.inject({
        url: '/metrics',
        headers: { authorization: `Bearer ${METRICS_TOKEN}` },
      });
      expect(metrics.statusCode).toBe(404);
      expect(metrics.json().error.code).toBe('metrics.disabled');
      expect(metrics.json().error.message).toContain('SPIN_METRICS_TOKEN');
      const res = await anon(bare, 'GET', '/');
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('web UI was not built');
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    } finally {
      await bare.close();
    }
  });

  it('keeps the master key at mode 0600 outside the data directory and refuses a different one', async () => {
    expect(t.server.masterKeyFile).toBe(join(t.configDir, 'master.key'));
    const file = await stat(join(t.configDir, 'master.key'));
    expect(file.mode & 0o777).toBe(0o600);
    expect((await stat(t.db.dataDir)).mode & 0o077).toBe(0);
    expect(existsSync(join(t.db.dataDir, 'master.key'))).toBe(false);
    if (kind === 'postgres') {
      const config = loadConfig(
        {},
        {
          dataDir: t.db.dataDir,
          databaseUrl: t.db.databaseUrl,
          masterKey: Buffer.alloc(32, 7).toString('base64'),
          masterKeyFile: join(t.configDir, 'unused.key'),
          logLevel: 'silent',
        },
      );
      await expect(createServer({ config })).rejects.toThrow(
        /cannot decrypt the server signing key/,
      );
    }
  });

  it('never logs the password, session cookie, CSRF token or access token', async () => {
    const logsBefore = t.logs.length;
    const admin = await signUpAdmin(t);
    const again = await logIn(t, ADMIN.email, ADMIN.password);
    await anon(t, 'POST', '/api/v1/auth/login', {
      email: ADMIN.email,
      password: 'wrong-password-123',
    });
    const rt = await registerRuntime(admin);
    const nb = await createNotebook(admin);
    const { sid } = await openSession(admin, nb.id, rt.id);
    const token = (await admin.request('POST', `/api/v1/sessions/${sid}/token`)).json()
      .token as string;
    const compiled = (
      await admin.request('POST', `/api/v1/notebooks/${nb.id}/compile`, {
        sid,
        cell: { id: 'c1', type: 'python', source: 'print(1 + 1)' },
      })
    ).json();
    const receipt = await makeReceipt(rt, {
      jti: compiled.jti,
      cell: 'c1',
      sid,
      sub: admin.user.id,
      notebook: nb.id,
    });
    const accepted = await admin.request('POST', '/api/v1/receipts', {
      receipt,
      outputs: SAMPLE_OUTPUTS,
    });
    expect(accepted.statusCode).toBe(200);
    await admin.request(
      'POST',
      '/api/v1/notebooks',
      { title: 'no csrf' },
      { 'x-csrf-token': 'wrong' },
    );

    const logs = t.logs.slice(logsBefore).join('');
    expect(logs).toContain('"url":"/api/v1/auth/login"');
    for (const secret of [
      ADMIN.password,
      'wrong-password-123',
      admin.cookie,
      again.cookie,
      admin.csrf,
      again.csrf,
      token,
      compiled.envelope,
    ]) {
      expect(logs.includes(secret), `secret leaked into logs: ${secret.slice(0, 12)}…`).toBe(false);
    }
  });
});
