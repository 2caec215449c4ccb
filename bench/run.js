// SPIN benchmarks (`npm run bench`, after `npm run build`). Writes bench/results.json: one key
// per benchmark, each with the machine it ran on and the date. Everything talks to loopback only.
//
//   kernel_execute_zeromq    200 sequential trivial executions straight to ipykernel over ZeroMQ
//                            (the baseline: @spin/runtime's KernelClient, no SPIN path)
//   kernel_execute_spin_path the same 200 executions over the full SPIN path driven by
//                            @spin/client from Node: compile at the server → sealed JWE → runtime
//                            WebSocket → verify → kernel → journal → receipt → server audit.
//                            Server and runtime run as separate processes (as deployed), paired
//                            by the client; the benchmark process is the client.
//   kernel_execute_spin_path_outputs  the same, timed until the outputs are complete
//   envelope_seal / envelope_open  sealProgram / openProgram operations per second
//   output_throughput / output_latency_clients / output_rss_200mb  see bench/output.js
//   api_get_notebook_{pglite,postgres}[_api_token]  authenticated GET /api/v1/notebooks/:id
//                            requests per second under autocannon, see bench/api.js
//   ui_open_1000_cells / ui_stream_{100k,1m}_lines / ui_table_100k_rows  the notebook UI in
//                            Chromium (heartbeat + long-animation-frame), see bench/ui.js
//
// BENCH_ONLY=output (or =api, =ui) runs only those benchmarks and merges their keys into
// results.json.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitHealthy } from './processes.js';
import { fileURLToPath } from 'node:url';
import { KernelClient, findKernelSpec } from '@spin/runtime';
import { NotebookSession, pairRuntime } from '@spin/client';
import { NodeWebSocket, createNodeApi } from '@spin/client/node';
import {
  generateEncryptionKey,
  generateSigningKey,
  importKey,
  openProgram,
  sealProgram,
} from '@spin/protocol';
import { runApiBenchmarks } from './api.js';
import { runOutputBenchmarks } from './output.js';
import { runUiBenchmarks } from './ui.js';

const N = Number(process.env.BENCH_N ?? 200);
const WARMUP = 20;
const CODE = 'x = 6 * 7';
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);

function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    hostname: os.hostname(),
  };
}

function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
  const round = (v) => Math.round(v * 1000) / 1000;
  return {
    n: s.length,
    median_ms: round(q(0.5)),
    p99_ms: round(q(0.99)),
    mean_ms: round(s.reduce((a, b) => a + b, 0) / s.length),
    min_ms: round(s[0]),
    max_ms: round(s[s.length - 1]),
  };
}

async function timeLoop(n, fn) {
  const samples = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    samples.push(performance.now() - t0);
  }
  return samples;
}

async function benchRawZmq(dir) {
  const kernel = new KernelClient({ dir: path.join(dir, 'raw-kernel'), transport: 'tcp' });
  await kernel.start(findKernelSpec('python3'));
  try {
    await timeLoop(WARMUP, () => kernel.execute(CODE, () => {}));
    return stats(await timeLoop(N, () => kernel.execute(CODE, () => {})));
  } finally {
    await kernel.shutdown();
  }
}

/**
 * Server and runtime as deployed: two processes (`spin server`, `spin runtime`), paired by the
 * client like an admin would, and driven by @spin/client from this process.
 */
