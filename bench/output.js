// Output benchmarks (issue 8, acceptance 8), run by bench/run.js. Each measure runs interleaved
// with its raw ZeroMQ baseline (KernelClient straight to ipykernel) in blocks, 3 repetitions,
// and reports the median of the blocks' medians. Both paths start kernels with KernelClient, so
// both kernels flush streams at 1 MiB (runtime/src/kernels/iopubBounds.ts): the same messages
// reach the baseline and the runtime.
//
//   output_throughput       50 MB printed as 100-byte lines and as 1 MB lines: MB/s straight
//                           over ZeroMQ vs the full SPIN path (until cell_ended at the client,
//                           and until the client also holds every byte of the spilled blob);
//                           bytes received counted, sha256 and receipt verified
//   output_latency_clients  100 timestamped lines, spaced 20 ms and back to back, delivered to
//                           50 attached clients: p50/p99 of print → each client's receipt
//   output_rss_200mb        the runtime process's RSS during a cell printing 200 MB
//
// BENCH_OUTPUT_PARTS=throughput (latency, rss) and BENCH_OUTPUT_SHAPES=lines_1MB (lines_100B)
// narrow a run. BENCH_OUTPUT_AB_RUNTIME=<another runtime build's dist/bin.js> measures that
// build too, in the same blocks, under `ab_runtime`. Each throughput block also records the
// CPU of the raw client and of the runtime process per run (steadier than MB/s on a loaded
// machine); bench/outputPath.js times the runtime's output path alone, in-process.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KernelClient, findKernelSpec } from '@spin/runtime';
import { BlobPager, NotebookSession, RuntimeSocket, pairRuntime } from '@spin/client';
import { NodeWebSocket, createNodeApi } from '@spin/client/node';
import { BLOB_REF_MIME } from '@spin/protocol';

const MB = 1e6;
const TOTAL = 50 * MB;
const REPS = 3;
const RUNS = Number(process.env.BENCH_OUTPUT_RUNS ?? 3);
const CLIENTS = 50;
const LINES = 100;

const ALL_SHAPES = {
  lines_100B: `pad = "x" * 89\nfor i in range(1, ${TOTAL / 100 + 1}):\n    print(f"{i:010d}{pad}")`,
  lines_1MB: `line = "x" * ${MB - 1}\nfor i in range(${TOTAL / MB}):\n    print(line)`,
};
// BENCH_OUTPUT_SHAPES=lines_1MB (comma-separated) measures only those shapes, to iterate fast
const SHAPES = Object.fromEntries(
  Object.entries(ALL_SHAPES).filter(([k]) =>
    (process.env.BENCH_OUTPUT_SHAPES ?? Object.keys(ALL_SHAPES).join(',')).split(',').includes(k),
  ),
);
const expectedLast = {
  lines_100B: String(TOTAL / 100).padStart(10, '0') + 'x'.repeat(89),
  lines_1MB: 'x'.repeat(MB - 1),
};
const latencyCode = (spaced) =>
  [
    'import time',
    `for i in range(${LINES}):`,
    '    print(f"L {i} {time.time_ns()}", flush=True)',
    ...(spaced ? ['    time.sleep(0.02)'] : []),
  ].join('\n');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const quantile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
};
const r3 = (v) => Math.round(v * 1000) / 1000;
const nowNs = () => (performance.timeOrigin + performance.now()) * 1e6;
const loadavg = () => os.loadavg().map((v) => Math.round(v * 100) / 100);

/** CPU ms (user + system, every thread) a process has used so far, from /proc/<pid>/stat. */
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}
const CLOCK_TICKS = Number(process.env.BENCH_CLK_TCK ?? 100); // getconf CLK_TCK on Linux
const ownCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function rss(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) * 1024;
}

function ipykernelVersion() {
  try {
    return execFileSync('/usr/bin/python3', [
      '-c',
      'import ipykernel; print(ipykernel.__version__)',
    ])
      .toString()
      .trim();
  } catch {
    return 'unknown';
  }
}

async function rawThroughput(kernel, shape) {
  let bytes = 0;
  // the newest messages' texts, at least 2 MB of them: kept without joining them per message
  const tail = [];
  let tailChars = 0;
  const cpu0 = ownCpuMs();
  const t0 = performance.now();
  const reply = await kernel.execute(SHAPES[shape], (o) => {
    if (o.msgType !== 'stream') return;
    const text = String(o.content.text ?? '');
    bytes += Buffer.byteLength(text);
    tail.push(text);
    tailChars += text.length;
    while (tailChars - tail[0].length >= 2 * MB) tailChars -= tail.shift().length;
  });
  const ms = performance.now() - t0;
  const cpu = ownCpuMs() - cpu0;
  if (reply.status !== 'ok') throw new Error(`raw ${shape} failed`);
  const last = tail.join('').split('\n').at(-2);
  return {
    MBps: TOTAL / MB / (ms / 1000),
    cpuMs: cpu,
    bytes,
    lastLineOk: last === expectedLast[shape],
  };
}

