import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLOCK_TOLERANCE_S, LEASE_S, ReplayCache } from './replayCache.js';

describe('ReplayCache', () => {
  const dirs: string[] = [];
  const home = () => {
    const d = mkdtempSync(join(tmpdir(), 'spin-replay-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('accepts a jti once, also across restarts', () => {
    const dir = home();
    const now = 1_000_000;
    const a = new ReplayCache(dir, () => now);
    expect(a.claim('jti-1', now + 60)).toBe(true);
    expect(a.claim('jti-1', now + 60)).toBe(false);
    a.close();
    const b = new ReplayCache(dir, () => now);
    expect(b.claim('jti-1', now + 60)).toBe(false);
    expect(b.claim('jti-2', now + 60)).toBe(true);
    b.close();
  });

  it('drops entries long expired when it compacts at start', () => {
    const dir = home();
    const a = new ReplayCache(dir, () => 1000);
    a.claim('old', 1010);
    a.claim('new', 5000);
    a.close();
    const b = new ReplayCache(dir, () => 2000);
    expect(b.size).toBe(1);
    expect(readFileSync(join(dir, 'replay-cache.jsonl'), 'utf8')).not.toContain('"old"');
    b.close();
  });

  it('ignores a torn last line', () => {
    const dir = home();
    const a = new ReplayCache(dir, () => 1000);
    a.claim('ok', 2000);
    a.close();
    const file = join(dir, 'replay-cache.jsonl');
    const torn = readFileSync(file, 'utf8') + '{"jti":"tor';
    writeFileSync(file, torn);
    const b = new ReplayCache(dir, () => 1000);
    expect(b.claim('ok', 2000)).toBe(false);
    b.close();
  });

  const records = (dir: string) =>
    readFileSync(join(dir, 'replay-cache.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  it('has a claim in the file when claim returns, so a killed runtime (never closed) still refuses it', () => {
    const dir = home();
    const now = 1_000_000;
    const a = new ReplayCache(dir, () => now, { bootId: 'boot-A' });
    expect(a.claim('jti-1', now + 60)).toBe(true);
    // no close(), no fdatasync awaited: what a SIGKILL leaves behind (the page cache)
    const b = new ReplayCache(dir, () => now, { bootId: 'boot-A' });
    expect(b.claim('jti-1', now + 60)).toBe(false);
    expect(b.admits(now)).toBe(true); // same boot: nothing can have been lost, no fence
    a.close();
    b.close();
  });

  it('accepts only under a lease that reached the file before the claim', async () => {
    const dir = home();
    const now = 1_000_000;
    const a = new ReplayCache(dir, () => now, { bootId: 'boot-A' });
    a.claim('jti-1', now + 60);
    await a.flushed();
    const recs = records(dir);
    const lease = recs.findIndex((r) => typeof r.lease === 'number');
    const claim = recs.findIndex((r) => r.jti === 'jti-1');
    expect(lease).toBeGreaterThanOrEqual(0);
    expect(lease).toBeLessThan(claim);
    expect(recs[lease]).toEqual({ lease: now + LEASE_S, boot: 'boot-A' });
    a.close();
  });

  it('after an OS crash lost the last claims, refuses every program issued before the fence', () => {
    const dir = home();
    const t0 = 1_000_000;
    let now = t0;
    const a = new ReplayCache(dir, () => now, { bootId: 'boot-A' });
    a.claim('ran-before-crash', t0 + 300);
    // power loss: the page cache is gone, only the durable lease survived (the worst case)
    const file = join(dir, 'replay-cache.jsonl');
    const durable = records(dir).filter((r) => typeof r.lease === 'number');
    writeFileSync(file, durable.map((r) => JSON.stringify(r) + '\n').join(''));
    now = t0 + 20; // a fast reboot
    const b = new ReplayCache(dir, () => now, { bootId: 'boot-B' });
    expect(b.issuedFence).toBe(t0 + LEASE_S + CLOCK_TOLERANCE_S);
    // its jti is forgotten, but the program was issued before the fence: refused
    expect(b.claim('ran-before-crash', t0 + 300)).toBe(true);
    expect(b.admits(t0)).toBe(false);
    expect(b.admits(t0 + CLOCK_TOLERANCE_S)).toBe(false); // a server clock 30 s ahead
    expect(b.admits(b.issuedFence)).toBe(true); // compiled again after the fence: runs
    b.close();
    // the fence is persisted: a second restart in the new boot keeps it
    const c = new ReplayCache(dir, () => now, { bootId: 'boot-B' });
    expect(c.admits(t0)).toBe(false);
    c.close();
    // and dropped once every program it refuses has expired
    now = t0 + 2000;
    const d = new ReplayCache(dir, () => now, { bootId: 'boot-B' });
    expect(d.issuedFence).toBe(0);
    d.close();
  });

  it('without a boot id to compare, takes each claim to the disk before it returns (no lease)', () => {
    const dir = home();
    const a = new ReplayCache(dir, () => 1000, { bootId: null });
    a.claim('jti-1', 2000);
    expect(records(dir)).toEqual([{ jti: 'jti-1', exp: 2000 }]);
    a.close();
    const b = new ReplayCache(dir, () => 1000, { bootId: null });
    expect(b.admits(1000)).toBe(true);
    expect(b.claim('jti-1', 2000)).toBe(false);
    b.close();
  });
});
