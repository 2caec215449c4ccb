import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { RuntimeKernel } from '@spin/protocol';
import type { RuntimeMetrics } from '../metrics.js';
import type { ProcessLedger } from '../recovery/processLedger.js';
import type { Sandbox } from '../sandbox/sandbox.js';
import { DEFAULT_HEARTBEAT, Heartbeat, type HeartbeatOptions } from './heartbeat.js';
import { KernelClient, kernelEnv } from './kernelClient.js';
import {
  announcedKernels,
  findKernelSpec,
  kernelSearchPath,
  listKernelSpecs,
  type KernelDiscovery,
  type KernelSpec,
} from './kernelspec.js';

/** What tests and operators can see about a kernel. */
export interface KernelInfo {
  id: string;
  sid: string;
  name: string;
  pid: number | undefined;
  alive: boolean;
  executeRequests: number;
  /** Started ahead of need for the pool (kernelPool.ts), before any session had it. */
  pooled: boolean;
  /** When it was spawned and when it answered kernel_info (ms since epoch). */
  startedAt: number;
  readyAt: number | null;
}

interface Tracked {
  sid: string;
  client: KernelClient;
  pooled: boolean;
  startedAt: number;
  readyAt: number | null;
}

export interface KernelManagerOptions {
  home: string;
  sandbox: Sandbox;
  logger: Logger;
  metrics: RuntimeMetrics;
  /** Where kernelspecs are looked up (default: Jupyter's path for `env`). */
  searchPath?: string[];
  /** Environment for JUPYTER_PATH and resolving interpreters on PATH (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Where kernel PIDs are recorded for the next life to reap after a crash. */
  ledger?: ProcessLedger;
  /** Heartbeat timing (default {@link DEFAULT_HEARTBEAT}). */
  heartbeat?: HeartbeatOptions;
  /** Further variables kernels never inherit (the credential bundle's `runtime_env` secrets). */
  hiddenEnv?: () => ReadonlySet<string>;
}

function withoutNames(env: NodeJS.ProcessEnv, names?: ReadonlySet<string>): NodeJS.ProcessEnv {
  if (!names || names.size === 0) return env;
  return Object.fromEntries(Object.entries(env).filter(([k]) => !names.has(k)));
}

/**
 * Starts and tracks every kernel of the runtime (one per session). Keeps the kernels that ever
 * ran so tests can assert that a rejected program never reached a kernel.
 */
export class KernelManager {
  private readonly kernels: Tracked[] = [];

  constructor(private readonly opts: KernelManagerOptions) {}

  /** Number of kernel processes ever spawned. */
  get spawnedCount(): number {
    return this.kernels.length;
  }

  /** Sum of execute_requests sent to all kernels, dead or alive. */
  get totalExecuteRequests(): number {
    return this.kernels.reduce((n, k) => n + k.client.executeRequests, 0);
  }

  /** All kernels ever started, newest last. */
  list(): KernelInfo[] {
    return this.kernels.map(({ sid, client, pooled, startedAt, readyAt }) => ({
      id: client.id,
      sid,
      name: client.spec?.name ?? '',
      pid: client.pid,
      alive: client.alive,
      executeRequests: client.executeRequests,
      pooled,
      startedAt,
      readyAt,
    }));
  }

  /** Record that a pooled kernel now belongs to session `sid` (logs and {@link list}). */
  rebind(client: KernelClient, sid: string): void {
    const t = this.kernels.find((k) => k.client === client);
    if (t) t.sid = sid;
    if (client.pid) this.opts.ledger?.rebind(client.pid, sid);
  }

  /** The kernels/ folders searched, in precedence order. */
  get searchPath(): string[] {
    return this.opts.searchPath ?? kernelSearchPath(this.opts.env);
  }

  /** Every installed kernelspec (read afresh: kernels installed while running show up). */
  available(): KernelDiscovery {
    return listKernelSpecs(this.searchPath, this.opts.env);
  }

  /** The installed kernels as the public identity lists them. */
  announced(): RuntimeKernel[] {
    return announcedKernels(this.available());
  }

  /** The kernelspec for `name`; throws `runtime.kernel_not_found` for unknown kernels. */
  spec(name: string): KernelSpec {
    return findKernelSpec(name, this.searchPath, this.opts.env);
  }

  /**
   * Start a kernel from its kernelspec for a session, in the session's sandbox, with cwd = the
   * session's work directory. Refused (`runtime.sandbox_unavailable`) when there is none.
   */
  async start(
    name: string,
    sid: string,
    sessionDir: string,
    opts: { pooled?: boolean } = {},
  ): Promise<KernelClient> {
    const spec = this.spec(name);
    const { sandbox } = this.opts;
    const session = sandbox.session(sid, sessionDir);
    const id = `k_${randomUUID().slice(0, 12)}`;
    let dir = join(this.opts.home, 'kernels', id);
    // IPC sockets need a short path (sun_path); TCP would let any local process — another
    // session's code included — subscribe to this kernel's iopub, so sandboxed kernels
    // always use IPC, from a short private directory when SPIN_HOME's path is too long.
    if (sandbox.isolated && join(dir, 'ipc-00000').length > 100) {
      dir = mkdtempSync(join(tmpdir(), `spin-${id}-`));
    }
    const launch = sandbox.kernelLaunch(session, dir);
    sandbox.prepareKernelDir(dir, session);
    let forget = (): void => undefined;
    const kc = new KernelClient({
      id,
      dir,
      dirInside: launch.kernelDirInside,
      owner: launch.owner,
      cwd: sessionDir,
      env: {
        ...withoutNames(kernelEnv(), this.opts.hiddenEnv?.()),
        ...launch.env,
        PYDEVD_DISABLE_FILE_VALIDATION: '1',
      },
      wrapCommand: launch.wrapCommand,
      ...(sandbox.isolated ? { transport: 'ipc' as const } : {}),
      ...(launch.interruptMode ? { interruptMode: launch.interruptMode } : {}),
      onSpawn: (pid) => {
        forget = this.opts.ledger?.add(pid, 'kernel', sid) ?? forget;
      },
    });
    const tracked: Tracked = {
      sid,
      client: kc,
      pooled: opts.pooled ?? false,
      startedAt: Date.now(),
      readyAt: null,
    };
    this.kernels.push(tracked);
    this.opts.metrics.activeKernels.inc();
    let heartbeat: Heartbeat | null = null;
    kc.onDidExit(({ code, signal, killedBy }) => {
      heartbeat?.stop();
      forget();
      this.opts.metrics.activeKernels.dec();
      this.opts.logger.info(
        { kernel: kc.id, sid: tracked.sid, code, signal, killedBy },
        'kernel exited',
      );
    });
    this.opts.logger.info({ kernel: kc.id, sid, name }, 'starting kernel');
    await kc.start(spec);
    tracked.readyAt = Date.now();
    if (kc.alive && kc.heartbeatUrl) {
      heartbeat = new Heartbeat(kc.heartbeatUrl, this.opts.heartbeat ?? DEFAULT_HEARTBEAT, () => {
        this.opts.logger.warn({ kernel: kc.id, sid }, 'kernel heartbeat lost; killing it');
        kc.kill('heartbeat');
      });
      heartbeat.start();
    }
    return kc;
  }

  /** Shut every live kernel down (shutdown_request, then SIGTERM/SIGKILL). */
  async shutdownAll(): Promise<void> {
    await Promise.all(this.kernels.map((k) => k.client.shutdown()));
  }
}
