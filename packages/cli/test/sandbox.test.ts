import { chmodSync, existsSync, readFileSync, realpathSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotebookSession, ServerApi } from '@spin/client';
import { SessionManager } from '@spin/runtime';
import {
  pythonReadProbe,
  pythonWriteProbe,
  shellReadProbe,
  shellWriteProbe,
  walk,
} from '../../runtime/test/sandboxProbes.js';
import { openSession, signedUpApi, startStack, type StackFixture } from './fixtures.js';

// Issue 5 acceptance 1 under `spin start`: both tiers share one OS user and one folder, so an
// editor's cells must not read the server's database or master key either — with bubblewrap
// (the default here) and with the per-session-user fallback when it is missing.
const MODES = [
  { name: 'bwrap (default)', env: {}, mode: 'bwrap' },
  {
    name: 'user (bubblewrap missing)',
    env: { SPIN_SANDBOX_BWRAP: '/nonexistent/bwrap' },
    mode: 'user',
  },
] as const;

function text(outputs: { output_type: string; text?: string }[]): string {
  return outputs.map((o) => (o.output_type === 'stream' ? (o.text ?? '') : '')).join('');
}

describe.each(MODES)('spin start, sandbox $name', ({ env, mode }) => {
  let stack: StackFixture;
  let api: ServerApi;
  let attacker: NotebookSession;
  let victim: NotebookSession;

  beforeAll(async () => {
    Object.assign(process.env, env);
    try {
      // /var/tmp, not /tmp: bubblewrap's private /tmp would hide a folder there by itself
      stack = await startStack({ base: '/var/tmp' });
    } finally {
      for (const k of Object.keys(env)) delete process.env[k];
    }
    // As if the folder had been created by hand (umask 022): then only the sandbox's hiding
    // keeps the server's files out of reach, not the folder's mode as well. (User mode sets
    // the modes itself at start.)
    if (mode === 'bwrap') chmodSync(stack.home, 0o755);
    api = await signedUpApi(stack);
    const nb = (title: string) => api.createNotebook({ title, cells: [] });
    victim = await openSession(api, (await nb('victim')).id);
    await victim.run({
      id: 'v',
      type: 'python',
      source: 'open("diary.txt", "w").write("private notes")',
    });
    attacker = await openSession(api, (await nb('attacker')).id);
    await attacker.run({ id: 'a0', type: 'python', source: '1' });
  });

  afterAll(async () => {
    victim?.close();
    attacker?.close();
    await stack?.close();
  });

  function targets(): string[] {
    const sessionDir = path.join(
      stack.home,
      'runtime/sessions',
      SessionManager.dirName(attacker.sid),
    );
    // a session that claimed a pre-started kernel has its work dir in the pool's slot (its
    // `work` is a link there): the real paths count, not the link
    const real = (p: string) => (existsSync(p) ? realpathSync(p) : p);
    const workOf = (sid: string) =>
      real(path.join(stack.home, 'runtime/sessions', SessionManager.dirName(sid), 'work'));
    const own = [
      ...['work', 'ipython', 'tmp'].map((d) => path.join(sessionDir, d)),
      workOf(attacker.sid),
      ...stack.spin.runtime.kernels
        .list()
        .filter((k) => k.sid === attacker.sid)
        .map((k) => path.join(stack.home, 'runtime/kernels', k.id)),
    ];
    const out = walk(stack.home, (p) => own.some((o) => p === o || p.startsWith(o + '/')));
    const rel = out.map((p) => path.relative(stack.home, p));
    // the real all-in-one layout: runtime keys and token, the server's database and key
    for (const p of [
      'runtime/keys/signing.jwk.json',
      'runtime/spin-token',
      'runtime/pairing.json',
      // stackOptions keeps the key in the stack's own config folder (outside the data dir)
      'config/master.key',
      path.relative(stack.home, path.join(workOf(victim.sid), 'diary.txt')),
    ]) {
      expect(rel).toContain(p);
    }
    const journal = `runtime/sessions/${SessionManager.dirName(attacker.sid)}/journal/`;
    expect(rel.some((p) => p.startsWith(journal) && p.endsWith('.jsonl'))).toBe(true);
    expect(rel.filter((p) => p.startsWith('server/db/')).length).toBeGreaterThan(100);
    return out;
  }

  it(`runs user code in the ${mode} sandbox`, () => {
    expect(stack.spin.runtime.identity.sandbox).toMatchObject({ mode, ok: true });
  });

  it('a Python cell opens and lists nothing of the runtime home or the server data dir', async () => {
    const paths = targets();
    const r = await attacker.run({ id: 'a1', type: 'python', source: pythonReadProbe(paths) });
    const out = text(r.outputs);
    expect(out).toContain(`tried ${paths.length}\n`);
    expect(out).toContain('LEAKS []\n');
  });

  it('a shell cell opens and lists nothing of it either', async () => {
    const paths = targets();
    const r = await attacker.run({ id: 'a2', type: 'shell', source: shellReadProbe(paths) });
    const out = text(r.outputs);
    expect(out).toContain(`tried ${paths.length}\n`);
    expect(out).not.toContain('LEAK ');
  });

  it('cannot write into the server data dir or the runtime home', async () => {
    const run = randomUUID().slice(0, 8); // leftovers of another run cannot interfere
    const markers = (kind: string, tag = `${kind}-${run}`) => [
      path.join(stack.home, `marker-${tag}`),
      path.join(stack.home, 'server', `marker-${tag}`),
      path.join(stack.home, 'server', 'db', `marker-${tag}`),
      path.join(stack.home, 'runtime', `marker-${tag}`),
      path.join(stack.home, 'runtime', 'keys', `marker-${tag}`),
    ];
    const py = await attacker.run({
      id: 'a3',
      type: 'python',
      source: pythonWriteProbe(markers('py')),
    });
    const sh = await attacker.run({
      id: 'a4',
      type: 'shell',
      source: shellWriteProbe(markers('sh')),
    });
    expect(text(py.outputs)).toBe('done\n');
    expect(text(sh.outputs)).toBe('done\n');
    for (const m of [...markers('py'), ...markers('sh')]) expect(existsSync(m)).toBe(false);
    const work = path.join(
      stack.home,
      'runtime/sessions',
      SessionManager.dirName(attacker.sid),
      'work',
    );
    expect(readFileSync(path.join(work, 'ok-python'), 'utf8')).toBe('mine');
  });

  it('the server still works beside it: the runs are audited', async () => {
    const entries = await api.audit({ limit: 100 });
    expect(entries.filter((e) => e.action === 'cell.executed').length).toBeGreaterThanOrEqual(4);
  });
});
