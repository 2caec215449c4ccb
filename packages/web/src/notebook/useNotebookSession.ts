import { useEffect, useRef, useState } from 'react';
import {
  ApiError,
  NotebookSession,
  type KernelStatusMessage,
  type WebSocketCtor,
  type WebSocketLike,
} from '@spin/client';
import type { Runtime } from '@spin/protocol';
import { api, toErrorInfo, type ErrorInfo } from '../app/api';
import { setRuntimeStatus, statusFromSocket } from '../app/runtimeStatus';
import type { CellRunStore } from './cellRunStore';
import { publishSession, unpublishSession } from './session/activeSession';

export interface SessionHandle {
  /** Resolves to the open session, or rejects with why it could not open. */
  ready(): Promise<NotebookSession>;
  /** Open again now (after a failure or a refused connection). */
  reconnect(): void;
}

export interface SessionUiState {
  phase: 'none' | 'opening' | 'open' | 'failed' | 'closed';
  error: ErrorInfo | null;
  /** The kernel is dead (with its cause): the page offers a restart. */
  deadKernel?: KernelStatusMessage | null;
  /** The kernel's last pushed state (starting, idle, busy, dead), shown in the toolbar. */
  kernel?: KernelStatusMessage | null;
}

/**
 * `NotebookSession.open` keeps a socket that failed to connect retrying in the background and
 * gives us no handle to stop it. Wrapping the WebSocket constructor lets us close and refuse
 * sockets of an attempt we abandoned (see the report: a `signal` option in the client would be
 * the proper fix).
 */
function abandonableWebSocket(): { Ctor: WebSocketCtor; abandon(): void } {
  const Native = (globalThis as { WebSocket?: WebSocketCtor }).WebSocket;
  const sockets = new Set<WebSocketLike>();
  let abandoned = false;
  class Tracked {
    constructor(url: string, protocols?: string | string[]) {
      if (!Native) throw new Error('no WebSocket in this browser');
      if (abandoned) throw new Error('connection attempt abandoned');
      const ws = new Native(url, protocols);
      sockets.add(ws);
      return ws as unknown as Tracked;
    }
  }
  return {
    Ctor: Tracked as unknown as WebSocketCtor,
    abandon() {
      abandoned = true;
      for (const ws of sockets) ws.close(1000, 'abandoned');
      sockets.clear();
    },
  };
}

/** How long Run waits for the runtimes to load before it says there is none. */
const READY_WAIT_MS = 30_000;

function noRuntime(): ApiError {
  return new ApiError('client.no_runtime', 'No runtime is available for this notebook.');
}

/**
 * Owns the page's NotebookSession: opens it for (notebook, runtime) with the jtis the server
 * already holds receipts for, feeds live cell states into the store, reports the socket state to
 * the top bar, retries opening with backoff, and closes everything on unmount.
 */
