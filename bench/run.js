// SPIN benchmarks (`npm run bench`, after `npm run build`). Writes bench/results.json: one key
// per benchmark, each with the machine it ran on and the date. Everything talks to loopback only.
//
//   kernel_execute_zeromq    sequential trivial executions straight to ipykernel over ZeroMQ
//                            (the baseline: @spin/runtime's KernelClient, no SPIN path)
//   kernel_execute_floor     the path's floor beside the kernel (HTTP round trip, WebSocket hop,
//                            seal + open, minimal code), see bench/floor.js
//   kernel_execute_spin_path the same executions over the full SPIN path driven by
//                            @spin/client from Node: compile at the server → sealed JWE → runtime
//                            WebSocket → verify → kernel → journal → receipt → server audit.
//                            Server and runtime run as separate processes (as deployed), paired
//                            by the client; the benchmark process is the client.
//   kernel_execute_spin_path_outputs  the same, timed until the outputs are complete
//                            (these four interleaved in blocks, 3 reps: see bench/path.js)
//   {server,runtime,client}_cpu_per_run  each process's CPU per run of the path (BENCH_ONLY=path;
//                            BENCH_PATH_DBS=pglite for one database, BENCH_PATH_COMPARE=<another
//                            built checkout> to run its build beside this one, interleaved)
//   envelope_seal / envelope_open  sealProgram / openProgram per second: the node:crypto fast
//                            path beside jose and the node:crypto floor, interleaved (BENCH_ONLY=envelope)
//   output_throughput / output_latency_clients / output_rss_200mb  see bench/output.js
//   api_get_notebook_{pglite,postgres}[_api_token]  authenticated GET /api/v1/notebooks/:id
//                            requests per second under autocannon, see bench/api.js
//   ui_open_1000_cells / ui_stream_{100k,1m}_lines / ui_table_100k_rows  the notebook UI in
//                            Chromium (heartbeat + long-animation-frame), see bench/ui.js
//
// BENCH_ONLY=path (or =output, =api, =envelope, =ui) runs only those benchmarks and merges their keys
// into results.json.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDeployment } from './processes.js';
import { runApiBenchmarks } from './api.js';
import { envelopeResults } from './envelope.js';
import { runOutputBenchmarks } from './output.js';
import { pathResults } from './path.js';
import { runUiBenchmarks } from './ui.js';

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

function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

async function main() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'spin-bench-'));
  // every result names the commit it measured and the load the machine was under at the start
  const meta = {
    machine: machine(),
    date: new Date().toISOString(),
    commit: gitCommit(),
    loadavg_at_start: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
  const results = {};
  const only = process.env.BENCH_ONLY;
  try {
    const sections = {
      path: () => pathResults(dir, meta),
      output: () => runOutputBenchmarks({ dir, meta, startDeployment }),
      api: () => runApiBenchmarks({ dir, meta, root }),
      ui: () => runUiBenchmarks({ dir, meta }),
      envelope: () => envelopeResults(meta),
    };
    if (only && sections[only]) {
      Object.assign(results, await sections[only]());
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