async function spinThroughput(ctx, shape) {
  const cpu0 = cpuMs(ctx.runtimePid);
  const t0 = performance.now();
  const r = await ctx.session.run({ id: 'out', type: 'python', source: SHAPES[shape] });
  const cellMs = performance.now() - t0;
  const runtimeCpuMs = cpuMs(ctx.runtimePid) - cpu0;
  if (r.status !== 'ok') throw new Error(`spin ${shape} failed: ${r.status}`);
  const inlineBytes = r.outputs.reduce(
    (n, o) => n + (o.output_type === 'stream' ? Buffer.byteLength(o.text) : 0),
    0,
  );
  const display = r.outputs.find((o) => o.output_type === 'display_data' && o.data[BLOB_REF_MIME]);
  const ref = display?.data[BLOB_REF_MIME];
  let bytes = inlineBytes;
  let shaOk = true;
  let last = '';
  if (ref) {
    const pager = new BlobPager({ runtimeUrl: ctx.runtimeUrl, id: ref.id, getToken: ctx.getToken });
    const hash = createHash('sha256');
    bytes = 0;
    const step = 16 * 2 ** 20;
    let end = Buffer.alloc(0);
    for (let start = 0; start < ref.bytes; start += step) {
      const part = await pager.bytes(start, Math.min(ref.bytes, start + step) - 1);
      hash.update(part.bytes);
      bytes += part.bytes.length;
      end = Buffer.concat([end, Buffer.from(part.bytes)]).subarray(-2 * MB);
    }
    shaOk = hash.digest('hex') === ref.sha256;
    last = end.toString('utf8').split('\n').at(-2);
  }
  const allMs = performance.now() - t0;
  const auditSeq = await r.audited;
  return {
    cellMBps: TOTAL / MB / (cellMs / 1000),
    runtimeCpuMs,
    allMBps: TOTAL / MB / (allMs / 1000),
    bytes,
    inlineBytes,
    spilled: Boolean(ref),
    verified: shaOk && auditSeq > 0 && last === expectedLast[shape],
  };
}

/** Wall time of a cell that prints nothing: what every run pays before its first byte. */
async function emptyCellMs(ctx) {
  const t0 = performance.now();
  const r = await ctx.session.run({ id: 'out', type: 'python', source: 'pass' });
  if (r.status !== 'ok') throw new Error('empty cell failed');
  return performance.now() - t0;
}

/** The output_throughput keys of one SPIN deployment's runs against the raw blocks. */
function throughputResult(rawBlocks, spinBlocks, empty) {
  const mom = (blocks, f) => r3(median(blocks.map((b) => median(b.map(f)))));
  const zeromq = mom(rawBlocks, (r) => r.MBps);
  const cell = mom(spinBlocks, (r) => r.cellMBps);
  const all = mom(spinBlocks, (r) => r.allMBps);
  const spinRuns = spinBlocks.flat();
  const rawRuns = rawBlocks.flat();
  // The SPIN run includes what any cell costs (compile at the server, envelope, receipt):
  // the same run with an empty cell's median time taken off shows the output path alone.
  const emptyMs = mom(empty, (ms) => ms);
  const netMBps = mom(spinBlocks, (r) => TOTAL / MB / (TOTAL / MB / r.cellMBps - emptyMs / 1000));
  return {
    total_bytes: TOTAL,
    zeromq_MBps: zeromq,
    spin_until_cell_ended_MBps: cell,
    spin_until_all_bytes_MBps: all,
    ratio_until_cell_ended: r3(cell / zeromq),
    ratio_until_all_bytes: r3(all / zeromq),
    spin_empty_cell_ms: emptyMs,
    ratio_until_cell_ended_net_of_empty_cell: r3(netMBps / zeromq),
    // CPU per run (all threads): the raw client (this process) vs the runtime until cell_ended
    zeromq_client_cpu_ms: mom(rawBlocks, (r) => r.cpuMs),
    spin_runtime_cpu_ms: mom(spinBlocks, (r) => r.runtimeCpuMs),
    runs: spinRuns.length,
    zeromq_bytes_dropped: Math.max(...rawRuns.map((r) => TOTAL - r.bytes)),
    zeromq_last_line_ok: rawRuns.every((r) => r.lastLineOk),
    spin_bytes_dropped: Math.max(...spinRuns.map((r) => TOTAL - r.bytes)),
    spin_inline_bytes: median(spinRuns.map((r) => r.inlineBytes)),
    spin_spilled: spinRuns.every((r) => r.spilled),
    spin_all_verified: spinRuns.every((r) => r.verified),
  };
}

