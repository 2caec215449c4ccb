import { join, dirname } from 'node:path';
import type {
  AccessTokenClaims,
  JournalEvent,
  ProgramClaims,
  RuntimeMessage,
} from '@spin/protocol';
import type { KernelClient } from '../kernels/kernelClient.js';
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
  /** A session-wide message that is not a journal event (e.g. the owner changed). */
  notify?(msg: RuntimeMessage): void;
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
  private closed = false;
  private readonly ownership: SessionOwnership;

  constructor(
    readonly sid: string,
    journalDir: string,
    readonly workDir: string,
    private readonly deps: SessionDeps,
    /** The work dir as the session's kernels see it (inside the sandbox). */
    kernelWorkDir: string = workDir,
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
    this.kernelStarting = this.deps.kernels.start(name, this.sid, this.workDir);
    try {
      const k = await this.kernelStarting;
      if (this.closed) {
        await k.shutdown();
        throw new Error('session closed');
      }
      this.kernel = k;
      return k;
    } finally {
      this.kernelStarting = null;
    }
  }

  /** Stop accepting work, end the running cell, shut the kernel down, close the journal. */
  async close(): Promise<void> {
    this.queue.length = 0;
    this.current?.interrupt();
    const kernel = this.kernel;
    this.kernel = null;
    await kernel?.shutdown();
    if (this.running) {
      await Promise.race([this.running, new Promise((r) => setTimeout(r, 3000))]);
    }
    this.closed = true;
    this.subscribers.clear();
    this.journal.close();
  }
}
