import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readlinkSync, symlinkSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import type { KernelPool } from '../kernels/kernelPool.js';
import { BlobStore } from '../blobs/blobStore.js';
import type { Sandbox } from '../sandbox/sandbox.js';
import { ensurePrivateDir } from '../security/secureFiles.js';
import { sweepRetention, type RetentionLimits } from './retention.js';
import { Session, type SessionDeps } from './session.js';

const SAFE_SID = /^[A-Za-z0-9_-]{1,100}$/;

/**
 * All sessions of the runtime, by sid. A session is created (or reloaded from its journal) on
 * the first authorised hello for its sid; its files live in `$SPIN_HOME/sessions/<sid>/`
 * (`journal/` segments, `blobs/` of spilled output, and `work/` — the only directory user code
 * may write). Journals and blobs are swept by age and total size (retention) at start and then
 * periodically.
 */
export class SessionManager {
  private readonly sessions = new Map<string, Session>();
  /** Spilled output of every session (the blob route reads through it). */
  readonly blobs: BlobStore;
  private readonly sweepTimer: NodeJS.Timeout | undefined;
  private readonly cullTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly home: string,
    private readonly deps: Omit<SessionDeps, 'blobs'>,
    private readonly retention?: RetentionLimits,
    /** Sets up each session's directories and user for its sandbox. */
    private readonly sandbox?: Sandbox,
    /** Idle kernels with no client attached are shut down after this long (SPIN_KERNEL_IDLE_TIMEOUT). */
    private readonly kernelIdleMs?: number,
    /** Pre-started kernels a new session claims (SPIN_KERNEL_POOL). */
    private readonly pool?: KernelPool,
  ) {
    this.blobs = new BlobStore((sid) => this.sessionDir(sid));
    if (kernelIdleMs) {
      const every = Math.max(250, Math.min(kernelIdleMs / 4, 60_000));
      this.cullTimer = setInterval(() => void this.cullIdleKernels(), every);
      this.cullTimer.unref();
    }
    if (retention) {
      this.sweep();
      const every = Math.max(1000, Math.min(retention.maxAgeMs / 4, 10 * 60_000));
      this.sweepTimer = setInterval(() => this.sweep(), every);
      this.sweepTimer.unref();
    }
  }

  /** Directory name for a sid; sids that are not filename-safe are hashed. */
  static dirName(sid: string): string {
    return SAFE_SID.test(sid) ? sid : 'h_' + createHash('sha256').update(sid).digest('hex');
  }

  /** `$SPIN_HOME/sessions/<sid>`. */
  sessionDir(sid: string): string {
    return join(this.home, 'sessions', SessionManager.dirName(sid));
  }

  get(sid: string): Session {
    let s = this.sessions.get(sid);
    if (!s) {
      const dir = this.sessionDir(sid);
      // a sid never seen (no directory yet) may take the pool's pre-started sandbox and kernels
      const slot = !existsSync(dir) ? (this.pool?.claim(sid) ?? null) : null;
      let workDir: string;
      if (slot) {
        ensurePrivateDir(dir);
        symlinkSync(resolve(slot.workDir), join(dir, 'work'), 'dir');
        workDir = slot.workDir;
      } else {
        workDir = this.workDirOf(dir);
        ensurePrivateDir(workDir);
      }
      this.sandbox?.session(sid, workDir);
      s = new Session(
        sid,
        join(dir, 'journal'),
        workDir,
        { ...this.deps, blobs: this.blobs },
        this.sandbox?.workDirSeenByUserCode(workDir) ?? workDir,
        slot?.kernels,
      );
      this.sessions.set(sid, s);
    }
    return s;
  }

  /**
   * A session's work directory: `<dir>/work`, or — for a session that claimed a pre-started
   * kernel — the pool slot's work directory `<dir>/work` links to (only ever under
   * `$SPIN_HOME/pool`; the runtime alone writes these links).
   */
  private workDirOf(dir: string): string {
    const link = join(dir, 'work');
    let target: string | null = null;
    try {
      if (lstatSync(link).isSymbolicLink()) target = resolve(dir, readlinkSync(link));
    } catch {
      return link;
    }
    if (target === null) return link;
    const pool = resolve(this.home, 'pool') + sep;
    if (!target.startsWith(pool)) throw new Error(`${link} points outside ${pool}`);
    return target;
  }

  list(): Session[] {
    return [...this.sessions.values()];
  }

  /** Apply retention now; returns what it freed. */
  sweep(now = Date.now()): { freedBytes: number; deletedFiles: number } {
    if (!this.retention) return { freedBytes: 0, deletedFiles: 0 };
    const active = new Set([...this.sessions.values()].map((s) => s.journal.activeSegment));
    try {
      const result = sweepRetention(
        this.home,
        this.retention,
        (file) => active.has(file) || this.blobs.isLive(file),
        now,
      );
      if (result.deletedFiles > 0) {
        this.deps.logger.info(result, 'retention removed old journal segments and blobs');
      }
      return result;
    } catch (err) {
      this.deps.logger.error({ err }, 'retention sweep failed');
      return { freedBytes: 0, deletedFiles: 0 };
    }
  }

  /** Shut down every kernel idle past the timeout (see {@link Session.cullIfIdle}). */
  async cullIdleKernels(now = Date.now()): Promise<number> {
    if (!this.kernelIdleMs) return 0;
    const idle = this.kernelIdleMs;
    const culled = await Promise.all(
      [...this.sessions.values()].map((s) => s.cullIfIdle(idle, now).catch(() => false)),
    );
    return culled.filter(Boolean).length;
  }

  async closeAll(): Promise<void> {
    clearInterval(this.sweepTimer);
    clearInterval(this.cullTimer);
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map((s) => s.close()));
  }
}
