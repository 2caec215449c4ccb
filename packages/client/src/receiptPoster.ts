import type { Output } from '@spin/protocol';
import { ApiError } from './errors.js';
import type { ServerApi } from './serverApi.js';

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
 * posted (the relaying client went away before the cell ended) is recovered by whichever client
 * next replays the journal: replayed receipts are checked against the server in one
 * pending-receipts request and only the missing ones are posted.
 */
export class ReceiptPoster {
  /** Runs whose receipt this client posted, or that the server already holds. */
  private readonly posted = new Set<string>();
  /** Runs this client relayed (it posts their receipts). */
  private readonly relayed = new Set<string>();
  private readonly deferred = new Map<string, Deferred>();

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
    if (replaying) return this.defer(jti, receipt, outputs);
    if (!this.relayed.has(jti)) return Promise.resolve(null);
    return this.post(jti, receipt, outputs());
  }

  private defer(jti: string, receipt: string, outputs: () => Output[]): Promise<number | null> {
    if (this.posted.has(jti)) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      this.deferred.set(jti, { jti, receipt, outputs, settle: (p) => p.then(resolve, reject) });
    });
  }

  /**
   * Relay the receipts met while replaying — but only those the server still lacks, asked in
   * one request per 1000 runs, so reloading a long session does not re-post its whole history.
   */
  async flushDeferred(): Promise<void> {
    const batch = [...this.deferred.values()];
    this.deferred.clear();
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
    for (const d of this.deferred.values()) d.settle(Promise.reject(reason));
    this.deferred.clear();
  }
}
