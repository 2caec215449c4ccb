// CPU of the runtime's output path for 50 MB printed as 1 MB lines (BENCH_SHAPE=lines_100B:
// 100-byte lines), in this process, without kernel, server or client: the kernel's iopub
// stream messages of about 1 MiB (framed and signed as jupyter_client does) →
// MessageCodec.decode → mapKernelOutput → OutputBudget.stream (head, spill) → BlobWriter
// (file, sha256, line index) → finish. CPU time is counted per run (user + system),
// so it holds on a loaded machine where wall-clock MB/s does not. Several runtime builds
// alternate, median of each:
//
//   node bench/outputPath.js [<runtime dist dir> ...]     (default: packages/runtime/dist)
//
// e.g. a copy of an older build's dist (kept inside the repository so its imports resolve).
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const dists = process.argv.slice(2).map((d) => path.resolve(d));
if (dists.length === 0) dists.push(path.join(root, 'packages/runtime/dist'));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const RUNS = Number(process.env.BENCH_RUNS ?? 6);
const MB = 1e6;
const KEY = 'k'.repeat(32);

/**
 * The texts ipykernel sends for 50 MB of print(line), flushing at 1 MiB (iopubBounds.ts):
 * 1 MB lines, or with BENCH_SHAPE=lines_100B 100-byte lines (as bench/output.js prints them).
 */
function kernelTexts() {
  const lines100 = process.env.BENCH_SHAPE === 'lines_100B';
  const line = 'x'.repeat(MB - 1);
  const texts = [];
  let buf = '';
  for (let i = 1; i <= (lines100 ? 500_000 : 50); i++) {
    const text = lines100 ? String(i).padStart(10, '0') + 'x'.repeat(89) : line;
    for (const w of [text, '\n']) {
      buf += w;
      if (buf.length >= 1 << 20) {
        texts.push(buf);
        buf = '';
      }
    }
  }
  if (buf) texts.push(buf);
  return texts;
}

const frames = kernelTexts().map((text) => {
  const header = Buffer.from(
    JSON.stringify({
      msg_id: 'm',
      session: 's',
      username: 'u',
      date: '2026-01-01T00:00:00Z',
      msg_type: 'stream',
      version: '5.3',
    }),
  );
  const parts = [header, Buffer.from('{}'), Buffer.from('{}')];
  // jupyter_client's json.dumps separators
  parts.push(Buffer.from(`{"name": "stdout", "text": ${JSON.stringify(text)}}`));
  const hmac = createHmac('sha256', KEY);
  for (const p of parts) hmac.update(p);
  return [Buffer.from('<IDS|MSG>'), Buffer.from(hmac.digest('hex')), ...parts];
});

async function load(dist) {
  const imp = (f) => import(path.join(dist, f));
  const [{ MessageCodec }, { mapKernelOutput }, { OutputBudget }, { BlobStore }] =
    await Promise.all([
      imp('kernels/wire.js'),
      imp('kernels/mapping.js'),
      imp('sessions/outputBudget.js'),
      imp('blobs/blobStore.js'),
    ]);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'spin-output-path-'));
  const store = new BlobStore((sid) => path.join(dir, sid));
  const codec = new MessageCodec(KEY);
  const run = () => {
    const budget = new OutputBudget(
      { inlineBytes: 4 * 2 ** 20, spillMaxBytes: 1e9 },
      {
        emit: (e) => JSON.stringify(e),
        createBlob: (stream) => store.create({ sid: 's', cell: 'c', jti: 'j', stream }),
      },
    );
    for (const f of frames) {
      const msg = codec.decode(f);
      const out = mapKernelOutput({ msgType: msg.header.msg_type, content: msg.content });
      if (out?.kind === 'stream') budget.stream(out.name, out.text);
    }
    budget.finish();
  };
  return { dist, run, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const builds = [];
for (const d of dists) builds.push(await load(d));
const samples = builds.map(() => []);
for (const b of builds) b.run(); // warm-up
for (let round = 0; round < ROUNDS; round++) {
  builds.forEach((b, k) => {
    for (let i = 0; i < RUNS; i++) {
      const c0 = process.cpuUsage();
      b.run();
      const c = process.cpuUsage(c0);
      samples[k].push((c.user + c.system) / 1000);
    }
  });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
builds.forEach((b, k) => {
  const ms = median(samples[k]);
  console.log(
    `${path.relative(root, b.dist)}: ${ms.toFixed(1)} ms CPU per 50 MB (${(50_000 / ms).toFixed(0)} MB/s of one core), ${samples[k].length} runs`,
  );
  b.cleanup();
});
