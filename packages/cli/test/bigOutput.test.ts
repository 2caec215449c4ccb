import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobPager, NotebookSession, pairRuntime, type ServerApi } from '@spin/client';
import { NodeWebSocket, createNodeApi } from '@spin/client/node';
import { BLOB_REF_MIME, BlobRefSchema, type BlobRef } from '@spin/protocol';
import { startServer } from '@spin/server';
import { ADMIN } from './fixtures.js';

const runtimeBin = fileURLToPath(new URL('../../runtime/dist/bin.js', import.meta.url));
const LINES = 2_000_000;
/** 2,000,000 lines of 100 bytes (10-digit number, 89 × "x", newline): 200 MB. */
const CODE = [
  'pad = "x" * 89',
  `for i in range(1, ${LINES + 1}):`,
  '    print(f"{i:010d}{pad}")',
].join('\n');
const line = (i: number) => String(i).padStart(10, '0') + 'x'.repeat(89);

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

/** Resident set size of a process, from /proc (bytes). */
function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) * 1024;
}

describe('a cell printing 200 MB (issue 8, acceptance 4)', () => {
  let home: string;
  let runtime: ChildProcess;
  let server: Awaited<ReturnType<typeof startServer>>;
  let api: ServerApi;
  let session: NotebookSession;
  let runtimeUrl: string;

  beforeAll(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'spin-big-'));
    const port = await freePort();
    const spinToken = randomBytes(32).toString('base64url');
    // the runtime in its own process, so its RSS is its own
    runtime = spawn(process.execPath, [runtimeBin], {
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        SPIN_HOME: path.join(home, 'runtime'),
        SPIN_TOKEN: spinToken,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    runtimeUrl = `http://127.0.0.1:${port}`;
    server = await startServer({
      port: 0,
      host: '127.0.0.1',
      dataDir: path.join(home, 'server'),
      logLevel: 'warn',
    });
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${runtimeUrl}/healthz`)).ok) break;
      } catch {
        if (i > 100) throw new Error('runtime did not start');
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    api = createNodeApi(server.url);
    await api.signup(ADMIN);
    await pairRuntime({ api, runtimeUrl, spinToken, name: 'big', allowedOrigins: [] });
    const nb = await api.createNotebook({
      title: 'big output',
      cells: [{ id: 'big', type: 'python', source: CODE }],
    });
    const [rt] = await api.listRuntimes();
    session = await NotebookSession.open({
      api,
      notebookId: nb.id,
      runtime: rt!,
      WebSocket: NodeWebSocket,
    });
  });

  afterAll(async () => {
    session?.close();
    if (runtime && runtime.exitCode === null) {
      runtime.kill('SIGTERM');
      await once(runtime, 'exit');
    }
    await server?.close();
    await rm(home, { recursive: true, force: true });
  });

  it('keeps the runtime under 150 MB of growth; the client gets head, reference and tail and pages the whole blob', async () => {
    const warm = await session.run({ id: 'big', type: 'python', source: 'print("warm")' });
    expect(warm.status).toBe('ok');
    const pid = runtime.pid!;
    const baseline = rss(pid);
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rss(pid));
    }, 20);
    const run = await session.run({ id: 'big', type: 'python', source: CODE });
    clearInterval(sampler);
    peak = Math.max(peak, rss(pid));
    console.log(
      `runtime RSS: baseline ${(baseline / 2 ** 20).toFixed(1)} MiB, peak ${(peak / 2 ** 20).toFixed(1)} MiB, growth ${((peak - baseline) / 2 ** 20).toFixed(1)} MiB`,
    );
    expect(run.status).toBe('ok');
    expect(peak - baseline).toBeLessThan(150 * 2 ** 20);
    expect(await run.audited).toBeGreaterThan(0); // the server verified the receipt's digest

    expect(run.outputs.map((o) => o.output_type)).toEqual(['stream', 'display_data', 'stream']);
    const [head, display, tail] = run.outputs;
    const ref: BlobRef = BlobRefSchema.parse(
      display?.output_type === 'display_data' ? display.data[BLOB_REF_MIME] : null,
    );
    expect(ref).toMatchObject({ state: 'complete', lines: LINES, bytes: LINES * 100 });
    expect(head?.output_type === 'stream' && head.text.startsWith(line(1) + '\n')).toBe(true);
    expect(tail?.output_type === 'stream' && tail.text.endsWith(line(LINES) + '\n')).toBe(true);

    const pager = new BlobPager({
      runtimeUrl,
      id: ref.id,
      getToken: async () => (await api.accessToken(session.sid)).token,
    });
    let count = 0;
    let last = '';
    let wrong = 0;
    for await (const page of pager.pages(1)) {
      for (const text of page.lines) {
        count++;
        if (text !== line(count) && wrong++ === 0) console.log(`line ${count}: ${text}`);
      }
      last = page.lines.at(-1) ?? last;
    }
    expect(wrong).toBe(0);
    expect(count).toBe(LINES);
    expect(last).toBe(line(LINES));

    // and byte ranges add up to exactly what the reference's sha256 commits to
    const hash = createHash('sha256');
    const step = 32 * 2 ** 20;
    for (let start = 0; start < ref.bytes; start += step) {
      const part = await pager.bytes(start, Math.min(ref.bytes, start + step) - 1);
      hash.update(part.bytes);
    }
    expect(hash.digest('hex')).toBe(ref.sha256);
  });
});
