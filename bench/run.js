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
//   envelope_seal / envelope_open  sealProgram / openProgram per second: the node:crypto fast
//                            path beside jose and the node:crypto floor, interleaved (BENCH_ONLY=envelope)
//   output_throughput / output_latency_clients / output_rss_200mb  see bench/output.js
//   api_get_notebook_{pglite,postgres}[_api_token]  authenticated GET /api/v1/notebooks/:id
//                            requests per second under autocannon, see bench/api.js
//   ui_open_1000_cells / ui_stream_{100k,1m}_lines / ui_table_100k_rows  the notebook UI in
//                            Chromium (heartbeat + long-animation-frame), see bench/ui.js
//
// BENCH_ONLY=output (or =api, =envelope, =ui) runs only those benchmarks and merges their keys
// into results.json.
import { spawn } from 'node:child_process';
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  randomBytes,
  sign,
  verify,
} from 'node:crypto';
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
import * as fastEnvelope from '@spin/protocol/node';
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
async function startDeployment(dir, opts = {}) {
  const [serverPort, runtimePort] = [await freePort(), await freePort()];
  const spinToken = randomBytes(32).toString('base64url');
  const base = { ...process.env, LOG_LEVEL: 'warn', HOST: '127.0.0.1' };
  // BENCH_RUNTIME_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", to profile the runtime
  const nodeArgs = (process.env.BENCH_RUNTIME_NODE_ARGS ?? '').split(' ').filter(Boolean);
  // opts.runtimeBin: another build of the runtime, to compare two builds in one run
  const runtimeBin = opts.runtimeBin ?? path.join(root, 'packages/runtime/dist/bin.js');
  const runtime = spawn(process.execPath, [...nodeArgs, runtimeBin], {
    env: {
      ...base,
      PORT: String(runtimePort),
      SPIN_HOME: path.join(dir, 'runtime'),
      SPIN_TOKEN: spinToken,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  // BENCH_SERVER_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", to profile the server
  const serverArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const server = spawn(
    process.execPath,
    [...serverArgs, path.join(root, 'packages/server/dist/bin.js')],
    {
      env: {
        ...base,
        PORT: String(serverPort),
        SPIN_DATA_DIR: path.join(dir, 'server'),
        SPIN_MASTER_KEY_FILE: path.join(dir, 'server-config', 'master.key'),
        DATABASE_URL: opts.databaseUrl ?? '',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
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
async function processCpuMs(pid) {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / CLOCK_TICKS;
}
const CLOCK_TICKS = Number(process.env.BENCH_CLK_TCK ?? 100); // getconf CLK_TCK on Linux

/** A fresh PostgreSQL database for one deployment; `drop()` removes it. */
async function freshPostgres() {
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

async function benchSpinPath(dir, opts = {}) {
  const spin = await startDeployment(path.join(dir, opts.name ?? 'deployment'), opts);
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
      await Promise.all(pending.splice(0));
      // The server's own CPU over the N pipelined runs, their receipts included.
      const cpu0 = await processCpuMs(spin.serverPid);
      const visible = stats(await timeLoop(N, outputs));
      const seqs = await Promise.all(pending);
      const cpuMs = (await processCpuMs(spin.serverPid)) - cpu0;
      if (seqs.some((s) => !(s > 0))) throw new Error('a pipelined receipt was not recorded');
      return { full, visible, serverCpuPerRunMs: Math.round((cpuMs / N) * 1000) / 1000 };
    } finally {
      session.close();
    }
  } finally {
    await spin.stop();
  }
}

/**
 * The envelope floor: the primitive operations a seal or an open cannot avoid, with minimal code
 * and cached KeyObjects, over bytes as long as the real envelope's (no claims, no JSON, no
 * base64url, no header checks). Seal: Ed25519 sign, X25519 keygen + agreement, Concat KDF,
 * AES-KW, AES-256-GCM; open: the reverse.
 */
function envelopeFloor(server, runtime, payload) {
  const sk = createPrivateKey({ key: server.privateJwk, format: 'jwk' });
  const pk = createPublicKey({ key: server.publicJwk, format: 'jwk' });
  const rpub = createPublicKey({ key: runtime.publicJwk, format: 'jwk' });
  const rpriv = createPrivateKey({ key: runtime.privateJwk, format: 'jwk' });
  const kwIv = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');
  const kdfInfo = Buffer.from(
    '0000000e' + Buffer.from('ECDH-ES+A256KW').toString('hex') + '000000000000000000000100',
    'hex',
  );
  const kdf = (z) =>
    createHash('sha256')
      .update(Buffer.from([0, 0, 0, 1]))
      .update(z)
      .update(kdfInfo)
      .digest();
  const aad = Buffer.from('h'.repeat(252));
  return {
    seal() {
      const sig = sign(null, payload, sk);
      const eph = generateKeyPairSync('x25519');
      const x = eph.publicKey.export({ format: 'jwk' }).x;
      const kek = kdf(diffieHellman({ privateKey: eph.privateKey, publicKey: rpub }));
      const cek = randomBytes(32);
      const w = createCipheriv('id-aes256-wrap', kek, kwIv);
      const ek = Buffer.concat([w.update(cek), w.final()]);
      const iv = randomBytes(12);
      const g = createCipheriv('aes-256-gcm', cek, iv);
      g.setAAD(aad);
      const ct = Buffer.concat([g.update(payload), g.update(sig), g.final()]);
      return { x, ek, iv, ct, tag: g.getAuthTag(), sig };
    },
    open({ x, ek, iv, ct, tag, sig }) {
      const epk = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x }, format: 'jwk' });
      const kek = kdf(diffieHellman({ privateKey: rpriv, publicKey: epk }));
      const u = createDecipheriv('id-aes256-wrap', kek, kwIv);
      const cek = Buffer.concat([u.update(ek), u.final()]);
      const g = createDecipheriv('aes-256-gcm', cek, iv);
      g.setAAD(aad);
      g.setAuthTag(tag);
      const pt = Buffer.concat([g.update(ct), g.final()]);
      if (!verify(null, pt.subarray(0, payload.length), pk, sig)) throw new Error('floor verify');
    },
  };
}

/**
 * Seal and open per second for the jose engine, the node:crypto fast path (@spin/protocol/node,
 * what the server and runtime use) and the floor, interleaved in small blocks within one run;
 * reports the median over 3 reps of each rep's median block, and floor/fast ratios (1 = floor).
 */
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
  const sealOpts = {
    signingKey,
    signingKid: server.publicJwk.kid,
    recipientKey,
    recipientKid: runtime.publicJwk.kid,
  };
  const seen = new Set();
  const openOpts = {
    decryptionKey,
    decryptionKid: runtime.publicJwk.kid,
    serverJwks: { keys: [server.publicJwk] },
    audience: 'rt_bench',
    claimJti: async (jti) => !seen.has(jti) && !!seen.add(jti),
  };
  // The floor signs and encrypts bytes as long as the real JWS signing input (header.payload).
  const b64 = (v) => Buffer.from(v).toString('base64url');
  const jwsHeader = { alg: 'EdDSA', kid: server.publicJwk.kid, typ: 'spin-program+jwt' };
  const signingInput = `${b64(JSON.stringify(jwsHeader))}.${b64(JSON.stringify(claims(0)))}`;
  const floor = envelopeFloor(server, runtime, Buffer.from(signingInput));
  const engines = {
    jose: { seal: (i) => sealProgram(claims(i), sealOpts), open: (t) => openProgram(t, openOpts) },
    fast: {
      seal: (i) => fastEnvelope.sealProgram(claims(i), sealOpts),
      open: (t) => fastEnvelope.openProgram(t, openOpts),
    },
    floor: { seal: async () => floor.seal(), open: async (t) => floor.open(t) },
  };
  // Small blocks, round-robin: on a shared machine load drifts within seconds, so each engine
  // must see the same drift. Each block records wall and CPU (process.cpuUsage) time per op.
  const BLOCK = Number(process.env.BENCH_ENVELOPE_BLOCK ?? 100);
  const ROUNDS = Number(process.env.BENCH_ENVELOPE_ROUNDS ?? 30);
  const REPS = 3;
  const samples = { seal: {}, open: {} };
  let serial = 0;
  for (const e of Object.values(engines)) {
    for (let i = 0; i < 50; i++) await e.open(await e.seal(serial++)); // warm-up, not measured
  }
  const block = async (op, name, run) => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await run();
    const wall = ((performance.now() - t0) / BLOCK) * 1000;
    const c = process.cpuUsage(c0);
    const cpu = (c.user + c.system) / BLOCK;
    const into = (samples[op][name] ??= { wall: [], cpu: [] });
    into.wall.push(wall);
    into.cpu.push(cpu);
  };
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const repMedians = { seal: {}, open: {} };
  for (let rep = 0; rep < REPS; rep++) {
    for (const op of ['seal', 'open'])
      for (const name of Object.keys(engines)) samples[op][name] = undefined;
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, e] of Object.entries(engines)) {
        const sealed = [];
        await block('seal', name, async () => {
          for (let i = 0; i < BLOCK; i++) sealed.push(await e.seal(serial++));
        });
        // as relayed: a token arrives as a flat string parsed from a frame
        const relayed = sealed.map((t) =>
          typeof t === 'string' ? JSON.parse(JSON.stringify(t)) : t,
        );
        await block('open', name, async () => {
          for (const t of relayed) await e.open(t);
        });
      }
    }
    for (const op of ['seal', 'open']) {
      for (const [name, { wall, cpu }] of Object.entries(samples[op])) {
        const r = (repMedians[op][name] ??= { wall: [], cpu: [] });
        r.wall.push(median(wall));
        r.cpu.push(median(cpu));
      }
    }
  }
  const summary = (op) => {
    const m = repMedians[op];
    const us = (k, kind) => median(m[k][kind]);
    const per = (k) => ({
      us_per_op: Math.round(us(k, 'wall')),
      ops_per_s: Math.round(1e6 / us(k, 'wall')),
      cpu_us_per_op: Math.round(us(k, 'cpu')),
      reps_us_per_op: m[k].wall.map(Math.round),
    });
    const ratio = (a, b, kind) => Math.round((us(b, kind) / us(a, kind)) * 1000) / 1000;
    return {
      ops_per_block: BLOCK,
      blocks_per_rep: ROUNDS,
      reps: REPS,
      ...per('fast'),
      jose: per('jose'),
      floor: per('floor'),
      fast_vs_floor: ratio('fast', 'floor', 'wall'),
      fast_vs_floor_cpu: ratio('fast', 'floor', 'cpu'),
      jose_vs_floor: ratio('jose', 'floor', 'wall'),
      load_average: os.loadavg().map((l) => Math.round(l * 100) / 100),
    };
  };
  return { seal: summary('seal'), open: summary('open') };
}

