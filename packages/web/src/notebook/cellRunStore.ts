import type { CellRunState, InputRequest } from '@spin/client';
import type { ErrorInfo } from '../app/api';

/** Per-cell live data that changes faster than the notebook document. */
export interface CellLive {
  /** Latest run state reported by the session (outputs stream in here). */
  run: CellRunState | undefined;
  /** Why the latest attempt to run failed before it executed (compile/envelope/network). */
  error: ErrorInfo | null;
  /** A run was requested and is being saved/compiled/relayed. */
  pending: boolean;
  /** The kernel waits for a line of input for this cell's run (`input()`, `getpass()`). */
  input: InputRequest | null;
}

const EMPTY: CellLive = { run: undefined, error: null, pending: false, input: null };

type Schedule = (flush: () => void) => void;

const defaultSchedule: Schedule =
  typeof requestAnimationFrame === 'function'
    ? (f) => void requestAnimationFrame(f)
    : (f) => void setTimeout(f, 16);

/**
 * Live run state by cell id, outside React state so a burst of streamed outputs re-renders only
 * the cell it belongs to, at most once per animation frame (`useSyncExternalStore` per cell).
 */
export class CellRunStore {
  private readonly data = new Map<string, CellLive>();
  private readonly listeners = new Map<string, Set<() => void>>();
  private readonly dirty = new Set<string>();
  private scheduled = false;

  constructor(private readonly schedule: Schedule = defaultSchedule) {}

  get(cellId: string): CellLive {
    return this.data.get(cellId) ?? EMPTY;
  }

  setRun(run: CellRunState): void {
    const input = this.get(run.cellId).input;
    // a run that ended (or a newer run) no longer waits for the old request
    const stale = input && (input.jti !== run.jti || !run.running);
    this.patch(run.cellId, stale ? { run, pending: false, input: null } : { run, pending: false });
  }

  /** Show (or, with null, remove) the input box of a cell. */
  setInput(cellId: string, input: InputRequest | null): void {
    this.patch(cellId, { input });
  }

  setError(cellId: string, error: ErrorInfo | null): void {
    this.patch(cellId, { error, pending: false });
  }

  /** Mark a run as requested: clears the previous run's error. */
  setPending(cellId: string, pending: boolean): void {
    this.patch(cellId, pending ? { pending, error: null } : { pending });
  }

  subscribe(cellId: string, listener: () => void): () => void {
    let set = this.listeners.get(cellId);
    if (!set) this.listeners.set(cellId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(cellId);
    };
  }

  private patch(cellId: string, p: Partial<CellLive>): void {
    this.data.set(cellId, { ...this.get(cellId), ...p });
    this.dirty.add(cellId);
    if (this.scheduled) return;
    this.scheduled = true;
    this.schedule(() => this.flush());
  }

  /** Notify listeners of every cell that changed since the last flush. */
  flush(): void {
    this.scheduled = false;
    const ids = [...this.dirty];
    this.dirty.clear();
    for (const id of ids) for (const l of [...(this.listeners.get(id) ?? [])]) l();
  }
}
