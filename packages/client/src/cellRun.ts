import type { CellStatus, JournalEvent, Output, Runtime } from '@spin/protocol';
import type { WebSocketCtor } from './runtimeSocket.js';
import type { ServerApi } from './serverApi.js';

/** Live state of one cell's latest execution, as a UI shows it. */
export interface CellRunState {
  cellId: string;
  jti: string;
  running: boolean;
  outputs: Output[];
  status: CellStatus | null;
  exitCode: number | null;
  executionCount: number | null;
  startedAt: string | null;
  endedAt: string | null;
  /** Audit sequence number once the server verified the receipt. */
  auditSeq: number | null;
}

/** Result of {@link NotebookSession.run}. */
export interface CellRunResult extends CellRunState {
  status: CellStatus;
  events: JournalEvent[];
  /**
   * Resolves with the audit sequence number once the server verified and recorded the
   * receipt (null if this client did not post it: only the client that relayed a run posts
   * its receipt); rejects with the server's error if it refused the receipt.
   */
  audited: Promise<number | null>;
}

export interface NotebookSessionOptions {
  api: ServerApi;
  notebookId: string;
  runtime: Runtime;
  WebSocket?: WebSocketCtor;
  /** jti of runs the server already holds receipts for (from the notebook's `lastRun`). */
  knownJtis?: Iterable<string>;
  /** Subscribed before the journal replay, so replayed runs are delivered too. */
  onDidChangeCell?: (state: CellRunState) => void;
  /**
   * Answers the kernel's input requests of this user's runs (`input()`, `getpass()`): return
   * the line (for `password` requests, never log or store it). Without it requests still fire
   * {@link NotebookSession.onDidInputRequest}; answer them with `answerInput`.
   */
  onInputRequest?: (request: InputRequest) => string | Promise<string>;
}

/** The kernel waits for a line of input for the run `jti` of `cell`. */
export interface InputRequest {
  jti: string;
  cell: string;
  prompt: string;
  /** Hide what is typed (`getpass()`). */
  password: boolean;
}
