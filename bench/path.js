// The execution path benchmark (BENCH_ONLY=path): a trivial cell over raw ZeroMQ, over the
// floor (bench/floor.js) and over the full SPIN path on embedded PGlite and on PostgreSQL, all
// in one run, interleaved in small blocks (load on a shared machine drifts within seconds, so
// each must see the same drift), repeated 3 times; each figure is the median of the 3 reps'.
import path from 'node:path';
import { KernelClient, findKernelSpec } from '@spin/runtime';
import * as spinClient from '@spin/client';
import * as spinClientNode from '@spin/client/node';
import { startFloor } from './floor.js';
import { freshPostgres, processCpuMs, startDeployment } from './processes.js';

const CODE = 'x = 6 * 7';
const WARMUP = 20;
const REPS = 3;
/** Runs per block, and blocks per rep of each measured path (BENCH_N runs per rep in all). */
const BLOCK = Number(process.env.BENCH_PATH_BLOCK ?? 20);
const ROUNDS = Math.max(1, Math.round(Number(process.env.BENCH_N ?? 200) / BLOCK));

const round3 = (v) => Math.round(v * 1000) / 1000;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function quantile(samples, p) {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
}

/** Median and p99 as the median of the reps' own; mean, min, max over every sample. */
function stats(reps) {
  const all = reps.flat();
  return {
    n: all.length,
    reps: reps.length,
    median_ms: round3(median(reps.map((r) => quantile(r, 0.5)))),
    p99_ms: round3(median(reps.map((r) => quantile(r, 0.99)))),
    reps_median_ms: reps.map((r) => round3(quantile(r, 0.5))),
    reps_p99_ms: reps.map((r) => round3(quantile(r, 0.99))),
    mean_ms: round3(all.reduce((a, b) => a + b, 0) / all.length),
    min_ms: round3(Math.min(...all)),
    max_ms: round3(Math.max(...all)),
  };
}

/**
 * Server and runtime as deployed (two processes), paired by the client like an admin would, a
 * notebook with one cell, and a NotebookSession on it driven from this process.
 */
