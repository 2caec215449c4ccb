import { rm } from 'node:fs/promises';
import {
  DEFAULT_TIME_RANGE,
  FRAME_MIME,
  SpinError,
  defaultResultVar,
  framePlainText,
  refuseTemplates,
  resolveTimeRange,
  type DataFrame,
  type MimeBundle,
  type ProgramClaims,
} from '@spin/protocol';
import type { SecretMasker } from '../credentials/secretMasker.js';
import type { ProcessorRegistry } from './registry.js';
import { ResultCollector } from './resultCollector.js';
import type { SessionResults } from './sessionResults.js';
import { createTemplateBinder, type SecretSource } from './templateBinder.js';
import type { ProcessorConnection, ProcessorFrame, ProcessorRequest } from './types.js';

/** Size limit of a stored cell result when the program sets none. */
export const DEFAULT_RESULT_BYTES = 256 * 1024 * 1024;

/** Connections the runtime holds, by name (DESIGN.md §1 "Credentials"). */
export interface ConnectionSource {
  get(name: string, processor: string): ProcessorConnection | undefined;
}

type ProcessorProgram = Extract<ProgramClaims['program'], { kind: 'processor' }>;

/** What a processor run needs from its execution and session. */
export interface ProcessorRunContext {
  claims: ProgramClaims;
  workDir: string;
  results: SessionResults;
  processors: ProcessorRegistry;
  connections?: ConnectionSource | undefined;
  secrets?: SecretSource | undefined;
  /** Masks the session's secrets in frames before they reach the cell's result on disk. */
  masker?: SecretMasker | undefined;
}

/** A started processor query: its frames, and `end` to store (or drop) its result. */
export interface ProcessorRun {
  frames: AsyncIterable<ProcessorFrame>;
  /** With `ok`, the result becomes the session variable; otherwise it is deleted. */
  end(ok: boolean): Promise<void>;
}

function resolveConnection(program: ProcessorProgram, ctx: ProcessorRunContext, name: string) {
  const m = ctx.processors.factory(program.processor).manifest;
  const connection = program.connection
    ? (ctx.connections?.get(program.connection, m.id) ?? null)
    : null;
  if (program.connection && !connection) {
    throw new SpinError(
      'processor.connection_required',
      `connection "${program.connection}" is not available on this runtime`,
    );
  }
  if (m.needsConnection && !connection) {
    throw new SpinError(
      'processor.connection_required',
      `a ${name} cell needs a connection; choose one in the cell's settings`,
    );
  }
  return connection;
}

/**
 * Start a processor program (DESIGN.md §3): validate its parameters with the manifest, resolve
 * its connection, bind template references in one pass (notebook values, session variables,
 * secrets) and run the query; every frame also goes into the cell's `CellResult`, stored under
 * the session's work dir and set as the session variable `resultVar` when the run ends well.
 */
export function startProcessorRun(
  program: ProcessorProgram,
  ctx: ProcessorRunContext,
  signal: AbortSignal,
): ProcessorRun {
  const { manifest } = ctx.processors.factory(program.processor);
  const parsed = manifest.programSchema.safeParse(program.params);
  if (!parsed.success) {
    throw new SpinError(
      'processor.invalid_params',
      parsed.error.issues.map((i) => i.message).join('; '),
    );
  }
  const connection = resolveConnection(program, ctx, manifest.name);
  const binder = createTemplateBinder({
    vars: program.vars,
    results: ctx.results,
    secrets: ctx.secrets,
  });
  const params = manifest.bindTemplates
    ? manifest.programSchema.parse(manifest.bindTemplates(parsed.data, binder))
    : refuseTemplates(parsed.data, manifest.id);
  const timeRange = program.timeRange ?? resolveTimeRange(DEFAULT_TIME_RANGE);
  const { claims } = ctx;
  const request: ProcessorRequest = {
    params,
    cwd: ctx.workDir,
    limits: claims.limits,
    timeRange,
    cell: claims.cell,
    jti: claims.jti,
  };
  const collector = new ResultCollector(
    ctx.results.dirFor(claims.jti),
    claims.limits.resultBytes ?? DEFAULT_RESULT_BYTES,
    { cell: claims.cell, processor: manifest.id, timeRange },
  );
  const out = ctx.processors.get(program.processor, connection).query(request, signal);
  return {
    frames: (async function* () {
      const list = Symbol.asyncIterator in out ? out : await out;
      for await (const f of maskFrames(list, ctx.masker)) {
        yield f;
        await collector.add(f);
      }
    })(),
    async end(ok) {
      if (ok) {
        ctx.results.set(
          program.resultVar ?? defaultResultVar(claims.cell),
          await collector.finish(),
        );
        return;
      }
      collector.discard();
      await rm(collector.dir, { recursive: true, force: true }).catch(() => undefined);
    },
  };
}

/**
 * Frames with the session's secrets masked (stream text also when a value is split across
 * chunks: a tail that may still become one is held back until the next frame or the end).
 */
async function* maskFrames(
  frames: AsyncIterable<ProcessorFrame> | Iterable<ProcessorFrame>,
  masker: SecretMasker | undefined,
): AsyncIterable<ProcessorFrame> {
  const streams = new Map<'stdout' | 'stderr', ReturnType<SecretMasker['stream']>>();
  function* flush(): Iterable<ProcessorFrame> {
    for (const [name, m] of streams) {
      const text = m.flush();
      if (text) yield { type: 'stream', name, text };
    }
  }
  for await (const f of frames) {
    if (!masker?.active) {
      yield f;
      continue;
    }
    if (f.type === 'stream') {
      let m = streams.get(f.name);
      if (!m) streams.set(f.name, (m = masker.stream()));
      const text = m.write(f.text);
      if (text) yield { ...f, text };
      continue;
    }
    yield* flush();
    yield f.type === 'exit' ? f : masker.maskDeep(f);
  }
  yield* flush();
}

/** A frame as a `display_data` bundle (typed frames get their SPIN MIME type and a text form). */
export function frameBundle(
  f: ProcessorFrame,
): { data: MimeBundle; metadata: Record<string, unknown> } | null {
  switch (f.type) {
    case 'display_data':
      return { data: f.data, metadata: f.metadata ?? {} };
    case 'table':
    case 'timeseries':
    case 'logs':
      return {
        data: {
          [FRAME_MIME[f.type]]: f.frame,
          'text/plain': framePlainText({ kind: f.type, frame: f.frame } as DataFrame),
        },
        metadata: {},
      };
    default:
      return null;
  }
}
