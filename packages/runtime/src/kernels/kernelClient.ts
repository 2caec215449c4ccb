import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { chownSync, closeSync, fchownSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Dealer, Subscriber, type Socket } from 'zeromq';
import { KernelDiedError, SpinError } from '../errors.js';
import { describeKernelExit, type KillReason } from './kernelDeath.js';
import type { KernelSpec } from './kernelspec.js';
import { MAX_OUTPUT_DEPTH, nestsDeeperThan } from './outputDepth.js';
import { MessageCodec, WireError, type JupyterMessage } from './wire.js';

/** iopub message types that are cell outputs (nbformat output types plus display updates). */
export const OUTPUT_MSG_TYPES = new Set([
  'stream',
  'display_data',
  'execute_result',
  'error',
  'clear_output',
  'update_display_data',
]);

/** One iopub output message of an execution. */
export interface KernelOutput {
  msgType: string;
  content: Record<string, unknown>;
}

/** The kernel's `input_request` (stdin channel): answer with the line the user typed. */
export type InputHandler = (prompt: string, password: boolean) => Promise<string>;

/** How the kernel process ended (`killedBy`: the runtime killed it, and why). */
export interface KernelExit {
  code: number | null;
  signal: string | null;
  killedBy: KillReason | null;
}

/** Result of an `execute_request` (from its `execute_reply`). */
export interface ExecuteReply {
  status: 'ok' | 'error' | 'aborted';
  executionCount: number | null;
}

export interface KernelClientOptions {
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
 * Variables of the runtime process that user code never inherits: SPIN's own (SPIN_TOKEN,
 * and under `spin start` the server's SPIN_MASTER_KEY), the server's DATABASE_URL, and
 * anything named like a secret. Secrets reach cells only through `{{secret:…}}`, which the
 * runtime resolves and masks (DESIGN.md §3).
 */
const SECRET_ENV =
  /^SPIN_|^DATABASE_URL$|SECRET|TOKEN|PASSW(OR)?D|PRIVATE|CREDENTIAL|API_?KEY|ACCESS_?KEY|MASTER_?KEY|AUTH/i;

/** Environment handed to user code: the runtime's, minus {@link SECRET_ENV}. */
export function kernelEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(base).filter(([k]) => !SECRET_ENV.test(k)));
}

/**
 * The output as the kernel sent it, or — when it nests deeper than {@link MAX_OUTPUT_DEPTH} —
 * an error output saying so: such data would overflow the stack of everything downstream
 * (journal, receipt digest, the server's canonical JSON), so it is never forwarded.
 */
function boundedOutput(msgType: string, content: Record<string, unknown>): KernelOutput {
  // + 2: content → data (or metadata) → the MIME value itself
  if (!nestsDeeperThan(content, MAX_OUTPUT_DEPTH + 2)) return { msgType, content };
  return {
    msgType: 'error',
    content: {
      ename: 'OutputTooDeep',
      evalue:
        `runtime.output_too_deep: a ${msgType} output nested more than ${MAX_OUTPUT_DEPTH} ` +
        'levels deep was dropped',
      traceback: [],
    },
  };
}

async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/**
 * A client for one Jupyter kernel over ZeroMQ, speaking the messaging protocol v5.3
 * (https://jupyter-client.readthedocs.io/en/stable/messaging.html). It launches the kernel
 * from its kernelspec with a fresh connection file (HMAC-SHA256 key), talks Dealer on
 * shell/control and Subscriber on iopub, and waits for readiness the way FACTS.md prescribes.
 */
export class KernelClient {
  readonly id: string;
  /** Number of `execute_request`s sent to this kernel (tests assert rejected programs add 0). */
  executeRequests = 0;
  spec: KernelSpec | null = null;
  private proc: ChildProcess | null = null;
  private codec: MessageCodec | null = null;
  private shell: Dealer | null = null;
  private control: Dealer | null = null;
  private iopub: Subscriber | null = null;
  private stdin: Dealer | null = null;
  /** The heartbeat socket's address (set by start). */
  heartbeatUrl: string | null = null;
  private readonly statusListeners: ((state: string) => void)[] = [];
  private killedBy: KillReason | null = null;
  private readonly sendChains = new WeakMap<Socket, Promise<unknown>>();
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

