import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Sandbox } from '../sandbox/sandbox.js';
import { ensurePrivateDir } from '../security/secureFiles.js';
import type { KernelClient } from './kernelClient.js';
import type { KernelManager } from './kernelManager.js';

/** A new kernel is started this long after one was taken (not during the taker's first run). */
const REFILL_DELAY_MS = 1500;
/** After a pooled kernel failed to start or died, wait this long before trying again. */
const RETRY_DELAY_MS = 30_000;
/** Marks a slot handed to a session (its directories then belong to that session). */
const CLAIMED = 'claimed-by';

/** Pre-started kernels for one new session: its work directory and one kernel per kernelspec. */
export interface PoolSlot {
  /** Placeholder sid the sandbox and the kernels were prepared under (`pool:<id>`). */
  readonly key: string;
  readonly dir: string;
  /** The slot's work directory: the claiming session's from then on. */
  readonly workDir: string;
  /** By kernelspec name; each started (or starting) in the slot's sandbox. */
  readonly kernels: Map<string, Promise<KernelClient>>;
}

interface Slot extends PoolSlot {
  /** Variable names kernels must not inherit, as they were when these kernels started. */
  hiddenAtStart: ReadonlySet<string>;
  ready: Set<string>;
  failed: boolean;
}

export interface KernelPoolOptions {
  kernels: KernelManager;
  sandbox: Sandbox;
  home: string;
  /** Kernelspecs to keep pre-started (config `kernelPool`, SPIN_KERNEL_POOL). */
  names: readonly string[];
  logger: Logger;
  /** Names of variables kernels never inherit, read afresh (runtime_env secrets). */
  hiddenEnv?: () => ReadonlySet<string>;
}

/**
 * Keeps one pre-started kernel per configured kernelspec for the NEXT new session, so its first
 * run is warm (issue 13 P8). The sandbox binds a kernel to a session's work directory and uid at
 * spawn (bubblewrap mounts are fixed for the process's life), so a kernel cannot be started
 * for "any" session and moved later. Instead the pool prepares a whole session sandbox ahead of
 * need: a fresh directory `$SPIN_HOME/pool/<id>/` (work, ipython, tmp), a fresh uid that no
 * session ever had, and the kernels started inside it. A new session (first authorised hello
 * for a sid that has no directory yet) claims the slot: the sandbox and uid are transferred to
 * its sid and `sessions/<sid>/work` is a symlink to the slot's work directory. A pooled kernel
 * has therefore seen no other session's data, and is bound to exactly one session when claimed.
 * The pool refills shortly after, shuts its kernels down with the runtime, and at start removes
 * the slots of a previous life that no session claimed.
 */
export class KernelPool {
  private readonly slots: Slot[] = [];
  private refillTimer: NodeJS.Timeout | undefined;
  private disposed = false;

  constructor(private readonly opts: KernelPoolOptions) {}

  /** `$SPIN_HOME/pool`. */
  get root(): string {
    return join(this.opts.home, 'pool');
  }

  /** Remove a previous life's unclaimed slots (its kernels were reaped) and fill the pool. */
  start(): void {
    for (const name of existsSync(this.root) ? readdirSync(this.root) : []) {
      const dir = join(this.root, name);
      if (!existsSync(join(dir, CLAIMED))) rmSync(dir, { recursive: true, force: true });
    }
    this.fill();
  }

  /** Number of slots held (starting or ready). */
  get size(): number {
    return this.slots.length;
  }