async function openSpin(dir, kind, compareRoot) {
  const { NotebookSession, pairRuntime } = compareRoot
    ? await import(path.join(compareRoot, 'packages/client/dist/index.js'))
    : spinClient;
  const { NodeWebSocket, createNodeApi } = compareRoot
    ? await import(path.join(compareRoot, 'packages/client/dist/node/index.js'))
    : spinClientNode;
  const pgDb = kind === 'postgres' ? await freshPostgres() : null;
  const spin = await startDeployment(
    path.join(dir, `deployment-${kind}${compareRoot ? '-compare' : ''}`),
    {
      ...(pgDb ? { databaseUrl: pgDb.url } : {}),
      ...(compareRoot ? { root: compareRoot } : {}),
    },
  ).catch(async (err) => {
    await pgDb?.drop();
    throw err;
  });
  let session;
  const close = async () => {
    session?.close();
    await spin.stop();
    await pgDb?.drop();
  };
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
    const cell = { id: 'c', type: 'python', source: CODE };
    const nb = await api.createNotebook({ title: 'bench', cells: [cell] });
    const [runtime] = await api.listRuntimes();
    session = await NotebookSession.open({
      api,
      notebookId: nb.id,
      runtime,
      WebSocket: NodeWebSocket,
    });
    // the sizes of one real compile (never run), for the floor's hops
    const body = { sid: session.sid, cell };
    const compiled = await api.compile(nb.id, body);
    const sizes = {
      request: JSON.stringify(body).length,
      response: JSON.stringify(compiled).length,
      ws: JSON.stringify({ type: 'execute', requestId: 'r1', envelope: compiled.envelope }).length,
    };
    const pending = [];
    const cpuMs = { server: 0, runtime: 0, client: 0 };
    let cpuRuns = 0;
    return {
      sizes,
      close,
      // until the server recorded the receipt: compile → execute → receipt → audit
      async audited() {
        const r = await session.run(cell);
        if (r.status !== 'ok') throw new Error(`cell failed: ${r.status}`);
        if (!((await r.audited) > 0)) throw new Error('receipt not recorded');
      },
      // until the outputs are complete (what the user waits for); each receipt is relayed
      // while the next run compiles
      async outputs() {
        const r = await session.run(cell);
        if (r.status !== 'ok') throw new Error(`cell failed: ${r.status}`);
        pending.push(r.audited);
      },
      /**
       * Around a block of `outputs`: the CPU the server, the runtime (not its kernel) and this
       * process (the client) spent on it, receipts included — on a loaded machine, where
       * latencies mostly wait for a core, the steadier measure of a process's own cost.
       */
      async measureCpu(block) {
        const server0 = await processCpuMs(spin.serverPid);
        const runtime0 = await processCpuMs(spin.runtimePid);
        const client0 = process.cpuUsage();
        const n = await block();
        const seqs = await Promise.all(pending.splice(0));
        if (seqs.some((s) => !(s > 0))) throw new Error('a pipelined receipt was not recorded');
        const c = process.cpuUsage(client0);
        cpuMs.client += (c.user + c.system) / 1000;
        cpuMs.runtime += (await processCpuMs(spin.runtimePid)) - runtime0;
        cpuMs.server += (await processCpuMs(spin.serverPid)) - server0;
        cpuRuns += n;
      },
      cpuPerRunMs: (which) => round3(cpuMs[which] / Math.max(1, cpuRuns)),
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * Raw ZeroMQ, the floor and the SPIN path (both databases unless BENCH_PATH_DBS names one),
 * interleaved: each rep runs ROUNDS rounds, each round one block of BLOCK runs of every path
 * (in a rotating order).
 */
export async function pathResults(dir, meta) {
  const kinds = (process.env.BENCH_PATH_DBS ?? 'pglite,postgres').split(',');
  console.log(
    `path benchmarks: "${CODE}", ${REPS} reps × ${ROUNDS} blocks × ${BLOCK} runs of each, interleaved`,
  );
  const kernel = new KernelClient({ dir: path.join(dir, 'raw-kernel'), transport: 'tcp' });
  await kernel.start(findKernelSpec('python3'));
  const spins = {};
  let floor;
  try {
    for (const kind of kinds) spins[kind] = await openSpin(dir, kind);
    // BENCH_PATH_COMPARE=<another built checkout>: its client, server and runtime on PGlite too,
    // interleaved with these (before/after a change in the same machine state)
    const compare = process.env.BENCH_PATH_COMPARE;
    if (compare) spins.compare = await openSpin(dir, 'pglite', path.resolve(compare));
    floor = await startFloor(Object.values(spins)[0].sizes);
    const paths = { zeromq: () => kernel.execute(CODE, () => {}), floor: () => floor.run() };
    for (const [kind, s] of Object.entries(spins)) {
      paths[`${kind}_outputs`] = s.outputs;
      paths[`${kind}_audited`] = s.audited;
    }
    for (const run of Object.values(paths)) for (let i = 0; i < WARMUP; i++) await run();
    for (const s of Object.values(spins)) await s.measureCpu(async () => 0); // warm-up receipts
    for (const k of Object.keys(floor.parts)) floor.parts[k].length = 0;
    const samples = Object.fromEntries(Object.keys(paths).map((k) => [k, []]));
    const floorParts = Object.fromEntries(Object.keys(floor.parts).map((k) => [k, []]));
    const names = Object.keys(paths);
    for (let rep = 0; rep < REPS; rep++) {
      const repSamples = Object.fromEntries(names.map((k) => [k, []]));
      for (let round = 0; round < ROUNDS; round++) {
        for (let j = 0; j < names.length; j++) {
          const name = names[(round + j) % names.length];
          const block = async () => {
            for (let i = 0; i < BLOCK; i++) {
              const t0 = performance.now();
              await paths[name]();
              repSamples[name].push(performance.now() - t0);
            }
            return BLOCK;
          };
          const kind = name.endsWith('_outputs') ? name.slice(0, -'_outputs'.length) : null;
          if (kind) await spins[kind].measureCpu(block);
          else await block();
        }
      }
      for (const k of names) samples[k].push(repSamples[k]);
      for (const k of Object.keys(floor.parts)) {
        floorParts[k].push(floor.parts[k].splice(0));
      }
    }
    return report(meta, samples, floorParts, spins, Object.values(spins)[0].sizes);
  } finally {
    await floor?.close();
    for (const s of Object.values(spins)) await s.close();
    await kernel.shutdown();
  }
}

function report(meta, samples, floorParts, spins, sizes) {
  const results = {};
  const raw = stats(samples.zeromq);
  const fl = stats(samples.floor);
  const floorPlusZmq = round3(fl.median_ms + raw.median_ms);
  const floorPlusZmqP99 = round3(fl.p99_ms + raw.p99_ms);
  results.kernel_execute_zeromq = {
    ...meta,
    description:
      'ipykernel over ZeroMQ (TCP), KernelClient, no SPIN path; interleaved with the floor and the SPIN path',
    code: CODE,
    ...raw,
  };
  results.kernel_execute_floor = {
    ...meta,
    description:
      'the floor beside the kernel, minimal code, interleaved: one loopback HTTP round trip (node:http both ends, keep-alive, bodies as long as a real compile request and response), seal + open with node:crypto (bench/envelope.js envelopeFloor), one WebSocket hop (ws, the runtime options, a message as long as the real execute message)',
    bytes: sizes,
    floor_ms: fl.median_ms,
    floor_p99_ms: fl.p99_ms,
    parts_median_ms: Object.fromEntries(
      Object.entries(floorParts).map(([k, reps]) => [k, stats(reps).median_ms]),
    ),
    floor_plus_zeromq_ms: floorPlusZmq,
    floor_plus_zeromq_p99_ms: floorPlusZmqP99,
    ...fl,
  };
  console.log('kernel_execute_zeromq', raw.median_ms, raw.p99_ms, raw.reps_median_ms);
  console.log(
    'kernel_execute_floor',
    fl.median_ms,
    fl.p99_ms,
    results.kernel_execute_floor.parts_median_ms,
    'floor + zeromq',
    floorPlusZmq,
  );
  const cpu = {};
  const processCpu = { runtime: {}, client: {} };
  for (const kind of Object.keys(spins)) {
    const suffix = kind === 'pglite' ? '' : `_${kind}`;
    const dbText =
      kind === 'pglite'
        ? 'embedded PGlite'
        : kind === 'postgres'
          ? 'PostgreSQL'
          : `embedded PGlite, the build at ${process.env.BENCH_PATH_COMPARE}`;
    const versus = (s) => ({
      overhead_vs_zeromq_median_ms: round3(s.median_ms - raw.median_ms),
      overhead_vs_zeromq_p99_ms: round3(s.p99_ms - raw.p99_ms),
      vs_floor_plus_zeromq_ms: round3(s.median_ms - floorPlusZmq),
    });
    const full = stats(samples[`${kind}_audited`]);
    const visible = stats(samples[`${kind}_outputs`]);
    results[`kernel_execute_spin_path${suffix}`] = {
      ...meta,
      description: `full SPIN path, deployed as separate server (${dbText}) and runtime processes, driven by @spin/client from the benchmark process: compile (HTTP) → sealed JWE → runtime WS → verify → ipykernel → journal → signed receipt → server verifies + audit (HTTP); timed until the audit entry exists`,
      code: CODE,
      ...full,
      ...versus(full),
    };
    results[`kernel_execute_spin_path_outputs${suffix}`] = {
      ...meta,
      description: `same path (${dbText}), timed until the outputs are complete (cell_ended at the client); each receipt is relayed in the background while the next cell compiles`,
      code: CODE,
      ...visible,
      ...versus(visible),
    };
    cpu[`${kind}_ms`] = spins[kind].cpuPerRunMs('server');
    for (const which of ['runtime', 'client']) {
      processCpu[which][`${kind}_ms`] = spins[kind].cpuPerRunMs(which);
    }
    for (const k of [
      `kernel_execute_spin_path${suffix}`,
      `kernel_execute_spin_path_outputs${suffix}`,
    ]) {
      const r = results[k];
      console.log(
        k,
        r.median_ms,
        r.p99_ms,
        r.reps_median_ms,
        'vs floor+zmq',
        r.vs_floor_plus_zeromq_ms,
      );
    }
    console.log(
      `cpu_per_run ${kind}: server`,
      cpu[`${kind}_ms`],
      'runtime',
      processCpu.runtime[`${kind}_ms`],
      'client',
      processCpu.client[`${kind}_ms`],
      'ms',
    );
  }
  results.server_cpu_per_run = {
    ...meta,
    description:
      'CPU (user + system, /proc/<pid>/stat) of the server process per run over the pipelined runs of kernel_execute_spin_path_outputs: compile + receipt + audit, by database',
    runs: REPS * ROUNDS * BLOCK,
    ...cpu,
  };
  results.runtime_cpu_per_run = {
    ...meta,
    description:
      'CPU (/proc/<pid>/stat) of the runtime process (not its kernel) per run over the same runs: open + verify + replay claim, journal, WebSocket, receipt',
    runs: REPS * ROUNDS * BLOCK,
    ...processCpu.runtime,
  };
  results.client_cpu_per_run = {
    ...meta,
    description:
      'CPU (process.cpuUsage) of the benchmark process, the @spin/client side, per run over the same runs: compile request, relay, events, receipt post',
    runs: REPS * ROUNDS * BLOCK,
    ...processCpu.client,
  };
  return results;
}