  /** Launch the kernel and resolve once it answers kernel_info on shell and iopub. */
  async start(spec: KernelSpec): Promise<void> {
    if (this.proc) throw new Error('kernel already started');
    this.spec = spec;
    mkdirSync(this.opts.dir, { recursive: true, mode: 0o700 });
    const owner = this.opts.owner;
    if (owner) chownSync(this.opts.dir, owner.uid, owner.gid);
    const key = randomBytes(32).toString('hex');
    this.codec = new MessageCodec(key);
    const ipcBase = join(this.opts.dir, 'ipc');
    const inside = this.opts.dirInside ?? this.opts.dir;
    const transport = this.opts.transport ?? (ipcBase.length < 96 ? 'ipc' : 'tcp');
    const ports = transport === 'ipc' ? [1, 2, 3, 4, 5] : await freePorts(5);
    const [shellPort, iopubPort, stdinPort, controlPort, hbPort] = ports as [
      number,
      number,
      number,
      number,
      number,
    ];
    const ip = transport === 'ipc' ? ipcBase : '127.0.0.1';
    const connectionFile = join(this.opts.dir, 'connection.json');
    const connection = JSON.stringify({
      shell_port: shellPort,
      iopub_port: iopubPort,
      stdin_port: stdinPort,
      control_port: controlPort,
      hb_port: hbPort,
      ip: transport === 'ipc' ? join(inside, 'ipc') : ip,
      key,
      transport,
      signature_scheme: 'hmac-sha256',
      kernel_name: spec.name,
    });
    const fd = openSync(connectionFile, 'w', 0o600);
    try {
      // the kernel rewrites it on start, so it is its own (and no one else's) to read
      if (owner) fchownSync(fd, owner.uid, owner.gid);
      writeFileSync(fd, connection);
    } finally {
      closeSync(fd);
    }
    const url = (port: number) =>
      transport === 'ipc' ? `ipc://${ip}-${port}` : `tcp://${ip}:${port}`;

    this.shell = new Dealer({ routingId: this.codec.session, linger: 0 });
    this.control = new Dealer({ routingId: this.codec.session, linger: 0 });
    this.iopub = new Subscriber({ linger: 0 });
    this.stdin = new Dealer({ routingId: this.codec.session, linger: 0 });
    // The kernel's stdin is a ROUTER: an input_request to a peer that has not connected yet is
    // dropped, and the cell waits forever. Each socket reconnects on its own timer, so shell
    // being ready says nothing about stdin: wait for stdin's own connection too.
    const stdinConnected = new Promise<void>((resolve) => {
      this.stdin!.events.on('connect', () => resolve());
    });
    this.iopub.subscribe();
    this.shell.connect(url(shellPort));
    this.control.connect(url(controlPort));
    this.iopub.connect(url(iopubPort));
    this.stdin.connect(url(stdinPort));
    this.heartbeatUrl = url(hbPort);
    void this.pump(this.shell);
    void this.pump(this.control);
    void this.pump(this.iopub);
    void this.pump(this.stdin);

    const argv = spec.argv.map((a) =>
      a
        .replace('{connection_file}', join(inside, 'connection.json'))
        .replace('{resource_dir}', spec.resourceDir),
    );
    const finalArgv = this.opts.wrapCommand ? this.opts.wrapCommand(argv) : argv;
    const env = { ...(this.opts.env ?? kernelEnv()), ...spec.env };
    const proc = spawn(finalArgv[0]!, finalArgv.slice(1), {
      cwd: this.opts.cwd ?? this.opts.dir,
      env,
      detached: true, // own process group: SIGINT reaches the kernel, not our terminal's
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.proc = proc;
    if (proc.pid) this.opts.onSpawn?.(proc.pid);
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-4000);
    });
    proc.once('error', () => this.handleExit(null, null));
    proc.once('exit', (code, signal) => this.handleExit(code, signal));

