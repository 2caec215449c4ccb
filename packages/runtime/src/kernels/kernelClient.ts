import { type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { KernelDiedError, SpinError } from '../errors.js';
import { KernelConnection } from './connection.js';
import { IOPUB_QUEUES_MARKER, IOPUB_RECEIVE_HWM, kernelSetupCode } from './iopubBounds.js';
import { describeKernelExit, type KillReason } from './kernelDeath.js';
import type { KernelSpec } from './kernelspec.js';
import { boundedOutput } from './mapping.js';
import {
  executeRequestContent,
  parentId,
  readExecuteReply,
  readInputRequest,
  readOutput,
  readStatus,
  type Channel,
  type ExecuteReply,
  type KernelOutput,
  type ShellRequestType,
} from './messages.js';
import {
  signalGroup,
  spawnKernel,
  writeConnectionFile,
  type ProvisionOptions,
} from './provisioner.js';
import type { JupyterMessage } from './wire.js';

export { OUTPUT_MSG_TYPES, type ExecuteReply, type KernelOutput } from './messages.js';
export { kernelEnv } from './provisioner.js';

/** The kernel's `input_request` (stdin channel): answer with the line the user typed. */
export type InputHandler = (prompt: string, password: boolean) => Promise<string>;

/** How the kernel process ended (`killedBy`: the runtime killed it, and why). */
export interface KernelExit {
  code: number | null;
  signal: string | null;
  killedBy: KillReason | null;
}

export interface KernelClientOptions extends ProvisionOptions {
  /** Identifier used in logs and directory names (default: random). */
  id?: string;
  /** Writable directory for the connection file and IPC sockets (created if missing). */
  dir: string;
  /** Where `dir` appears to the kernel (a sandbox mounts it elsewhere); default `dir`. */
  dirInside?: string;
  /** The uid/gid the kernel runs as: it must own its connection directory and file. */
  owner?: { uid: number; gid: number } | null;
  /** Working directory of the kernel process. */
  cwd?: string;
  /** Kernel environment (default: this process's, without SPIN_* variables). */
  env?: NodeJS.ProcessEnv;
  /** Rewrites the kernel command line, e.g. to run it under bubblewrap (src/sandbox). */
  wrapCommand?: (argv: string[]) => string[];
  /** `ipc` (default when the socket path fits) or `tcp` on 127.0.0.1. */
  transport?: 'ipc' | 'tcp';
  /** Overrides the spec's interrupt mode (sandboxed kernels are interrupted by message). */
  interruptMode?: 'signal' | 'message';
  /** Give up on readiness after this long (default 30 s). */
  startTimeoutMs?: number;
  /** Called with the PID right after the process was spawned (the crash-recovery ledger). */
  onSpawn?: (pid: number) => void;
}

interface PendingExecute {
  onOutput: (out: KernelOutput) => void;
  onInput: InputHandler | undefined;
  onBusy: (() => void) | undefined;
  reply: ExecuteReply | null;
  idle: boolean;
  resolve: (r: ExecuteReply) => void;
  reject: (e: Error) => void;
}

/**
 * A client for one Jupyter kernel over ZeroMQ, speaking the messaging protocol v5.3
 * (https://jupyter-client.readthedocs.io/en/stable/messaging.html). It launches the kernel
 * from its kernelspec with a fresh connection file ({@link writeConnectionFile},
 * {@link spawnKernel}), talks to it over a {@link KernelConnection}, waits for readiness the
 * way FACTS.md prescribes, and completes each request when its reply and its iopub `idle`
 * have both arrived.
 */
export class KernelClient {
  readonly id: string;
  /** Number of `execute_request`s sent to this kernel (tests assert rejected programs add 0). */
  executeRequests = 0;
  spec: KernelSpec | null = null;
  private proc: ChildProcess | null = null;
  private conn: KernelConnection | null = null;
  private readonly statusListeners: ((state: string) => void)[] = [];
  private killedBy: KillReason | null = null;
  private readonly pending = new Map<string, PendingExecute>();
  private readonly infoRequests = new Set<string>();
  /** Shell requests other than execute, waiting for their reply content. */
  private readonly shellRequests = new Map<string, (content: Record<string, unknown>) => void>();
  private infoReply = false;
  private infoIopub = false;
  private onInfo: (() => void) | null = null;
  private exitInfo: KernelExit | null = null;
  private readonly exitListeners: ((info: KernelExit) => void)[] = [];
  private stderrTail = '';
  private closing = false;

  constructor(private readonly opts: KernelClientOptions) {
    this.id = opts.id ?? `k_${randomUUID().slice(0, 8)}`;
  }

  /** PID of the spawned process (the sandbox wrapper's when sandboxed). */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** True while the kernel process runs. */
  get alive(): boolean {
    return this.proc !== null && this.exitInfo === null;
  }

  /** The heartbeat socket's address (set by start). */
  get heartbeatUrl(): string | null {
    return this.conn?.heartbeatUrl ?? null;
  }

  /** Called once when the kernel process exits (expectedly or not). */
  onDidExit(listener: (info: KernelExit) => void): void {
    if (this.exitInfo) listener(this.exitInfo);
    else this.exitListeners.push(listener);
  }

  /** True once {@link shutdown} was called: an exit after it is no death to report. */
  get shuttingDown(): boolean {
    return this.closing;
  }

  /** iopub `status` (busy/idle/starting) of any request, the runtime's own included. */
  onDidChangeStatus(listener: (state: string) => void): void {
    this.statusListeners.push(listener);
  }

  /**
   * Launch the kernel and resolve once it answers kernel_info on shell and iopub, and has run
   * its setup code ({@link kernelSetupCode}: bounded iopub messages, a kernel-side iopub queue
   * that does not drop — or else an unbounded read-ahead in the runtime).
   */
  async start(spec: KernelSpec): Promise<void> {
    if (this.proc) throw new Error('kernel already started');
    this.spec = spec;
    const endpoints = await writeConnectionFile(spec, this.opts);
    const setup = kernelSetupCode(spec);
    // a small read-ahead only where the setup code can make the kernel queue instead of drop
    const conn = new KernelConnection(
      endpoints,
      (channel, msg) => this.dispatch(channel, msg),
      setup ? IOPUB_RECEIVE_HWM : 0,
    );
    this.conn = conn;
    const proc = spawnKernel(spec, this.opts);
    this.proc = proc;
    if (proc.pid) this.opts.onSpawn?.(proc.pid);
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-4000);
    });
    proc.once('error', () => this.handleExit(null, null));
    proc.once('exit', (code, signal) => this.handleExit(code, signal));

    await this.waitReady(this.opts.startTimeoutMs ?? 30_000);
    await Promise.race([conn.stdinConnected, new Promise((r) => setTimeout(r, 5_000).unref())]);
    if (!setup) return;
    let said = '';
    await this.execute(
      setup,
      (o) => {
        if (o.msgType === 'stream') said += String(o.content.text);
      },
      { silent: true },
    );
    if (!said.includes(IOPUB_QUEUES_MARKER)) conn.unboundIopubReadAhead();
  }

  private waitReady(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const send = () => {
        const msg = this.conn!.codec.create('kernel_info_request', {});
        this.infoRequests.add(msg.header.msg_id);
        void this.conn!.send('shell', msg).catch(() => undefined);
      };
      const timer = setInterval(send, 250);
      const deadline = setTimeout(() => {
        finish(new SpinError('runtime.kernel_failed', 'kernel did not become ready in time'));
      }, timeoutMs);
      const finish = (err?: Error) => {
        clearInterval(timer);
        clearTimeout(deadline);
        this.onInfo = null;
        // kept: replies to the extra requests still arrive and must not pass for cell activity
        if (err) {
          void this.shutdown();
          reject(err);
        } else resolve();
      };
      this.onInfo = () => {
        if (this.exitInfo) {
          const tail = this.stderrTail.trim().split('\n').slice(-5).join('\n');
          finish(new KernelDiedError(`kernel exited during start${tail ? `: ${tail}` : ''}`));
        } else if (this.infoReply && this.infoIopub) finish();
      };
      send();
    });
  }

  private handleExit(code: number | null, signal: string | null): void {
    if (this.exitInfo) return;
    this.exitInfo = { code, signal, killedBy: this.killedBy };
    const err = new KernelDiedError(
      this.closing && !this.killedBy
        ? 'the kernel was shut down (restarted)'
        : describeKernelExit(code, signal, this.killedBy).message,
    );
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.onInfo?.();
    for (const l of this.exitListeners.splice(0)) l(this.exitInfo);
    this.conn?.close();
  }

  /** Route one signed message: readiness probes, shell replies, and executions' messages. */
  private dispatch(channel: Channel, msg: JupyterMessage): void {
    const parent = parentId(msg);
    if (!parent) return;
    const infoRequest = this.infoRequests.has(parent);
    const state = channel === 'iopub' ? readStatus(msg) : null;
    if (state !== null && !infoRequest) {
      for (const l of this.statusListeners) l(state);
    }
    if (infoRequest) {
      if (this.onInfo === null) return; // a late answer to a readiness probe
      if (channel === 'iopub') this.infoIopub = true;
      else if (msg.header.msg_type === 'kernel_info_reply') this.infoReply = true;
      this.onInfo?.();
      return;
    }
    const answer = channel === 'shell' ? this.shellRequests.get(parent) : undefined;
    if (answer) {
      this.shellRequests.delete(parent);
      answer(msg.content);
      return;
    }
    const p = this.pending.get(parent);
    if (!p) return;
    if (channel === 'stdin') {
      const req = readInputRequest(msg);
      if (req) this.answerInput(p, msg, req);
      return;
    }
    if (channel === 'iopub') {
      if (state === 'idle') p.idle = true;
      else if (state === 'busy') p.onBusy?.();
      else if (state === null) {
        const out = readOutput(msg);
        if (out) p.onOutput(boundedOutput(out));
      }
    } else {
      p.reply = readExecuteReply(msg) ?? p.reply;
    }
    if (p.reply && p.idle) {
      this.pending.delete(parent);
      p.resolve(p.reply);
    }
  }

  /**
   * Ask the cell's input handler and send its answer as `input_reply` (parent: the request).
   * A handler that rejects (the run ended: interrupt, timeout) sends nothing — the interrupt
   * already ended the kernel's wait.
   */
  private answerInput(
    p: PendingExecute,
    req: JupyterMessage,
    { prompt, password }: { prompt: string; password: boolean },
  ): void {
    const ask = p.onInput ? p.onInput(prompt, password) : Promise.resolve('');
    void ask
      .then((value) => {
        const conn = this.conn;
        if (!this.alive || !conn) return;
        return conn.send('stdin', conn.codec.create('input_reply', { value }, req.header));
      })
      .catch(() => undefined);
  }

  /**
   * Run code; `onOutput` receives every output message of this request in order. Resolves
   * when both `execute_reply` and iopub `status: idle` arrived; rejects with
   * {@link KernelDiedError} if the kernel exits first. `silent` requests (the runtime's own
   * bookkeeping, e.g. binding session variables) neither count nor enter the history.
   */
  execute(
    code: string,
    onOutput: (out: KernelOutput) => void,
    opts: {
      silent?: boolean;
      storeHistory?: boolean;
      onInput?: InputHandler;
      /** The kernel started executing this request (its iopub `busy`). */
      onBusy?: () => void;
    } = {},
  ): Promise<ExecuteReply> {
    const conn = this.conn;
    if (!this.alive || !conn) {
      return Promise.reject(new KernelDiedError('the kernel is not running'));
    }
    const msg = conn.codec.create(
      'execute_request',
      executeRequestContent(code, { ...opts, allowStdin: opts.onInput !== undefined }),
    );
    return new Promise<ExecuteReply>((resolve, reject) => {
      this.pending.set(msg.header.msg_id, {
        onOutput,
        onInput: opts.onInput,
        onBusy: opts.onBusy,
        reply: null,
        idle: false,
        resolve,
        reject,
      });
      if (!opts.silent) this.executeRequests++;
      conn.send('shell', msg).catch((err: unknown) => {
        this.pending.delete(msg.header.msg_id);
        reject(err instanceof Error ? err : new Error(String(err)));
      });
    });
  }

  /**
   * Send a shell request (`complete_request`, `inspect_request`, `is_complete_request`) and
   * resolve with its reply's content; rejects with `runtime.kernel_busy` when no reply came
   * within `timeoutMs` (the kernel answers shell requests in order, after a running cell).
   */
  request(
    msgType: ShellRequestType,
    content: Record<string, unknown>,
    timeoutMs = 10_000,
  ): Promise<Record<string, unknown>> {
    const conn = this.conn;
    if (!this.alive || !conn) {
      return Promise.reject(new KernelDiedError('the kernel is not running'));
    }
    const msg = conn.codec.create(msgType, content);
    const id = msg.header.msg_id;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.shellRequests.delete(id);
        reject(new SpinError('runtime.kernel_busy', 'the kernel did not answer in time'));
      }, timeoutMs);
      this.shellRequests.set(id, (c) => {
        clearTimeout(timer);
        resolve(c);
      });
      conn.send('shell', msg).catch((err: unknown) => {
        clearTimeout(timer);
        this.shellRequests.delete(id);
        reject(err instanceof Error ? err : new Error(String(err)));
      });
    });
  }

  /** Interrupt the running execution: SIGINT to the kernel's process group, or a control message. */
  async interrupt(): Promise<void> {
    const conn = this.conn;
    if (!this.alive || !this.proc?.pid || !conn) return;
    const mode = this.opts.interruptMode ?? this.spec?.interruptMode ?? 'signal';
    if (mode === 'message') {
      await conn.send('control', conn.codec.create('interrupt_request', {}));
      return;
    }
    signalGroup(this.proc.pid, 'SIGINT');
  }

  /** Ask the kernel to shut down, then SIGTERM/SIGKILL the process we spawned if it lingers. */
  async shutdown(graceMs = 1500): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const proc = this.proc;
    const conn = this.conn;
    if (proc && conn && this.alive) {
      const exited = new Promise<void>((r) => this.onDidExit(() => r()));
      const wait = (ms: number) =>
        Promise.race([
          exited.then(() => true),
          new Promise<boolean>((r) => setTimeout(() => r(false), ms)),
        ]);
      await conn
        .send('control', conn.codec.create('shutdown_request', { restart: false }))
        .catch(() => undefined);
      if (!(await wait(graceMs))) {
        signalGroup(proc.pid, 'SIGTERM');
        if (!(await wait(1000))) {
          signalGroup(proc.pid, 'SIGKILL');
          await wait(1000);
        }
      }
    }
    this.conn?.close();
  }

  /** Kill the kernel immediately (it ignored an interrupt, or its heartbeat stopped). */
  kill(reason: KillReason = 'timeout'): void {
    if (this.alive) this.killedBy ??= reason;
    signalGroup(this.proc?.pid, 'SIGKILL');
  }
}
