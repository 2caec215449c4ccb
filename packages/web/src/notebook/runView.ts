import type { CellRunState } from '@spin/client';
import type { Cell, CellStatus, Output } from '@spin/protocol';

/** What a cell shows about its latest run, whichever source it came from. */
export interface CellRunView {
  /** `idle` when the cell never ran. */
  status: CellStatus | 'running' | 'idle';
  outputs: Output[];
  executionCount: number | null;
  exitCode: number | null;
  startedAt: string | null;
  endedAt: string | null;
  /** Where the view came from: the saved notebook or the live session. */
  source: 'persisted' | 'live' | 'none';
  /**
   * The server verified the runtime's signed receipt for this run and recorded it in the audit
   * log (persisted runs only ever come from verified receipts).
   */
  verified: boolean;
}

/**
 * The "which run wins" rule. A cell's persisted `outputs`/`lastRun` come from the server (the
 * last verified receipt); the session replays the runtime journal. Replayed events may belong
 * to an older run than the one the server holds (another device ran the cell since), so the
 * live state overrides the persisted one only when it is still running, is the same run (same
 * jti), or started at least as late as the persisted run.
 */
export function liveRunWins(persisted: Cell['lastRun'], live: CellRunState | undefined): boolean {
  if (!live) return false;
  if (live.running) return true;
  // Compiled but never started (rejected before it ran): nothing to show from it.
  if (live.startedAt === null) return false;
  if (!persisted) return true;
  if (persisted.jti === live.jti) return true;
  const liveAt = Date.parse(live.startedAt);
  const persistedAt = Date.parse(persisted.startedAt);
  if (Number.isNaN(liveAt)) return false;
  if (Number.isNaN(persistedAt)) return true;
  return liveAt >= persistedAt;
}

/** Merge a cell's persisted run and its live session state into what the UI shows. */
export function cellRunView(
  cell: Pick<Cell, 'outputs' | 'lastRun' | 'outputsCleared'>,
  live: CellRunState | undefined,
): CellRunView {
  // "Clear outputs" hides that run (persisted and replayed alike) until the cell runs again.
  const cleared = cell.outputsCleared;
  if (live && live.jti === cleared && !live.running) live = undefined;
  if (live && liveRunWins(cell.lastRun, live)) {
    // Same run as persisted and the session has nothing yet (e.g. receipt posted elsewhere).
    return {
      status: live.running ? 'running' : (live.status ?? 'idle'),
      outputs: live.outputs,
      executionCount: live.executionCount,
      exitCode: live.exitCode,
      startedAt: live.startedAt,
      endedAt: live.endedAt,
      source: 'live',
      verified: live.auditSeq !== null || cell.lastRun?.jti === live.jti,
    };
  }
  const run = cell.lastRun?.jti === cleared ? null : cell.lastRun;
  if (run) {
    return {
      status: run.status,
      outputs: cell.outputs,
      executionCount: run.executionCount ?? null,
      exitCode: run.exitCode ?? null,
      startedAt: run.startedAt,
      endedAt: run.endedAt,
      source: 'persisted',
      verified: true,
    };
  }
  const outputs = cleared === 'imported' || cell.lastRun ? [] : cell.outputs;
  return {
    status: 'idle',
    outputs,
    executionCount: null,
    exitCode: null,
    startedAt: null,
    endedAt: null,
    source: outputs.length > 0 ? 'persisted' : 'none',
    verified: false,
  };
}

/** Human duration: `0.42s`, `12.3s`, `2m 05s`, `1h 02m`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${(ms / 1000).toFixed(2)}s`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`;
}

/** The status badge text: `running…`, `ok`, `failed`, `failed (exit 3)`, `timeout` (+ duration). */
export function statusLabel(view: CellRunView, now: number = Date.now()): string {
  let label: string;
  switch (view.status) {
    case 'idle':
      return '';
    case 'running':
      label = 'running…';
      break;
    case 'ok':
      label = 'ok';
      break;
    case 'error':
      label =
        view.exitCode !== null && view.exitCode !== 0 ? `failed (exit ${view.exitCode})` : 'failed';
      break;
    default:
      label = view.status; // timeout, interrupted, aborted
  }
  const start = view.startedAt ? Date.parse(view.startedAt) : NaN;
  const end = view.status === 'running' ? now : view.endedAt ? Date.parse(view.endedAt) : NaN;
  const duration = formatDuration(end - start);
  return duration ? `${label} · ${duration}` : label;
}
