import { useRef, useState, type RefObject } from 'react';
import { ApiError } from '@spin/client';
import type { Cell, CellInput, NotebookSettings } from '@spin/protocol';
import { toErrorInfo } from '../app/api';
import type { Autosaver } from './autosaver';
import type { CellRunStore } from './cellRunStore';
import { cellInput, cellsToRun, nextLinked } from './notebookModel';
import type { NotebookPermissions } from './permissions';
import type { SessionHandle } from './useNotebookSession';

export interface RunQueueOptions {
  cellsRef: RefObject<Cell[]>;
  settingsRef: RefObject<NotebookSettings>;
  store: CellRunStore;
  session: SessionHandle;
  saver: Autosaver;
  canRef: RefObject<NotebookPermissions>;
  setNotice: (notice: string | null) => void;
}

/** Runs cells one after another (Run all, linked cells) and restarts the kernel. */
export interface RunQueue {
  /** How many sequences are running (the toolbar shows busy while > 0). */
  running: number;
  /** Run `cells` in order; with `follow`, go on into cells linked to the last one. */
  runSequence(cells: readonly Cell[], follow: boolean): Promise<void>;
  restart(then: 'nothing' | 'run-all'): void;
  interrupt(): void;
}

/**
 * The notebook's run queue. Every function reads refs, so the returned object can be used
 * from handlers created once for the page (the cell actions).
 */
export function useRunQueue(o: RunQueueOptions): RunQueue {
  const [running, setRunning] = useState(0);
  const opts = useRef(o);
  opts.current = o;

  /** Run one cell; resolves true when it ended `ok` (what linked cells and Run all go on after). */
  const execute = async (input: CellInput): Promise<boolean> => {
    const { store, saver, session, settingsRef } = opts.current;
    store.setPending(input.id, true);
    // Save alongside, not before: compile takes the source itself, so the run does not wait
    // for the save's round trip (and a failed save does not stop it; the indicator says so).
    void saver.flush();
    try {
      const s = await session.ready();
      const result = await s.run(input, { timeRange: settingsRef.current.timeRange });
      store.setPending(input.id, false);
      return result.status === 'ok';
    } catch (err) {
      store.setError(input.id, toErrorInfo(err));
      return false;
    }
  };

  /**
   * Run cells one after another, each after the previous one ended; the first that does not
   * end `ok` stops the rest (Jupyter's Run all). Queued cells show as pending meanwhile.
   * With `follow`, a cell linked to the last one run goes on the queue when it succeeds.
   */
  const runSequence = async (cells: readonly Cell[], follow: boolean) => {
    const { store, canRef, cellsRef } = opts.current;
    if (!canRef.current.run || cells.length === 0) return;
    const queued = [...cells];
    for (const c of queued) store.setPending(c.id, true);
    setRunning((q) => q + 1);
    try {
      while (queued.length > 0) {
        const cell = queued.shift()!;
        const latest = cellsRef.current.find((c) => c.id === cell.id);
        if (!latest) continue; // deleted while queued
        const ok = await execute(cellInput(latest));
        if (!ok) break;
        if (follow && queued.length === 0) {
          const next = nextLinked(cellsRef.current, latest.id);
          if (next) {
            store.setPending(next.id, true);
            queued.push(next);
          }
        }
      }
    } finally {
      for (const c of queued) store.setPending(c.id, false);
      setRunning((q) => q - 1);
    }
  };

  const restart = (then: 'nothing' | 'run-all') => {
    const { session, setNotice, cellsRef } = opts.current;
    session.ready().then(
      async (s) => {
        try {
          await s.restart();
          if (then === 'run-all')
            await runSequence(cellsToRun(cellsRef.current, 'all', null), false);
        } catch (err) {
          if (err instanceof ApiError) setNotice(`Could not restart the kernel: ${err.message}`);
        }
      },
      () => {},
    );
  };

  const interrupt = () => {
    const { session, setNotice } = opts.current;
    session
      .ready()
      .then((s) => s.interrupt())
      .catch((err: unknown) => {
        // e.g. runtime.not_owner: the session was handed to someone else
        if (err instanceof ApiError) setNotice(`Could not stop the run: ${err.message}`);
      });
  };

  return { running, runSequence, restart, interrupt };
}
