/**
 * What a cell shows about its latest run (issue 11 "Shape": the rule lives here, in the client,
 * so the web and any other client agree on it).
 */
import type { CellRunState } from './notebookSession.js';
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
