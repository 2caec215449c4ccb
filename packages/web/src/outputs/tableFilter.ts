import type { TableData } from './frames';
import { allRows, formatCell } from './tableModel';

/**
 * Filtering a columnar table result by row index, in slices: the work is a generator that
 * yields every {@link FILTER_SLICE_ROWS} rows, so the grid runs it a few milliseconds at a time
 * between frames (see {@link runSliced}) and typing into the filter never stalls the page.
 */

/** Rows handled between two yields (cell text built or rows tested). */
export const FILTER_SLICE_ROWS = 8192;

const isNull = (v: unknown) => v === null || v === undefined;

/** Lower-cased cell text of each column, built once (in slices) and reused by every filter. */
export class FilterIndex {
  private readonly text = new Map<number, string[]>();
  private readonly built = new Map<number, number>();

  constructor(private readonly data: TableData) {}

  /** Build column `c`'s text, yielding between slices; resumes where a cancelled build stopped. */
  *build(c: number): Generator<void, string[]> {
    const col = this.data.columns[c] ?? [];
    const field = this.data.fields[c];
    const n = this.data.rowCount;
    let t = this.text.get(c);
    if (!t) this.text.set(c, (t = new Array<string>(n)));
    let r = this.built.get(c) ?? 0;
    while (r < n) {
      const end = Math.min(n, r + FILTER_SLICE_ROWS);
      for (; r < end; r++) t[r] = formatCell(col[r], field).toLowerCase();
      this.built.set(c, r);
      if (r < n) yield;
    }
    return t;
  }
}

/** What to keep: rows whose text contains `global` in any column and each column's needle. */
export interface RowFilter {
  global: string;
  /** Column index → needle (empty needles are ignored). */
  columns: ReadonlyMap<number, string>;
}

/** True when the filter keeps every row. */
export function isEmptyFilter(filter: RowFilter): boolean {
  return !filter.global.trim() && [...filter.columns.values()].every((n) => !n.trim());
}

/**
 * Indices of the rows that pass the filter (case-insensitive substring match on the text the
 * cell shows; the needle `null` also matches null cells), as sliced work.
 */
export function* filterSteps(
  data: TableData,
  filter: RowFilter,
  index: FilterIndex,
): Generator<void, Uint32Array> {
  const global = filter.global.trim().toLowerCase();
  const perColumn = [...filter.columns]
    .map(([c, n]) => [c, n.trim().toLowerCase()] as const)
    .filter(([c, n]) => n !== '' && data.columns[c]);
  if (!global && perColumn.length === 0) return allRows(data.rowCount);
  const colTexts: (readonly [number, string, string[]])[] = [];
  for (const [c, n] of perColumn) colTexts.push([c, n, yield* index.build(c)]);
  const texts: string[][] = [];
  if (global) for (let c = 0; c < data.fields.length; c++) texts.push(yield* index.build(c));
  const nullNeedle = (c: number, needle: string, r: number) =>
    needle === 'null' && isNull(data.columns[c]![r]);
  const keep = new Uint32Array(data.rowCount);
  let n = 0;
  for (let r = 0; r < data.rowCount; r++) {
    if (r > 0 && r % FILTER_SLICE_ROWS === 0) yield;
    let ok = true;
    for (const [c, needle, text] of colTexts) {
      if (!text[r]!.includes(needle) && !nullNeedle(c, needle, r)) {
        ok = false;
        break;
      }
    }
    if (ok && global) {
      ok = false;
      for (let c = 0; c < texts.length; c++) {
        if (texts[c]![r]!.includes(global) || nullNeedle(c, global, r)) {
          ok = true;
          break;
        }
      }
    }
    if (ok) keep[n++] = r;
  }
  return keep.slice(0, n);
}

/** The filter's rows, all at once (tests, small tables). */
export function filterRows(data: TableData, filter: RowFilter, index: FilterIndex): Uint32Array {
  const steps = filterSteps(data, filter, index);
  for (;;) {
    const s = steps.next();
    if (s.done) return s.value;
  }
}

/** Main-thread time one slice run may take before it yields to the page (ms). */
const SLICE_BUDGET_MS = 8;

/**
 * Drive sliced work between frames, from the next macrotask on: run steps for up to a few
 * milliseconds, then give the page a turn (input and rendering go first), until it is done.
 * Returns a cancel function; `done` is never called after it.
 */
export function runSliced<T>(steps: Generator<void, T>, done: (value: T) => void): () => void {
  let cancelled = false;
  const tick = () => {
    if (cancelled) return;
    const t0 = performance.now();
    for (;;) {
      const s = steps.next();
      if (s.done) {
        done(s.value);
        return;
      }
      if (performance.now() - t0 > SLICE_BUDGET_MS) break;
    }
    setTimeout(tick, 0);
  };
  setTimeout(tick, 0); // not inside the caller's task (a React effect after a keystroke)
  return () => {
    cancelled = true;
  };
}
