import {
  applyJournalEvent,
  checkInputValue,
  emptyOutputState,
  resolveTemplateValues,
  templateVariableCellId,
  type InputValues,
  type TemplateVariable,
  type CellInput,
  type TimeRange,
  type JournalEvent,
  type OutputState,
} from '@spin/protocol';
import { ApiError } from './errors.js';
import { Emitter } from './events.js';
import { parseCompleteReply, type KernelCompletions } from './kernelCompletion.js';
import {
  RuntimeSocket,
  type InputRequestMessage,
  type KernelStatusMessage,
} from './runtimeSocket.js';
import { CredentialRelay } from './credentialRelay.js';
import { ReceiptPoster } from './receiptPoster.js';
import type {
  CellRunResult,
  CellRunState,
  InputRequest,
  NotebookSessionOptions,
} from './cellRun.js';

export type {
  CellRunResult,
  CellRunState,
  InputRequest,
  NotebookSessionOptions,
} from './cellRun.js';

interface Tracked {
  state: CellRunState;
  outputState: OutputState;
  events: JournalEvent[];
  waiters: Array<{ resolve: (r: CellRunResult) => void; reject: (e: ApiError) => void }>;
  audited: Promise<number | null> | null;
}

/**
 * The relay of DESIGN.md §1 for one notebook on one runtime: compile at the server, forward the
 * sealed program to the runtime, stream journal events, and post each signed receipt (with the
 * outputs it commits to) back to the server for the audit log. Used by the web UI and by Node
 * code (tests, benchmarks, CLI) alike.
 */
export class NotebookSession {
  readonly sid: string;
  readonly socket: RuntimeSocket;
  private readonly runs = new Map<string, Tracked>(); // by jti
  private readonly latestByCell = new Map<string, string>(); // cellId → jti
  /** True while a (re)attach replays the journal: receipts seen then are checked in one batch. */
  private replaying = true;
  private flushing: Promise<void> = Promise.resolve();
  private readonly receipts: ReceiptPoster;
  private readonly credentials: CredentialRelay;
  private readonly onDidChangeCellEmitter = new Emitter<CellRunState>();
  private readonly onDidFailReceiptEmitter = new Emitter<{ jti: string; error: ApiError }>();
  private readonly onDidInputRequestEmitter = new Emitter<InputRequest>();
  private _kernelStatus: KernelStatusMessage | null = null;
  /** Input requests not answered yet, by jti (a reload re-sends them). */
  private readonly openInputs = new Map<string, InputRequest>();
  private _templateValues: InputValues = {};
  /** Receipt posts waiting for the current turn of the event loop to end. */
  private readonly afterTurnTasks = new Set<() => void>();
  /** A cell's latest run changed (output arrived, status changed, receipt verified). */
  readonly onDidChangeCell = this.onDidChangeCellEmitter.event;
  /** The server rejected a receipt (should never happen with an honest runtime). */
  readonly onDidFailReceipt = this.onDidFailReceiptEmitter.event;
  /** The kernel asks for input for one of this user's runs. */
  readonly onDidInputRequest = this.onDidInputRequestEmitter.event;

  private constructor(
    private readonly opts: NotebookSessionOptions,
    sid: string,
  ) {
    this.sid = sid;
    this.receipts = new ReceiptPoster(
      opts.api,
      sid,
      {
        posted: (jti, auditSeq) => {
          const t = this.runs.get(jti);
          if (!t) return;
          t.state.auditSeq = auditSeq;
          if (this.latestByCell.get(t.state.cellId) === jti) {
            this.onDidChangeCellEmitter.fire({ ...t.state });
          }
        },
        failed: (jti, error) => this.onDidFailReceiptEmitter.fire({ jti, error }),
      },
      opts.knownJtis,
    );
    this.socket = new RuntimeSocket({
      runtimeUrl: opts.runtime.url,
      getToken: async () => (await opts.api.accessToken(sid)).token,
      ...(opts.WebSocket ? { WebSocket: opts.WebSocket } : {}),
    });
    this.credentials = new CredentialRelay(opts.api, opts.runtime.id, this.socket);
    this.socket.onDidEvent((ev) => this.onEvent(ev));
    this.socket.onDidChangeState((state) => {
      if (state === 'connecting' || state === 'reconnecting') this.replaying = true;
    });
    this.socket.onDidAttach(() => {
      this.replaying = false;
      this.flushing = this.receipts.flushDeferred();
    });
    this.socket.onDidKernelStatus((msg) => {
      this._kernelStatus = msg;
    });
    this.socket.onDidInputRequest((msg) => this.onInput(msg));
    if (opts.onDidChangeCell) this.onDidChangeCell(opts.onDidChangeCell);
  }

