import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import {
  generateEncryptionKey,
  generateSigningKey,
  importKey,
  outputsDigest,
  runtimeFingerprint,
  signReceipt,
  type KeyPairJwk,
  type Output,
  type ReceiptClaims,
  type RuntimeIdentity,
  type SessionInfo,
  type WorkspaceRole,
} from '@spin/protocol';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { sql } from 'drizzle-orm';
import { createServer, loadConfig, type ServerConfig, type SpinServer } from '../src/index.js';
import { workspacesRepository } from '../src/repositories/workspacesRepository.js';
import { createTestDatabase, type DbKind, type TestDatabase } from './testDatabase.js';

export { dbKinds, type DbKind } from './testDatabase.js';

/** A server on a fresh database, plus captured logs. */
export interface TestServer {
  server: SpinServer;
  db: TestDatabase;
  /** Folder holding the master key file (outside the data directory). */
  configDir: string;
  logs: string[];
  close(): Promise<void>;
}

/** Token `/metrics` requires on servers started by {@link startTestServer}. */
export const METRICS_TOKEN = 'metrics-token-0123456789';

/** Build the app on a fresh database of `kind` (not listening; use inject). */
export async function startTestServer(
  kind: DbKind,
  overrides: {
    publicUrl?: string;
    webDir?: string;
    metricsToken?: string | null;
    oidc?: ServerConfig['oidc'];
  } = {},
): Promise<TestServer> {
  const db = await createTestDatabase(kind);
  const configDir = await mkdtemp(join(tmpdir(), 'spin-server-config-'));
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(chunk.toString('utf8'));
      cb();
    },
  });
  const config = loadConfig(
    {},
    {
      dataDir: db.dataDir,
      databaseUrl: db.databaseUrl,
      logLevel: 'debug',
      webDir: overrides.webDir ?? `${db.dataDir}/no-web-ui`,
      masterKeyFile: join(configDir, 'master.key'),
      metricsToken:
        overrides.metricsToken === null ? undefined : (overrides.metricsToken ?? METRICS_TOKEN),
      ...(overrides.publicUrl ? { publicUrl: overrides.publicUrl } : {}),
      ...(overrides.oidc ? { oidc: overrides.oidc } : {}),
    },
  );
  const server = await createServer({ config, logger: sink });
  return {
    server,
    db,
    configDir,
    logs,
    async close() {
      await server.close();
      await db.drop();
      await rm(configDir, { recursive: true, force: true });
    },
  };
}

/**
 * A second server process's worth of state on the SAME database as `t` (PostgreSQL only: PGlite
 * is one process's) — its own caches, audit head and connection pool, as a second server
 * process behind a load balancer would have. `close()` closes only it.
 */
export async function startPeerServer(t: TestServer): Promise<TestServer> {
  if (!t.db.databaseUrl) throw new Error('a peer server needs PostgreSQL');
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(chunk.toString('utf8'));
      cb();
    },
  });
  const config = loadConfig(
    {},
    {
      dataDir: t.db.dataDir,
      databaseUrl: t.db.databaseUrl,
      logLevel: 'debug',
      webDir: `${t.db.dataDir}/no-web-ui`,
      masterKeyFile: join(t.configDir, 'master.key'),
      metricsToken: METRICS_TOKEN,
    },
  );
  const server = await createServer({ config, logger: sink });
  return { server, db: t.db, configDir: t.configDir, logs, close: () => server.close() };
}

/** The same signed-in user (same cookie) talking to another server of the deployment. */
export function clientOn(t: TestServer, client: TestClient): TestClient {
  return {
    ...client,
    request: (method, url, body, headers = {}) =>
      t.server.app.inject({
        method,
        url,
        cookies: { spin_session: client.cookie },
        headers: { 'x-csrf-token': client.csrf, ...headers },
        ...(body !== undefined ? { payload: body as object } : {}),
      }),
  };
}

/** A browser-like HTTP client: keeps the session cookie and sends the CSRF header. */
export interface TestClient {
  user: SessionInfo['user'];
  cookie: string;
  csrf: string;
  request(
    method: InjectOptions['method'],
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<LightMyRequestResponse>;
}

/** An anonymous request. */
export function anon(t: TestServer, method: InjectOptions['method'], url: string, body?: unknown) {
  return t.server.app.inject({
    method,
    url,
    ...(body !== undefined ? { payload: body as object } : {}),
  });
}

function sessionCookie(res: LightMyRequestResponse): string {
  const c = res.cookies.find((x) => x.name === 'spin_session');
  if (!c) throw new Error(`no session cookie (status ${res.statusCode}: ${res.body})`);
  return c.value;
}

/** A {@link TestClient} from a response that signed someone in (sign-up, login, invitation). */
export function clientFrom(t: TestServer, res: LightMyRequestResponse): TestClient {
  const info = res.json() as SessionInfo;
  const cookie = sessionCookie(res);
  return {
    user: info.user,
    cookie,
    csrf: info.csrfToken,
    request: (method, url, body, headers = {}) =>
      t.server.app.inject({
        method,
        url,
        cookies: { spin_session: cookie },
        headers: { 'x-csrf-token': info.csrfToken, ...headers },
        ...(body !== undefined ? { payload: body as object } : {}),
      }),
  };
}

export const ADMIN = { email: 'ada@example.com', password: 'correct horse battery', name: 'Ada' };

/** Sign up the first user (org admin, owner of "Default"). */
export async function signUpAdmin(t: TestServer): Promise<TestClient> {
  const res = await anon(t, 'POST', '/api/v1/auth/signup', ADMIN);
  if (res.statusCode !== 200) throw new Error(`signup failed: ${res.body}`);
  return clientFrom(t, res);
}

/** Log in over HTTP. */
export async function logIn(t: TestServer, email: string, password: string): Promise<TestClient> {
  const res = await anon(t, 'POST', '/api/v1/auth/login', { email, password });
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.body}`);
  return clientFrom(t, res);
}

/** Add a member of the admin's first workspace with `role` (through the services) and log in. */
export async function addMember(
  t: TestServer,
  role: WorkspaceRole,
  workspaceId: string,
): Promise<TestClient> {
  const email = `${role}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  const password = `pw-${role}-0123456789`;
  await t.server.services.auth.createUser({ email, password, name: role, workspaceId, role });
  return logIn(t, email, password);
}

