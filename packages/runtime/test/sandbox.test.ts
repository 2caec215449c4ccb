import { existsSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outputsFromEvents, type JournalEvent } from '@spin/protocol';
import type { StartRuntimeOptions } from '../src/index.js';
import { TestClient, startPaired, type Harness } from './fixtures.js';
import { errorText, streamText } from './sandboxProbes.js';

/** A runtime in `opts`' sandbox with one attached client, under /var/tmp (not bwrap's /tmp). */
function sandboxed(opts: StartRuntimeOptions) {
  const ctx = {} as { h: Harness; client: TestClient };
  beforeAll(async () => {
    ctx.h = await startPaired(opts, '/var/tmp');
    ctx.client = await TestClient.session(ctx.h.rt.url, await ctx.h.server.token());
  });
  afterAll(async () => {
    ctx.client?.close();
    await ctx.h?.close();
  });
  return ctx;
}

function ended(events: JournalEvent[]) {
  const last = events.at(-1);
  if (last?.type !== 'cell_ended') throw new Error('no cell_ended');
  return last.data;
}

/** PostgreSQL's Unix socket (Debian), running on this machine. */
const PG_SOCKET = '/run/postgresql/.s.PGSQL.5432';

const ISOLATING: { name: string; opts: StartRuntimeOptions }[] = [
  { name: 'bwrap', opts: { sandbox: 'bwrap' } },
  { name: 'user', opts: { sandbox: 'user' } },
];

describe('SPIN_SANDBOX=auto on this machine (bubblewrap installed)', () => {
  const ctx = sandboxed({});

  it('picks bubblewrap and says so in /v1/identity', async () => {
    const res = await fetch(`${ctx.h.rt.url}/v1/identity`);
    expect((await res.json()) as unknown).toMatchObject({ sandbox: { mode: 'bwrap', ok: true } });
    expect(ctx.h.logs.text).toContain('sandbox ready');
  });

  it('shows the session its own work dir at /spin/work and nothing of the host layout', async () => {
    const out = streamText(
      await ctx.client.run(await ctx.h.server.shell('pwd; echo "$HOME"; ls /spin')),
    );
    expect(out).toBe('/spin/work\n/spin/work\nwork\n');
  });
});

describe('no sandbox available (SPIN_SANDBOX=bwrap, bubblewrap missing)', () => {
  const ctx = sandboxed({ sandbox: 'bwrap', sandboxBwrap: '/nonexistent/bwrap' });

  it('reports it in /v1/identity and the log, naming the fix and the opt-out', async () => {
    const id = (await (await fetch(`${ctx.h.rt.url}/v1/identity`)).json()) as {
      sandbox: { mode: string; ok: boolean; warning: string };
    };
    expect(id.sandbox).toMatchObject({ mode: 'unavailable', ok: false });
    expect(id.sandbox.warning).toContain('apt-get install bubblewrap');
    expect(id.sandbox.warning).toContain('SPIN_SANDBOX=none');
    expect(ctx.h.logs.text).toContain('"level":40');
    expect(ctx.h.logs.text).toContain('no sandbox is available');
  });

  it('refuses Python cells with a clear error and starts no kernel', async () => {
    const events = await ctx.client.run(await ctx.h.server.python('open("marker-py","w")'));
    expect(ended(events).status).toBe('error');
    const err = errorText(events);
    expect(err).toMatch(/^SandboxUnavailable: runtime\.sandbox_unavailable: /);
    expect(err).toContain('apt-get install bubblewrap');
    expect(err).toContain('SPIN_SANDBOX=none');
    expect(ctx.h.rt.kernels.spawnedCount).toBe(0);
  });

  it('refuses shell cells the same way; the script never runs', async () => {
    const events = await ctx.client.run(await ctx.h.server.shell('touch marker-sh'));
    expect(ended(events).status).toBe('error');
    expect(errorText(events)).toContain('runtime.sandbox_unavailable');
    const work = join(ctx.h.home, 'sessions/ses_1/work');
    expect(existsSync(join(work, 'marker-sh'))).toBe(false);
    expect(existsSync(join(work, 'marker-py'))).toBe(false);
  });
});

describe('SPIN_SANDBOX=none (explicit opt-out)', () => {
  const ctx = sandboxed({ sandbox: 'none' });

  it('runs user code but warns loudly, at start and in /v1/identity', async () => {
    expect(ctx.h.rt.identity.sandbox).toMatchObject({ mode: 'none', ok: false });
    expect(ctx.h.rt.identity.sandbox?.warning).toContain('can read SPIN_HOME');
    expect(ctx.h.logs.text).toContain('SPIN_SANDBOX=none');
    const out = streamText(await ctx.client.run(await ctx.h.server.python('print(6*7)')));
    expect(out).toBe('42\n');
  });
});