/**
 * Interleaved blocks per shape: raw runs, then each deployment's SPIN runs and empty cells
 * (`ctxs[1]`, when given, is another runtime build: BENCH_OUTPUT_AB_RUNTIME; the two take
 * turns going first).
 */
async function throughput(ctxs, raw) {
  const out = {};
  for (const shape of Object.keys(SHAPES)) {
    out[shape] = { raw: [], spin: ctxs.map(() => []), empty: ctxs.map(() => []) };
  }
  for (let rep = 0; rep < REPS; rep++) {
    for (const shape of Object.keys(SHAPES)) {
      const rawRuns = [];
      for (let i = 0; i < RUNS; i++) rawRuns.push(await rawThroughput(raw, shape));
      out[shape].raw.push(rawRuns);
      let line =
        `  ${shape} rep ${rep + 1}: zeromq ${r3(median(rawRuns.map((r) => r.MBps)))} MB/s ` +
        `(client cpu ${r3(median(rawRuns.map((r) => r.cpuMs)))} ms)`;
      const order = ctxs.map((_, k) => k);
      if (rep % 2 === 1) order.reverse();
      for (const k of order) {
        const ctx = ctxs[k];
        const spinRuns = [];
        for (let i = 0; i < RUNS; i++) spinRuns.push(await spinThroughput(ctx, shape));
        const empty = [];
        for (let i = 0; i < RUNS; i++) empty.push(await emptyCellMs(ctx));
        out[shape].spin[k].push(spinRuns);
        out[shape].empty[k].push(empty);
        line +=
          `; ${ctx.label}spin ${r3(median(spinRuns.map((r) => r.cellMBps)))} MB/s until cell_ended, ` +
          `${r3(median(spinRuns.map((r) => r.allMBps)))} MB/s with the blob, ` +
          `an empty cell ${r3(median(empty))} ms, ` +
          `runtime cpu ${r3(median(spinRuns.map((r) => r.runtimeCpuMs)))} ms`;
      }
      console.log(line);
    }
  }
  const result = {};
  for (const [shape, o] of Object.entries(out)) {
    result[shape] = throughputResult(o.raw, o.spin[0], o.empty[0]);
    if (ctxs[1]) result[shape].ab_runtime = throughputResult(o.raw, o.spin[1], o.empty[1]);
  }
  return result;
}

/** One latency run: `clients` receive the cell's lines; samples are print → receipt, ms. */
async function spinLatency(ctx, clients, spaced) {
  const samples = [];
  samples.emit = [];
  const waits = clients.map(
    (sock, k) =>
      new Promise((resolve) => {
        let seen = 0;
        const sub = sock.onDidEvent((ev) => {
          if (ev.type !== 'stream' || ev.cell !== 'lat') return;
          const t = nowNs();
          for (const m of ev.data.text.matchAll(/^L (\d+) (\d+)$/gm)) {
            samples.push((t - Number(m[2])) / 1e6);
            // the journal's timestamp (ms precision): how much of it passed in the runtime
            if (k === 0) samples.emit.push(Date.parse(ev.ts) - Number(m[2]) / 1e6);
            if (++seen === LINES) {
              sub.dispose();
              resolve();
            }
          }
        });
      }),
  );
  const r = await ctx.session.run({ id: 'lat', type: 'python', source: latencyCode(spaced) });
  if (r.status !== 'ok') throw new Error('latency cell failed');
  await Promise.race([
    Promise.all(waits),
    new Promise((_, rej) => setTimeout(() => rej(new Error('a client missed lines')), 30_000)),
  ]);
  return samples;
}

async function rawLatency(kernel, spaced) {
  const samples = [];
  await kernel.execute(latencyCode(spaced), (o) => {
    if (o.msgType !== 'stream') return;
    const t = nowNs();
    for (const m of String(o.content.text).matchAll(/^L (\d+) (\d+)$/gm)) {
      samples.push((t - Number(m[2])) / 1e6);
    }
  });
  return samples;
}