/** Create another workspace directly in the database (no API for it yet: issue 7). */
export async function createWorkspace(t: TestServer, name: string): Promise<string> {
  const id = `ws_${name.toLowerCase().replace(/[^a-z0-9]/g, '')}_${Math.random().toString(36).slice(2, 8)}`;
  await workspacesRepository.insert(t.server.services.database.db, { id, name });
  return id;
}

/** The runtimes row of `id` exactly as stored (keys included), for "unchanged" assertions. */
export async function runtimeRow(t: TestServer, id: string): Promise<unknown> {
  const { rows } = (await t.server.services.database.db.execute(
    sql`select * from runtimes where id = ${id}`,
  )) as unknown as { rows: unknown[] };
  return rows[0] ?? null;
}

/** The id of the admin's default workspace. */
export async function defaultWorkspaceId(admin: TestClient): Promise<string> {
  const res = await admin.request('GET', '/api/v1/workspaces');
  return (res.json() as { id: string }[])[0]!.id;
}

/** Create a notebook with one python and one shell cell (default: in the first workspace). */
export async function createNotebook(
  client: TestClient,
  title = 'Incident 42',
  workspaceId?: string,
) {
  const res = await client.request('POST', '/api/v1/notebooks', {
    title,
    ...(workspaceId ? { workspaceId } : {}),
    cells: [
      { id: 'c1', type: 'python', source: 'print(1 + 1)' },
      { id: 'c2', type: 'shell', source: 'echo hi' },
      { id: 'c3', type: 'markdown', source: '# notes' },
    ],
  });
  if (res.statusCode !== 201) throw new Error(`create notebook failed: ${res.body}`);
  return res.json() as { id: string; version: number; workspaceId: string };
}

/** A runtime's keys and identity, generated locally (what `GET /v1/identity` would return). */
export interface FakeRuntime {
  id: string;
  signing: KeyPairJwk;
  encryption: KeyPairJwk;
  identity: RuntimeIdentity;
}

export async function fakeRuntime(id = `rt_${Math.random().toString(36).slice(2, 10)}`) {
  const signing = await generateSigningKey();
  const encryption = await generateEncryptionKey();
  const identity: RuntimeIdentity = {
    runtimeId: id,
    version: '0.1.0',
    fingerprint: await runtimeFingerprint(signing.publicJwk, encryption.publicJwk),
    keys: { signing: signing.publicJwk, encryption: encryption.publicJwk },
    paired: true,
  };
  return { id, signing, encryption, identity } satisfies FakeRuntime;
}

/** Fake a runtime and register it (default: in the caller's first workspace). */
export async function registerRuntime(
  client: TestClient,
  workspaceId?: string,
): Promise<FakeRuntime> {
  const rt = await fakeRuntime();
  const res = await client.request('POST', '/api/v1/runtimes', {
    name: 'local',
    url: 'http://127.0.0.1:8888',
    identity: rt.identity,
    ...(workspaceId ? { workspaceId } : {}),
  });
  if (res.statusCode !== 201) throw new Error(`register runtime failed: ${res.body}`);
  return rt;
}

/** Open (or reuse) the session of a notebook on a runtime. */
export async function openSession(client: TestClient, notebookId: string, runtimeId: string) {
  const res = await client.request('POST', '/api/v1/sessions', { notebookId, runtimeId });
  if (res.statusCode !== 200) throw new Error(`open session failed: ${res.body}`);
  return res.json() as { sid: string };
}

export const SAMPLE_OUTPUTS: Output[] = [
  { output_type: 'stream', name: 'stdout', text: '2\n' },
  { output_type: 'execute_result', execution_count: 3, data: { 'text/plain': '2' }, metadata: {} },
];

/** Sign a receipt as the fake runtime would for a compiled program. */
export async function makeReceipt(
  rt: FakeRuntime,
  program: { jti: string; cell: string; sid: string; sub: string; notebook: string },
  outputs: Output[] = SAMPLE_OUTPUTS,
  over: Partial<ReceiptClaims> = {},
): Promise<string> {
  const claims: ReceiptClaims = {
    iss: rt.id,
    ...program,
    status: 'ok',
    startedAt: '2026-11-25T10:00:00.000Z',
    endedAt: '2026-11-25T10:00:01.000Z',
    seqFirst: 1,
    seqLast: 4,
    outputCount: outputs.length,
    outputsSha256: await outputsDigest(outputs),
    exitCode: null,
    iat: Math.floor(Date.now() / 1000),
    ...over,
  };
  return signReceipt(
    claims,
    await importKey(rt.signing.privateJwk, 'EdDSA'),
    rt.signing.publicJwk.kid,
  );
}
