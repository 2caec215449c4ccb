import {
  closeSync,
  existsSync,
  fdatasync,
  fdatasyncSync,
  openSync,
  readFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { writePrivateFile } from './secureFiles.js';

/** Keep entries this long past `exp`: openProgram accepts programs up to 30 s after exp. */
const RETAIN_AFTER_EXP_S = 60;
/** openProgram's clock tolerance (iat may be this far in the future, exp this far past). */
export const CLOCK_TOLERANCE_S = 30;
/** Longest program lifetime (exp - iat) openProgram accepts. */
const MAX_PROGRAM_TTL_S = 300;
/** A lease lets the runtime accept programs this long after it reached the disk. */
export const LEASE_S = 30;
/** While programs arrive, the lease is renewed (in the background) this often… */
const RENEW_EVERY_MS = 10_000;
/** …until this long after the last claim; after that the next claim renews it first. */
const KEEP_LEASE_MS = 10 * 60_000;
const BOOT_ID_FILE = '/proc/sys/kernel/random/boot_id';

/** The id of the running OS boot (Linux), or null where there is none to read. */
export function readBootId(): string | null {
  try {
    return readFileSync(BOOT_ID_FILE, 'utf8').trim() || null;
  } catch {
    return null;
  }
}

export interface ReplayCacheOptions {
  /** The OS boot this process runs in (default {@link readBootId}); null: unknown. */
  bootId?: string | null;
}

/**
 * Persisted set of program `jti`s already executed (DESIGN.md §1 step 5), so a replayed
 * envelope is rejected even after a runtime restart. Append-only JSON lines in
 * `$SPIN_HOME/replay-cache.jsonl`; expired entries are dropped when the file is compacted.
 *
 * Durability without an fsync on the hot path (issue 13 "Open"; docs/operations.md "Replay
 * cache and crashes"):
 * - A claim is written to the file (one `write`, a few µs) before `claim` returns, so before
 *   the program is accepted or can run. The bytes are then in the OS page cache, which outlives
 *   the runtime process: a runtime killed at any instant (SIGKILL, OOM, a crash) loses no claim,
 *   and after a restart the same envelope is refused as `envelope.replayed`.
 * - The `fdatasync` that takes the claims to the disk runs in the background (one at a time,
 *   each covering every write before it). Only an OS crash or a power loss can lose the claims
 *   of the last moments before it. So that those programs still cannot run a second time, the
 *   runtime accepts programs only under a **lease** it has made durable first: a record "this
 *   runtime may accept programs until L" (L = now + {@link LEASE_S}), fdatasync'd before it is
 *   relied on and renewed in the background while programs keep arriving. A program accepted
 *   before the crash was issued (`iat`) at most {@link CLOCK_TOLERANCE_S} after its acceptance,
 *   so before L + tolerance. When the file's last lease was written in another OS boot
 *   (`/proc/sys/kernel/random/boot_id` changed: the page cache may have been lost), the
 *   runtime sets a **fence** at L + tolerance, persisted, and refuses every program issued
 *   before it ({@link admits}) — it cannot tell which of them ran. Those are refused as
 *   `envelope.replayed` and must be compiled again; programs compiled after the fence run.
 * - Where the boot id cannot be read, every claim is fdatasync'd before it returns (as before).
 */
export class ReplayCache {
  private readonly seen = new Map<string, number>();
  private readonly file: string;
  private fd: number;
  private lines = 0;
  private readonly bootId: string | null;
  /** Programs issued (iat) before this are refused: they may have run before an OS crash. */
  private fence = 0;
  /** Until when a durable lease lets claims be accepted without a synchronous fdatasync. */
  private leaseDurable = 0;
  /** The newest lease written (maybe not yet durable). */
  private leaseWritten = 0;
  private syncing = false;
  private syncAgain = false;
  /** A {@link scheduleSync} waits for the event loop to turn. */
  private syncSoon = false;
  private afterSync: (() => void)[] = [];
  private lastClaimMs = 0;
  private renewTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    home: string,
    private readonly now: () => number = () => Math.floor(Date.now() / 1000),
    opts: ReplayCacheOptions = {},
  ) {
    this.file = join(home, 'replay-cache.jsonl');
    this.bootId = opts.bootId === undefined ? readBootId() : opts.bootId;
    let lastLease: { until: number; boot: unknown } | null = null;
    if (existsSync(this.file)) {
      for (const line of readFileSync(this.file, 'utf8').split('\n')) {
        if (!line) continue;
        try {
          const r = JSON.parse(line) as Record<string, unknown>;
          if (typeof r.jti === 'string' && typeof r.exp === 'number') this.seen.set(r.jti, r.exp);
          else if (typeof r.lease === 'number') lastLease = { until: r.lease, boot: r.boot };
          else if (typeof r.fence === 'number') this.fence = Math.max(this.fence, r.fence);
        } catch {
          // a torn last line after a crash: the entry was never acknowledged
        }
      }
    }
    // Another boot (or an unknown one) wrote the last lease: its page cache may be gone.
    if (lastLease && (this.bootId === null || lastLease.boot !== this.bootId)) {
      this.fence = Math.max(this.fence, lastLease.until + CLOCK_TOLERANCE_S);
    }
    this.compact();
    this.fd = openSync(this.file, 'a', 0o600);
  }

  /** Number of live entries. */
  get size(): number {
    return this.seen.size;
  }

  /** Programs issued before this time (seconds since epoch) are refused; 0 when none are. */
  get issuedFence(): number {
    return this.fence;
  }

  /**
   * Whether a program issued at `iat` may run at all: false when it was issued before the fence
   * an OS crash left (it may have run already, and its claim may be lost).
   */
  admits(iat: number): boolean {
    return iat >= this.fence;
  }

  /**
   * Record `jti` until `exp`; false if it was already used (the program is a replay). The claim
   * is in the file when this returns (page cache; see the class comment); with `sync` (pairing
   * grants, off the hot path) it is on the disk too.
   */
  claim(jti: string, exp: number, sync = false): boolean {
    if (this.closed) throw new Error('replay cache is closed');
    const known = this.seen.get(jti);
    if (known !== undefined && known + RETAIN_AFTER_EXP_S > this.now()) return false;
    const durableMode = this.bootId !== null && !sync;
    if (durableMode && this.leaseDurable <= this.now()) {
      // no lease on the disk: take one now (the first program after a quiet spell pays this)
      this.writeLease();
      fdatasyncSync(this.fd);
      this.leaseDurable = this.leaseWritten;
    }
    writeSync(this.fd, JSON.stringify({ jti, exp }) + '\n');
    if (durableMode) this.scheduleSyncSoon();
    else fdatasyncSync(this.fd);
    this.seen.set(jti, exp);
    this.lines++;
    this.lastClaimMs = Date.now();
    if (durableMode) this.keepLease();
    // not while an fdatasync is in flight on the fd rotation closes (its number could be reused)
    if (!this.syncing && this.lines > 1000 && this.lines > 2 * this.seen.size) this.rotate();
    return true;
  }

  /** Resolves when everything claimed so far is on the disk (tests, orderly shutdown). */
  flushed(): Promise<void> {
    if (!this.syncing && !this.syncAgain && !this.syncSoon) return Promise.resolve();
    return new Promise((resolve) => this.afterSync.push(resolve));
  }

  private writeLease(): void {
    this.leaseWritten = this.now() + LEASE_S;
    writeSync(this.fd, JSON.stringify({ lease: this.leaseWritten, boot: this.bootId }) + '\n');
    this.lines++;
  }

  /**
   * {@link scheduleSync} once the event loop turns: a claim's program is accepted and on its
   * way to the kernel first (nothing waits for this fdatasync; handing it to the thread pool
   * wakes a thread, which on a busy machine costs the run it would sit in front of).
   */
  private scheduleSyncSoon(): void {
    if (this.syncSoon) return;
    this.syncSoon = true;
    setImmediate(() => {
      this.syncSoon = false;
      if (!this.closed) this.scheduleSync();
      else if (!this.syncing) for (const done of this.afterSync.splice(0)) done(); // close() synced
    });
  }

  /** Group commit: one fdatasync in flight; writes made meanwhile get the next one. */
  private scheduleSync(): void {
    if (this.syncing) {
      this.syncAgain = true;
      return;
    }
    this.syncing = true;
    const lease = this.leaseWritten;
    const fd = this.fd;
    fdatasync(fd, (err) => {
      this.syncing = false;
      // a lease counts only once an fdatasync issued after its write succeeded
      if (!err && fd === this.fd) this.leaseDurable = Math.max(this.leaseDurable, lease);
      if (this.syncAgain && !this.closed) {
        this.syncAgain = false;
        this.scheduleSync();
        return;
      }
      this.syncAgain = false;
      for (const done of this.afterSync.splice(0)) done();
    });
  }

  /** Renew the lease in the background while programs keep arriving. */
  private keepLease(): void {
    if (this.leaseWritten - this.now() < LEASE_S - RENEW_EVERY_MS / 1000) {
      this.writeLease();
      this.scheduleSync();
    }
    if (this.renewTimer) return;
    this.renewTimer = setInterval(() => {
      if (this.closed) return;
      if (Date.now() - this.lastClaimMs > KEEP_LEASE_MS) {
        clearInterval(this.renewTimer);
        this.renewTimer = undefined;
        return;
      }
      this.writeLease();
      this.scheduleSync();
    }, RENEW_EVERY_MS);
    this.renewTimer.unref();
  }

  private dropExpired(): void {
    const now = this.now();
    for (const [jti, exp] of this.seen) if (exp + RETAIN_AFTER_EXP_S <= now) this.seen.delete(jti);
    // past this, every program the fence refuses has expired anyway
    if (this.fence + MAX_PROGRAM_TTL_S + CLOCK_TOLERANCE_S + RETAIN_AFTER_EXP_S <= now) {
      this.fence = 0;
    }
  }

  /** Rewrite the file with only live entries, the fence and the lease (fsync + rename). */
  private compact(): void {
    this.dropExpired();
    const body =
      [...this.seen].map(([jti, exp]) => JSON.stringify({ jti, exp }) + '\n').join('') +
      (this.fence > 0 ? JSON.stringify({ fence: this.fence }) + '\n' : '') +
      (this.leaseDurable > this.now()
        ? JSON.stringify({ lease: this.leaseDurable, boot: this.bootId }) + '\n'
        : '');
    writePrivateFile(this.file, body);
    this.lines = this.seen.size;
  }

  private rotate(): void {
    closeSync(this.fd);
    this.compact();
    this.fd = openSync(this.file, 'a', 0o600);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.renewTimer);
    // the page cache keeps what was written; an orderly stop also puts it on the disk
    try {
      fdatasyncSync(this.fd);
    } finally {
      closeSync(this.fd);
    }
  }
}
