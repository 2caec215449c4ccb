import { join, dirname } from 'node:path';
import type {
  AccessTokenClaims,
  JournalEvent,
  KernelDeath,
  KernelState,
  ProgramClaims,
  RuntimeMessage,
} from '@spin/protocol';
import type { KernelClient } from '../kernels/kernelClient.js';
import { describeKernelExit } from '../kernels/kernelDeath.js';
import { DEFAULT_PYTHON_KERNEL } from '../kernels/kernelspec.js';
import type { KernelManager } from '../kernels/kernelManager.js';
import type { BlobStore } from '../blobs/blobStore.js';
import { SessionResults } from '../processors/sessionResults.js';
import { Execution, type ExecutionDeps } from './execution.js';
import { Journal, type JournalLimits, type NewJournalEvent } from './journal.js';
import { SessionOwnership, type SessionOwner } from './ownership.js';
import { replayJournal } from './replay.js';

/** Something attached to a session that receives its journal events live (a WebSocket). */
export interface SessionSubscriber {
  /** `frame`, when given, is the event's wire message, serialised once for all subscribers. */
  deliver(event: JournalEvent, frame?: string): void;
  /** Bytes sent but not yet written out; a replay from disk waits while this is high. */
  backlog?(): number;
  /** Session notices that are not journal events (kernel status, input requests). */
  notify?(msg: RuntimeMessage): void;
  /** Who the subscriber acts for: input requests of a run go to its user's sockets only. */
  principal?(): { sub: string; canExecute: boolean } | null;
}

type KernelStatusMessage = Extract<RuntimeMessage, { type: 'kernel_status' }>;
type InputRequestMessage = Extract<RuntimeMessage, { type: 'input_request' }>;

interface PendingInput {
  sub: string;
  request: InputRequestMessage;
  resolve: (value: string) => void;
  reject: (err: Error) => void;
}

export interface SessionDeps extends ExecutionDeps {
  kernels: KernelManager;
  blobs: BlobStore;
  journal: JournalLimits;
}

/**
 * A runtime session (one per `sid`): its journal, its attached subscribers, a FIFO queue of
 * accepted programs that run one at a time in order, and its kernel (started on first use,
 * replaced after it dies).
 */
export class Session {
  readonly journal: Journal;
  /** Variables set by integration cells; bound into the kernel before it runs code. */
  readonly results: SessionResults;
  private readonly subscribers = new Set<SessionSubscriber>();
  /** Subscribers still replaying from disk, with the flag that stops their replay. */
  private readonly replaying = new Map<SessionSubscriber, { cancelled: boolean }>();
  private readonly queue: ProgramClaims[] = [];
  private current: Execution | null = null;
  private running: Promise<void> | null = null;
  private kernel: KernelClient | null = null;
  private kernelStarting: Promise<KernelClient> | null = null;
  private kernelName: string | null = null;
  private status: KernelStatusMessage | null = null;
  /** Runs waiting for a line of input, by jti (at most one each: the kernel blocks on it). */
  private readonly inputs = new Map<string, PendingInput>();
  private closed = false;
  private readonly ownership: SessionOwnership;
  /** When the session last ran something or had its kernel started (ms since epoch). */
  private lastActivity = Date.now();

  constructor(
    readonly sid: string,
    journalDir: string,
    readonly workDir: string,
    private readonly deps: SessionDeps,
    /** The work dir as the session's kernels see it (inside the sandbox). */
    kernelWorkDir: string = workDir,
    /**
     * Kernels pre-started in this session's sandbox before it existed (kernels/kernelPool.ts),
     * by kernelspec name: the first run of that kernel uses one instead of starting it.
     */
    private readonly prestarted = new Map<string, Promise<KernelClient>>(),
  ) {
    this.journal = new Journal(journalDir, sid, deps.journal);
    this.results = new SessionResults(workDir, deps.logger, kernelWorkDir);
    this.ownership = new SessionOwnership(join(dirname(journalDir), 'owner.json'));
  }

  /** The session's owner as far as this runtime knows. */
  get owner(): SessionOwner {
    return this.ownership.current;
  }

