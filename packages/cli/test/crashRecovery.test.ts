import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotebookSession, pairRuntime, type ServerApi } from '@spin/client';
import { NodeWebSocket, createNodeApi } from '@spin/client/node';
import type { JournalEvent } from '@spin/protocol';
import { startServer } from '@spin/server';
import { ADMIN } from './fixtures.js';

const runtimeBin = fileURLToPath(new URL('../../runtime/dist/bin.js', import.meta.url));
/** A numbered line every 50 ms for 6 s. */
const TICKS = {
  id: 'ticks',
  type: 'python' as const,
  source:
    'import time\nfor i in range(120):\n    print(f"line {i}", flush=True)\n    time.sleep(0.05)',
};

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

/**
 * Start time of a live process (field 22 of /proc/<pid>/stat), or null when there is none —
 * a zombie (state Z: dead, waiting for its new parent to reap it) counts as none.
 */
function startTimeOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' ? null : (fields[19] ?? null);
  } catch {
    return null;
  }
}

interface LedgerEntry {
  pid: number;
  pgid: number;
  startTime: string;
  kind: string;
  sid: string;
}

describe('a runtime killed with SIGKILL mid-cell and restarted (issue 8, acceptance 2)', () => {
  let home: string;
  let runtime: ChildProcess | null = null;
  let server: Awaited<ReturnType<typeof startServer>>;
  let api: ServerApi;
  let session: NotebookSession;
  let env: NodeJS.ProcessEnv;
  let runtimeUrl: string;

  const startRuntime = async () => {
    const child = spawn(process.execPath, [runtimeBin], {
      env,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${runtimeUrl}/healthz`)).ok) break;
      } catch {
        if (i > 200) throw new Error('runtime did not start');
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    return child;
  };

  beforeAll(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'spin-crash-'));
    const port = await freePort();
    runtimeUrl = `http://127.0.0.1:${port}`;
    env = {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      SPIN_HOME: path.join(home, 'runtime'),
      SPIN_TOKEN: randomBytes(32).toString('base64url'),
      // no sandbox: a bubblewrap wrapper would take its kernel down with it, so only the
      // runtime's own reaping can be what ends the orphaned kernel here
      SPIN_SANDBOX: 'none',
      LOG_LEVEL: 'warn',
    };
    runtime = await startRuntime();
    server = await startServer({
      port: 0,
      host: '127.0.0.1',
      dataDir: path.join(home, 'server'),
      logLevel: 'warn',
    });
    api = createNodeApi(server.url);
    await api.signup(ADMIN);
    await pairRuntime({
      api,
      runtimeUrl,
      spinToken: env.SPIN_TOKEN!,
      name: 'crashy',
      allowedOrigins: [],
    });
    const nb = await api.createNotebook({ title: 'crash', cells: [TICKS] });
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
    if (runtime && runtime.exitCode === null && runtime.signalCode === null) {
      runtime.kill('SIGTERM');
      await once(runtime, 'exit');
    }
    await server?.close();
    await rm(home, { recursive: true, force: true });
  });

  it('keeps every acknowledged event, ends the run as aborted in the audit log, reaps the old kernel, runs the next cell', async () => {
    // the events this client received (and so acknowledged) before the kill
    const received: JournalEvent[] = [];
    session.socket.onDidEvent((ev) => received.push(ev));
    const twoSeconds = new Promise<void>((resolve) => {
      const d = session.onDidChangeCell((s) => {
        const out = s.outputs[0];
        if (
          s.cellId === TICKS.id &&
          out?.output_type === 'stream' &&
          out.text.includes('line 39\n')
        ) {
          d.dispose();
          resolve();
        }
      });
    });
    const running = session.run(TICKS);
    await twoSeconds;

    const ledger = JSON.parse(
      readFileSync(path.join(env.SPIN_HOME!, 'state', 'processes.json'), 'utf8'),
    ) as { processes: LedgerEntry[] };
    const kernels = ledger.processes.filter((p) => p.kind === 'kernel');
    // the session's kernel, and maybe the pre-started one the pool refilled (SPIN_KERNEL_POOL)
    expect(kernels.filter((k) => !k.sid.startsWith('pool:'))).toHaveLength(1);
    for (const k of kernels) expect(startTimeOf(k.pid)).toBe(k.startTime); // recorded while alive

    runtime!.kill('SIGKILL');
    await once(runtime!, 'exit');
    const acknowledged = [...received];
    expect(acknowledged.filter((e) => e.type === 'stream').length).toBeGreaterThan(0);

    runtime = await startRuntime(); // same SPIN_HOME and port; the client reconnects by itself
    const result = await running;
    expect(result.status).toBe('aborted');

    // every event acknowledged before the kill is still there, unchanged, in order
    expect(result.events.slice(0, acknowledged.length)).toEqual(
      acknowledged.filter((e) => e.jti === result.jti),
    );
    const text = result.outputs
      .flatMap((o) => (o.output_type === 'stream' ? [o.text] : []))
      .join('');
    expect(text).toContain('line 0\nline 1\n');
    expect(text).toContain('line 39\n');
    expect(text).not.toContain('line 119\n'); // it never finished
    expect(result.outputs[result.outputs.length - 1]).toMatchObject({
      output_type: 'error',
      ename: 'RuntimeRestarted',
    });

    // the server verified the aborted receipt into the audit log
    expect(await result.audited).toBeGreaterThan(0);
    const audit = await api.audit({ limit: 100 });
    const entry = audit.find((e) => e.action === 'cell.executed' && e.data.jti === result.jti);
    expect(entry?.data.status).toBe('aborted');
    expect((await api.verifyAudit()).ok).toBe(true);

    // no kernel of the old runtime is alive (a recycled PID would have another start time)
    for (const k of kernels) {
      for (let i = 0; i < 50 && startTimeOf(k.pid) === k.startTime; i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(startTimeOf(k.pid)).not.toBe(k.startTime);
    }

    // and the next cell runs
    const next = await session.run({ id: 'ticks', type: 'python', source: 'print("next")' });
    expect(next.status).toBe('ok');
    expect(next.outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: 'next\n' }]);
  });
});
