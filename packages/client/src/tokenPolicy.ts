import { z } from 'zod';
import { ApiError } from './errors.js';

/**
 * When and how often the runtime socket asks for a new access token, and which failures it
 * waits out (issue 5 finding 4, issue 6: the retry policy keeps a short-lived token from
 * ending a session under load; a real refusal ends it).
 */

/** Backoff between attempts (token fetches, reconnects): 250 ms doubling up to 5 s. */
export const BACKOFF_FIRST_MS = 250;
export const BACKOFF_MAX_MS = 5000;
/** How often a program is relayed at most (after a dropped connection or an expired token). */
export const EXECUTE_ATTEMPTS = 6;
/** Failures after which relaying a program again is safe (its jti makes a repeat harmless). */
export const RETRY_EXECUTE_ON = new Set([
  'auth.token_expired',
  'client.disconnected',
  'client.not_connected',
  'client.network_error',
]);

/**
 * A token fetch that failed for a reason that may pass (no network, the server overloaded or
 * restarting, rate limited). Anything else — 401, 403, 404, … — is the server's answer.
 */
export function isTransientTokenError(err: unknown): boolean {
  if (!(err instanceof ApiError)) return true; // a thrown TypeError from fetch, etc.
  if (err.status === null) return err.code !== 'client.closed';
  return err.status >= 500 || err.status === 429;
}

const TokenTimesSchema = z.object({ iat: z.number(), exp: z.number() });

/** Lifetime of a JWT from its own `iat`/`exp` (not verified: only to schedule a refresh). */
export function tokenLifetimeMs(token: string): number | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const times = TokenTimesSchema.safeParse(JSON.parse(json));
    return times.success ? (times.data.exp - times.data.iat) * 1000 : null;
  } catch {
    return null;
  }
}

/**
 * When to refresh a token of `lifetimeMs`, counted from when it was fetched: at 80 % of its
 * lifetime or 30 s before it ends, whichever is earlier — but never before half of it, so a
 * very short-lived token does not turn into a refresh loop.
 */
export function refreshDelayMs(lifetimeMs: number): number {
  return Math.max(0.5 * lifetimeMs, Math.min(0.8 * lifetimeMs, lifetimeMs - 30_000));
}
