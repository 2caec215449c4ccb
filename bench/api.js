// Control-plane API throughput (issue 7 acceptance 7): authenticated `GET /api/v1/notebooks/:id`
// requests per second on embedded PGlite and on PostgreSQL, driven by autocannon on loopback.
//
// One `spin server` process per database (as deployed, `packages/server/dist/bin.js`), both
// started up front and kept running; the rounds alternate between them (pglite, postgres,
// pglite, …) so drift in machine load (2 shared cores) falls on both alike. Each round is a
// fixed-duration autocannon run with the same connection count, after one warm-up round each.
// Requests carry the session cookie of a signed-in user (the browser's path); a second pair of
// rounds uses an API token (`Authorization: Bearer`, the agents' path).
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { adopt, freePort, waitHealthy } from './processes.js';
import autocannon from 'autocannon';
import pg from 'pg';

const ROUNDS = Number(process.env.BENCH_API_ROUNDS ?? 3);
const DURATION_S = Number(process.env.BENCH_API_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_API_CONNECTIONS ?? 10);
const POSTGRES_ADMIN_URL =
  process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Start `spin server` on `databaseUrl` (undefined → PGlite), sign up, create a notebook. */
async function startServer(root, dir, name, databaseUrl) {
  const port = await freePort();
  const child = adopt(
    spawn(process.execPath, [path.join(root, 'packages/server/dist/bin.js')], {
      env: {
        ...process.env,
        LOG_LEVEL: 'warn',
        HOST: '127.0.0.1',
        PORT: String(port),
        SPIN_DATA_DIR: path.join(dir, name),
        SPIN_MASTER_KEY_FILE: path.join(dir, `${name}-config`, 'master.key'),
        ...(databaseUrl ? { DATABASE_URL: databaseUrl } : { DATABASE_URL: '' }),
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  };
  try {
    await waitHealthy(url, child, 600);
    const signup = await fetch(`${url}/api/v1/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'Bench',
        email: 'bench@example.test',
        password: 'bench-password-1',
      }),
    });
    const { csrfToken } = await signup.json();
    const cookie = signup.headers
      .getSetCookie()
      .find((c) => c.startsWith('spin_session='))
      .split(';')[0];
    const headers = { 'content-type': 'application/json', cookie, 'x-csrf-token': csrfToken };
    const cells = Array.from({ length: 20 }, (_, i) => ({
      id: `c${i}`,
      type: i % 2 ? 'markdown' : 'python',
      source: `# cell ${i}\n` + 'x = 1\n'.repeat(10),
    }));
    const nb = await (
      await fetch(`${url}/api/v1/notebooks`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ title: 'bench', cells }),
      })
    ).json();
    const [ws] = await (await fetch(`${url}/api/v1/workspaces`, { headers })).json();
    const created = await (
      await fetch(`${url}/api/v1/tokens`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          name: 'bench',
          kind: 'agent',
          workspaceId: ws.id,
          expiresInDays: 1,
        }),
      })
    ).json();
    return { url, stop, notebookId: nb.id, cookie, bearer: `Bearer ${created.secret}` };
  } catch (err) {
    await stop();
    throw err;
  }
}

function run(url, headers) {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections: CONNECTIONS, duration: DURATION_S, headers }, (err, result) =>
      err ? reject(err) : resolve(result),
    );
  });
}

const round1 = (v) => Math.round(v * 10) / 10;

function summary(rounds) {
  const rps = rounds.map((r) => r.requests.average);
  const sorted = [...rps].sort((a, b) => a - b);
  return {
    rounds: rounds.length,
    duration_s: DURATION_S,
    connections: CONNECTIONS,
    requests_per_s_median: round1(sorted[Math.floor(sorted.length / 2)]),
    requests_per_s_each: rps.map(round1),
    latency_p50_ms_each: rounds.map((r) => r.latency.p50),
    latency_p99_ms_each: rounds.map((r) => r.latency.p99),
    non_2xx: rounds.reduce((a, r) => a + r.non2xx, 0),
    errors: rounds.reduce((a, r) => a + r.errors + r.timeouts, 0),
  };
}

/** Run the API throughput benchmark; returns result keys for bench/results.json. */
export async function runApiBenchmarks({ dir, meta, root }) {
  const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root }).toString().trim();
  const dbName = `spin_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  const pgUrl = new URL(POSTGRES_ADMIN_URL);
  pgUrl.pathname = `/${dbName}`;
  const servers = {};
  try {
    servers.pglite = await startServer(root, dir, 'api-pglite', undefined);
    servers.postgres = await startServer(root, dir, 'api-postgres', pgUrl.href);
    const kinds = ['pglite', 'postgres'];
    const auths = {
      cookie: (s) => ({ cookie: s.cookie }),
      bearer: (s) => ({ authorization: s.bearer }),
    };
    const rounds = {};
    for (const auth of Object.keys(auths)) {
      for (const kind of kinds) {
        const s = servers[kind];
        const target = `${s.url}/api/v1/notebooks/${s.notebookId}`;
        const check = await fetch(target, { headers: auths[auth](s) });
        if (check.status !== 200) throw new Error(`${kind} ${auth}: GET answered ${check.status}`);
        await run(target, auths[auth](s)); // warm-up (JIT, prepared statements, pool)
        rounds[`${auth}:${kind}`] = [];
      }
      for (let i = 0; i < ROUNDS; i++) {
        for (const kind of i % 2 ? [...kinds].reverse() : kinds) {
          const s = servers[kind];
          const result = await run(`${s.url}/api/v1/notebooks/${s.notebookId}`, auths[auth](s));
          rounds[`${auth}:${kind}`].push(result);
          console.log(
            `api ${auth} ${kind} round ${i + 1}: ${round1(result.requests.average)} req/s`,
          );
        }
      }
    }
    const results = {};
    for (const kind of kinds) {
      for (const auth of Object.keys(auths)) {
        const key = `api_get_notebook_${kind}${auth === 'bearer' ? '_api_token' : ''}`;
        results[key] = {
          ...meta,
          commit,
          loadavg_at_end: os.loadavg().map((v) => Math.round(v * 100) / 100),
          description:
            `authenticated GET /api/v1/notebooks/:id (20-cell notebook) on ${kind === 'pglite' ? 'embedded PGlite' : 'PostgreSQL (loopback)'}, ` +
            `${auth === 'cookie' ? 'session cookie' : 'agent API token (Authorization: Bearer)'}; spin server process, autocannon ${CONNECTIONS} connections, ` +
            `${ROUNDS} × ${DURATION_S} s rounds alternating with the other database after a warm-up round each`,
          ...summary(rounds[`${auth}:${kind}`]),
        };
      }
    }
    return results;
  } finally {
    for (const s of Object.values(servers)) await s.stop();
    await admin.query(`drop database if exists ${dbName} with (force)`);
    await admin.end();
  }
}
