import { describe, expect, it } from 'vitest';
import { SpinError } from '@spin/protocol';
import { LoginThrottle } from './loginThrottle.js';

function codeOf(fn: () => void): string | null {
  try {
    fn();
    return null;
  } catch (e) {
    return e instanceof SpinError ? e.code : 'other';
  }
}

describe('LoginThrottle', () => {
  const limits = { perAccount: 3, perClient: 5, windowMs: 60_000, maxKeys: 100 };

  it('locks an account after too many failures, until the window passes', () => {
    let now = 1_000_000;
    const t = new LoginThrottle(limits, () => now);
    for (let i = 0; i < 3; i++) {
      expect(codeOf(() => t.check('ada@x', '10.0.0.1'))).toBeNull();
      t.recordFailure('ada@x', '10.0.0.1');
    }
    expect(codeOf(() => t.check('ada@x', '10.0.0.2'))).toBe('request.rate_limited');
    expect(codeOf(() => t.check('bob@x', '10.0.0.1'))).toBeNull();
    now += 60_001;
    expect(codeOf(() => t.check('ada@x', '10.0.0.1'))).toBeNull();
  });

  it('locks a client spraying many accounts', () => {
    const t = new LoginThrottle(limits, () => 0);
    for (let i = 0; i < 5; i++) t.recordFailure(`user${i}@x`, '10.0.0.9');
    expect(codeOf(() => t.check('fresh@x', '10.0.0.9'))).toBe('request.rate_limited');
    expect(codeOf(() => t.check('fresh@x', '10.0.0.8'))).toBeNull();
  });

  it('forgets an account’s failures after a successful login, and bounds its memory', () => {
    const t = new LoginThrottle({ ...limits, perClient: 1000, maxKeys: 10 }, () => 0);
    t.recordFailure('ada@x', 'c');
    t.recordFailure('ada@x', 'c');
    t.recordSuccess('ada@x');
    t.recordFailure('ada@x', 'c');
    expect(codeOf(() => t.check('ada@x', 'c'))).toBeNull();
    for (let i = 0; i < 100; i++) t.recordFailure(`u${i}@x`, `ip${i}`);
    expect((t as unknown as { failures: Map<string, unknown> }).failures.size).toBeLessThanOrEqual(
      10,
    );
  });
});
