import type {
  AnyProcessorManifest,
  LogsFrame,
  MimeBundle,
  ProgramLimits,
  ResolvedTimeRange,
  TableFrame,
  TimeSeriesFrame,
} from '@spin/protocol';

/**
 * The runtime half of a processor (DESIGN.md §3), in `packages/runtime/src/processors/<id>/`.
 * Processors import only `@spin/protocol`, npm packages, Node built-ins and `../sdk.js` — never
 * the rest of the runtime; what they need from it comes through {@link ProcessorHost}.
 */
export type ProcessorFrame =
  | { type: 'stream'; name: 'stdout' | 'stderr'; text: string }
  | { type: 'display_data'; data: MimeBundle; metadata?: Record<string, unknown> }
  /** Typed data (DESIGN.md §3): shown as a SPIN MIME output and collected into the CellResult. */
  | { type: 'table'; frame: TableFrame }
  | { type: 'timeseries'; frame: TimeSeriesFrame }
  | { type: 'logs'; frame: LogsFrame }
  /** The source's own answer, kept as `CellResult.raw` (e.g. the vendor's JSON). */
  | { type: 'raw'; value: unknown }
  /** How a command ended; a non-zero code makes the cell fail. Query processors omit it. */
  | { type: 'exit'; exitCode: number | null };

/** Logging for processors: structured, and never given secret values. */
export interface ProcessorLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** Services the runtime lends a processor. */
export interface ProcessorHost {
  logger: ProcessorLogger;
  /** HTTP client for the processor's upstream (undici's fetch). */
  fetch: typeof fetch;
  /** Environment for child processes; never contains SPIN_* variables of the runtime. */
  env: NodeJS.ProcessEnv;
  /** Wraps a command line in the configured sandbox; `writable` are the only writable dirs. */
  sandbox?: (argv: string[], writable: string[]) => string[];
  /**
   * Record a spawned child (its PID and process group) so that a runtime restarted after a
   * crash can kill it; returns the function to call when it exited.
   */
  trackProcess?: (pid: number) => () => void;
  limits: {
    /** Rows (points, entries) per frame when a result streams in pages. */
    pageRows: number;
  };
}

/** A named connection with its plain config and (already decrypted) secrets. */
export interface ProcessorConnection {
  name: string;
  config: Record<string, unknown>;
  secrets: Record<string, unknown>;
}

/** One query: bound program parameters, the session's working dir, limits and time range. */
export interface ProcessorRequest<Params = unknown> {
  /** Validated by the manifest's `programSchema`, template references already bound. */
  params: Params;
  cwd: string;
  limits: ProgramLimits;
  timeRange: ResolvedTimeRange;
  /** Cell id and program id, for logs and frame ids. */
  cell: string;
  jti: string;
}

export interface ProcessorHealth {
  ok: boolean;
  message?: string;
}

export interface ProcessorInstance<Params = unknown> {
  /**
   * Run a query; frames stream in order. Stop promptly when `signal` aborts, and make the
   * upstream stop too (kill the process, cancel the server-side query). Failures throw a
   * `SpinError` with a `processor.*` code.
   */
  query(
    request: ProcessorRequest<Params>,
    signal: AbortSignal,
  ): AsyncIterable<ProcessorFrame> | Promise<ProcessorFrame[]>;
  checkHealth(): Promise<ProcessorHealth>;
  complete?(text: string, cursor: number): Promise<string[]>;
  browse?(path: string[]): Promise<unknown>;
  dispose(): Promise<void> | void;
}

/** What a processor folder's `index.ts` exports as `factory`. */
export interface ProcessorFactory {
  manifest: AnyProcessorManifest;
  create(connection: ProcessorConnection | null, host: ProcessorHost): ProcessorInstance;
}
