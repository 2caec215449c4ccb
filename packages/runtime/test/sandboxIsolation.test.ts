import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StartRuntimeOptions } from '../src/index.js';
import { TestClient, startPaired, type Harness } from './fixtures.js';
import {
  pythonReadProbe,
  pythonWriteProbe,
  shellReadProbe,
  shellWriteProbe,
  streamText,
  walk,
} from './sandboxProbes.js';

// Issue 5 finding 1 / acceptance 1: cells of one session try to read every file SPIN keeps —
// the runtime home (keys, spin-token, pairing, replay cache, journals, other sessions' work
// dirs and kernel connection files) and, laid out as under `spin start`, the server's data
// dir and master key — and to write outside their work dir. Both sandboxes that run code:
// bubblewrap, and the per-session-user fallback used when bubblewrap is not usable.
/** The attacking session's programs. */
const A = { sid: 'ses_attacker' };

const MODES: { name: string; opts: StartRuntimeOptions; mode: 'bwrap' | 'user' }[] = [
  { name: 'bwrap', opts: { sandbox: 'bwrap' }, mode: 'bwrap' },
  {
    name: 'user (auto, bubblewrap not installed)',
    opts: { sandbox: 'auto', sandboxBwrap: '/nonexistent/bwrap' },
    mode: 'user',
  },
  // both sessions take a kernel the pool pre-started (kernels/kernelPool.ts), and a third one
  // waits unclaimed in the pool: none of it may see another's files
  {
    name: 'bwrap, kernels pre-started by the pool',
    opts: { sandbox: 'bwrap', kernelPool: ['python3'] },
    mode: 'bwrap',
  },
  {
    name: 'user, kernels pre-started by the pool',
    opts: { sandbox: 'auto', sandboxBwrap: '/nonexistent/bwrap', kernelPool: ['python3'] },
    mode: 'user',
  },
];