  /**
   * Learn from a verified token who owns the session; when that changed (a handoff), tell every
   * attached client.
   */
  observeToken(claims: AccessTokenClaims): void {
    if (!this.ownership.observe(claims)) return;
    const { owner, ownerEpoch } = this.ownership.current;
    this.deps.logger.info({ sid: this.sid, owner, ownerEpoch }, 'session owner changed');
    const msg: RuntimeMessage = { type: 'session_owner', owner, ownerEpoch };
    for (const s of this.subscribers) s.notify?.(msg);
  }

  /** Whether owner rights (interrupt, restart) hold for a token: only at the current epoch. */
  honoursOwnerRights(claims: AccessTokenClaims): boolean {
    return this.ownership.honours(claims);
  }

  get headSeq(): number {
    return this.journal.headSeq;
  }

  /** Persist an event, then deliver it to every attached subscriber. */
  emit(partial: NewJournalEvent): JournalEvent | null {
    if (this.closed) return null;
    const { event: ev, json } = this.journal.appendSerialized(partial);
    if (this.subscribers.size > 0) {
      const frame = `{"type":"event","event":${json}}`; // the journal line, wrapped once for all
      for (const s of this.subscribers) s.deliver(ev, frame);
    }
    return ev;
  }

  /**
   * Replay events after `lastSeq` to `sub`, then subscribe it to live events. Old events come
   * from disk (asynchronously, streaming); the last step — the events still in memory plus the
   * subscription — is synchronous, so no event can fall between replay and live delivery.
   * `fromSeq` is the first seq replayed (later than `lastSeq + 1` when retention removed the
   * events in between).
   */
  async attach(
    sub: SessionSubscriber,
    lastSeq: number,
  ): Promise<{ fromSeq: number; headSeq: number }> {
    const flag = { cancelled: false };
    this.replaying.set(sub, flag);
    try {
      const fromSeq = await replayJournal(this.journal, sub, Math.min(lastSeq, this.headSeq), {
        cancelled: () => flag.cancelled || this.closed,
        subscribe: () => this.subscribers.add(sub),
      });
      return { fromSeq, headSeq: this.headSeq };
    } finally {
      if (this.replaying.get(sub) === flag) this.replaying.delete(sub);
    }
  }

  /** The kernel's last reported status (sent to each client when it attaches), or null. */
  get kernelStatus(): KernelStatusMessage | null {
    return this.status;
  }

  /** Input requests waiting for an answer from this user (re-sent to a socket that attaches). */
  pendingInputsFor(sub: string): InputRequestMessage[] {
    return [...this.inputs.values()].filter((p) => p.sub === sub).map((p) => p.request);
  }

  private setStatus(state: KernelState, kernel: string | null, cause?: KernelDeath): void {
    const msg: KernelStatusMessage = {
      type: 'kernel_status',
      state,
      kernel,
      ...(cause ? { cause, restartable: true } : {}),
    };
    if (
      this.status &&
      this.status.state === state &&
      this.status.kernel === kernel &&
      !cause &&
      !this.status.cause
    ) {
      return; // busy/idle flip for every message: say each change once
    }
    this.status = msg;
    for (const s of this.subscribers) s.notify?.(msg);
  }

  /**
   * Ask the user who ran `claims` for a line of input (the kernel's `input_request`): sent to
   * that user's attached sockets that may execute; the first answer wins. Rejected when the
   * run ends first (interrupt, timeout, dead kernel) — see {@link cancelInput}.
   */
  requestInput(claims: ProgramClaims, prompt: string, password: boolean): Promise<string> {
    const request: InputRequestMessage = {
      type: 'input_request',
      jti: claims.jti,
      cell: claims.cell,
      prompt,
      password,
    };
    return new Promise<string>((resolve, reject) => {
      this.inputs.get(claims.jti)?.reject(new Error('superseded'));
      this.inputs.set(claims.jti, { sub: claims.sub, request, resolve, reject });
      for (const s of this.subscribers) {
        const p = s.principal?.();
        if (p?.canExecute && p.sub === claims.sub) s.notify?.(request);
      }
    });
  }

