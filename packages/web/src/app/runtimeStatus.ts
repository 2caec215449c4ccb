import { useSyncExternalStore } from 'react';
import type { SocketState } from '@spin/client';

/** What the top bar shows about the open notebook's runtime connection. */
export interface RuntimeStatus {
  state: 'none' | 'connecting' | 'connected' | 'reconnecting' | 'disconnected';
  runtimeName: string | null;
}

export function statusFromSocket(s: SocketState): RuntimeStatus['state'] {
  switch (s) {
    case 'open':
      return 'connected';
    case 'connecting':
      return 'connecting';
    case 'reconnecting':
      return 'reconnecting';
    case 'closed':
      return 'disconnected';
  }
}

let current: RuntimeStatus = { state: 'none', runtimeName: null };
const listeners = new Set<() => void>();

/** Set by the notebook page, which owns the runtime connection. */
export function setRuntimeStatus(next: RuntimeStatus): void {
  if (next.state === current.state && next.runtimeName === current.runtimeName) return;
  current = next;
  for (const l of listeners) l();
}

export function useRuntimeStatus(): RuntimeStatus {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => current,
  );
}
