import { ApiError, ServerApi } from '@spin/client';

/**
 * The one ServerApi of the app. Same origin: the server serves this UI at `/` and the API at
 * `/api/v1`, the session is an httpOnly cookie, and the CSRF token from SessionInfo is sent by
 * the client on every state-changing request.
 */
export const api = new ServerApi({ baseUrl: '' });

/** A UI-friendly view of anything thrown (ApiError codes are kept). */
export interface ErrorInfo {
  code: string;
  message: string;
}

export function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof ApiError) return { code: err.code, message: err.message };
  if (err instanceof Error) return { code: 'client.error', message: err.message };
  return { code: 'client.error', message: String(err) };
}

export function isUnauthenticated(err: unknown): boolean {
  return err instanceof ApiError && err.code === 'auth.unauthenticated';
}
