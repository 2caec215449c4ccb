import { ZodError } from 'zod';
import {
  SpinError,
  TEMPLATE_VALUE_MIME,
  TemplateValueSchema,
  type CellStatus,
  type JournalEvent,
  type ProgramClaims,
  type TableFrame,
  type TemplateValue,
} from '@spin/protocol';
import type { Logger } from 'pino';
import type { KernelClient, KernelOutput } from '../kernels/kernelClient.js';
import { mapKernelOutput } from '../kernels/mapping.js';
import { MAX_OUTPUT_DEPTH, nestsDeeperThan } from '../kernels/outputDepth.js';
import type { RuntimeMetrics } from '../metrics.js';
import type { ProcessorRegistry } from '../processors/registry.js';
import {
  frameBundle,
  startProcessorRun,
  type ConnectionSource,
} from '../processors/processorRun.js';
import { bindTemplateValuesCode } from '../processors/pythonResults.js';
import type { SessionResults } from '../processors/sessionResults.js';
import type { ProcessorFrame } from '../processors/types.js';
import type { RuntimeCryptoKey } from '../security/identity.js';
import type { BlobWriter } from '../blobs/blobStore.js';
import { clearKernelSecrets, prepareKernelSecrets } from '../credentials/kernelSecrets.js';
import type { CredentialResolver, RunCredentials } from '../credentials/runCredentials.js';
import type { SecretMasker, StreamMasker } from '../credentials/secretMasker.js';
import type { RunLedger } from '../recovery/runLedger.js';
import type { NewJournalEvent } from './journal.js';
import { userError } from './executionErrors.js';
import { signRunReceipt } from './runReceipt.js';
import { OutputBudget, type OutputEvent, type OutputLimits } from './outputBudget.js';
import { StreamCoalescer } from './streamCoalescer.js';

/** How long a timed-out kernel gets to honour the interrupt before it is killed. */
const INTERRUPT_GRACE_MS = 5000;
/** How often the interrupt is repeated while the kernel has not started the request yet. */
const INTERRUPT_REPEAT_MS = 250;
/**
 * How often it is repeated once the kernel runs the request: one SIGINT is enough then, and a
 * second one landing while IPython formats the first one's traceback would replace that
 * traceback with a bare "KeyboardInterrupt" on stderr — so only code that swallows it is
 * interrupted again, after a pause.
 */
const INTERRUPT_REPEAT_BUSY_MS = 1500;

/** What an execution needs from the runtime. */
export interface ExecutionDeps {
  runtimeId: string;
  signingKey: RuntimeCryptoKey;
  signingKid: string;
  processors: ProcessorRegistry;
  /** Resolves a cell's connection by name (issue 9 fills it from the credential bundle). */
  connections?: ConnectionSource;
  metrics: RuntimeMetrics;
  logger: Logger;
  /** Runtime-wide output limits; a program's `limits.outputBytes` can only lower the inline one. */
  output: OutputLimits;
  /** Runs in flight, for the runtime's next life to abort after a crash. */
  runs?: RunLedger;
  /** Secrets and bundle connections the programs name; their values are masked in outputs. */
  credentials?: CredentialResolver;
}

/** What an execution needs from its session. */
export interface ExecutionHost {
  workDir: string;
  emit(partial: NewJournalEvent): JournalEvent | null;
  headSeq(): number;
  kernelFor(name: string): Promise<KernelClient>;
  /** A blob in the session's directory for a stream of this cell that spills. */
  createBlob(claims: ProgramClaims, stream: 'stdout' | 'stderr'): BlobWriter;
  /** The session's variables set by integration cells (results as data). */
  results: SessionResults;
  /** Ask the user who ran the cell for a line (`input()`, `getpass()`). */
  requestInput(prompt: string, password: boolean): Promise<string>;
  /** Withdraw an input request still open when the run ends. */
  cancelInput(): void;
}

type KernelProgram = Extract<ProgramClaims['program'], { kind: 'kernel' }>;

type Outcome = { status: CellStatus; executionCount: number | null; exitCode: number | null };

/**
 * One run of one program (DESIGN.md §1 steps 6–7): emits `cell_started`, the outputs (within
 * the output budget), then `cell_ended` with a receipt signed by the runtime key over exactly
 * the outputs `outputsFromEvents` derives from this run's events.
 */