async function envelopeResults(meta) {
  const env = await benchEnvelopes();
  const results = {};
  results.envelope_seal = {
    ...meta,
    description:
      'sealProgram on node:crypto (@spin/protocol/node; JWS EdDSA inside JWE ECDH-ES+A256KW/A256GCM), beside jose and the node:crypto floor, interleaved; fast_vs_floor = floor µs / fast µs (1 = at the floor)',
    ...env.seal,
  };
  results.envelope_open = {
    ...meta,
    description:
      'openProgram on node:crypto (decrypt, verify, claims, replay check), beside jose and the node:crypto floor, interleaved; fast_vs_floor = floor µs / fast µs (1 = at the floor)',
    ...env.open,
  };
  for (const op of ['seal', 'open']) {
    const r = env[op];
    console.log(
      `envelope ${op} µs/op: fast ${r.us_per_op}, jose ${r.jose.us_per_op}, floor ${r.floor.us_per_op}; floor/fast ${r.fast_vs_floor} (cpu ${r.fast_vs_floor_cpu})`,
    );
  }
  return results;
}

/**
 * The execution path: raw ZeroMQ, then the full SPIN path on embedded PGlite and on PostgreSQL
 * (fresh database each), with the server process's CPU per pipelined run beside each.
 */
async function pathResults(dir, meta) {
  const results = {};
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
  const overhead = (r) =>
    Math.round((r.median_ms - results.kernel_execute_zeromq.median_ms) * 1000) / 1000;
  const cpu = {};
  // BENCH_PATH_DBS=pglite (or postgres) measures one database kind only
  for (const kind of (process.env.BENCH_PATH_DBS ?? 'pglite,postgres').split(',')) {
    const pgDb = kind === 'postgres' ? await freshPostgres() : null;
    let spin;
    try {
      spin = await benchSpinPath(dir, {
        name: `deployment-${kind}`,
        ...(pgDb ? { databaseUrl: pgDb.url } : {}),
      });
    } finally {
      await pgDb?.drop();
    }
    const suffix = kind === 'pglite' ? '' : '_postgres';
    const dbText = kind === 'pglite' ? 'embedded PGlite' : 'PostgreSQL';
    results[`kernel_execute_spin_path${suffix}`] = {
      ...meta,
      description: `full SPIN path, deployed as separate server (${dbText}) and runtime processes, driven by @spin/client from the benchmark process: compile (HTTP) → sealed JWE → runtime WS → verify → ipykernel → journal → signed receipt → server verifies + audit (HTTP); timed until the audit entry exists`,
      code: CODE,
      ...spin.full,
      overhead_vs_zeromq_median_ms: overhead(spin.full),
    };
    results[`kernel_execute_spin_path_outputs${suffix}`] = {
      ...meta,
      description: `same path (${dbText}), timed until the outputs are complete (cell_ended at the client); each receipt is relayed in the background while the next cell compiles`,
      code: CODE,
      ...spin.visible,
      overhead_vs_zeromq_median_ms: overhead(spin.visible),
    };
    cpu[`${kind}_ms`] = spin.serverCpuPerRunMs;
    for (const k of [
      `kernel_execute_spin_path${suffix}`,
      `kernel_execute_spin_path_outputs${suffix}`,
    ]) {
      console.log(k, results[k].median_ms, results[k].p99_ms);
    }
    console.log(`server_cpu_per_run ${kind}`, spin.serverCpuPerRunMs, 'ms');
  }
  results.server_cpu_per_run = {
    ...meta,
    description: `CPU (user + system, /proc/<pid>/stat) of the server process per run over the ${N} pipelined runs of kernel_execute_spin_path_outputs: compile + receipt + audit, by database`,
    runs: N,
    ...cpu,
  };
  return results;
}

