import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KernelInfo } from '../src/index.js';
import { TestClient, startPaired, type Harness } from './fixtures.js';
import { streamText } from './sandboxProbes.js';

/** Process-group ids of every live (non-zombie) process on the host. */
function liveGroups(): Set<number> {
  const groups = new Set<number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z') groups.add(Number(fields[2]));
    } catch {
      // exited while we looked
    }
  }
  return groups;
}

const until = async (cond: () => boolean, what: string, ms = 60_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

const WHO = 'import os; print(os.getuid(), os.getcwd(), sorted(os.listdir(".")))';

/**
 * issue 13 P8: the runtime keeps one kernel pre-started, inside a sandbox of its own, for the
 * next new session; that session's first run uses it; the pool refills; shutdown leaves no
 * kernel behind.
 */
describe('the pre-started kernel pool (sandbox on)', () => {
  let h: Harness;
  let pooled: KernelInfo;
  const pids: number[] = [];

  beforeAll(async () => {
    h = await startPaired({ kernelPool: ['python3'] });
    await h.rt.kernelPool.whenReady();
    const ready = h.rt.kernels.list();
    expect(ready).toHaveLength(1);
    pooled = ready[0]!;
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it('starts one kernel ahead, bound to no session', () => {
    expect(pooled).toMatchObject({ pooled: true, alive: true, name: 'python3' });
    expect(pooled.sid).toMatch(/^pool:/);
    expect(pooled.readyAt).not.toBeNull();
    expect(h.rt.identity.sandbox?.ok).toBe(true);
  });

  it("runs a new session's first cell in that kernel, and refills the pool", async () => {
    const own = { sid: 'ses_first', sub: 'usr_a' };
    const c = await TestClient.session(h.rt.url, await h.server.token(own));
    const sent = Date.now();
    const out = streamText(
      await c.run(await h.server.python(`open("a.txt", "w").write("a")\n${WHO}`, own)),
    );
    const ran = h.rt.kernels.list().find((k) => k.sid === 'ses_first')!;
    // the same kernel (id and pid), started before the session existed, now the session's
    expect(ran).toMatchObject({ id: pooled.id, pid: pooled.pid, pooled: true, executeRequests: 1 });
    expect(ran.readyAt!).toBeLessThan(sent);
    // its work dir is the session's: what it wrote is in sessions/<sid>/work
    expect(readFileSync(join(h.home, 'sessions', 'ses_first', 'work', 'a.txt'), 'utf8')).toBe('a');
    expect(out).toContain("['a.txt']");
    // the process ledger (what a next life reaps after a crash) names its session too
    const ledger = JSON.parse(readFileSync(join(h.home, 'state', 'processes.json'), 'utf8')) as {
      processes: { pid: number; sid: string }[];
    };
    expect(ledger.processes.find((p) => p.pid === pooled.pid)?.sid).toBe('ses_first');
    await until(() => h.rt.kernelPool.size === 1, 'the pool to refill');
    await h.rt.kernelPool.whenReady();
    const spare = h.rt.kernels.list().filter((k) => k.sid.startsWith('pool:') && k.alive);
    expect(spare).toHaveLength(1);
    expect(spare[0]!.id).not.toBe(pooled.id);
    c.close();
  });

  it('gives the next new session a different kernel, user and work dir that saw nothing else', async () => {
    const spare = h.rt.kernels.list().find((k) => k.sid.startsWith('pool:') && k.alive)!;
    const own = { sid: 'ses_second', sub: 'usr_b' };
    const c = await TestClient.session(h.rt.url, await h.server.token(own));
    const out = streamText(await c.run(await h.server.python(WHO, own)));
    expect(h.rt.kernels.list().find((k) => k.sid === 'ses_second')).toMatchObject({
      id: spare.id,
      pooled: true,
    });
    expect(out).toContain('[]'); // an empty work dir: not the first session's a.txt
    const first = await TestClient.session(
      h.rt.url,
      await h.server.token({ sid: 'ses_first', sub: 'usr_a' }),
    );
    const firstOut = streamText(
      await first.run(await h.server.python(WHO, { sid: 'ses_first', sub: 'usr_a' })),
    );
    if (process.getuid?.() === 0) {
      // per-session uids: the pooled kernel's placeholder uid became this session's own
      const users = JSON.parse(readFileSync(join(h.home, 'sandbox', 'users.json'), 'utf8')) as {
        sessions: Record<string, number>;
      };
      expect(out.split(' ')[0]).toBe(String(users.sessions.ses_second));
      expect(firstOut.split(' ')[0]).toBe(String(users.sessions.ses_first));
      expect(users.sessions.ses_first).not.toBe(users.sessions.ses_second);
    }
    c.close();
    first.close();
  });

  it('shuts every kernel down with the runtime, the pooled one included (no orphans)', async () => {
    await h.rt.kernelPool.whenReady();
    const all = h.rt.kernels.list();
    expect(all.some((k) => k.sid.startsWith('pool:') && k.alive)).toBe(true);
    for (const k of all) if (k.pid) pids.push(k.pid);
    expect(pids.length).toBeGreaterThanOrEqual(3);
    await h.rt.close();
    // each kernel was spawned as the leader of its own process group (sandbox wrapper included)
    const groups = liveGroups();
    expect(pids.filter((pid) => groups.has(pid))).toEqual([]);
    const slots = readdirSync(join(h.home, 'pool'));
    // only the two claimed slots stay (they hold the sessions' work dirs)
    expect(slots.filter((s) => existsSync(join(h.home, 'pool', s, 'claimed-by')))).toHaveLength(2);
    expect(slots).toHaveLength(2);
  });
});

describe('the pool, turned off', () => {
  it('starts no kernel before a session runs one', async () => {
    const h = await startPaired({ kernelPool: [] });
    try {
      await new Promise((r) => setTimeout(r, 300));
      expect(h.rt.kernels.spawnedCount).toBe(0);
      expect(h.rt.kernelPool.size).toBe(0);
    } finally {
      await h.close();
    }
  });
});