  /** The kernel's last reported state (`dead` with its cause), or null before any. */
  get kernelStatus(): KernelStatusMessage | null {
    return this._kernelStatus;
  }

  /** Kernel status changes (busy, idle, starting, dead with cause). */
  get onDidChangeKernelStatus() {
    return this.socket.onDidKernelStatus;
  }

  /** Input requests still waiting for an answer. */
  get pendingInputs(): InputRequest[] {
    return [...this.openInputs.values()];
  }

  private onInput(msg: InputRequestMessage): void {
    const req: InputRequest = {
      jti: msg.jti,
      cell: msg.cell,
      prompt: msg.prompt,
      password: msg.password,
    };
    this.openInputs.set(req.jti, req);
    this.onDidInputRequestEmitter.fire(req);
    const handler = this.opts.onInputRequest;
    if (!handler) return;
    void Promise.resolve()
      .then(() => handler(req))
      .then((value) => this.answerInput(req.jti, value))
      .catch(() => undefined); // no answer: the cell waits until interrupted
  }

  /** Answer an input request of run `jti` with `value`. */
  answerInput(jti: string, value: string): void {
    this.openInputs.delete(jti);
    this.socket.inputReply(jti, value);
  }

  /**
   * Completions at `cursor` (a code-point offset into `code`) from the session's kernel:
   * Jupyter's complete_reply as `{ matches, cursorStart, cursorEnd, types }`. `cellId` names the cell
   * asking (all python cells of a session share its kernel).
   */
  async complete(cellId: string, code: string, cursor: number): Promise<KernelCompletions> {
    void cellId;
    return parseCompleteReply(await this.socket.kernelRequest('complete', code, cursor), cursor);
  }

  /** Documentation of the name at `cursor` (Jupyter inspect_reply: found, MIME bundle). */
  async inspect(
    code: string,
    cursor: number,
    detailLevel: 0 | 1 = 0,
  ): Promise<{ found: boolean; data: Record<string, unknown> }> {
    const c = await this.socket.kernelRequest('inspect', code, cursor, detailLevel);
    return { found: c.found === true, data: (c.data ?? {}) as Record<string, unknown> };
  }

  /** Whether `code` is complete (`complete`, `incomplete` with an `indent`, `invalid`, `unknown`). */
  async isComplete(code: string): Promise<{ status: string; indent?: string }> {
    const c = await this.socket.kernelRequest('is_complete', code);
    return {
      status: String(c.status ?? 'unknown'),
      ...(typeof c.indent === 'string' ? { indent: c.indent } : {}),
    };
  }

  /** Restart the kernel (its variables are lost); resolves when the new one is ready. */
  restart(): Promise<void> {
    return this.socket.restart();
  }

  /** Create (or reuse) the notebook's session on the runtime, connect and replay its journal. */
  static async open(opts: NotebookSessionOptions): Promise<NotebookSession> {
    const session = await opts.api.createSession({
      notebookId: opts.notebookId,
      runtimeId: opts.runtime.id,
    });
    const ns = new NotebookSession(opts, session.sid);
    try {
      await ns.socket.connect();
      await ns.flushing; // receipts the replay found missing are relayed before we return
    } catch (err) {
      ns.close(); // no handle reaches the caller, so stop reconnecting here
      throw err;
    }
    return ns;
  }

  /** Latest known run of a cell in this session, if any. */
  cellState(cellId: string): CellRunState | undefined {
    const jti = this.latestByCell.get(cellId);
    return jti ? this.runs.get(jti)?.state : undefined;
  }