async function startDeployment(dir) {
  const [serverPort, runtimePort] = [await freePort(), await freePort()];
  const spinToken = randomBytes(32).toString('base64url');
  const base = { ...process.env, LOG_LEVEL: 'warn', HOST: '127.0.0.1' };
  // BENCH_RUNTIME_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", to profile the runtime
  const nodeArgs = (process.env.BENCH_RUNTIME_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const runtimeBin = path.join(root, 'packages/runtime/dist/bin.js');
  const runtime = spawn(process.execPath, [...nodeArgs, runtimeBin], {
    env: {
      ...base,
      PORT: String(runtimePort),
      SPIN_HOME: path.join(dir, 'runtime'),
      SPIN_TOKEN: spinToken,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const server = spawn(process.execPath, [path.join(root, 'packages/server/dist/bin.js')], {
    env: {
      ...base,
      PORT: String(serverPort),
      SPIN_DATA_DIR: path.join(dir, 'server'),
      SPIN_MASTER_KEY_FILE: path.join(dir, 'server-config', 'master.key'),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
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
  return { url, runtimeUrl, spinToken, stop, runtimePid: runtime.pid };
}

async function benchSpinPath(dir) {
  const spin = await startDeployment(path.join(dir, 'deployment'));
  try {
    const api = createNodeApi(spin.url);
    await api.signup({ name: 'Bench', email: 'bench@example.test', password: 'bench-password-1' });
    await pairRuntime({
      api,
      runtimeUrl: spin.runtimeUrl,
      spinToken: spin.spinToken,
      name: 'bench',
      allowedOrigins: [],
    });
    const nb = await api.createNotebook({
      title: 'bench',
      cells: [{ id: 'c', type: 'python', source: CODE }],
    });
    const [runtime] = await api.listRuntimes();
    const session = await NotebookSession.open({
      api,
      notebookId: nb.id,
      runtime,
      WebSocket: NodeWebSocket,
    });
    const cell = { id: 'c', type: 'python', source: CODE };
    try {
      // (1) until the server recorded the receipt: compile → execute → receipt → audit
      const audited = async () => {
        const r = await session.run(cell);
        if (r.status !== 'ok') throw new Error(`cell failed: ${r.status}`);
        if (!((await r.audited) > 0)) throw new Error('receipt not recorded');
      };
      // (2) until the outputs are complete (what the user waits for); the receipt of one run
      //     is relayed while the next one compiles
      const pending = [];
      const outputs = async () => {
        const r = await session.run(cell);
        if (r.status !== 'ok') throw new Error(`cell failed: ${r.status}`);
        pending.push(r.audited);
      };
      await timeLoop(WARMUP, audited);
      const full = stats(await timeLoop(N, audited));
      await timeLoop(WARMUP, outputs);
      const visible = stats(await timeLoop(N, outputs));
      const seqs = await Promise.all(pending);
      if (seqs.some((s) => !(s > 0))) throw new Error('a pipelined receipt was not recorded');
      return { full, visible };
    } finally {
      session.close();
    }
  } finally {
    await spin.stop();
  }
}

async function benchEnvelopes() {
  const server = await generateSigningKey();
  const runtime = await generateEncryptionKey();
  const signingKey = await importKey(server.privateJwk, 'EdDSA');
  const recipientKey = await importKey(runtime.publicJwk, 'ECDH-ES+A256KW');
  const decryptionKey = await importKey(runtime.privateJwk, 'ECDH-ES+A256KW');
  const now = Math.floor(Date.now() / 1000);
  const claims = (i) => ({
    iss: 'http://localhost',
    aud: 'rt_bench',
    sub: 'usr_bench',
    sid: 'ses_bench',
    cell: 'c',
    jti: `bench-jti-${i}-${'x'.repeat(8)}`,
    iat: now,
    exp: now + 300,
    notebook: 'nb_bench',
    program: { kind: 'kernel', kernel: 'python3', code: CODE },
    limits: { timeoutMs: 60_000, outputBytes: 10 * 2 ** 20 },
  });
  const seal = (i) =>
    sealProgram(claims(i), {
      signingKey,
      signingKid: server.publicJwk.kid,
      recipientKey,
      recipientKid: runtime.publicJwk.kid,
    });
  const ops = 2000;
  const sealed = [];
  let t0 = performance.now();
  for (let i = 0; i < ops; i++) sealed.push(await seal(i));
  const sealMs = performance.now() - t0;
  const seen = new Set();
  t0 = performance.now();
  for (const jwe of sealed) {
    await openProgram(jwe, {
      decryptionKey,
      decryptionKid: runtime.publicJwk.kid,
      serverJwks: { keys: [server.publicJwk] },
      audience: 'rt_bench',
      claimJti: async (jti) => !seen.has(jti) && !!seen.add(jti),
    });
  }
  const openMs = performance.now() - t0;
  return {
    seal: {
      ops,
      ops_per_s: Math.round((ops / sealMs) * 1000),
      us_per_op: Math.round((sealMs / ops) * 1000),
    },
    open: {
      ops,
      ops_per_s: Math.round((ops / openMs) * 1000),
      us_per_op: Math.round((openMs / ops) * 1000),
    },
  };
}

async function main() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'spin-bench-'));
  const meta = { machine: machine(), date: new Date().toISOString() };
  const results = {};
  const only = process.env.BENCH_ONLY;
  try {
    if (only === 'output' || only === 'api' || only === 'ui') {
      Object.assign(
        results,
        only === 'output'
          ? await runOutputBenchmarks({ dir, meta, startDeployment })
          : only === 'api'
            ? await runApiBenchmarks({ dir, meta, root })
            : await runUiBenchmarks({ dir, meta }),
      );
      const file = path.join(here, 'results.json');
      const previous = JSON.parse(await readFile(file, 'utf8').catch(() => '{}'));
      await writeFile(file, JSON.stringify({ ...previous, ...results }, null, 2) + '\n');
      console.log(`merged ${Object.keys(results).join(', ')} into ${file}`);
      return;
    }
    console.log(`benchmarks: ${N} sequential executions of "${CODE}" each`);
    results.kernel_execute_zeromq = {
      ...meta,
      description: 'ipykernel over ZeroMQ (TCP), KernelClient, no SPIN path',
      code: CODE,
      ...(await benchRawZmq(dir)),
    };
    console.log(
      'kernel_execute_zeromq',
      results.kernel_execute_zeromq.median_ms,
      results.kernel_execute_zeromq.p99_ms,
    );
    const spin = await benchSpinPath(dir);
    const overhead = (r) =>
      Math.round((r.median_ms - results.kernel_execute_zeromq.median_ms) * 1000) / 1000;
    results.kernel_execute_spin_path = {
      ...meta,
      description:
        'full SPIN path, deployed as separate server (embedded PGlite) and runtime processes, driven by @spin/client from the benchmark process: compile (HTTP) → sealed JWE → runtime WS → verify → ipykernel → journal → signed receipt → server verifies + audit (HTTP); timed until the audit entry exists',
      code: CODE,
      ...spin.full,
      overhead_vs_zeromq_median_ms: overhead(spin.full),
    };
    results.kernel_execute_spin_path_outputs = {
      ...meta,
      description:
        'same path, timed until the outputs are complete (cell_ended at the client); each receipt is relayed in the background while the next cell compiles',
      code: CODE,
      ...spin.visible,
      overhead_vs_zeromq_median_ms: overhead(spin.visible),
    };
    for (const k of ['kernel_execute_spin_path', 'kernel_execute_spin_path_outputs']) {
      console.log(k, results[k].median_ms, results[k].p99_ms);
    }
    const env = await benchEnvelopes();
    results.envelope_seal = {
      ...meta,
      description: 'sealProgram (JWS EdDSA inside JWE ECDH-ES+A256KW/A256GCM)',
      ...env.seal,
    };
    results.envelope_open = {
      ...meta,
      description: 'openProgram (decrypt, verify, claims, replay check)',
      ...env.open,
    };
    console.log('envelope seal/open ops/s', env.seal.ops_per_s, env.open.ops_per_s);
    Object.assign(results, await runOutputBenchmarks({ dir, meta, startDeployment }));
    Object.assign(results, await runApiBenchmarks({ dir, meta, root }));
    Object.assign(results, await runUiBenchmarks({ dir, meta }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  await writeFile(path.join(here, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  console.log(`wrote ${path.join(here, 'results.json')}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