describe.each(MODES)('sandbox $name: user code never sees SPIN state', ({ opts, mode }) => {
  let root: string;
  let home: string;
  let serverDir: string;
  let h: Harness;
  let victim: TestClient;
  let attacker: TestClient;
  let listener: Server;
  let connections = 0;

  beforeAll(async () => {
    // /var/tmp, not /tmp: bwrap's private /tmp would hide a home there by itself
    root = mkdtempSync('/var/tmp/spin-sbx-');
    chmodSync(root, 0o755);
    home = join(root, 'runtime');
    serverDir = join(root, 'server');
    // the server's files as an embedded-PGlite server leaves them (umask 022)
    mkdirSync(join(serverDir, 'db', 'base'), { recursive: true, mode: 0o755 });
    writeFileSync(join(serverDir, 'master.key'), 'bWFzdGVyIGtleQ==\n', { mode: 0o600 });
    writeFileSync(join(serverDir, 'db', 'PG_VERSION'), '17\n', { mode: 0o644 });
    writeFileSync(join(serverDir, 'db', 'base', '1'), 'rows', { mode: 0o644 });
    listener = createServer((s) => {
      connections++;
      s.end();
    });
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    h = await startPaired({ ...opts, home, sandboxHide: [root, serverDir] });
    const pooled = (opts.kernelPool ?? []).length > 0;
    if (pooled) await h.rt.kernelPool.whenReady();
    victim = await TestClient.session(
      h.rt.url,
      await h.server.token({ sid: 'ses_victim', sub: 'usr_victim' }),
    );
    const own = { sid: 'ses_victim', sub: 'usr_victim' };
    await victim.run(await h.server.python('open("diary.txt", "w").write("victim secret")', own));
    await victim.run(await h.server.shell('echo notes > notes.txt', own));
    if (pooled) await h.rt.kernelPool.whenReady();
    attacker = await TestClient.session(h.rt.url, await h.server.token({ sid: 'ses_attacker' }));
    await attacker.run(await h.server.python('1', A));
    if (pooled) {
      // both ran in a kernel the pool started before either session existed
      for (const sid of ['ses_victim', 'ses_attacker']) {
        expect(h.rt.kernels.list().find((k) => k.sid === sid)).toMatchObject({ pooled: true });
      }
      await h.rt.kernelPool.whenReady(); // the next one waits in the pool, unclaimed
    }
  });

  afterAll(async () => {
    victim?.close();
    attacker?.close();
    await h?.close();
    listener?.close();
    rmSync(root, { recursive: true, force: true });
  });

  /** A session's directory of work, ipython and tmp (a pool slot's, for a pooled kernel). */
  const sandboxDir = (sid: string) => dirname(realpathSync(join(home, 'sessions', sid, 'work')));

  /** Everything under the all-in-one root except the attacker's own dirs and kernel. */
  function targets(): string[] {
    const ownDirs = ['work', 'ipython', 'tmp'].map((d) => join(sandboxDir('ses_attacker'), d));
    const ownKernels = h.rt.kernels
      .list()
      .filter((k) => k.sid === 'ses_attacker')
      .map((k) => join(home, 'kernels', k.id));
    const own = [...ownDirs, ...ownKernels];
    const paths = walk(root, (p) => own.some((o) => p === o || p.startsWith(o + '/')));
    const victimKernel = h.rt.kernels.list().find((k) => k.sid === 'ses_victim')!;
    // the walk must include what matters, or the test proves nothing
    for (const p of [
      'runtime/keys/signing.jwk.json',
      'runtime/keys/encryption.jwk.json',
      'runtime/spin-token',
      'runtime/pairing.json',
      'runtime/replay-cache.jsonl',
      'runtime/runtime.json',
      ...(process.getuid?.() === 0 ? ['runtime/sandbox/users.json'] : []),
      'runtime/sessions/ses_victim/journal/000000000001.jsonl',
      'runtime/sessions/ses_attacker/journal/000000000001.jsonl',
      join(sandboxDir('ses_victim'), 'work/diary.txt').slice(root.length + 1),
      join(sandboxDir('ses_victim'), 'work/notes.txt').slice(root.length + 1),
      `runtime/kernels/${victimKernel.id}/connection.json`,
      'server/master.key',
      'server/db/PG_VERSION',
      'server/db/base/1',
    ]) {
      expect(paths).toContain(join(root, p));
    }
    return paths;
  }

  it(`runs as ${mode}`, () => {
    expect(h.rt.identity.sandbox).toMatchObject({ mode, ok: true });
    if (mode === 'user')
      expect(h.rt.identity.sandbox?.warning).toMatch(/apt-get install bubblewrap/);
  });

  it('a Python cell can open and list none of it', async () => {
    const paths = targets();
    const out = streamText(await attacker.run(await h.server.python(pythonReadProbe(paths), A)));
    expect(out).toContain(`tried ${paths.length}\n`);
    expect(out).toContain('LEAKS []\n');
  });

  it('a shell cell can open and list none of it', async () => {
    const paths = targets();
    const out = streamText(await attacker.run(await h.server.shell(shellReadProbe(paths), A)));
    expect(out).toContain(`tried ${paths.length}\n`);
    expect(out).not.toContain('LEAK ');
  });

  it('writes outside the work dir never reach the disk; inside it they do', async () => {
    const run = randomUUID().slice(0, 8); // leftovers of another run cannot interfere
    const markers = (kind: string, tag = `${kind}-${run}`) => [
      join(root, `marker-${tag}`),
      join(home, `marker-${tag}`),
      join(home, 'keys', `marker-${tag}`),
      join(home, 'sessions', `marker-${tag}`),
      join(home, 'sessions/ses_victim', `marker-${tag}`),
      join(home, 'sessions/ses_victim/work', `marker-${tag}`),
      join(serverDir, `marker-${tag}`),
      join(serverDir, 'db', `marker-${tag}`),
      `/usr/marker-${tag}`,
      `/etc/marker-${tag}`,
      // bwrap: /tmp is private and the rest of the host read-only (user mode shares /tmp)
      ...(mode === 'bwrap' ? [`/var/tmp/marker-${tag}`, join(root, '..', `marker-${tag}`)] : []),
    ];
    const py = streamText(
      await attacker.run(await h.server.python(pythonWriteProbe(markers('py')), A)),
    );
    const sh = streamText(
      await attacker.run(await h.server.shell(shellWriteProbe(markers('sh')), A)),
    );
    expect(py).toContain('done\n');
    expect(sh).toContain('done\n');
    for (const m of [...markers('py'), ...markers('sh')]) expect(existsSync(m)).toBe(false);
    const work = join(home, 'sessions/ses_attacker/work');
    expect(readFileSync(join(work, 'ok-python'), 'utf8')).toBe('mine');
    expect(readFileSync(join(work, 'ok-shell'), 'utf8')).toBe('mine\n');
  });

  it("runs each session's code as its own unprivileged user", async () => {
    const uidOf = async (c: TestClient, sid: string, sub: string) =>
      streamText(
        await c.run(
          await h.server.python('import os; print(os.getuid(), os.getgid())', { sid, sub }),
        ),
      ).trim();
    const a = await uidOf(attacker, 'ses_attacker', 'usr_1');
    const v = await uidOf(victim, 'ses_victim', 'usr_victim');
    const [uid] = a.split(' ').map(Number);
    expect(uid).toBeGreaterThanOrEqual(1_000_000_000);
    expect(a).not.toBe(v);
    const shell = streamText(await attacker.run(await h.server.shell('id -u', A)));
    expect(shell.trim()).toBe(String(uid));
  });

  it('still reaches the network when it is on', async () => {
    const before = connections;
    const { port } = listener.address() as { port: number };
    const code = `import socket\nsocket.create_connection(("127.0.0.1", ${port}), 5).close()\nprint("connected")`;
    const out = streamText(await attacker.run(await h.server.python(code, A)));
    expect(out).toBe('connected\n');
    for (let i = 0; i < 50 && connections === before; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(connections).toBe(before + 1);
  });
});