export class Execution {
  private readonly events: JournalEvent[] = [];
  private readonly budget: OutputBudget;
  private readonly coalescer = new StreamCoalescer((p) => this.emit(p));
  private readonly abort = new AbortController();
  private kernel: KernelClient | null = null;
  private timedOut = false;
  /** The kernel is executing this request (iopub `busy` seen). */
  private kernelBusy = false;
  private lastInterrupt = 0;
  private interrupted = false;
  private killTimer: NodeJS.Timeout | undefined;
  /** The table whose pages spill as text rows (see {@link spillRows}). */
  private rowsSpilling: string | null = null;
  private repeatTimer: NodeJS.Timeout | undefined;
  /** The session's secret masker (null: no credentials on this runtime). */
  private readonly masker: SecretMasker | null;
  private readonly streamMaskers = new Map<'stdout' | 'stderr', StreamMasker>();
  private credentials: RunCredentials | null = null;

  constructor(
    readonly claims: ProgramClaims,
    private readonly host: ExecutionHost,
    private readonly deps: ExecutionDeps,
  ) {
    this.masker = deps.credentials?.maskerFor(claims.sid) ?? null;
    this.budget = new OutputBudget(
      {
        inlineBytes: Math.min(deps.output.inlineBytes, claims.limits.outputBytes),
        spillMaxBytes: deps.output.spillMaxBytes,
      },
      {
        emit: (p) => this.coalescer.emit(p),
        createBlob: (stream) => host.createBlob(claims, stream),
      },
    );
  }

  private emit(partial: Omit<NewJournalEvent, 'cell' | 'jti'>): JournalEvent | null {
    this.coalescer.flush(); // stream text still pending goes first
    // stream text was masked on the way in (split secrets too); everything else is here
    const masked =
      this.masker?.active && partial.type !== 'stream' && partial.type !== 'cell_ended'
        ? { ...partial, data: this.masker.maskDeep(partial.data) }
        : partial;
    const ev = this.host.emit({
      ...masked,
      cell: this.claims.cell,
      jti: this.claims.jti,
    } as NewJournalEvent);
    if (ev) this.events.push(ev);
    return ev;
  }

  private stream(name: 'stdout' | 'stderr', text: string): void {
    if (this.masker?.active) {
      let m = this.streamMaskers.get(name);
      if (!m) this.streamMaskers.set(name, (m = this.masker.stream()));
      text = m.write(text);
      if (!text) return;
    }
    this.guard(() => this.budget.stream(name, text));
  }

  /** Release text the stream maskers hold back (before other outputs, and at the end). */
  private flushMasked(): void {
    for (const [name, m] of this.streamMaskers) {
      const text = m.flush();
      if (text) this.guard(() => this.budget.stream(name, text));
    }
  }

  private rich(partial: OutputEvent, bytes: number): void {
    this.flushMasked();
    const masked = this.masker?.active ? this.masker.maskDeep(partial) : partial;
    this.guard(() => this.budget.rich(masked, bytes));
  }

