import { describe, expect, it } from 'vitest';
import { ApiError } from './errors.js';
import { isTransientTokenError, refreshDelayMs } from './tokenPolicy.js';

describe('token refresh policy', () => {
  it('refreshes at 80 % of the lifetime or 30 s before exp, whichever is earlier', () => {
    expect(refreshDelayMs(600_000)).toBe(480_000); // 10 min token: at 8 min
    expect(refreshDelayMs(120_000)).toBe(90_000); // 2 min token: 30 s before exp
  });

  it('never before half the lifetime, so short tokens do not loop', () => {
    expect(refreshDelayMs(40_000)).toBe(20_000);
    expect(refreshDelayMs(2_000)).toBe(1_000);
    expect(refreshDelayMs(1_000)).toBe(500);
  });

  it('retries network errors, 5xx and 429; takes 401, 403 and 404 as the answer', () => {
    expect(isTransientTokenError(new TypeError('fetch failed'))).toBe(true);
    expect(isTransientTokenError(new ApiError('client.network_error', 'down'))).toBe(true);
    expect(isTransientTokenError(new ApiError('http.502', 'bad gateway', 502))).toBe(true);
    expect(isTransientTokenError(new ApiError('internal.error', 'x', 500))).toBe(true);
    expect(isTransientTokenError(new ApiError('request.rate_limited', 'slow', 429))).toBe(true);
    for (const status of [401, 403, 404]) {
      expect(isTransientTokenError(new ApiError('auth.x', 'no', status))).toBe(false);
    }
    expect(isTransientTokenError(new ApiError('client.closed', 'closed'))).toBe(false);
  });
});
