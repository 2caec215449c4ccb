import { createHash } from 'node:crypto';
import { SpinError } from '@spin/protocol';
import { lt } from 'drizzle-orm';
import { RateLimiterDrizzle, RateLimiterRes } from 'rate-limiter-flexible';
import type { Db } from '../db/connection.js';
import { rateLimits } from '../db/schema.js';

/** A budget: `points` per `durationS` seconds (a fixed window from the first point spent). */
export interface RateLimitRule {
  points: number;
  durationS: number;
}

/**
 * The auth budgets. Login counts failures: every attempt spends a point up front (atomically, so
 * parallel guesses cannot overrun the budget) and a success gives it back and clears the
 * account's count, so a user is never locked out by their own successes; sign-up counts
 * every attempt (account creation is the costly thing); invitations count refused tokens
 * (guessing); password changes count wrong current passwords; tokens count every mint.
 */
export const AUTH_RATE_LIMITS = {
  /** Failed logins per account. */
  loginAccount: { points: 10, durationS: 15 * 60 },
  /** Failed logins per client address (password spraying across accounts). */
  loginClient: { points: 50, durationS: 15 * 60 },
  /** Sign-ups (first user or through an invitation) per client address. */
  signupClient: { points: 30, durationS: 60 * 60 },
  /** Refused invitation tokens (unknown, used, expired, revoked) per client address. */
  invitationClient: { points: 30, durationS: 15 * 60 },
  /** Wrong current passwords on a password change, per user. */
  passwordUser: { points: 10, durationS: 15 * 60 },
  /** Runtime access tokens minted per user. */
  tokenUser: { points: 300, durationS: 60 },
} as const satisfies Record<string, RateLimitRule>;

/** One of the {@link AUTH_RATE_LIMITS} budgets. */
export type RateLimitBucket = keyof typeof AUTH_RATE_LIMITS;

/** Keys are hashed: the table holds no email addresses or client addresses. */
const keyOf = (key: string) => createHash('sha256').update(key).digest('base64url');

function limited(msBeforeNext: number): SpinError {
  const seconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
  const minutes = Math.ceil(seconds / 60);
  const wait = seconds < 60 ? `${seconds} seconds` : `${minutes} minute${minutes === 1 ? '' : 's'}`;
  return new SpinError('auth.rate_limited', `too many attempts; try again in ${wait}`, {
    retryAfterS: seconds,
  });
}

/**
 * Rate limits of the auth routes and token minting, kept in the database with
 * rate-limiter-flexible's `RateLimiterDrizzle` store (an atomic upsert per point): budgets
 * survive a restart and are shared by every server process on the database, on PostgreSQL and
 * PGlite alike. Over budget is 429 `auth.rate_limited` with `details.retryAfterS`, which the
 * error handler sends as `Retry-After`.
 */
export class AuthRateLimiter {
  private readonly limiters: Record<RateLimitBucket, RateLimiterDrizzle>;

  constructor(
    private readonly db: Db,
    private readonly rules: Record<RateLimitBucket, RateLimitRule> = AUTH_RATE_LIMITS,
  ) {
    const entries = Object.entries(rules).map(([bucket, rule]) => [
      bucket,
      new RateLimiterDrizzle({
        storeClient: db,
        schema: rateLimits,
        keyPrefix: bucket,
        points: rule.points,
        duration: rule.durationS,
        // expired rows are purged by purgeExpired(), on the server's own schedule
        clearExpiredByTimeout: false,
      }),
    ]);
    this.limiters = Object.fromEntries(entries) as Record<RateLimitBucket, RateLimiterDrizzle>;
  }

  /** Throw 429 when `key` has no budget left in `bucket` (spends nothing). */
  async check(bucket: RateLimitBucket, key: string): Promise<void> {
    const res = await this.limiters[bucket].get(keyOf(key));
    if (res && res.consumedPoints >= this.rules[bucket].points) throw limited(res.msBeforeNext);
  }

  /** Spend one point of `key`'s budget; throws 429 when that was more than it had left. */
  async spend(bucket: RateLimitBucket, key: string): Promise<void> {
    try {
      await this.limiters[bucket].consume(keyOf(key));
    } catch (err) {
      if (err instanceof RateLimiterRes) throw limited(err.msBeforeNext);
      throw err;
    }
  }

  /** Give back one point spent on an attempt that turned out fine. */
  async refund(bucket: RateLimitBucket, key: string): Promise<void> {
    await this.limiters[bucket].reward(keyOf(key), 1);
  }

  /** Forget `key`'s spending in `bucket` (a successful login clears its failures). */
  async reset(bucket: RateLimitBucket, key: string): Promise<void> {
    await this.limiters[bucket].delete(keyOf(key));
  }

  /** Delete windows that have ended; returns how many rows went. */
  async purgeExpired(now = new Date()): Promise<number> {
    const gone = await this.db
      .delete(rateLimits)
      .where(lt(rateLimits.expire, now))
      .returning({ key: rateLimits.key });
    return gone.length;
  }
}
