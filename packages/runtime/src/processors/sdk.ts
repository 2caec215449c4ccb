import type { Field, TableFrame } from '@spin/protocol';
import type { ProcessorFrame } from './types.js';

/**
 * What a processor folder may import from the runtime (besides `@spin/protocol`): its types
 * and small helpers every integration needs. Lint forbids processors any other runtime import.
 */
export * from './types.js';
export { FrameQueue } from './frameQueue.js';
export { httpError, retryAfterSeconds } from './httpErrors.js';
export * from './vendorHttp.js';

/**
 * Cuts rows into table frames of at most `pageRows` rows, so a large result streams as pages
 * (DESIGN.md §3) and is never held whole: push rows as they arrive, then `end()`.
 */
export class TablePager {
  private columns: unknown[][];
  private index = 0;
  private offset = 0;

  constructor(
    private readonly fields: Field[],
    private readonly frameId: string,
    private readonly pageRows: number,
  ) {
    this.columns = fields.map(() => []);
  }

  /** Add one row (aligned with the fields); returns a full page when one is ready. */
  push(row: readonly unknown[]): ProcessorFrame | null {
    this.fields.forEach((_, i) => this.columns[i]!.push(row[i] ?? null));
    return (this.columns[0]?.length ?? 0) >= this.pageRows ? this.flush(false) : null;
  }

  /** The final page (possibly empty, so every result has a `last` page). */
  end(total?: number): ProcessorFrame {
    return this.flush(true, total);
  }

  private flush(last: boolean, total?: number): ProcessorFrame {
    const frame: TableFrame = {
      schema: { fields: this.fields },
      columns: this.columns,
      page: {
        frameId: this.frameId,
        index: this.index,
        offset: this.offset,
        last,
        ...(total !== undefined ? { total } : {}),
      },
    };
    this.offset += this.columns[0]?.length ?? 0;
    this.index++;
    this.columns = this.fields.map(() => []);
    return { type: 'table', frame };
  }
}
