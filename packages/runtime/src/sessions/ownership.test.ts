import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SessionOwnership } from './ownership.js';

const dirs: string[] = [];
function file(): string {
  const d = mkdtempSync(join(tmpdir(), 'spin-owner-'));
  dirs.push(d);
  return join(d, 'owner.json');
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

type Perm = 'view' | 'execute' | 'interrupt' | 'own';
const own = (sub: string, ownerEpoch: number) => ({
  sub,
  ownerEpoch,
  perms: ['view', 'execute', 'interrupt', 'own'] as Perm[],
});
const participant = (sub: string, ownerEpoch: number) => ({
  sub,
  ownerEpoch,
  perms: ['view', 'execute'] as Perm[],
});

describe('SessionOwnership', () => {
  it('the first owner token sets the owner; a newer epoch hands it over; epochs never go back', () => {
    const o = new SessionOwnership(file());
    expect(o.observe(participant('bea', 0))).toBe(false);
    expect(o.observe(own('ada', 0))).toBe(true);
    expect(o.current).toEqual({ owner: 'ada', ownerEpoch: 0 });
    expect(o.observe(own('bea', 0))).toBe(false);
    expect(o.observe(own('bea', 1))).toBe(true);
    expect(o.current).toEqual({ owner: 'bea', ownerEpoch: 1 });
    expect(o.observe(own('ada', 0))).toBe(false);
    expect(o.current).toEqual({ owner: 'bea', ownerEpoch: 1 });
    expect(o.honours({ ownerEpoch: 0 })).toBe(false);
    expect(o.honours({ ownerEpoch: 1 })).toBe(true);
  });

  it('a participant token of a newer epoch ends the old owner rights before the new owner arrives', () => {
    const o = new SessionOwnership(file());
    o.observe(own('ada', 0));
    expect(o.observe(participant('cy', 1))).toBe(true);
    expect(o.current).toEqual({ owner: null, ownerEpoch: 1 });
    expect(o.honours({ ownerEpoch: 0 })).toBe(false);
    expect(o.observe(own('bea', 1))).toBe(true);
    expect(o.current).toEqual({ owner: 'bea', ownerEpoch: 1 });
  });

  it('remembers the epoch across a restart, so old tokens stay without owner rights', () => {
    const f = file();
    new SessionOwnership(f).observe(own('bea', 3));
    const after = new SessionOwnership(f);
    expect(after.current).toEqual({ owner: 'bea', ownerEpoch: 3 });
    expect(after.honours({ ownerEpoch: 2 })).toBe(false);
  });
});