  /** Deliver an answer; false when `jti` waits for none from `sub` (nothing is changed). */
  answerInput(jti: string, sub: string, value: string): boolean {
    const p = this.inputs.get(jti);
    if (!p || p.sub !== sub) return false;
    this.inputs.delete(jti);
    p.resolve(value);
    return true;
  }

  /** The run ended: an input it still waited for is withdrawn. */
  cancelInput(jti: string): void {
    const p = this.inputs.get(jti);
    if (!p) return;
    this.inputs.delete(jti);
    p.reject(new Error('the run ended'));
  }

  /**
   * Forward a complete/inspect/is_complete request to the session's kernel (started if there
   * is none yet, as a notebook's first completion would) and return the reply content.
   */
  async kernelRequest(
    request: 'complete' | 'inspect' | 'is_complete',
    code: string,
    cursorPos: number | undefined,
    detailLevel: 0 | 1 | undefined,
  ): Promise<Record<string, unknown>> {
    const kernel = await this.kernelFor(this.kernelName ?? DEFAULT_PYTHON_KERNEL);
    const cursor = cursorPos ?? [...code].length;
    if (request === 'complete') {
      return kernel.request('complete_request', { code, cursor_pos: cursor });
    }
    if (request === 'inspect') {
      return kernel.request('inspect_request', {
        code,
        cursor_pos: cursor,
        detail_level: detailLevel ?? 0,
      });
    }
    return kernel.request('is_complete_request', { code });
  }

  /**
   * Restart the kernel (Jupyter's restart: state is lost). Works on a dead kernel too; a cell
   * running at the time ends with an error saying the kernel was restarted.
   */
  async restart(): Promise<void> {
    if (this.kernelStarting) await this.kernelStarting.catch(() => undefined);
    const name = this.kernel?.spec?.name ?? this.kernelName ?? DEFAULT_PYTHON_KERNEL;
    const old = this.kernel;
    this.kernel = null;
    await old?.shutdown();
    await this.kernelFor(name);
  }

  detach(sub: SessionSubscriber): void {
    this.subscribers.delete(sub);
    const flag = this.replaying.get(sub);
    if (flag) flag.cancelled = true;
  }

  /** Queue an accepted program; it runs after everything queued before it. */
  enqueue(claims: ProgramClaims): void {
    if (this.closed) return;
    this.queue.push(claims);
    this.running ??= this.drain();
  }

  private async drain(): Promise<void> {
    while (!this.closed && this.queue.length > 0) {
      this.lastActivity = Date.now();
      const claims = this.queue.shift()!;
      this.current = new Execution(
        claims,
        {
          workDir: this.workDir,
          emit: (p) => this.emit(p),
          headSeq: () => this.headSeq,
          kernelFor: async (name) => {
            const kernel = await this.kernelFor(name);
            await this.results.syncTo(kernel);
            return kernel;
          },
          results: this.results,
          requestInput: (prompt, password) => this.requestInput(claims, prompt, password),
          cancelInput: () => this.cancelInput(claims.jti),
          createBlob: (c, stream) =>
            this.deps.blobs.create({ sid: this.sid, cell: c.cell, jti: c.jti, stream }),
        },
        this.deps,
      );
      try {
        await this.current.run();
      } catch (err) {
        this.deps.logger.error({ err, sid: this.sid }, 'execution crashed');
      }
      this.current = null;
      this.lastActivity = Date.now();
    }
    this.running = null;
  }

  /** Interrupt the running execution; false when nothing runs. */
  interrupt(): boolean {
    if (!this.current) return false;
    this.current.interrupt();
    return true;
  }

  /** The session's kernel for `name`, starting (or replacing) it when needed. */
  async kernelFor(name: string): Promise<KernelClient> {
    if (this.kernel?.alive && this.kernel.spec?.name === name) return this.kernel;
    if (this.kernelStarting) await this.kernelStarting.catch(() => undefined);
    if (this.kernel?.alive && this.kernel.spec?.name === name) return this.kernel;
    this.deps.kernels.spec(name); // unknown kernel: fail before replacing the current one
    const old = this.kernel;
    this.kernel = null;
    if (old) await old.shutdown();
    this.kernelName = name;
    this.setStatus('starting', name);
    this.kernelStarting = this.startKernel(name);
    try {
      const k = await this.kernelStarting;
      this.lastActivity = Date.now();
      if (this.closed) {
        await k.shutdown();
        throw new Error('session closed');
      }
      this.kernel = k;
      this.watch(k, name);
      this.setStatus('idle', name);
      return k;
    } catch (err) {
      if (!this.closed) {
        const message = err instanceof Error ? err.message : String(err);
        this.setStatus('dead', name, { reason: 'exited', exitCode: null, signal: null, message });
      }
      throw err;
    } finally {
      this.kernelStarting = null;
    }
  }

