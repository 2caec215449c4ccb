import { SpinError, type Field, type TableFrame } from '@spin/protocol';
import type { ProcessorFrame } from './types.js';

/**
 * What a processor folder may import from the runtime (besides `@spin/protocol`): its types
 * and small helpers every integration needs. Lint forbids processors any other runtime import.
 */
export * from './types.js';
export { FrameQueue } from './frameQueue.js';

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

/**
 * Cuts rows into table frames of at most `pageRows` rows, so a large result streams as pages
 * (DESIGN.md §3) and is never held whole: push rows as they arrive, then `end()`.
 */
export class TablePager {
  private columns: unknown[][];
  private index = 0;
  private offset = 0;

  constructor(
    private readonly fields: Field[],
    private readonly frameId: string,
    private readonly pageRows: number,
  ) {
    this.columns = fields.map(() => []);
  }

  /** Add one row (aligned with the fields); returns a full page when one is ready. */
  push(row: readonly unknown[]): ProcessorFrame | null {
    this.fields.forEach((_, i) => this.columns[i]!.push(row[i] ?? null));
    return (this.columns[0]?.length ?? 0) >= this.pageRows ? this.flush(false) : null;
  }

  /** The final page (possibly empty, so every result has a `last` page). */
  end(total?: number): ProcessorFrame {
    return this.flush(true, total);
  }

  private flush(last: boolean, total?: number): ProcessorFrame {
    const frame: TableFrame = {
      schema: { fields: this.fields },
      columns: this.columns,
      page: {
        frameId: this.frameId,
        index: this.index,
        offset: this.offset,
        last,
        ...(total !== undefined ? { total } : {}),
      },
    };
    this.offset += this.columns[0]?.length ?? 0;
    this.index++;
    this.columns = this.fields.map(() => []);
    return { type: 'table', frame };
  }
}
