import { SpinError, toSpinError, type ErrorBody, type ErrorCode } from '@spin/protocol';

/**
 * Runtime errors: everything thrown inside the runtime is normalised into protocol's
 * {@link SpinError} at each boundary (HTTP, WebSocket, execution), so clients only ever see the
 * stable `area.reason` codes of `@spin/protocol/errors`.
 */
export { SpinError };

/** The kernel process exited while it was running or starting a cell. */
export class KernelDiedError extends SpinError {
  constructor(message = 'the kernel died') {
    super('runtime.kernel_failed', message);
  }
}

/** Normalise anything thrown into a SpinError (unknown errors become `internal.error`). */
export function normaliseError(err: unknown): SpinError {
  return toSpinError(err);
}

/** HTTP status and body for an error, in the `{ error: { code, message } }` wire shape. */
export function errorResponse(err: unknown): { status: number; body: ErrorBody } {
  const e = normaliseError(err);
  return { status: e.status, body: { error: { code: e.code, message: e.message } } };
}

/** Shorthand for `new SpinError(code, message)`. */
export function spinError(code: ErrorCode, message: string): SpinError {
  return new SpinError(code, message);
}