  /** Resolves once the pool holds a slot whose kernels are all ready (tests, benchmarks). */
  async whenReady(): Promise<void> {
    for (;;) {
      const slot = this.slots[0];
      if (this.disposed || this.opts.names.length === 0) return;
      if (slot) {
        await Promise.allSettled(slot.kernels.values());
        if (this.slots[0] === slot && !slot.failed) return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private fill(): void {
    if (this.disposed || this.slots.length > 0 || this.opts.names.length === 0) return;
    if (this.opts.sandbox.mode === 'unavailable') return;
    const names = this.opts.names.filter((name) => {
      try {
        this.opts.kernels.spec(name);
        return true;
      } catch {
        this.opts.logger.info({ kernel: name }, 'kernel pool: kernelspec not installed; skipped');
        return false;
      }
    });
    if (names.length === 0) return;
    const id = randomUUID().slice(0, 12);
    const dir = join(this.root, id);
    const workDir = join(dir, 'work');
    ensurePrivateDir(workDir);
    const slot: Slot = {
      key: `pool:${id}`,
      dir,
      workDir,
      kernels: new Map(),
      hiddenAtStart: new Set(this.opts.hiddenEnv?.() ?? []),
      ready: new Set(),
      failed: false,
    };
    this.slots.push(slot);
    for (const name of names) {
      const started = this.opts.kernels.start(name, slot.key, workDir, { pooled: true });
      slot.kernels.set(name, started);
      started.then(
        (k) => {
          slot.ready.add(name);
          k.onDidExit(() => {
            if (this.slots.includes(slot)) this.discard(slot, 'a pooled kernel exited');
          });
          this.opts.logger.debug({ kernel: k.id, name, slot: slot.key }, 'kernel pool: ready');
        },
        (err: unknown) => {
          slot.failed = true;
          this.opts.logger.warn({ err, name }, 'kernel pool: a kernel failed to start');
          if (this.slots.includes(slot)) this.discard(slot, 'start failed');
        },
      );
    }
  }

  private discard(slot: Slot, why: string): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    this.opts.logger.info({ slot: slot.key, why }, 'kernel pool: slot discarded');
    void this.release(slot);
    this.schedule(RETRY_DELAY_MS);
  }

  /** Shut an unclaimed slot's kernels down and remove its directories. */
  private async release(slot: Slot): Promise<void> {
    const kernels = await Promise.allSettled(slot.kernels.values());
    await Promise.all(kernels.map((r) => (r.status === 'fulfilled' ? r.value.shutdown() : null)));
    this.opts.sandbox.forget(slot.workDir);
    rmSync(slot.dir, { recursive: true, force: true });
  }

  private schedule(delayMs: number): void {
    if (this.disposed || this.refillTimer) return;
    this.refillTimer = setTimeout(() => {
      this.refillTimer = undefined;
      this.fill();
    }, delayMs);
    this.refillTimer.unref();
  }

  /**
   * Hand the pool's slot to the new session `sid`, or null when there is none (pool off,
   * empty or refilling) — the session then starts its kernels itself. Kernels still starting
   * are handed over as they are (half-warm beats cold). A slot whose kernels started before a
   * variable became hidden from kernels (a runtime_env secret arrived since) is discarded.
   */
  claim(sid: string): PoolSlot | null {
    const slot = this.slots[0];
    if (!slot || slot.failed || this.disposed) return null;
    const hiddenNow = this.opts.hiddenEnv?.() ?? new Set<string>();
    if ([...hiddenNow].some((n) => !slot.hiddenAtStart.has(n))) {
      this.discard(slot, 'the variables hidden from kernels changed');
      return null;
    }
    this.slots.shift();
    writeFileSync(join(slot.dir, CLAIMED), sid + '\n', { mode: 0o600 });
    this.opts.sandbox.adopt(slot.workDir, sid);
    for (const [name, k] of slot.kernels) {
      void k.then(
        (client) => {
          this.opts.kernels.rebind(client, sid);
          this.opts.logger.info(
            { kernel: client.id, name, sid, slot: slot.key },
            'kernel pool: pre-started kernel bound to a new session',
          );
        },
        () => undefined,
      );
    }
    this.schedule(REFILL_DELAY_MS);
    return slot;
  }

  /** Stop refilling and shut the unclaimed kernels down (runtime shutdown). */
  async dispose(): Promise<void> {
    this.disposed = true;
    clearTimeout(this.refillTimer);
    await Promise.all(this.slots.splice(0).map((s) => this.release(s)));
  }
}
