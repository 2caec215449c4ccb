import { SpinError } from '@spin/protocol';

/** Limits of {@link LoginThrottle}. */
export interface LoginThrottleLimits {
  /** Failed logins allowed per account within the window. */
  perAccount: number;
  /** Failed logins allowed per client address within the window (password spraying). */
  perClient: number;
  windowMs: number;
  /** Upper bound on tracked keys, so a flood of distinct keys cannot exhaust memory. */
  maxKeys: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginThrottleLimits = {
  perAccount: 10,
  perClient: 50,
  windowMs: 15 * 60_000,
  maxKeys: 50_000,
};

/**
 * Brute-force protection for password login: after too many recent failures for an account or
 * from a client address, further attempts are refused with 429 `request.rate_limited` — even
 * with the right password — until the window has passed. In-memory, per server process.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly limits: LoginThrottleLimits = DEFAULT_LOGIN_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Throw when the account or the client is locked out. */
  check(email: string, client: string): void {
    const wait = Math.max(
      this.lockedFor(`account:${email}`, this.limits.perAccount),
      this.lockedFor(`client:${client}`, this.limits.perClient),
    );
    if (wait > 0) {
      const minutes = Math.ceil(wait / 60_000);
      throw new SpinError(
        'request.rate_limited',
        `too many failed sign-in attempts; try again in ${minutes} minute${minutes === 1 ? '' : 's'}`,
        { retryAfterS: Math.ceil(wait / 1000) },
      );
    }
  }

  recordFailure(email: string, client: string): void {
    for (const key of [`account:${email}`, `client:${client}`]) {
      const list = this.recent(key);
      list.push(this.now());
      this.failures.delete(key); // re-insert: the map stays ordered by last failure
      this.failures.set(key, list);
    }
    while (this.failures.size > this.limits.maxKeys) {
      const oldest = this.failures.keys().next().value;
      if (oldest === undefined) break;
      this.failures.delete(oldest);
    }
  }

  /** A successful login clears the account's failures (not the client's). */
  recordSuccess(email: string): void {
    this.failures.delete(`account:${email}`);
  }

  private recent(key: string): number[] {
    const since = this.now() - this.limits.windowMs;
    return (this.failures.get(key) ?? []).filter((t) => t > since);
  }

  /** Milliseconds until `key` may try again (0 = not locked). */
  private lockedFor(key: string, limit: number): number {
    const list = this.recent(key);
    if (list.length < limit) return 0;
    return list[list.length - limit]! + this.limits.windowMs - this.now();
  }
}
