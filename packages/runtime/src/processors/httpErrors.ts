import { SpinError } from '@spin/protocol';

/**
 * Seconds to wait from a `Retry-After` header (RFC 9110 §10.2.3): delay-seconds or an
 * HTTP-date. Undefined when absent or unreadable.
 */
export function retryAfterSeconds(
  value: string | null | undefined,
  now = Date.now(),
): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/**
 * The processor error for an upstream HTTP failure: 401 → auth failed, 403 → forbidden, 404 →
 * not found, 429 → rate limited (with `details.retryAfterS`), 400/422 → bad query, 408/504 →
 * timeout, other 5xx → unavailable. `vendorMessage` is the upstream's own explanation and is
 * kept verbatim in the message.
 */
export function httpError(
  status: number,
  vendorMessage: string,
  headers?: { get(name: string): string | null },
): SpinError {
  const said = vendorMessage.trim() ? `: ${vendorMessage.trim().slice(0, 2000)}` : '';
  if (status === 401)
    return new SpinError('processor.auth_failed', `authentication failed (HTTP 401)${said}`);
  if (status === 403)
    return new SpinError('processor.forbidden', `access denied (HTTP 403)${said}`);
  if (status === 404)
    return new SpinError('processor.resource_not_found', `not found (HTTP 404)${said}`);
  if (status === 429) {
    const retryAfterS = retryAfterSeconds(headers?.get('retry-after'));
    const wait = retryAfterS !== undefined ? `; retry after ${retryAfterS} s` : '';
    return new SpinError(
      'processor.rate_limited',
      `rate limited (HTTP 429)${wait}${said}`,
      retryAfterS !== undefined ? { retryAfterS } : undefined,
    );
  }
  if (status === 400 || status === 422)
    return new SpinError('processor.bad_query', `bad query (HTTP ${status})${said}`);
  if (status === 408 || status === 504)
    return new SpinError('processor.timeout', `upstream timed out (HTTP ${status})${said}`);
  if (status >= 500)
    return new SpinError('processor.unavailable', `upstream unavailable (HTTP ${status})${said}`);
  return new SpinError('processor.upstream_error', `upstream answered HTTP ${status}${said}`);
}