/** A bare WebSocket client (JSON.parse only): separates the clients' own cost from delivery. */
async function bareClient(ctx) {
  const { default: WebSocket } = await import('ws');
  const token = await ctx.getToken();
  const ws = new WebSocket(ctx.runtimeUrl.replace('http', 'ws') + '/v1/ws', 'spin.runtime.v1');
  const listeners = new Set();
  await new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', token })));
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data));
      if (msg.type === 'welcome')
        ws.send(JSON.stringify({ type: 'attach', lastSeq: ctx.session.socket.lastSeq }));
      else if (msg.type === 'attached') resolve();
      else if (msg.type === 'event') for (const l of listeners) l(msg.event);
    });
  });
  return {
    onDidEvent: (l) => (listeners.add(l), { dispose: () => listeners.delete(l) }),
    dispose: () => ws.close(),
  };
}

async function latency(ctx, raw) {
  const clients = [];
  for (let i = 0; i < CLIENTS; i++) {
    if (process.env.BENCH_BARE_CLIENTS) {
      clients.push(await bareClient(ctx));
      continue;
    }
    const sock = new RuntimeSocket({
      runtimeUrl: ctx.runtimeUrl,
      getToken: ctx.getToken,
      WebSocket: NodeWebSocket,
      lastSeq: ctx.session.socket.lastSeq,
    });
    await sock.connect();
    clients.push(sock);
  }
  const blocks = { spaced: { raw: [], spin: [] }, back_to_back: { raw: [], spin: [] } };
  try {
    for (let rep = 0; rep < REPS; rep++) {
      for (const [name, spaced] of [
        ['spaced', true],
        ['back_to_back', false],
      ]) {
        const rawS = await rawLatency(raw, spaced);
        const spinS = await spinLatency(ctx, clients, spaced);
        blocks[name].raw.push(rawS);
        blocks[name].spin.push(spinS);
        console.log(
          `  latency ${name} rep ${rep + 1}: zeromq p50 ${r3(quantile(rawS, 0.5))} p99 ${r3(quantile(rawS, 0.99))} ms; ` +
            `${CLIENTS} clients p50 ${r3(quantile(spinS, 0.5))} p99 ${r3(quantile(spinS, 0.99))} ms (${spinS.length} samples); ` +
            `journaled after p50 ${r3(quantile(spinS.emit, 0.5))} p99 ${r3(quantile(spinS.emit, 0.99))} ms`,
        );
      }
    }
  } finally {
    for (const c of clients) c.dispose();
  }
  const result = {};
  for (const [name, b] of Object.entries(blocks)) {
    const mom = (arr, p) => r3(median(arr.map((s) => quantile(s, p))));
    result[name] = {
      lines: LINES,
      clients: CLIENTS,
      samples_per_rep: b.spin[0].length,
      zeromq_p50_ms: mom(b.raw, 0.5),
      zeromq_p99_ms: mom(b.raw, 0.99),
      spin_p50_ms: mom(b.spin, 0.5),
      spin_p99_ms: mom(b.spin, 0.99),
      spin_journaled_p50_ms: r3(median(b.spin.map((x) => quantile(x.emit, 0.5)))),
      spin_journaled_p99_ms: r3(median(b.spin.map((x) => quantile(x.emit, 0.99)))),
      spin_max_ms: r3(Math.max(...b.spin.flat())),
    };
  }
  return result;
}

async function rssDuring(ctx, pid, source) {
  const baseline = rss(pid);
  let peak = baseline;
  const timer = setInterval(() => {
    peak = Math.max(peak, rss(pid));
  }, 20);
  const t0 = performance.now();
  const r = await ctx.session.run({ id: 'rss', type: 'python', source });
  clearInterval(timer);
  peak = Math.max(peak, rss(pid));
  if (r.status !== 'ok') throw new Error('200 MB cell failed');
  await r.audited;
  const MiB = (v) => Math.round((v / 2 ** 20) * 10) / 10;
  return {
    baseline_MiB: MiB(baseline),
    peak_MiB: MiB(peak),
    growth_MiB: MiB(peak - baseline),
    seconds: r3((performance.now() - t0) / 1000),
  };
}

/** Sign up, pair the deployment's runtime and open a session on a one-cell notebook. */
async function openContext(spin, label) {
  const api = createNodeApi(spin.url);
  await api.signup({ name: 'Bench', email: 'out@example.test', password: 'bench-password-1' });
  await pairRuntime({
    api,
    runtimeUrl: spin.runtimeUrl,
    spinToken: spin.spinToken,
    name: 'bench',
    allowedOrigins: [],
  });
  const nb = await api.createNotebook({
    title: 'output bench',
    cells: [{ id: 'out', type: 'python', source: '' }],
  });
  const [runtime] = await api.listRuntimes();
  const session = await NotebookSession.open({
    api,
    notebookId: nb.id,
    runtime,
    WebSocket: NodeWebSocket,
  });
  const getToken = async () => (await api.accessToken(session.sid)).token;
  const warm = await session.run({ id: 'out', type: 'python', source: 'print(1)' });
  if (warm.status !== 'ok') throw new Error('warm-up failed');
  return { session, runtimeUrl: spin.runtimeUrl, runtimePid: spin.runtimePid, getToken, label };
}