describe.each(ISOLATING)('sandbox $name', ({ opts }) => {
  let listener: Server;
  let connections = 0;
  const secrets = {
    SPIN_MASTER_KEY: 'bWFzdGVy',
    DATABASE_URL: 'postgres://u:pw@db/x',
    GITHUB_TOKEN: 'ghp_x',
    MY_SERVICE_PASSWORD: 'pw',
  };

  beforeAll(async () => {
    listener = createServer((s) => {
      connections++;
      s.end();
    });
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    Object.assign(process.env, secrets, { SPIN_PLAIN_VISIBLE: 'no', LANG_CHECK: 'kept' });
  });
  afterAll(() => {
    listener.close();
    for (const k of [...Object.keys(secrets), 'SPIN_PLAIN_VISIBLE', 'LANG_CHECK']) {
      delete process.env[k];
    }
  });
  // after the hook above: the runtime starts with those variables in its environment
  const ctx = sandboxed({ ...opts, sandboxNetwork: 'off' });

  it('with network off, a connection to 127.0.0.1 fails (Python and shell)', async () => {
    const { port } = listener.address() as { port: number };
    const py = [
      'import socket',
      'try:',
      `    socket.create_connection(("127.0.0.1", ${port}), 3)`,
      '    print("connected")',
      'except OSError as e:',
      '    print("refused", e.errno)',
    ].join('\n');
    const pyOut = streamText(await ctx.client.run(await ctx.h.server.python(py)));
    expect(pyOut).toMatch(/^refused \d+\n$/);
    const sh = `(exec 3<>/dev/tcp/127.0.0.1/${port}) 2>/dev/null && echo connected || echo refused`;
    expect(streamText(await ctx.client.run(await ctx.h.server.shell(sh)))).toBe('refused\n');
    expect(connections).toBe(0);
  });

  it("hands user code none of the runtime's secrets in its environment", async () => {
    const py = 'import os, json; print(json.dumps(sorted(os.environ)))';
    const keys = JSON.parse(
      streamText(await ctx.client.run(await ctx.h.server.python(py))),
    ) as string[];
    const shKeys = streamText(
      await ctx.client.run(await ctx.h.server.shell('env | cut -d= -f1 | sort')),
    ).split('\n');
    for (const k of [...Object.keys(secrets), 'SPIN_PLAIN_VISIBLE']) {
      expect(keys).not.toContain(k);
      expect(shKeys).not.toContain(k);
    }
    expect(keys).toContain('LANG_CHECK');
    expect(shKeys).toContain('LANG_CHECK');
    expect(keys.filter((k) => k.startsWith('SPIN_'))).toEqual([]);
  });

  it('interrupts a running cell and kills a shell that times out', async () => {
    const { h, client } = ctx;
    const r = await client.execute(
      await h.server.python('import time\nprint("go", flush=True)\ntime.sleep(30)'),
    );
    const jti = r.type === 'accepted' ? r.jti : '';
    await client.next(
      (m) => m.type === 'event' && m.event.jti === jti && m.event.type === 'stream',
    );
    client.send({ type: 'interrupt', requestId: 'i' });
    const end = await client.next(
      (m) => m.type === 'event' && m.event.jti === jti && m.event.type === 'cell_ended',
    );
    expect(end).toMatchObject({ event: { data: { status: 'interrupted' } } });
    const after = await client.run(await h.server.python('print("still here")'));
    expect(outputsFromEvents(after)).toEqual([
      { output_type: 'stream', name: 'stdout', text: 'still here\n' },
    ]);
    const sh = await client.run(
      await h.server.shell('sleep 30', { limits: { timeoutMs: 300, outputBytes: 1000 } }),
    );
    expect(ended(sh).status).toBe('timeout');
  });
});

describe('sandbox bwrap with network off', () => {
  const ctx = sandboxed({ sandbox: 'bwrap', sandboxNetwork: 'off' });

  it("keeps local services' Unix sockets out of reach too (/run is private)", async () => {
    // the socket is there and answers on the host…
    await new Promise<void>((resolve, reject) => {
      const s = connect(PG_SOCKET, () => (s.end(), resolve()));
      s.once('error', reject);
    });
    // …but not from the sandbox: a network namespace does not cover the file system
    const py = [
      'import socket',
      's = socket.socket(socket.AF_UNIX)',
      'try:',
      `    s.connect(${JSON.stringify(PG_SOCKET)})`,
      '    print("connected")',
      'except OSError as e:',
      '    print("refused", type(e).__name__)',
    ].join('\n');
    const out = streamText(await ctx.client.run(await ctx.h.server.python(py)));
    expect(out).toBe('refused FileNotFoundError\n');
  });
});

describe.each(ISOLATING)('resource limits in sandbox $name', ({ opts }) => {
  const ctx = sandboxed({
    ...opts,
    sandboxMemoryBytes: 1024 ** 3,
    sandboxCpuSeconds: 4,
    sandboxProcesses: 60,
  });

  it('caps memory (RLIMIT_AS): a 2 GiB allocation fails, the kernel lives on', async () => {
    const py = [
      'try:',
      '    b = bytearray(2 * 1024**3)',
      '    print("allocated")',
      'except MemoryError:',
      '    print("MemoryError")',
    ].join('\n');
    expect(streamText(await ctx.client.run(await ctx.h.server.python(py)))).toBe('MemoryError\n');
    const sh = 'python3 -c "bytearray(2 * 1024**3)" 2>&1 | tail -1';
    expect(streamText(await ctx.client.run(await ctx.h.server.shell(sh)))).toBe('MemoryError\n');
  });

  it("caps the session user's processes (RLIMIT_NPROC)", async () => {
    const py = [
      'import os, time',
      'n = 0',
      'try:',
      '    for i in range(200):',
      '        if os.fork() == 0:',
      '            time.sleep(2); os._exit(0)',
      '        n += 1',
      'except OSError as e:',
      '    print("fork refused after", n)',
    ].join('\n');
    const out = streamText(await ctx.client.run(await ctx.h.server.python(py)));
    const n = Number(/fork refused after (\d+)/.exec(out)?.[1] ?? 'NaN');
    expect(n).toBeLessThan(60);
  });

  it('caps CPU time (RLIMIT_CPU): a busy loop ends with the kernel killed', async () => {
    const events = await ctx.client.run(
      await ctx.h.server.python('while True: pass', {
        limits: { timeoutMs: 60_000, outputBytes: 10_000 },
      }),
    );
    expect(ended(events).status).toBe('error');
    expect(errorText(events)).toMatch(/^KernelDied: /);
  });
});
