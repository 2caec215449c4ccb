import type { Output } from '@spin/protocol';
import { ApiError } from './errors.js';
import type { ServerApi } from './serverApi.js';

/**
 * How long a client that did not relay a run waits (plus up to as much again, at random) for the
 * relaying client's post before it checks the server for the receipt itself.
 */
export const RELAYER_GRACE_MS = 2000;

/** A receipt met while a journal replayed, waiting to learn whether the server has it. */
interface Deferred {
  jti: string;
  receipt: string;
  outputs: () => Output[];
  settle: (p: Promise<number | null>) => void;
}

/**
 * Posts runtime-signed receipts to the server (DESIGN.md §1 step 7) — once per run across all
 * the clients attached to a session (issue 13): live, only the client that relayed the program
 * posts its receipt; the others see the same `cell_ended` and post nothing. A receipt nobody
 * posted (the relaying client went away before the cell ended) is recovered by the others: each
 * checks, a few seconds after the run ended (jittered, batched), whether the server has it, and
 * posts it if not — so a run watched by anyone is audited even when its relayer left (a reload
 * mid-cell). A client that replays the journal later does the same for what it meets there.
 */
export class ReceiptPoster {
  /** Runs whose receipt this client posted, or that the server already holds. */
  private readonly posted = new Set<string>();
  /** Runs this client relayed (it posts their receipts). */
  private readonly relayed = new Set<string>();
  private readonly deferred = new Map<string, Deferred>();
  /** Live runs another client relayed: checked against the server after the grace period. */
  private readonly watched = new Map<string, Deferred>();
  private watchTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly api: ServerApi,
    private readonly sid: string,
    private readonly on: {
      posted: (jti: string, auditSeq: number) => void;
      failed: (jti: string, error: ApiError) => void;
    },
    knownJtis: Iterable<string> = [],
  ) {
    for (const jti of knownJtis) this.posted.add(jti);
  }

  /** This client relays run `jti`: its receipt is this client's to post. */
  markRelayed(jti: string): void {
    this.relayed.add(jti);
  }

  /**
   * Run `jti` ended with `receipt`. Resolves with the audit seq once the server recorded it,
   * or null when another client posts it (or did); rejects if the server refused it.
   */
  ended(
    jti: string,
    receipt: string,
    outputs: () => Output[],
    replaying: boolean,
  ): Promise<number | null> {
    if (replaying) return this.defer(this.deferred, jti, receipt, outputs);
    if (!this.relayed.has(jti)) {
      const p = this.defer(this.watched, jti, receipt, outputs);
      this.watchTimer ??= setTimeout(
        () => {
          this.watchTimer = null;
          const batch = [...this.watched.values()];
          this.watched.clear();
          void this.flush(batch);
        },
        // the relaying client posts at once; the others look after it, not all at the same time
        RELAYER_GRACE_MS * (1 + Math.random()),
      );
      (this.watchTimer as { unref?: () => void }).unref?.();
      return p;
    }
    return this.post(jti, receipt, outputs());
  }

  private defer(
    into: Map<string, Deferred>,
    jti: string,
    receipt: string,
    outputs: () => Output[],
  ): Promise<number | null> {
    if (this.posted.has(jti)) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      into.set(jti, { jti, receipt, outputs, settle: (p) => p.then(resolve, reject) });
    });
  }

  /**
   * Relay the receipts met while replaying — but only those the server still lacks, asked in
   * one request per 1000 runs, so reloading a long session does not re-post its whole history.
   */
  async flushDeferred(): Promise<void> {
    const batch = [...this.deferred.values()];
    this.deferred.clear();
    await this.flush(batch);
  }

  private async flush(batch: Deferred[]): Promise<void> {
    for (let i = 0; i < batch.length; i += 1000) {
      const chunk = batch.slice(i, i + 1000);
      let pending: Set<string> | null = null;
      try {
        const res = await this.api.pendingReceipts(
          this.sid,
          chunk.map((d) => d.jti),
        );
        pending = new Set(res.pending);
      } catch {
        pending = null; // fall back to posting each; duplicates are answered 409 and ignored
      }
      for (const d of chunk) {
        if (pending && !pending.has(d.jti)) {
          this.posted.add(d.jti);
          d.settle(Promise.resolve(null));
        } else {
          d.settle(this.post(d.jti, d.receipt, d.outputs()));
        }
      }
    }
  }

  private async post(jti: string, receipt: string, outputs: Output[]): Promise<number | null> {
    if (this.posted.has(jti)) return null;
    this.posted.add(jti);
    try {
      const res = await this.api.submitReceipt({ receipt, outputs });
      this.on.posted(jti, res.auditSeq);
      return res.auditSeq;
    } catch (err) {
      const error = err instanceof ApiError ? err : new ApiError('client.error', String(err));
      // Another client (a reload replaying the journal) may have posted it first: that is fine.
      if (error.code === 'receipt.duplicate') return null;
      this.on.failed(jti, error);
      throw error;
    }
  }

  /** Receipts still waiting settle with `reason`. */
  close(reason: ApiError): void {
    if (this.watchTimer) clearTimeout(this.watchTimer);
    this.watchTimer = null;
    for (const d of [...this.deferred.values(), ...this.watched.values()]) {
      d.settle(Promise.reject(reason));
    }
    this.deferred.clear();
    this.watched.clear();
  }
}
