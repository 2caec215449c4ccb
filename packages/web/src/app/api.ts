import { ApiError, ServerApi } from '@spin/client';

/**
 * The one ServerApi of the app. Same origin: the server serves this UI at `/` and the API at
 * `/api/v1`, the session is an httpOnly cookie, and the CSRF token from SessionInfo is sent by
 * the client on every state-changing request.
 */
export const api = new ServerApi({
  baseUrl: '',
  onUnauthenticated: () => {
    for (const listener of [...unauthenticatedListeners]) listener();
  },
});

const unauthenticatedListeners = new Set<() => void>();

/**
 * The app's one 401 handler: `listener` runs whenever any request (a query, a mutation or a
 * direct call, on any page) finds the session gone. The signed-in shell registers it and goes
 * back to the login form; returns the unregistering function.
 */
export function onUnauthenticated(listener: () => void): () => void {
  unauthenticatedListeners.add(listener);
  return () => {
    unauthenticatedListeners.delete(listener);
  };
}

const signedInAgainListeners = new Set<() => void>();

/**
 * `listener` runs when the user signed in again after the session ended under an open page (the
 * page stayed as it was): what failed meanwhile, such as an autosave, can go again now.
 */
export function onSignedInAgain(listener: () => void): () => void {
  signedInAgainListeners.add(listener);
  return () => {
    signedInAgainListeners.delete(listener);
  };
}

export function notifySignedInAgain(): void {
  for (const listener of [...signedInAgainListeners]) listener();
}

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

/** A refusal by role: the page says so instead of showing an error. */
export function isForbidden(err: unknown): boolean {
  return err instanceof ApiError && err.status === 403;
}