  /** A failing disk (a blob that cannot be written) must not stop the kernel's output pump. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.deps.logger.error({ err, cell: this.claims.cell, jti: this.claims.jti }, 'output lost');
    }
  }

  private readonly onKernelOutput = (o: KernelOutput): void => {
    const out = mapKernelOutput(o);
    if (out?.kind === 'stream') this.stream(out.name, out.text);
    else if (out?.kind === 'rich') this.rich(out.event, out.bytes);
    else if (out?.kind === 'clear') {
      this.flushMasked(); // a held-back tail of masked text belongs before the clear
      this.budget.clear(out.wait);
    }
  };

  private async runKernel(program: KernelProgram): Promise<Outcome> {
    const kernel = await this.host.kernelFor(program.kernel);
    this.kernel = kernel;
    if (this.abort.signal.aborted) {
      return { status: 'error', executionCount: null, exitCode: null };
    }
    // Python sees every template value as `spin_vars`: the program's (input, static) and those
    // computed in this session (code_python), so a restarted kernel has them all again.
    const spinVars = { ...this.host.results.templateValues(), ...program.vars };
    if (Object.keys(spinVars).length && kernel.spec?.language.toLowerCase() === 'python') {
      const bound = await kernel.execute(bindTemplateValuesCode(spinVars), () => {}, {
        silent: true,
        storeHistory: false,
      });
      if (bound.status !== 'ok') {
        throw new SpinError('template.invalid', 'the kernel could not bind spin_vars');
      }
    }
    // A code_python template variable's program displays its value once, tagged with its name.
    const templateVar = program.templateVar;
    let value: { v: TemplateValue } | null = null;
    const onOutput = !templateVar
      ? this.onKernelOutput
      : (o: KernelOutput) => {
          const meta = o.content.metadata as { spin?: { templateVar?: unknown } } | undefined;
          const data = o.content.data as Record<string, unknown> | undefined;
          if (o.msgType === 'display_data' && meta?.spin?.templateVar === templateVar && data) {
            const parsed = TemplateValueSchema.safeParse(data[TEMPLATE_VALUE_MIME]);
            if (parsed.success) value = { v: parsed.data };
          }
          this.onKernelOutput(o);
        };
    if (this.credentials) await prepareKernelSecrets(kernel, this.credentials, this.deps.logger);
    let reply: Awaited<ReturnType<KernelClient['execute']>>;
    try {
      reply = await kernel.execute(program.code, onOutput, {
        onInput: (prompt, password) => this.askInput(prompt, password),
        onBusy: () => {
          this.kernelBusy = true;
        },
      });
    } finally {
      await clearKernelSecrets(kernel, this.deps.logger).catch(() => undefined);
    }
    const status: CellStatus =
      reply.status === 'ok' ? 'ok' : reply.status === 'aborted' ? 'aborted' : 'error';
    if (templateVar && status === 'ok') {
      const got = value as { v: TemplateValue } | null;
      if (!got) {
        throw new SpinError('template.no_value', `template variable "${templateVar}" has no value`);
      }
      this.host.results.setValue(templateVar, got.v);
    }
    return { status, executionCount: reply.executionCount, exitCode: null };
  }

  /**
   * Forward the kernel's input request to the user, then echo it into the output the way the
   * classic notebook and a terminal show it: the prompt and, unless it is a password, the
   * answer. A password answer goes straight to the kernel: it never enters the journal, the
   * receipt's outputs or a log line.
   */
  private async askInput(prompt: string, password: boolean): Promise<string> {
    if (this.masker?.active) prompt = this.masker.mask(prompt);
    const value = await this.host.requestInput(prompt, password);
    const echo = password ? '' : value;
    this.stream('stdout', `${prompt}${echo}\n`);
    return value;
  }

  /** Show one processor frame as an output (typed frames become SPIN MIME outputs). */
  private showFrame(f: ProcessorFrame): void {
    if (f.type === 'stream') return this.stream(f.name, f.text);
    const bundle = frameBundle(f);
    if (!bundle) return;
    if (nestsDeeperThan(bundle, MAX_OUTPUT_DEPTH + 2)) {
      const evalue = `runtime.output_too_deep: output nested more than ${MAX_OUTPUT_DEPTH} levels`;
      const err = { output_type: 'error' as const, ename: 'OutputTooDeep', evalue, traceback: [] };
      this.rich({ type: 'error', data: err }, evalue.length);
      return;
    }
    const data = { output_type: 'display_data' as const, ...bundle };
    const bytes = JSON.stringify(bundle.data).length;
    if (
      f.type === 'table' &&
      (this.rowsSpilling === f.frame.page.frameId || !this.budget.fits(bytes))
    ) {
      this.spillRows(f.frame);
      return;
    }
    this.rich({ type: 'display_data', data }, bytes);
  }

  /**
   * Table pages past the output budget go on as text, one JSON array per row, through the
   * stream budget: so they spill to a blob the client pages line by line (the last rows are
   * the inline tail), instead of being dropped. The first spilled line names the columns and
   * the row the blob starts at. The full result is also the cell's `CellResult`.
   */
  private spillRows(frame: TableFrame): void {
    let text = '';
    if (this.rowsSpilling !== frame.page.frameId) {
      this.rowsSpilling = frame.page.frameId;
      const columns = frame.schema.fields.map((f) => f.name);
      text += JSON.stringify({ columns, fromRow: frame.page.offset }) + '\n';
    }
    const n = frame.columns[0]?.length ?? 0;
    for (let r = 0; r < n; r++) {
      text += JSON.stringify(frame.columns.map((c) => c[r] ?? null)) + '\n';
    }
    this.stream('stdout', text);
  }

