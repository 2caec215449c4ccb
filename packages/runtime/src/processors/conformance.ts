import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  FRAME_SCHEMAS,
  FRAME_MIME,
  PROCESSOR_MANIFESTS,
  ProcessorManifestShapeSchema,
  cellTypeInfo,
  compileCell,
  defaultResultVar,
  generateSigningKey,
  importKey,
  outputsFromEvents,
  type JournalEvent,
  type Output,
  type ProgramClaims,
  type ProgramLimits,
} from '@spin/protocol';
import { RuntimeMetrics } from '../metrics.js';
import { BlobStore } from '../blobs/blobStore.js';
import { Execution } from '../sessions/execution.js';
import type { ConnectionSource } from './processorRun.js';
import type { NewJournalEvent } from '../sessions/journal.js';
import { createProcessorHost } from './host.js';
import { PROCESSOR_FACTORIES, ProcessorRegistry } from './registry.js';
import { SessionResults } from './sessionResults.js';
import type { ProcessorConnection, ProcessorFrame } from './types.js';

/**
 * The one conformance suite every processor passes (DESIGN.md §3, issue 10): manifest shape,
 * health check, a query, cancellation that really stops the upstream work, timeout, error
 * mapping, output budget and secrecy. Each processor folder provides a {@link ProcessorFixture}
 * in `fixture.ts` (an emulator it starts, or settings of a real service on this machine); the
 * suite runs cells through the manifest's compile and the runtime's real `Execution`, so it
 * sees what a user would see.
 */

/** A cell as the fixture writes it: source and parameters, compiled by the manifest. */
export interface FixtureCell {
  source: string;
  params?: Record<string, unknown>;
}

/** An error the processor must report with a given code. */
export interface ErrorCase {
  cell: FixtureCell;
  /** Connection to use instead of the fixture's (e.g. with a wrong password). */
  connection?: ProcessorConnection;
  /** Text of the vendor's own message that must reach the user. */
  message?: string | RegExp;
  /** For rate limits: the Retry-After the upstream sent, in seconds. */
  retryAfterS?: number;
}

/** Allowed only for processors without connections; says why the case cannot happen. */
export interface NotApplicable {
  notApplicable: string;
  /**
   * The source itself has no such failure (SQLite has no authentication and no rate limits):
   * then a processor with a connection may skip the case too.
   */
  sourceHasNone?: true;
}

/** What a fixture sets up for the suite. */
export interface FixtureContext {
  /** The connection cells use (null for processors without one). */
  connection: ProcessorConnection | null;
  /** Values that must never appear in output, errors or logs (its secrets, runtime secrets). */
  secrets: string[];
  /** Environment the processor host is built from (e.g. with a planted SPIN_TOKEN). */
  hostEnv?: NodeJS.ProcessEnv;
  /** A query that succeeds; `check` asserts what its frames show. */
  query: { cell: FixtureCell; check(frames: ProcessorFrame[]): void };
  /** A query that runs until cancelled, and how to see its work upstream. */
  slow: { cell: FixtureCell; started(): Promise<boolean>; running(): Promise<boolean> };
  /** A query whose output is far larger than 4 KiB. */
  large: { cell: FixtureCell };
  /** A query whose result streams as several pages of one frame, with its row count. */
  paged?: { cell: FixtureCell; rows: number };
  /**
   * For streaming processors whose results are text, not frames (LLM answers): a query whose
   * answer arrives in at least `minChunks` stdout pieces that add up to `text`.
   */
  streamedText?: { cell: FixtureCell; minChunks: number; text: string | RegExp };
  errors: {
    authFailed: ErrorCase | NotApplicable;
    notFound: ErrorCase | NotApplicable;
    rateLimited: ErrorCase | NotApplicable;
    badQuery: ErrorCase;
  };
  /** A connection whose health check fails (wrong host, wrong password). */
  unhealthy?: ProcessorConnection;
  /** A query that does its best to reveal secrets (with the connection holding them). */
  leakProbe?: { cell: FixtureCell; connection?: ProcessorConnection };
  teardown?(): Promise<void>;
}

