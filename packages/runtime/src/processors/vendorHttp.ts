import { SpinError } from '@spin/protocol';
import { httpError, retryAfterSeconds } from './httpErrors.js';
import type { ProcessorHost, ProcessorRequest } from './types.js';

/**
 * Shared HTTP plumbing of the SaaS processors (issue 12): one call to a vendor API that retries
 * rate limits (HTTP 429, and 503 with a Retry-After) after the wait the vendor asks for — but
 * only while that wait fits in the cell's remaining time — and turns every failure into a
 * `processor.*` error that keeps the vendor's own message.
 */
export interface VendorCall {
  host: ProcessorHost;
  /** The vendor's name, for messages ("Splunk", "Datadog"). */
  vendor: string;
  signal: AbortSignal;
  /** Epoch ms by which the cell must end (see {@link cellDeadline}); no retry waits past it. */
  deadline: number;
  /** The vendor's explanation in an error body (default: {@link vendorErrorMessage}). */
  messageOf?: (body: string) => string;
  /**
   * Seconds the vendor asks to wait before retrying (default: the `Retry-After` header, RFC
   * 9110 §10.2.3). Datadog, for one, says it in `X-RateLimit-Reset`.
   */
  retryAfterOf?: (headers: Headers) => number | undefined;
  /**
   * Whether an error response is a rate limit although its status is not 429 — AWS, for one,
   * answers `ThrottlingException` with HTTP 400. Sees the status and the body text.
   */
  throttled?: (status: number, body: string) => boolean;
  /** Called before each wait, so the cell can say it is waiting. */
  onRetry?: (waitS: number, attempt: number) => void;
  /** Attempts in all, the first included (default 5). */
  maxAttempts?: number;
}

/** Epoch ms a request's cell must end by: its start plus the program's timeout. */
export function cellDeadline(request: Pick<ProcessorRequest, 'limits'>, now = Date.now()): number {
  return now + request.limits.timeoutMs;
}

/** Wait `ms`, or reject with the signal's reason when it aborts first. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The explanation in an error body of the shapes vendors use: `message`/`Message`, `error`
 * (a string or `{message}`), `errors[0]` (Datadog), `messages[0].text` (Splunk), `detail`;
 * else the text itself, cut.
 */
export function vendorErrorMessage(body: string): string {
  try {
    const j = JSON.parse(body) as Record<string, unknown>;
    const texts: string[] = [];
    for (const key of ['message', 'Message', 'error', 'detail', 'error_description']) {
      const v = j?.[key];
      if (typeof v === 'string') texts.push(v);
      else if (
        v &&
        typeof v === 'object' &&
        typeof (v as { message?: unknown }).message === 'string'
      )
        texts.push((v as { message: string }).message);
    }
    for (const key of ['errors', 'messages']) {
      const list = j?.[key];
      if (!Array.isArray(list)) continue;
      for (const item of list) {
        if (typeof item === 'string') texts.push(item);
        else if (item && typeof item === 'object') {
          const t = (item as { text?: unknown; message?: unknown; detail?: unknown }).text;
          const m =
            (item as { message?: unknown }).message ?? (item as { detail?: unknown }).detail;
          if (typeof t === 'string') texts.push(t);
          else if (typeof m === 'string') texts.push(m);
        }
      }
    }
    if (texts.length) return texts.join('; ');
  } catch {
    // not JSON: proxies and load balancers answer in text or HTML
  }
  return body.slice(0, 500);
}

