import { isErrorCode } from '@spin/protocol';

/**
 * An error reported by the server or a runtime, with its stable code (`area.reason`) and the
 * HTTP status when it came over HTTP. Codes this client version does not know are kept as is.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: string,
    message: string,
    readonly status: number | null = null,
    readonly details?: unknown,
  ) {
    super(message);
  }

  /** True when the code is one of the protocol's stable codes. */
  get known(): boolean {
    return isErrorCode(this.code);
  }
}

/** Parse an error body `{error:{code,message}}`, tolerating anything else a proxy may send. */
export async function errorFromResponse(
  res: Pick<Response, 'status' | 'statusText' | 'json'>,
): Promise<ApiError> {
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  const err = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)
    ?.error;
  if (err && typeof err.code === 'string') {
    return new ApiError(
      err.code,
      typeof err.message === 'string' ? err.message : err.code,
      res.status,
      err.details,
    );
  }
  return new ApiError('http.' + res.status, `HTTP ${res.status} ${res.statusText}`, res.status);
}
