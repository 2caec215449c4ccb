import pino from 'pino';
import {
  BLOB_PAGE_MAX_BYTES,
  BLOB_PAGE_MAX_LINES,
  PROCESSOR_MANIFESTS,
  compileCell,
  generateSigningKey,
  importKey,
  outputsFromEvents,
  type JournalEvent,
  type Output,
  type ProgramClaims,
  type ProgramLimits,
  type TemplateValue,
} from '@spin/protocol';
import { readLines } from '../blobs/blobReader.js';
import { BlobStore } from '../blobs/blobStore.js';
import { RuntimeMetrics } from '../metrics.js';
import { Execution } from '../sessions/execution.js';
import type { NewJournalEvent } from '../sessions/journal.js';
import { createProcessorHost } from './host.js';
import { ProcessorRegistry } from './registry.js';
import { SessionResults } from './sessionResults.js';
import type { ProcessorConnection } from './types.js';

/**
 * Runs processor cells the way a session does — compiled by the manifest, executed by the
 * runtime's real `Execution` with its output budget, blob spill and CellResult collector — for
 * processor tests that must see what a user sees (the conformance suite does the same inline).
 */
export class CellHarness {
  readonly blobs: BlobStore;
  readonly results: SessionResults;
  readonly registry: ProcessorRegistry;
  private signingKey: Awaited<ReturnType<typeof importKey>> | undefined;
  private readonly logger = pino({ level: 'silent' });

  constructor(
    readonly workDir: string,
    opts: { pageRows?: number } = {},
  ) {
    this.blobs = new BlobStore(() => workDir);
    this.results = new SessionResults(workDir, this.logger);
    this.registry = new ProcessorRegistry(
      createProcessorHost({ logger: this.logger, pageRows: opts.pageRows ?? 5000 }),
    );
  }

  /** Compile and run one cell; resolves when it ended. */
  async run(
    processor: string,
    connection: ProcessorConnection,
    source: string,
    opts: {
      limits?: Partial<ProgramLimits>;
      vars?: Record<string, TemplateValue>;
      onStart?: (e: Execution) => void;
      onEvent?: (e: JournalEvent) => void;
    } = {},
  ): Promise<{ status: string; outputs: Output[]; events: JournalEvent[]; errorText: string }> {
    this.signingKey ??= await importKey((await generateSigningKey()).privateJwk, 'EdDSA');
    const manifest = PROCESSOR_MANIFESTS[processor]!;
    const limits: ProgramLimits = { timeoutMs: 120_000, outputBytes: 1_000_000, ...opts.limits };
    const compiled = compileCell(
      { id: 'cell', type: manifest.cellType, source, connection: connection.name },
      { limits },
    );
    const program =
      compiled.kind === 'processor' && opts.vars ? { ...compiled, vars: opts.vars } : compiled;
    const now = Math.floor(Date.now() / 1000);
    const claims: ProgramClaims = {
      iss: 'harness',
      aud: 'rt_harness',
      sub: 'usr_harness',
      sid: 'ses_harness',
      cell: 'cell',
      jti: crypto.randomUUID(),
      iat: now,
      exp: now + 60,
      notebook: 'nb_harness',
      program,
      limits,
    };
    const events: JournalEvent[] = [];
    const execution = new Execution(
      claims,
      {
        workDir: this.workDir,
        emit: (p: NewJournalEvent) => {
          const ev = {
            ...p,
            sid: claims.sid,
            seq: events.length + 1,
            ts: new Date().toISOString(),
          } as JournalEvent;
          events.push(ev);
          opts.onEvent?.(ev);
          return ev;
        },
        headSeq: () => events.length,
        requestInput: () => Promise.reject(new Error('processors read no stdin')),
        cancelInput: () => undefined,
        kernelFor: () => Promise.reject(new Error('no kernels here')),
        results: this.results,
        createBlob: (c, stream) =>
          this.blobs.create({ sid: c.sid, cell: c.cell, jti: c.jti, stream }),
      },
      {
        runtimeId: 'rt_harness',
        signingKey: this.signingKey,
        signingKid: 'harness',
        processors: this.registry,
        connections: { get: (name) => (name === connection.name ? connection : undefined) },
        metrics: new RuntimeMetrics(),
        logger: this.logger,
        output: { inlineBytes: limits.outputBytes, spillMaxBytes: 4 * 1024 * 1024 * 1024 },
      },
    );
    const done = execution.run();
    opts.onStart?.(execution);
    await done;
    const end = events[events.length - 1];
    const outputs = outputsFromEvents(events);
    return {
      status: end?.type === 'cell_ended' ? end.data.status : 'unknown',
      outputs,
      events,
      errorText: outputs
        .flatMap((o) => (o.output_type === 'error' ? [`${o.ename}: ${o.evalue}`] : []))
        .join('\n'),
    };
  }

  /**
   * Page a spilled blob line by line from line 1 to its last line, with the reader behind
   * `GET /v1/blobs/:id?line=&lines=` and its page limits; `onLine` sees every line.
   */
  async pageBlob(id: string, onLine: (line: string, n: number) => void): Promise<number> {
    const found = this.blobs.find('ses_harness', id);
    if (!found) throw new Error(`no blob ${id}`);
    let n = 0;
    for (let next: number | null = 1; next !== null;) {
      const page = await readLines(
        found.file,
        found.meta,
        next,
        BLOB_PAGE_MAX_LINES,
        BLOB_PAGE_MAX_BYTES,
      );
      for (const line of page.lines) onLine(line, ++n);
      next = page.nextLine;
    }
    return n;
  }

  dispose(): Promise<void> {
    return this.registry.dispose();
  }
}