  /**
   * Run a cell through the full path. Resolves as soon as the cell ended (all outputs are in);
   * the receipt is relayed to the server in the background — await `result.audited` for it —
   * so the next cell's compile overlaps with this cell's audit write. `timeRange` is the
   * notebook's time range (integration cells use it unless they set their own).
   */
  async run(cell: CellInput, context: { timeRange?: TimeRange } = {}): Promise<CellRunResult> {
    const values = this.templateValues;
    const compiled = await this.opts.api.compile(this.opts.notebookId, {
      sid: this.sid,
      cell,
      ...(context.timeRange ? { timeRange: context.timeRange } : {}),
      ...(Object.keys(values).length ? { templateValues: values } : {}),
    });
    return this.relay(compiled, cell.id);
  }

  /** Values of the notebook's `input` template variables this session sends with each compile. */
  get templateValues(): InputValues {
    return { ...this._templateValues };
  }

  /**
   * Resolve the notebook's template variables for this session (at its start, and again when
   * the user changes them): keep the `input` values — checked here against `variables` so a
   * form can show the problem at once; the server checks them again at every compile — and run
   * every `code_python` variable, in order, in the session's kernel. The server compiles those
   * from the notebook's stored definitions. Resolves with each Python variable's run.
   */
  async resolveVariables(
    variables: readonly TemplateVariable[],
    inputs: Readonly<Record<string, unknown>>,
  ): Promise<Map<string, CellRunResult>> {
    this.setInputValues(variables, inputs);
    const runs = new Map<string, CellRunResult>();
    for (const def of variables) {
      if (def.type !== 'code_python') continue;
      const compiled = await this.opts.api.compileVariable(this.opts.notebookId, def.name, {
        sid: this.sid,
      });
      runs.set(def.name, await this.relay(compiled, templateVariableCellId(def.name)));
    }
    return runs;
  }

  /**
   * Keep the `input` values (empty ones dropped) for the next compiles without running the
   * Python variables again — e.g. when a reload rejoins a session whose variables already
   * resolved. Throws `template.*` for a value the definitions refuse, keeping the old values.
   */
  setInputValues(
    variables: readonly TemplateVariable[],
    inputs: Readonly<Record<string, unknown>>,
  ): InputValues {
    const given = Object.fromEntries(
      Object.entries(inputs).filter(([, v]) => v !== undefined && v !== ''),
    );
    resolveTemplateValues(variables, given);
    const checked: InputValues = {};
    for (const def of variables) {
      if (def.type === 'input' && Object.hasOwn(given, def.name)) {
        checked[def.name] = checkInputValue(def, given[def.name]);
      }
    }
    this._templateValues = checked;
    return { ...checked };
  }

  /**
   * "Test connection": the server compiles the connection's health check for this session and
   * it is relayed to the runtime like any cell run (its receipt is audited too). Resolves when
   * the check ended: status `ok` with a "✓ name: connected" line, or `error` with why.
   */
  async testConnection(connectionId: string): Promise<CellRunResult> {
    const compiled = await this.opts.api.testConnection(connectionId, this.sid);
    return this.relay(compiled, compiled.cell);
  }

  private async relay(
    compiled: { jti: string; envelope: string; credentialsVersion?: number | undefined },
    cellId: string,
  ): Promise<CellRunResult> {
    await this.credentials.ensure(compiled.credentialsVersion);
    const tracked = this.track(compiled.jti, cellId);
    this.receipts.markRelayed(compiled.jti); // this client relays it, so it posts the receipt
    const done = new Promise<CellRunResult>((resolve, reject) =>
      tracked.waiters.push({ resolve, reject }),
    );
    // the envelope leaves now (on an open socket, synchronously); listeners run after it
    const accepted = this.socket.execute(compiled.envelope, { jti: compiled.jti, cell: cellId });
    tracked.state.running = true;
    this.onDidChangeCellEmitter.fire({ ...tracked.state });
    try {
      await accepted;
    } catch (err) {
      // Rejected before it ran: nothing executed, so there is no receipt to wait for.
      if (err instanceof ApiError && err.code === 'client.disconnected') return done;
      tracked.state.running = false;
      this.onDidChangeCellEmitter.fire({ ...tracked.state });
      throw err;
    }
    return done;
  }

