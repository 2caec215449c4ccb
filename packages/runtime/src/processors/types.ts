import type { MimeBundle, ProcessorManifest, ProgramLimits } from '@spin/protocol';

/**
 * The runtime half of a processor (DESIGN.md §3). Processors import only `@spin/protocol` and
 * what their {@link ProcessorHost} hands them — never the rest of the runtime.
 */
export type ProcessorFrame =
  | { type: 'stream'; name: 'stdout' | 'stderr'; text: string }
  | { type: 'display_data'; data: MimeBundle; metadata?: Record<string, unknown> }
  /** Always last: how the query ended (`exitCode` 0 = success for command processors). */
  | { type: 'exit'; exitCode: number | null };

/** Services the runtime lends a processor. */
export interface ProcessorHost {
  logger: {
    debug(obj: object, msg?: string): void;
    info(obj: object, msg?: string): void;
    warn(obj: object, msg?: string): void;
  };
  fetch: typeof fetch;
  /** Environment for child processes; never contains SPIN_* variables. */
  env: NodeJS.ProcessEnv;
  /** Wraps a command line in the configured sandbox; `writable` are the only writable dirs. */
  sandbox?: (argv: string[], writable: string[]) => string[];
}

/** A named connection with its plain config and (already decrypted) secrets. */
export interface ProcessorConnection {
  name: string;
  config: Record<string, unknown>;
  secrets: Record<string, unknown>;
}

/** One query: parameters validated by the manifest, the session's working dir and limits. */
export interface ProcessorRequest {
  params: unknown;
  cwd: string;
  limits: ProgramLimits;
}

export interface ProcessorHealth {
  ok: boolean;
  message?: string;
}

export interface ProcessorInstance {
  /** Run a query; frames stream in order and end with an `exit` frame. Abort via `signal`. */
  query(
    request: ProcessorRequest,
    signal: AbortSignal,
  ): AsyncIterable<ProcessorFrame> | Promise<ProcessorFrame[]>;
  checkHealth(): Promise<ProcessorHealth>;
  complete?(text: string, cursor: number): Promise<string[]>;
  browse?(path: string[]): Promise<unknown>;
  dispose(): Promise<void> | void;
}

export interface ProcessorFactory {
  manifest: ProcessorManifest;
  create(connection: ProcessorConnection | null, host: ProcessorHost): ProcessorInstance;
}