/**
 * Run the output benchmarks against a deployment from `startDeployment(dir)` (separate server
 * and runtime processes). Returns result keys for bench/results.json.
 */
export async function runOutputBenchmarks({ dir, meta, startDeployment }) {
  const commit = execFileSync('git', ['rev-parse', 'HEAD']).toString().trim();
  const start = { loadavg: loadavg(), commit, ipykernel: ipykernelVersion() };
  const raw = new KernelClient({ dir: path.join(dir, 'raw-output-kernel'), transport: 'tcp' });
  await raw.start(findKernelSpec('python3'));
  const spin = await startDeployment(path.join(dir, 'output-deployment'));
  // BENCH_OUTPUT_AB_RUNTIME=<another build's dist/bin.js>: its throughput beside this build's
  const abBin = process.env.BENCH_OUTPUT_AB_RUNTIME;
  const ab = abBin
    ? await startDeployment(path.join(dir, 'output-deployment-ab'), { runtimeBin: abBin })
    : null;
  const ctxs = [];
  try {
    ctxs.push(await openContext(spin, ''));
    if (ab) ctxs.push(await openContext(ab, 'ab '));
    const [ctx] = ctxs;
    const session = ctx.session;
    try {
      const parts = (process.env.BENCH_OUTPUT_PARTS ?? 'throughput,latency,rss').split(',');
      const results = {};
      const common = () => ({
        ...meta,
        commit,
        ipykernel: start.ipykernel,
        loadavg_start: start.loadavg,
        loadavg_end: loadavg(),
      });
      if (parts.includes('throughput')) {
        console.log('output throughput (50 MB)');
        results.output_throughput = {
          description:
            '50 MB of output printed by one cell: MB/s over ZeroMQ straight to ipykernel (KernelClient, TCP) vs the full SPIN path (server + runtime processes, @spin/client): until cell_ended at the client (head, blob reference, tail), and until the client also fetched the whole spilled blob by byte ranges. Interleaved blocks, 3 reps × ' +
            `${RUNS} runs, median of medians; bytes received counted, blob sha256, last line and server receipt verified. spin_empty_cell_ms: an empty cell run in the same blocks (compile, envelope, receipt: paid by every cell); ratio_until_cell_ended_net_of_empty_cell takes it off the SPIN time`,
          ...(await throughput(ctxs, raw)),
        };
        Object.assign(results.output_throughput, common());
      }
      if (parts.includes('latency')) {
        console.log('output latency (100 lines, 50 clients)');
        results.output_latency_clients = {
          description: `100 lines, each printed with time.time_ns(), delivered to ${CLIENTS} attached clients (RuntimeSocket in the bench process); latency = wall clock at each client − print time. Raw ZeroMQ: one KernelClient. 3 reps, median of per-rep quantiles`,
          ...(await latency(ctx, raw)),
        };
        Object.assign(results.output_latency_clients, common());
      }
      if (!parts.includes('rss')) return results;
      console.log('runtime RSS during a 200 MB cell');
      const rssLines = await rssDuring(
        ctx,
        spin.runtimePid,
        'pad = "x" * 89\nfor i in range(1, 2000001):\n    print(f"{i:010d}{pad}")',
      );
      const rss1MB = await rssDuring(
        ctx,
        spin.runtimePid,
        `line = "x" * ${MB - 1}\nfor i in range(200):\n    print(line)`,
      );
      console.log(
        `  100-byte lines: ${JSON.stringify(rssLines)}; 1 MB lines: ${JSON.stringify(rss1MB)}`,
      );
      results.output_rss_200mb = {
        ...common(),
        description:
          'VmRSS of the runtime process (sampled every 20 ms) during a cell printing 200 MB, after a warm-up cell; spilled to a blob past the inline limit',
        lines_100B: rssLines,
        lines_1MB: rss1MB,
      };
      return results;
    } finally {
      session.close();
    }
  } finally {
    for (const c of ctxs.slice(1)) c.session.close();
    await ab?.stop();
    await spin.stop();
    await raw.shutdown();
  }
}