    await this.waitReady(this.opts.startTimeoutMs ?? 30_000);
    await Promise.race([stdinConnected, new Promise((r) => setTimeout(r, 5_000).unref())]);
  }

  private waitReady(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const send = () => {
        const msg = this.codec!.create('kernel_info_request', {});
        this.infoRequests.add(msg.header.msg_id);
        void this.send(this.shell!, msg).catch(() => undefined);
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
    this.closeSockets();
  }

  private send(sock: Socket, msg: JupyterMessage): Promise<unknown> {
    const frames = this.codec!.encode(msg);
    const prev = this.sendChains.get(sock) ?? Promise.resolve();
    const next = prev.then(() => (sock as Dealer).send(frames));
    this.sendChains.set(
      sock,
      next.catch(() => undefined),
    );
    return next;
  }

  private async pump(sock: Socket & AsyncIterable<Buffer[]>): Promise<void> {
    try {
      for await (const frames of sock) this.dispatch(sock, frames);
    } catch {
      // socket closed
    }
  }

  private dispatch(sock: Socket, frames: Buffer[]): void {
    let msg: JupyterMessage;
    try {
      msg = this.codec!.decode(frames);
    } catch (err) {
      if (err instanceof WireError) return; // unsigned or forged: drop it
      throw err;
    }
    const parentId = msg.parent_header.msg_id;
    if (!parentId) return;
    const infoRequest = this.infoRequests.has(parentId);
    if (sock === this.iopub && msg.header.msg_type === 'status' && !infoRequest) {
      const state = String(msg.content.execution_state ?? '');
      for (const l of this.statusListeners) l(state);
    }
    if (infoRequest) {
      if (this.onInfo === null) return; // a late answer to a readiness probe
      if (sock === this.iopub) this.infoIopub = true;
      else if (msg.header.msg_type === 'kernel_info_reply') this.infoReply = true;
      this.onInfo?.();
      return;
    }
    const answer = sock === this.shell ? this.shellRequests.get(parentId) : undefined;
    if (answer) {
      this.shellRequests.delete(parentId);
      answer(msg.content);
      return;
    }
    const p = this.pending.get(parentId);
    if (!p) return;
    if (sock === this.stdin) {
      if (msg.header.msg_type === 'input_request') this.answerInput(p, msg);
      return;
    }
    if (sock === this.iopub) {
      const type = msg.header.msg_type;
      if (type === 'status') {
        if (msg.content.execution_state === 'idle') p.idle = true;
        else if (msg.content.execution_state === 'busy') p.onBusy?.();
      } else if (OUTPUT_MSG_TYPES.has(type)) {
        p.onOutput(boundedOutput(type, msg.content));
      }
    } else if (msg.header.msg_type === 'execute_reply') {
      const status = msg.content.status;
      p.reply = {
        status: status === 'ok' || status === 'aborted' ? status : 'error',
        executionCount:
          typeof msg.content.execution_count === 'number' ? msg.content.execution_count : null,
      };
    }
    if (p.reply && p.idle) {
      this.pending.delete(parentId);
      p.resolve(p.reply);
    }
  }

  /**
   * Ask the cell's input handler and send its answer as `input_reply` (parent: the request).
   * A handler that rejects (the run ended: interrupt, timeout) sends nothing — the interrupt
   * already ended the kernel's wait.
   */
  private answerInput(p: PendingExecute, req: JupyterMessage): void {
    const prompt = String(req.content.prompt ?? '');
    const password = req.content.password === true;
    const ask = p.onInput ? p.onInput(prompt, password) : Promise.resolve('');
    void ask
      .then((value) => {
        if (!this.alive || !this.stdin) return;
        const reply = this.codec!.create('input_reply', { value }, req.header);
        return this.send(this.stdin, reply);
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
    if (!this.alive || !this.codec || !this.shell) {
      return Promise.reject(new KernelDiedError('the kernel is not running'));
    }
    const msg = this.codec.create('execute_request', {
      code,
      silent: opts.silent ?? false,
      store_history: opts.storeHistory ?? !opts.silent,
      user_expressions: {},
      allow_stdin: opts.onInput !== undefined,
      stop_on_error: false,
    });
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
      this.send(this.shell!, msg).catch((err: unknown) => {
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
    msgType: 'complete_request' | 'inspect_request' | 'is_complete_request',
    content: Record<string, unknown>,
    timeoutMs = 10_000,
  ): Promise<Record<string, unknown>> {
    if (!this.alive || !this.codec || !this.shell) {
      return Promise.reject(new KernelDiedError('the kernel is not running'));
    }
    const msg = this.codec.create(msgType, content);
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
      this.send(this.shell!, msg).catch((err: unknown) => {
        clearTimeout(timer);
        this.shellRequests.delete(id);
        reject(err instanceof Error ? err : new Error(String(err)));
      });
    });
  }

  /** Interrupt the running execution: SIGINT to the kernel's process group, or a control message. */
  async interrupt(): Promise<void> {
    if (!this.alive || !this.proc?.pid) return;
    const mode = this.opts.interruptMode ?? this.spec?.interruptMode ?? 'signal';
    if (mode === 'message') {
      await this.send(this.control!, this.codec!.create('interrupt_request', {}));
      return;
    }
    try {
      process.kill(-this.proc.pid, 'SIGINT');
    } catch {
      this.proc.kill('SIGINT');
    }
  }

  /** Ask the kernel to shut down, then SIGTERM/SIGKILL the process we spawned if it lingers. */
  async shutdown(graceMs = 1500): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const proc = this.proc;
    if (proc && this.alive) {
      const exited = new Promise<void>((r) => this.onDidExit(() => r()));
      const wait = (ms: number) =>
        Promise.race([
          exited.then(() => true),
          new Promise<boolean>((r) => setTimeout(() => r(false), ms)),
        ]);
      await this.send(
        this.control!,
        this.codec!.create('shutdown_request', { restart: false }),
      ).catch(() => undefined);
      if (!(await wait(graceMs))) {
        this.signalGroup('SIGTERM');
        if (!(await wait(1000))) {
          this.signalGroup('SIGKILL');
          await wait(1000);
        }
      }
    }
    this.closeSockets();
  }

  private signalGroup(signal: NodeJS.Signals): void {
    const pid = this.proc?.pid;
    if (!pid) return;
    try {
      process.kill(-pid, signal);
    } catch {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
  }

  /** Kill the kernel immediately (it ignored an interrupt, or its heartbeat stopped). */
  kill(reason: KillReason = 'timeout'): void {
    if (this.alive) this.killedBy ??= reason;
    this.signalGroup('SIGKILL');
  }

  private closeSockets(): void {
    for (const s of [this.shell, this.control, this.iopub, this.stdin]) {
      if (s && !s.closed) s.close();
    }
  }
}