  /** Run a processor program; its result becomes a session variable when it ends well. */
  private async runProcessor(
    program: Extract<ProgramClaims['program'], { kind: 'processor' }>,
  ): Promise<Outcome> {
    const run = startProcessorRun(
      program,
      {
        claims: this.claims,
        workDir: this.host.workDir,
        results: this.host.results,
        processors: this.deps.processors,
        connections: this.credentials
          ? this.credentials.connections(this.deps.connections)
          : this.deps.connections,
        secrets: this.credentials ?? undefined,
        masker: this.masker ?? undefined,
      },
      this.abort.signal,
    );
    let exitCode: number | null = null;
    let ok = false;
    try {
      for await (const f of run.frames) {
        if (f.type === 'exit') exitCode = f.exitCode;
        else this.showFrame(f);
      }
      ok = (exitCode === null || exitCode === 0) && !this.abort.signal.aborted;
    } finally {
      await run.end(ok);
    }
    return { status: ok ? 'ok' : 'error', executionCount: null, exitCode };
  }

  private onTimeout(): void {
    this.timedOut = true;
    this.stop();
  }

  /**
   * Abort a processor, or interrupt the kernel. ipykernel ignores SIGINT until the request is
   * actually executing, so the interrupt repeats until the cell ends; a kernel that still has
   * not finished after the grace period is killed (and replaced on next use).
   */
  private stop(): void {
    this.abort.abort();
    const k = this.kernel;
    if (!k || this.killTimer) return;
    const send = () => {
      this.lastInterrupt = Date.now();
      void k.interrupt();
    };
    send();
    this.repeatTimer = setInterval(() => {
      const every = this.kernelBusy ? INTERRUPT_REPEAT_BUSY_MS : INTERRUPT_REPEAT_MS;
      if (Date.now() - this.lastInterrupt >= every) send();
    }, INTERRUPT_REPEAT_MS);
    this.killTimer = setTimeout(() => k.kill(), INTERRUPT_GRACE_MS);
  }

  /** Interrupt at the user's request: the cell ends with status `interrupted`. */
  interrupt(): void {
    this.interrupted = true;
    this.stop();
  }

  /** Run to completion; never throws (failures become an error output and status). */
  async run(): Promise<void> {
    const { claims, deps } = this;
    const startedAt = new Date().toISOString();
    const started = this.emit({ type: 'cell_started', data: { startedAt } });
    if (started) {
      deps.runs?.started({
        sid: claims.sid,
        jti: claims.jti,
        cell: claims.cell,
        sub: claims.sub,
        notebook: claims.notebook,
        startedAt,
        seqFirst: started.seq,
      });
    }
    const timer = setTimeout(() => this.onTimeout(), claims.limits.timeoutMs);
    let outcome: Outcome;
    try {
      if (deps.credentials) this.credentials = await deps.credentials.prepare(claims);
      outcome =
        claims.program.kind === 'kernel'
          ? await this.runKernel(claims.program)
          : await this.runProcessor(claims.program);
    } catch (err) {
      if (!(err instanceof SpinError) && !(err instanceof ZodError)) {
        deps.logger.error({ err, cell: claims.cell, jti: claims.jti }, 'execution failed');
      }
      const { ename, evalue } = userError(err);
      this.emit({ type: 'error', data: { output_type: 'error', ename, evalue, traceback: [] } });
      outcome = { status: 'error', executionCount: null, exitCode: null };
    } finally {
      clearTimeout(timer);
      clearTimeout(this.killTimer);
      clearInterval(this.repeatTimer);
      this.host.cancelInput();
    }
    try {
      this.flushMasked();
      this.budget.finish();
      this.coalescer.flush(); // the receipt below digests every output
    } catch (err) {
      deps.logger.error({ err, cell: claims.cell, jti: claims.jti }, 'spilled output failed');
    }
    let status = outcome.status;
    if (this.timedOut) status = 'timeout';
    else if (this.interrupted && status !== 'ok') status = 'interrupted';
    const endedAt = new Date().toISOString();
    const receipt = signRunReceipt(deps, claims, this.events, {
      status,
      startedAt,
      endedAt,
      seqFirst: started?.seq ?? 0,
      seqLast: this.host.headSeq(),
      exitCode: outcome.exitCode,
      executionCount: outcome.executionCount,
    });
    this.emit({
      type: 'cell_ended',
      data: {
        status,
        startedAt,
        endedAt,
        executionCount: outcome.executionCount,
        exitCode: outcome.exitCode,
        receipt,
      },
    });
    deps.runs?.ended(claims.jti);
    deps.metrics.executions.inc({ status });
  }
}
