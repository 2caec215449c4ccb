import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ReplayCache } from './replayCache.js';

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
});