/** What `packages/runtime/src/processors/<id>/fixture.ts` exports as `fixture`. */
export interface ProcessorFixture {
  /** The processor id (its folder name). */
  processor: string;
  /** Start emulators or check services; `workDir` is the session directory cells run in. */
  setup(env: { workDir: string }): Promise<FixtureContext>;
}

const OUTPUT_BUDGET = 4096;

/** Collects a logger's lines so the suite can search them for secrets. */
class LogSink extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.text += chunk.toString('utf8');
    cb();
  }
}

/** A cell run through the runtime's real Execution. */
export interface CellRun {
  status: string;
  exitCode: number | null;
  outputs: Output[];
  events: JournalEvent[];
  errorText: string;
}

/** Every way a secret could be spelled in output. */
export function secretSpellings(secret: string): string[] {
  const b64 = Buffer.from(secret).toString('base64');
  return [
    secret,
    b64,
    b64.replace(/=+$/, ''),
    Buffer.from(secret).toString('base64url'),
    Buffer.from(secret).toString('hex'),
    encodeURIComponent(secret),
    JSON.stringify(secret).slice(1, -1),
  ];
}

function isNotApplicable(c: ErrorCase | NotApplicable): c is NotApplicable {
  return 'notApplicable' in c;
}

/** Frames of one result: pages numbered 0…n with running offsets, exactly the last one `last`. */
function checkPaging(frames: ProcessorFrame[]): void {
  const pages = new Map<
    string,
    { index: number; offset: number; last: boolean; count: number }[]
  >();
  for (const f of frames) {
    if (f.type !== 'table' && f.type !== 'timeseries' && f.type !== 'logs') continue;
    const parsed = FRAME_SCHEMAS[FRAME_MIME[f.type]].safeParse(f.frame);
    expect(parsed.success, `a ${f.type} frame fails its schema: ${parsed.error?.message}`).toBe(
      true,
    );
    const count =
      f.type === 'table'
        ? (f.frame.columns[0]?.length ?? 0)
        : f.type === 'logs'
          ? f.frame.entries.length
          : f.frame.series.reduce((n, s) => n + s.values.length, 0);
    const list = pages.get(f.frame.page.frameId) ?? [];
    list.push({ ...f.frame.page, count });
    pages.set(f.frame.page.frameId, list);
  }
  for (const [id, list] of pages) {
    list.forEach((p, i) => expect(p.index, `page order of ${id}`).toBe(i));
    expect(list.filter((p) => p.last).length, `one last page for ${id}`).toBe(1);
    expect(list[list.length - 1]!.last).toBe(true);
    if (list.every((p, i) => i === 0 || p.offset > 0)) {
      let offset = 0;
      for (const p of list) {
        expect(p.offset, `offsets of ${id}`).toBe(offset);
        offset += p.count;
      }
    }
  }
}