  /** Interrupt the running execution (owner only; rejects with the runtime's error). */
  interrupt(): Promise<void> {
    return this.socket.interrupt();
  }

  /** The session's owner as the runtime announced it. */
  get owner() {
    return this.socket.owner;
  }

  /** Fired when the runtime announces a (new) owner. */
  get onDidChangeOwner() {
    return this.socket.onDidChangeOwner;
  }

  /** `task()` once the current turn of the event loop ended (or at {@link close}, if sooner). */
  private afterTurn<T>(task: () => Promise<T>): Promise<T> {
    const later = (globalThis as { setImmediate?: (f: () => void) => void }).setImmediate;
    return new Promise<T>((resolve, reject) => {
      const run = () => {
        if (this.afterTurnTasks.delete(run)) task().then(resolve, reject);
      };
      this.afterTurnTasks.add(run);
      if (later) later(run);
      else setTimeout(run, 0);
    });
  }

  /** Disconnect. Runs still waited on reject with `client.closed` (they go on at the runtime). */
  close(): void {
    const closed = new ApiError('client.closed', 'the notebook session was closed');
    for (const run of [...this.afterTurnTasks]) run(); // receipts due are posted still
    for (const t of this.runs.values()) for (const w of t.waiters.splice(0)) w.reject(closed);
    this.receipts.close(closed);
    this.socket.dispose();
    this.onDidChangeCellEmitter.clear();
    this.onDidFailReceiptEmitter.clear();
    this.onDidInputRequestEmitter.clear();
  }

  private track(jti: string, cellId: string): Tracked {
    let t = this.runs.get(jti);
    if (!t) {
      t = {
        state: {
          cellId,
          jti,
          running: false,
          outputs: [],
          status: null,
          exitCode: null,
          executionCount: null,
          startedAt: null,
          endedAt: null,
          auditSeq: null,
        },
        outputState: emptyOutputState(),
        events: [],
        waiters: [],
        audited: null,
      };
      this.runs.set(jti, t);
    }
    this.latestByCell.set(cellId, jti);
    return t;
  }

  private onEvent(ev: JournalEvent): void {
    const t = this.runs.get(ev.jti) ?? this.track(ev.jti, ev.cell);
    if (this.latestByCell.get(ev.cell) !== ev.jti && ev.type === 'cell_started') {
      this.latestByCell.set(ev.cell, ev.jti);
    }
    t.events.push(ev);
    t.outputState = applyJournalEvent(t.outputState, ev);
    const s = t.state;
    s.outputs = t.outputState.outputs;
    if (ev.type === 'cell_started') {
      s.running = true;
      s.startedAt = ev.data.startedAt;
    } else if (ev.type === 'cell_ended') {
      this.openInputs.delete(ev.jti);
      s.running = false;
      s.status = ev.data.status;
      s.exitCode = ev.data.exitCode ?? null;
      s.executionCount = ev.data.executionCount;
      s.endedAt = ev.data.endedAt;
      const { receipt } = ev.data;
      const replaying = this.replaying;
      const post = () =>
        this.receipts.ended(ev.jti, receipt, () => t.outputState.outputs, replaying);
      // A live run's result reaches its waiters first; its receipt is posted once this turn of
      // the event loop ends, so that request never stands between a cell and its outputs. The
      // receipts a replay meets are deferred in order at once (onDidAttach checks them).
      t.audited = replaying ? post() : this.afterTurn(post);
      t.audited.catch(() => {
        /* reported through onDidFailReceipt */
      });
      const result: CellRunResult = {
        ...s,
        status: s.status,
        events: [...t.events],
        audited: t.audited,
      };
      for (const w of t.waiters.splice(0)) w.resolve(result);
    }
    if (this.latestByCell.get(ev.cell) === ev.jti) this.onDidChangeCellEmitter.fire({ ...s });
  }
}
