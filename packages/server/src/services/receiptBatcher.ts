/**
 * Lets receipts wait for compiles: the server counts compiles in flight, and a receipt batch is
 * written only when none is (or after `maxWaitMs`, so a steady stream of compiles cannot starve
 * the audit). A receipt posted back to back with the next cell's compile thus never holds the
 * database (PGlite runs one statement at a time) while that compile waits.
 */
export class CompileGate {
  private inFlight = 0;
  private waiters: Array<() => void> = [];

  /** Run a compile; batches wait while any is running. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    this.inFlight++;
    try {
      return await fn();
    } finally {
      if (--this.inFlight === 0) for (const wake of this.waiters.splice(0)) wake();
    }
  }

  /** Resolves when no compile is running, or after `maxWaitMs`. */
  idle(maxWaitMs: number): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, maxWaitMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/** One item's outcome in a flushed batch. */
export type BatchOutcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

/**
 * Collects items and hands them to `flush` in batches — one call per batch, so one transaction
 * per batch — after the current turn of the event loop and once the gate is idle. Each `add`
 * resolves or rejects with its own item's outcome; a failed flush rejects the whole batch.
 */
export class Batcher<I, R> {
  private queue: Array<{ item: I; resolve: (r: R) => void; reject: (e: unknown) => void }> = [];
  private running: Promise<void> | null = null;

  constructor(
    private readonly flush: (items: I[]) => Promise<BatchOutcome<R>[]>,
    private readonly gate: CompileGate,
    private readonly opts: { maxBatch: number; maxWaitMs: number } = {
      maxBatch: 256,
      maxWaitMs: 100,
    },
  ) {}

  add(item: I): Promise<R> {
    const done = new Promise<R>((resolve, reject) => this.queue.push({ item, resolve, reject }));
    this.running ??= this.drain().finally(() => {
      this.running = null;
      if (this.queue.length > 0) this.running ??= this.drain();
    });
    return done;
  }

  /** Resolves once everything added so far is flushed. */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    await new Promise((r) => setImmediate(r)); // let this turn's receipts join the batch
    while (this.queue.length > 0) {
      await this.gate.idle(this.opts.maxWaitMs);
      const batch = this.queue.splice(0, this.opts.maxBatch);
      try {
        const outcomes = await this.flush(batch.map((b) => b.item));
        batch.forEach((b, i) => {
          const o = outcomes[i]!;
          if (o.ok) b.resolve(o.value);
          else b.reject(o.error);
        });
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
    }
  }
}