export function useNotebookSession(opts: {
  notebookId: string;
  runtime: Runtime | null;
  /**
   * The runtimes are still loading: `ready()` called now (Run pressed right after the page
   * opened) waits for the session instead of failing with `client.no_runtime`.
   */
  waitingForRuntime?: boolean;
  /** Read when opening: every cell's `lastRun?.jti` and the ids of current cells. */
  snapshot: () => { knownJtis: string[]; cellIds: string[] };
  store: CellRunStore;
}): { handle: SessionHandle; ui: SessionUiState } {
  const { notebookId, runtime, store } = opts;

  const snapshotRef = useRef(opts.snapshot);
  snapshotRef.current = opts.snapshot;
  const [attempt, setAttempt] = useState(0);
  const [ui, setUi] = useState<SessionUiState>({ phase: 'none', error: null });
  const promiseRef = useRef<Promise<NotebookSession> | null>(null);
  // Callers of ready() before a session was being opened (runtimes still loading).
  const waitersRef = useRef<Array<(p: Promise<NotebookSession>) => void>>([]);
  const waitingRef = useRef(opts.waitingForRuntime === true);
  waitingRef.current = opts.waitingForRuntime === true;
  const settleWaiters = (p: Promise<NotebookSession>) => {
    for (const w of waitersRef.current.splice(0)) w(p);
  };
  // Re-open only when the runtime really changes, not when a refetch returns an equal object.
  const runtimeRef = useRef(runtime);
  runtimeRef.current = runtime;
  const runtimeKey = runtime ? `${runtime.id}|${runtime.url}` : null;

  useEffect(() => {
    const runtime = runtimeRef.current;
    if (!runtime) {
      promiseRef.current = null;
      setUi({ phase: 'none', error: null });
      setRuntimeStatus({ state: 'none', runtimeName: null });
      return;
    }
    let disposed = false;
    let session: NotebookSession | null = null;
    const subs: Array<{ dispose(): void }> = [];
    const ws = abandonableWebSocket();
    setUi({ phase: 'opening', error: null });
    setRuntimeStatus({ state: 'connecting', runtimeName: runtime.name });
    const { knownJtis, cellIds } = snapshotRef.current();
    const p = NotebookSession.open({ api, notebookId, runtime, knownJtis, WebSocket: ws.Ctor });
    promiseRef.current = p;
    settleWaiters(p);
    let retry: ReturnType<typeof setTimeout> | null = null;
    p.then(
      (s) => {
        if (disposed) {
          s.close();
          return;
        }
        session = s;
        publishSession(s);
        subs.push(s.onDidChangeCell((st) => store.setRun(st)));
        subs.push(s.onDidInputRequest((req) => store.setInput(req.cell, req)));
        const showKernel = (k: KernelStatusMessage | null) =>
          setUi((u) => ({ ...u, kernel: k, deadKernel: k?.state === 'dead' ? k : null }));
        subs.push(s.onDidChangeKernelStatus(showKernel));
        for (const req of s.pendingInputs) store.setInput(req.cell, req);
        subs.push(
          s.socket.onDidChangeState((st) => {
            setRuntimeStatus({ state: statusFromSocket(st), runtimeName: runtime.name });
            setUi((u) => ({
              phase: st === 'closed' ? 'closed' : 'open',
              error: st === 'open' ? null : u.error,
            }));
          }),
        );
        subs.push(s.socket.onDidError((err) => setUi((u) => ({ ...u, error: toErrorInfo(err) }))));
        subs.push(
          s.onDidFailReceipt(({ jti, error }) =>
            console.error(
              `receipt for ${jti} was rejected by the server`,
              error.code,
              error.message,
            ),
          ),
        );
        // The journal was replayed while opening, before we could listen: pick it up now.
        for (const id of new Set([...cellIds, ...snapshotRef.current().cellIds])) {
          const st = s.cellState(id);
          if (st) store.setRun({ ...st });
        }
        setRuntimeStatus({ state: statusFromSocket(s.socket.state), runtimeName: runtime.name });
        setUi({
          phase: s.socket.state === 'closed' ? 'closed' : 'open',
          error: null,
          deadKernel: s.kernelStatus?.state === 'dead' ? s.kernelStatus : null,
          kernel: s.kernelStatus ?? null,
        });
      },
      (err: unknown) => {
        ws.abandon();
        if (disposed) return;
        setUi({ phase: 'failed', error: toErrorInfo(err) });
        setRuntimeStatus({ state: 'disconnected', runtimeName: runtime.name });
        // Keep trying quietly (runtime restarting, laptop waking up); the user can retry now.
        const delay = Math.min(2000 * 2 ** Math.min(attempt, 3), 15_000);
        retry = setTimeout(() => setAttempt((a) => a + 1), delay);
      },
    );
    p.catch(() => {}); // handled above; run() awaits ready() and shows its own error
    return () => {
      disposed = true;
      if (retry) clearTimeout(retry);
      for (const d of subs) d.dispose();
      unpublishSession(session);
      session?.close();
      ws.abandon();
      promiseRef.current = null;
      setRuntimeStatus({ state: 'none', runtimeName: null });
    };
  }, [notebookId, runtimeKey, store, attempt]);

  // The runtimes loaded and none is usable: whoever waits in ready() hears it now.
  const waiting = opts.waitingForRuntime === true;
  useEffect(() => {
    if (!waiting && !promiseRef.current && waitersRef.current.length > 0) {
      settleWaiters(Promise.reject(noRuntime()));
    }
  }, [waiting]);

  const handleRef = useRef<SessionHandle>({
    ready: () => {
      if (promiseRef.current) return promiseRef.current;
      if (!waitingRef.current) return Promise.reject(noRuntime());
      return new Promise<NotebookSession>((resolve, reject) => {
        const timer = setTimeout(() => {
          waitersRef.current = waitersRef.current.filter((w) => w !== waiter);
          reject(noRuntime());
        }, READY_WAIT_MS);
        const waiter = (p: Promise<NotebookSession>) => {
          clearTimeout(timer);
          p.then(resolve, reject);
        };
        waitersRef.current.push(waiter);
      });
    },
    reconnect: () => setAttempt((a) => a + 1),
  });
  return { handle: handleRef.current, ui };
}