async function main() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'spin-bench-'));
  const meta = { machine: machine(), date: new Date().toISOString() };
  const results = {};
  const only = process.env.BENCH_ONLY;
  try {
    if (only === 'path') {
      Object.assign(results, await pathResults(dir, meta));
      const file = path.join(here, 'results.json');
      const previous = JSON.parse(await readFile(file, 'utf8').catch(() => '{}'));
      await writeFile(file, JSON.stringify({ ...previous, ...results }, null, 2) + '\n');
      console.log(`merged ${Object.keys(results).join(', ')} into ${file}`);
      return;
    }
    if (only === 'output' || only === 'api' || only === 'envelope' || only === 'ui') {
      Object.assign(
        results,
        only === 'output'
          ? await runOutputBenchmarks({ dir, meta, startDeployment })
          : only === 'api'
            ? await runApiBenchmarks({ dir, meta, root })
            : only === 'ui'
              ? await runUiBenchmarks({ dir, meta })
              : await envelopeResults(meta),
      );
      const file = path.join(here, 'results.json');
      const previous = JSON.parse(await readFile(file, 'utf8').catch(() => '{}'));
      await writeFile(file, JSON.stringify({ ...previous, ...results }, null, 2) + '\n');
      console.log(`merged ${Object.keys(results).join(', ')} into ${file}`);
      return;
    }
    Object.assign(results, await pathResults(dir, meta));
    Object.assign(results, await envelopeResults(meta));
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
