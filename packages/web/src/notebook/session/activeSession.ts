import { useSyncExternalStore } from 'react';
import type { NotebookSession } from '@spin/client';

/**
 * The notebook page's open NotebookSession, published by `useNotebookSession` so the session
 * panel (a sibling of the editor) reads the same session — its sid, the owner the runtime
 * announces, its socket — without a second connection. A tiny external store in the style of
 * `app/runtimeStatus.ts`; one notebook page is open at a time.
 */
let current: NotebookSession | null = null;
const listeners = new Set<() => void>();

/** Set (or clear, with null) the page's open session. */
export function publishSession(session: NotebookSession | null): void {
  if (current === session) return;
  current = session;
  for (const l of listeners) l();
}

/** Clear the published session if it is still `session` (an unmount after a newer open). */
export function unpublishSession(session: NotebookSession | null): void {
  if (session && current === session) publishSession(null);
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The page's open session, or null while none is open. */
export function useActiveSession(): NotebookSession | null {
  return useSyncExternalStore(subscribe, () => current);
}