/** `p`, or a failure naming what did not happen in time (instead of hanging the suite). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

async function until(probe: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await probe()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return probe();
}

/** Register the conformance tests for one processor's fixture. */
export function describeConformance(fixture: ProcessorFixture): void {
  const factory = PROCESSOR_FACTORIES[fixture.processor];
  const manifest = PROCESSOR_MANIFESTS[fixture.processor];

  describe(`processor conformance: ${fixture.processor}`, () => {
    let workDir: string;
    let ctx: FixtureContext;
    const logs = new LogSink();
    const logger = pino({ level: 'debug' }, logs);
    let registry: ProcessorRegistry;
    let results: SessionResults;
    let signingKey: Awaited<ReturnType<typeof importKey>>;
    const runs: CellRun[] = [];

    beforeAll(async () => {
      workDir = mkdtempSync(join(tmpdir(), `spin-conf-${fixture.processor}-`));
      ctx = await fixture.setup({ workDir });
      const host = createProcessorHost({
        logger,
        env: ctx.hostEnv ?? process.env,
        pageRows: 500,
      });
      registry = new ProcessorRegistry(host);
      results = new SessionResults(workDir, logger);
      signingKey = await importKey((await generateSigningKey()).privateJwk, 'EdDSA');
    });
    afterAll(async () => {
      await registry?.dispose();
      await ctx?.teardown?.();
      rmSync(workDir, { recursive: true, force: true });
    });

    /** Compile a fixture cell with the manifest and run it through the runtime's Execution. */
    async function run(
      cell: FixtureCell,
      opts: {
        limits?: Partial<ProgramLimits>;
        connection?: ProcessorConnection;
        onStart?: (e: Execution) => void;
      } = {},
    ): Promise<CellRun> {
      const connection = opts.connection ?? ctx.connection;
      const limits: ProgramLimits = { timeoutMs: 30_000, outputBytes: 1_000_000, ...opts.limits };
      const program = compileCell(
        {
          id: 'conf',
          type: manifest!.cellType,
          source: cell.source,
          ...(cell.params ? { params: cell.params } : {}),
          ...(connection ? { connection: connection.name } : {}),
        },
        { limits },
      );
      const now = Math.floor(Date.now() / 1000);
      const claims: ProgramClaims = {
        iss: 'conformance',
        aud: 'rt_conformance',
        sub: 'usr_conformance',
        sid: 'ses_conformance',
        cell: 'conf',
        jti: crypto.randomUUID(),
        iat: now,
        exp: now + 60,
        notebook: 'nb_conformance',
        program,
        limits,
      };
      const events: JournalEvent[] = [];
      const connections: ConnectionSource = {
        get: (name) => (connection && connection.name === name ? connection : undefined),
      };
      const execution = new Execution(
        claims,
        {
          workDir,
          emit: (p: NewJournalEvent) => {
            const ev = {
              ...p,
              sid: claims.sid,
              seq: events.length + 1,
              ts: new Date().toISOString(),
            } as JournalEvent;
            events.push(ev);
            return ev;
          },
          headSeq: () => events.length,
          kernelFor: () => Promise.reject(new Error('no kernels in the conformance suite')),
          results,
          requestInput: () => Promise.reject(new Error('processors read no stdin')),
          cancelInput: () => undefined,
          createBlob: (c, stream) =>
            new BlobStore(() => workDir).create({ sid: c.sid, cell: c.cell, jti: c.jti, stream }),
        },
        {
          runtimeId: 'rt_conformance',
          signingKey,
          signingKid: 'conformance',
          processors: registry,
          connections,
          metrics: new RuntimeMetrics(),
          logger,
          output: { inlineBytes: limits.outputBytes, spillMaxBytes: 64 * 1024 * 1024 },
        },
      );
      const done = execution.run();
      opts.onStart?.(execution);
      await done;
      const end = events[events.length - 1];
      if (end?.type !== 'cell_ended') throw new Error('the cell did not end');
      const outputs = outputsFromEvents(events);
      const r: CellRun = {
        status: end.data.status,
        exitCode: end.data.exitCode ?? null,
        outputs,
        events,
        errorText: outputs
          .flatMap((o) => (o.output_type === 'error' ? [`${o.ename}: ${o.evalue}`] : []))
          .join('\n'),
      };
      runs.push(r);
      return r;
    }

    async function directFrames(cell: FixtureCell): Promise<ProcessorFrame[]> {
      const limits = { timeoutMs: 30_000, outputBytes: 1_000_000 };
      const program = compileCell(
        {
          id: 'direct',
          type: manifest!.cellType,
          source: cell.source,
          ...(cell.params ? { params: cell.params } : {}),
        },
        { limits },
      );
      if (program.kind !== 'processor') throw new Error('not a processor program');
      const instance = factory!.create(
        ctx.connection,
        createProcessorHost({
          logger,
          env: ctx.hostEnv ?? process.env,
          pageRows: 500,
        }),
      );
      const params = manifest!.bindTemplates
        ? manifest!.bindTemplates(manifest!.programSchema.parse(program.params), {
            resolve: () => null,
          })
        : program.params;
      const out = instance.query(
        {
          params,
          cwd: workDir,
          limits,
          timeRange: program.timeRange!,
          cell: 'direct',
          jti: crypto.randomUUID(),
        },
        new AbortController().signal,
      );
      const frames: ProcessorFrame[] = [];
      if (Symbol.asyncIterator in out) for await (const f of out) frames.push(f);
      else frames.push(...(await out));
      await instance.dispose();
      return frames;
    }

    it('has a valid manifest, registered on both halves', () => {
      expect(manifest, `no manifest for ${fixture.processor}`).toBeDefined();
      expect(factory, `no runtime factory for ${fixture.processor}`).toBeDefined();
      ProcessorManifestShapeSchema.parse(manifest);
      expect(manifest!.id).toBe(fixture.processor);
      expect(factory!.manifest).toBe(manifest);
      expect(cellTypeInfo(manifest!.cellType)?.manifest).toBe(manifest);
      // The UI draws its forms from JSON Schema; each schema must convert.
      for (const schema of [
        manifest!.configSchema,
        manifest!.secretsSchema,
        manifest!.paramsSchema,
      ]) {
        expect(z.toJSONSchema(schema, { io: 'input' })).toMatchObject({ type: 'object' });
      }
      // Secrets are write-only strings.
      for (const [name, field] of Object.entries(manifest!.secretsSchema.shape)) {
        expect(field.safeParse('x').success, `secret ${name} takes a string`).toBe(true);
      }
      const params = manifest!.paramsSchema.parse(manifest!.defaults.params);
      const program = compileCell(
        { id: 'd', type: manifest!.cellType, source: manifest!.defaults.source, params },
        { limits: { timeoutMs: 1000, outputBytes: 1000 } },
      );
      expect(program.kind).toBe('processor');
      const body = program.kind === 'processor' ? program.params : null;
      expect(manifest!.programSchema.safeParse(body).success).toBe(true);
      if (manifest!.needsConnection) {
        for (const c of Object.values(ctx.errors)) {
          expect(
            isNotApplicable(c) && c.sourceHasNone !== true,
            'processors with connections test every error case',
          ).toBe(false);
        }
      }
    });

    it('passes its health check (and fails it, with a message, on a broken connection)', async () => {
      const host = createProcessorHost({
        logger,
        env: ctx.hostEnv ?? process.env,
      });
      const instance = factory!.create(ctx.connection, host);
      expect(await instance.checkHealth()).toMatchObject({ ok: true });
      await instance.dispose();
      if (ctx.unhealthy) {
        const broken = factory!.create(ctx.unhealthy, host);
        const health = await broken.checkHealth();
        expect(health.ok).toBe(false);
        expect(health.message).toBeTruthy();
        await broken.dispose();
      }
    });

    it('answers a query with valid frames, and stores its result as a session variable', async () => {
      const frames = await directFrames(ctx.query.cell);
      checkPaging(frames);
      ctx.query.check(frames);
      const r = await run(ctx.query.cell);
      expect(r.errorText).toBe('');
      expect(r.status).toBe('ok');
      const stored = results.get(defaultResultVar('conf'));
      expect(stored?.meta.cell).toBe('conf');
      expect(stored?.meta.processor).toBe(fixture.processor);
    });

    it('streams a large result as pages of one frame', async () => {
      if (!ctx.paged && ctx.streamedText) {
        const { cell, minChunks, text } = ctx.streamedText;
        const chunks = (await directFrames(cell)).flatMap((f) =>
          f.type === 'stream' && f.name === 'stdout' ? [f.text] : [],
        );
        expect(chunks.length).toBeGreaterThanOrEqual(minChunks);
        expect(chunks.join('')).toMatch(text);
        const r = await run(cell);
        expect(r.status).toBe('ok');
        const shown = r.events.flatMap((e) =>
          e.type === 'stream' && e.data.name === 'stdout' ? [e.data.text] : [],
        );
        expect(shown.length, 'the pieces reach the journal as they come').toBeGreaterThan(1);
        expect(shown.join('')).toBe(chunks.join(''));
        return;
      }
      if (!ctx.paged) {
        expect(manifest!.capabilities.stream, 'streaming processors show paging').toBe(false);
        return;
      }
      const frames = await directFrames(ctx.paged.cell);
      checkPaging(frames);
      const data = frames.filter(
        (f) => f.type === 'table' || f.type === 'timeseries' || f.type === 'logs',
      );
      expect(data.length).toBeGreaterThan(1);
      const r = await run(ctx.paged.cell);
      expect(r.status).toBe('ok');
      expect(results.get(defaultResultVar('conf'))?.meta.rowCount).toBe(ctx.paged.rows);
    });

    it('stops the upstream work when the cell is cancelled', async () => {
      let execution: Execution | undefined;
      const r = run(ctx.slow.cell, { onStart: (e) => (execution = e) });
      expect(await until(ctx.slow.started, 15_000), 'the slow query started').toBe(true);
      execution!.interrupt();
      const ended = await within(r, 10_000, 'the cell did not end after it was cancelled');
      expect(ended.status).toBe('interrupted');
      expect(
        await until(async () => !(await ctx.slow.running()), 5000),
        'the upstream work is gone',
      ).toBe(true);
    });

    it('ends a query that runs past its timeout, and its upstream work stops', async () => {
      const r = await within(
        run(ctx.slow.cell, { limits: { timeoutMs: 1500 } }),
        12_000,
        'the cell did not end after its timeout',
      );
      expect(r.status).toBe('timeout');
      expect(
        await until(async () => !(await ctx.slow.running()), 5000),
        'the upstream work is gone',
      ).toBe(true);
    });

    const codes = {
      authFailed: 'processor.auth_failed',
      notFound: 'processor.resource_not_found',
      rateLimited: 'processor.rate_limited',
      badQuery: 'processor.bad_query',
    } as const;
    for (const [kind, code] of Object.entries(codes) as [keyof typeof codes, string][]) {
      it(`maps ${kind} to ${code} with the upstream's message`, async () => {
        const c = ctx.errors[kind];
        if (isNotApplicable(c)) {
          if (c.sourceHasNone !== true) {
            expect(manifest!.needsConnection, `${kind} may be n/a only without a connection`).toBe(
              false,
            );
          }
          expect(c.notApplicable.length).toBeGreaterThan(0);
          return;
        }
        const r = await run(c.cell, c.connection ? { connection: c.connection } : {});
        expect(r.status).toBe('error');
        expect(r.errorText).toContain(`${code}:`);
        if (c.message) expect(r.errorText).toMatch(c.message);
        if (c.retryAfterS !== undefined)
          expect(r.errorText).toContain(`retry after ${c.retryAfterS} s`);
      });
    }

    it('keeps output within the budget', async () => {
      const r = await run(ctx.large.cell, { limits: { outputBytes: OUTPUT_BUDGET } });
      const size = JSON.stringify(r.outputs).length;
      // The budget counts payload bytes; allow the JSON framing of a few outputs and a notice.
      expect(size).toBeLessThan(OUTPUT_BUDGET + 2048);
    });

    it('never shows a secret value in outputs, errors or logs', async () => {
      if (ctx.leakProbe) {
        await run(
          ctx.leakProbe.cell,
          ctx.leakProbe.connection ? { connection: ctx.leakProbe.connection } : {},
        );
      }
      expect(runs.length).toBeGreaterThan(0);
      const seen = JSON.stringify(runs.map((r) => r.events)) + logs.text;
      for (const secret of ctx.secrets) {
        for (const spelling of secretSpellings(secret)) {
          expect(seen.includes(spelling), `a secret appears (as ${spelling.slice(0, 4)}…)`).toBe(
            false,
          );
        }
      }
    });
  });
}