  /**
   * A pre-started kernel of `name` when the session was handed one (and it is still alive),
   * else a new one.
   */
  private startKernel(name: string): Promise<KernelClient> {
    const start = () => this.deps.kernels.start(name, this.sid, this.workDir);
    const pre = this.prestarted.get(name);
    if (!pre) return start();
    this.prestarted.delete(name);
    return pre.then(
      (k) => (k.alive ? k : start()),
      () => start(),
    );
  }

  /** Shut down pre-started kernels no run has used (session closed or idle). */
  private async dropPrestarted(): Promise<void> {
    const spare = [...this.prestarted.values()];
    this.prestarted.clear();
    const settled = await Promise.allSettled(spare);
    await Promise.all(settled.map((r) => (r.status === 'fulfilled' ? r.value.shutdown() : null)));
  }

  /** Report the session kernel's busy/idle changes and its death (not its planned shutdown). */
  private watch(k: KernelClient, name: string): void {
    k.onDidChangeStatus((state) => {
      if (this.kernel !== k || !k.alive) return;
      if (state === 'busy' || state === 'idle') this.setStatus(state, name);
    });
    k.onDidExit(({ code, signal, killedBy }) => {
      if (this.kernel !== k || this.closed || (k.shuttingDown && !killedBy)) return;
      const cause = describeKernelExit(code, signal, killedBy);
      this.deps.logger.warn({ sid: this.sid, kernel: k.id, ...cause }, 'kernel died');
      this.setStatus('dead', name, cause);
    });
  }

  /**
   * Shut the kernel down when it has idled `idleMs` with nothing running or queued, not busy,
   * and no client attached (an attached client may be about to use its variables). The next
   * run starts a new kernel; a client attaching later is told why the old one is gone.
   * Returns true when it culled.
   */
  async cullIfIdle(idleMs: number, now = Date.now()): Promise<boolean> {
    if (this.prestarted.size > 0 && this.subscribers.size === 0 && !this.current) {
      if (now - this.lastActivity >= idleMs) await this.dropPrestarted();
    }
    const k = this.kernel;
    if (!k?.alive || this.kernelStarting || this.current || this.queue.length > 0) return false;
    if (this.subscribers.size > 0 || this.replaying.size > 0) return false;
    if (this.status?.state === 'busy' || now - this.lastActivity < idleMs) return false;
    this.kernel = null;
    await k.shutdown();
    const minutes = Math.round(idleMs / 60_000);
    const idle = minutes >= 1 ? `${minutes} min` : `${Math.round(idleMs / 1000)} s`;
    this.setStatus('dead', this.kernelName, {
      reason: 'culled',
      exitCode: null,
      signal: null,
      message: `the kernel was shut down after ${idle} idle with no client attached; its variables are gone and a new kernel starts on the next run`,
    });
    this.deps.logger.info({ sid: this.sid, kernel: k.id, idleMs }, 'idle kernel culled');
    return true;
  }

  /** Stop accepting work, end the running cell, shut the kernel down, close the journal. */
  async close(): Promise<void> {
    this.queue.length = 0;
    for (const jti of [...this.inputs.keys()]) this.cancelInput(jti);
    this.current?.interrupt();
    const kernel = this.kernel;
    this.kernel = null;
    await Promise.all([kernel?.shutdown(), this.dropPrestarted()]);
    if (this.running) {
      await Promise.race([this.running, new Promise((r) => setTimeout(r, 3000))]);
    }
    this.closed = true;
    this.subscribers.clear();
    this.journal.close();
  }
}