function unreachable(err: unknown, url: URL, vendor: string): SpinError {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return new SpinError(
    'processor.unavailable',
    `cannot reach ${vendor} at ${url.origin}: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
  );
}

/**
 * `fetch` with rate-limit retries. Answers the last response — a success, an error the caller
 * maps, or a 429 whose wait would not fit in the cell's time (then `retryAfterS` on the result
 * says how long the vendor asked for). Network failures throw `processor.unavailable`; an
 * aborted signal throws its reason.
 */
export async function fetchWithRetry(
  url: URL,
  init: RequestInit,
  call: VendorCall,
): Promise<{
  res: Response;
  retryAfterS: number | undefined;
  retries: number;
  /** The last response is a rate limit (also one detected by `throttled`). */
  limited: boolean;
}> {
  const max = call.maxAttempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    let res: Response;
    try {
      res = await call.host.fetch(url, { ...init, signal: call.signal });
    } catch (err) {
      if (call.signal.aborted) throw call.signal.reason ?? err;
      throw unreachable(err, url, call.vendor);
    }
    let limited = res.status === 429 || (res.status === 503 && res.headers.has('retry-after'));
    if (!limited && res.status >= 400 && call.throttled) {
      limited = call.throttled(
        res.status,
        await res
          .clone()
          .text()
          .catch(() => ''),
      );
    }
    if (!limited) return { res, retryAfterS: undefined, retries: attempt - 1, limited };
    const asked = (call.retryAfterOf ?? ((h) => retryAfterSeconds(h.get('retry-after'))))(
      res.headers,
    );
    // Without a hint, back off 1, 2, 4… s.
    const waitS = asked ?? 2 ** (attempt - 1);
    const fits = Date.now() + waitS * 1000 < call.deadline;
    call.host.logger.info(
      { vendor: call.vendor, status: res.status, waitS, attempt, retrying: fits && attempt < max },
      'rate limited',
    );
    if (!fits || attempt >= max) return { res, retryAfterS: asked, retries: attempt - 1, limited };
    await res.body?.cancel().catch(() => undefined);
    call.onRetry?.(waitS, attempt);
    await sleep(waitS * 1000, call.signal);
  }
}

/** Headers with `retry-after` set to what the vendor asked, for {@link httpError}. */
function withRetryAfter(headers: Headers, retryAfterS: number | undefined): Headers {
  if (retryAfterS === undefined || headers.has('retry-after')) return headers;
  const copy = new Headers(headers);
  copy.set('retry-after', String(retryAfterS));
  return copy;
}

/**
 * One vendor API call answering JSON: retried on rate limits ({@link fetchWithRetry}), HTTP
 * errors mapped by status with the vendor's message, a body that is not JSON refused as
 * `processor.upstream_error`.
 */
export async function vendorJson<T>(
  url: URL,
  init: RequestInit,
  call: VendorCall,
): Promise<{ data: T; res: Response; retries: number }> {
  const { res, retryAfterS, retries, limited } = await fetchWithRetry(url, init, call);
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    if (call.signal.aborted) throw call.signal.reason ?? err;
    throw unreachable(err, url, call.vendor);
  }
  call.host.logger.debug(
    { vendor: call.vendor, path: url.pathname, status: res.status },
    'vendor request',
  );
  if (res.status >= 400) {
    const said = (call.messageOf ?? vendorErrorMessage)(text);
    if (limited && res.status !== 429) {
      // A rate limit in another status (GitHub's 403, AWS's 400): say it is one.
      const wait = retryAfterS !== undefined ? `; retry after ${retryAfterS} s` : '';
      throw new SpinError(
        'processor.rate_limited',
        `rate limited (HTTP ${res.status})${wait}: ${call.vendor}: ${said}`,
        retryAfterS !== undefined ? { retryAfterS } : undefined,
      );
    }
    throw httpError(
      res.status,
      `${call.vendor}: ${said}`,
      withRetryAfter(res.headers, retryAfterS),
    );
  }
  if (res.status === 204 || text.trim() === '') return { data: undefined as T, res, retries };
  try {
    return { data: JSON.parse(text) as T, res, retries };
  } catch {
    throw new SpinError(
      'processor.upstream_error',
      `${call.vendor} answered ${url.pathname} with something other than JSON (HTTP ${res.status})`,
    );
  }
}
