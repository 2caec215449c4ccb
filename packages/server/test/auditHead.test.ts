import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeRuntime } from './fixtures.js';
import { createTestDatabase, type TestDatabase } from './testDatabase.js';

const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** `spin server` as its own OS process on `databaseUrl`; resolves once /healthz answers. */
async function serverProcess(databaseUrl: string, dataDir: string, configDir: string) {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      DATABASE_URL: databaseUrl,
      SPIN_DATA_DIR: dataDir,
      SPIN_MASTER_KEY_FILE: join(configDir, 'master.key'),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (i > 300) throw new Error('server did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, child };
}

async function stop(child: ChildProcess) {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}

/**
 * Issue 13: the audit chain appends from each server's in-memory head. Two `spin server`
 * processes on one PostgreSQL append concurrently — compiles (one statement: program row and
 * entry) through both, interleaved with role changes (entries appended inside their own
 * transactions) — and the chain still verifies whole, with every entry in it, from either.
 */
describe('audit chain across two server processes (postgres)', () => {
  let db: TestDatabase;
  let configDir: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    configDir = await mkdtemp(join(tmpdir(), 'spin-audit-head-'));
  });
  afterAll(async () => {
    for (const c of children) await stop(c);
    await db.drop();
    await rm(configDir, { recursive: true, force: true });
  });

  it('keeps one verifiable chain while both append at once', async () => {
    // the first start runs the migrations and writes the master key; the second shares both
    const a = await serverProcess(db.databaseUrl!, join(db.dataDir, 'a'), configDir);
    children.push(a.child);
    const b = await serverProcess(db.databaseUrl!, join(db.dataDir, 'b'), configDir);
    children.push(b.child);

    const signup = await fetch(`${a.url}/api/v1/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        email: 'ada@example.com',
        password: 'correct horse battery',
        name: 'Ada',
      }),
    });
    expect(signup.status).toBe(200);
    const cookie = signup.headers
      .getSetCookie()
      .find((c) => c.startsWith('spin_session='))!
      .split(';')[0]!;
    const csrf = ((await signup.json()) as { csrfToken: string }).csrfToken;
    const call = async (base: string, method: string, path: string, body?: unknown) => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      return {
        status: res.status,
        json: (await res.json().catch(() => null)) as Record<string, unknown>,
      };
    };

    const rt = await fakeRuntime();
    const registered = await call(a.url, 'POST', '/api/v1/runtimes', {
      name: 'local',
      url: 'http://127.0.0.1:8888',
      identity: rt.identity,
    });
    expect(registered.status).toBe(201);
    const nb = await call(a.url, 'POST', '/api/v1/notebooks', {
      title: 'chain',
      cells: [{ id: 'c1', type: 'python', source: 'x = 1' }],
    });
    const notebookId = nb.json.id as string;
    const workspaceId = nb.json.workspaceId as string;
    const session = await call(a.url, 'POST', '/api/v1/sessions', { notebookId, runtimeId: rt.id });
    const sid = session.json.sid as string;

    const before = (await call(a.url, 'GET', '/api/v1/audit/verify')).json.count as number;
    const compile = (base: string, i: number) =>
      call(base, 'POST', `/api/v1/notebooks/${notebookId}/compile`, {
        sid,
        cell: { id: `c${i}`, type: 'python', source: `x = ${i}` },
      });
    // invitations append inside their own transaction (the locked path), between the compiles
    const invite = (base: string) =>
      call(base, 'POST', `/api/v1/workspaces/${workspaceId}/invitations`, { role: 'viewer' });
    const N = 40;
    const M = 5;
    const [results, invites] = await Promise.all([
      Promise.all(
        Array.from({ length: N }, (_, i) => [compile(a.url, i), compile(b.url, i)]).flat(),
      ),
      Promise.all(Array.from({ length: M }, () => [invite(a.url), invite(b.url)]).flat()),
    ]);
    expect(results.map((r) => r.status)).toEqual(Array(2 * N).fill(200));
    expect(invites.map((r) => r.status)).toEqual(Array(2 * M).fill(201));

    const count = before + 2 * N + 2 * M;
    for (const base of [a.url, b.url]) {
      const verify = await call(base, 'GET', '/api/v1/audit/verify');
      expect(verify.json).toEqual({ ok: true, count, brokenAt: null, reason: null });
    }
    const audit = await call(a.url, 'GET', '/api/v1/audit?limit=1000&action=program.compiled');
    const jtis = new Set((audit.json.entries as { subject: string }[]).map((e) => e.subject));
    for (const r of results) expect(jtis.has(r.json.jti as string)).toBe(true);
  });
});
