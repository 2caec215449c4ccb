// Helpers the benchmarks share for the SPIN processes they start on loopback.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/**
 * Every SPIN process a benchmark started and has not stopped: if the benchmark itself dies (an
 * error, Ctrl+C, a closed pipe), they get SIGTERM on its way out instead of living on under
 * PID 1 (each runtime then shuts its kernels down).
 */
const children = new Set();
export function adopt(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}
process.once('exit', () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
});
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
]) {
  process.once(signal, () => process.exit(code));
}
// an uncaught error skips 'exit' handlers unless it goes through process.exit
process.once('uncaughtException', (err) => {
  try {
    console.error(err);
  } finally {
    process.exit(1);
  }
});

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Wait until `${url}/healthz` answers (polling every 100 ms, `tries` times), or `child` exits. */
export async function waitHealthy(url, child, tries = 300) {
  for (let i = 0; i < tries; i++) {
    if (child.exitCode !== null) throw new Error(`${url} exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not become healthy`);
}

/**
 * Server and runtime as deployed: two processes (`spin server`, `spin runtime`), paired by the
 * client like an admin would, and driven by @spin/client from this process.
 */
export async function startDeployment(dir, opts = {}) {
  const [serverPort, runtimePort] = [await freePort(), await freePort()];
  const spinToken = randomBytes(32).toString('base64url');
  const base = { ...process.env, LOG_LEVEL: 'warn', HOST: '127.0.0.1' };
  // BENCH_RUNTIME_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", to profile the runtime
  const nodeArgs = (process.env.BENCH_RUNTIME_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const from = opts.root ?? root; // another checkout's build (BENCH_PATH_COMPARE)
  // opts.runtimeBin: another runtime build only (BENCH_OUTPUT_AB_RUNTIME)
  const runtimeBin = opts.runtimeBin ?? path.join(from, 'packages/runtime/dist/bin.js');
  const runtime = adopt(
    spawn(process.execPath, [...nodeArgs, runtimeBin], {
      env: {
        ...base,
        PORT: String(runtimePort),
        SPIN_HOME: path.join(dir, 'runtime'),
        SPIN_TOKEN: spinToken,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    }),
  );
  // BENCH_SERVER_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", to profile the server
  const serverArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const server = adopt(
    spawn(process.execPath, [...serverArgs, path.join(from, 'packages/server/dist/bin.js')], {
      env: {
        ...base,
        PORT: String(serverPort),
        SPIN_DATA_DIR: path.join(dir, 'server'),
        SPIN_MASTER_KEY_FILE: path.join(dir, 'server-config', 'master.key'),
        DATABASE_URL: opts.databaseUrl ?? '',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    }),
  );
  const url = `http://127.0.0.1:${serverPort}`;
  const runtimeUrl = `http://127.0.0.1:${runtimePort}`;
  const stop = async () => {
    for (const child of [server, runtime]) {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    }
  };
  try {
    await Promise.all([waitHealthy(url, server), waitHealthy(runtimeUrl, runtime)]);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, runtimeUrl, spinToken, stop, runtimePid: runtime.pid, serverPid: server.pid };
}

/**
 * CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat (fields 14 and
 * 15, in clock ticks): the server measures nothing about itself, so it needs no benchmark hook.
 */
export async function processCpuMs(pid) {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / CLOCK_TICKS;
}
const CLOCK_TICKS = Number(process.env.BENCH_CLK_TCK ?? 100); // getconf CLK_TCK on Linux

/** A fresh PostgreSQL database for one deployment; `drop()` removes it. */
export async function freshPostgres() {
  const { default: pg } = await import('pg');
  const adminUrl = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `spin_bench_path_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
