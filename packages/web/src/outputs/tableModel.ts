import type { Field } from '@spin/protocol';
import type { TableData } from './frames';

/**
 * Sorting and filtering a columnar table result (SPIN's `application/vnd.spin.table+json`) by
 * row index. The grid hands TanStack Table only the rows on screen, with sorting and filtering
 * "manual" (TanStack's term for data ordered outside it): its own row models build a `Row`
 * object per row of the whole result, which for 100,000 rows took seconds here, while an index
 * permutation over the columns costs one typed array.
 */

/** How a value is shown in a cell and written to a text filter's haystack. */
export function formatCell(v: unknown, field: Field | undefined): string {
  if (v === null || v === undefined) return '';
  switch (field?.type) {
    case 'time':
      return typeof v === 'number' ? formatTime(v) : String(v);
    case 'json':
      return typeof v === 'string' ? v : JSON.stringify(v);
    default:
      return typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
}

/** Epoch milliseconds as `2026-12-02 12:45:28.123` (UTC; the column header says so). */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return String(ms);
  const iso = d.toISOString(); // 2026-12-02T12:45:28.123Z
  return `${iso.slice(0, 10)} ${iso.endsWith('.000Z') ? iso.slice(11, 19) : iso.slice(11, 23)}`;
}

/** One sorted column: its index in `fields` and the direction. */
export interface ColumnSortSpec {
  column: number;
  desc: boolean;
}

const isNull = (v: unknown) => v === null || v === undefined;

/** A comparable form of a non-null value: numbers and strings as they are, the rest as text. */
function sortKey(v: unknown): number | string {
  if (typeof v === 'number' || typeof v === 'string') return v;
  if (typeof v === 'boolean') return Number(v);
  return JSON.stringify(v);
}

/**
 * Each row's rank in column order: equal values share a rank, nulls rank after everything
 * (`nullRank`). Sorting the distinct values natively and then ordering rows by rank with a
 * counting sort is far cheaper than a comparator sort over all rows: 100,000 rows stalled the
 * page for seconds that way.
 */
export interface ColumnRanks {
  ranks: Uint32Array;
  nullRank: number;
}

export function rankColumn(col: readonly unknown[], n = col.length): ColumnRanks {
  const numbers = new Set<number>();
  const strings = new Set<string>();
  for (let r = 0; r < n; r++) {
    const v = col[r];
    if (isNull(v)) continue;
    const k = sortKey(v);
    if (typeof k === 'number') numbers.add(k);
    else strings.add(k);
  }
  // numbers before strings when a column mixes them (as pandas cannot, but JSON can)
  const sortedNumbers = Float64Array.from(numbers).sort();
  const sortedStrings = [...strings].sort();
  const rankOf = new Map<number | string, number>();
  sortedNumbers.forEach((k, i) => rankOf.set(k, i));
  sortedStrings.forEach((k, i) => rankOf.set(k, sortedNumbers.length + i));
  const nullRank = sortedNumbers.length + sortedStrings.length;
  const ranks = new Uint32Array(n);
  for (let r = 0; r < n; r++) {
    const v = col[r];
    ranks[r] = isNull(v) ? nullRank : rankOf.get(sortKey(v))!;
  }
  return { ranks, nullRank };
}

/** Column ranks of one table result, computed the first time a column is sorted. */
export class SortIndex {
  private readonly byColumn = new Map<number, ColumnRanks>();

  constructor(private readonly data: TableData) {}

  column(c: number): ColumnRanks {
    let r = this.byColumn.get(c);
    if (!r) this.byColumn.set(c, (r = rankColumn(this.data.columns[c] ?? [], this.data.rowCount)));
    return r;
  }
}

/** The sort key of a row for one spec: descending flips the rank, nulls stay last. */
function keyed({ ranks, nullRank }: ColumnRanks, desc: boolean): (row: number) => number {
  return desc
    ? (row) => (ranks[row] === nullRank ? nullRank : nullRank - 1 - ranks[row]!)
    : (row) => ranks[row]!;
}

/**
 * `rows` (row indices) ordered by the sort specs, stable (ties keep their order). Nulls sort
 * last in both directions, as pandas does.
 */
export function sortRows(
  data: TableData,
  rows: Uint32Array,
  sorting: readonly ColumnSortSpec[],
  index: SortIndex = new SortIndex(data),
): Uint32Array {
  const specs = sorting.filter((s) => data.columns[s.column]);
  if (specs.length === 0) return rows;
  const keys = specs.map((s) => {
    const ranks = index.column(s.column);
    return { key: keyed(ranks, s.desc), buckets: ranks.nullRank + 1 };
  });
  if (keys.length === 1) return countingSort(rows, keys[0]!.key, keys[0]!.buckets);
  // several columns: least significant first, each pass stable (an LSD radix sort)
  let out = rows;
  for (let i = keys.length - 1; i >= 0; i--)
    out = countingSort(out, keys[i]!.key, keys[i]!.buckets);
  return out;
}

/** A stable counting sort of `rows` by `key(row)` in [0, buckets). */
function countingSort(
  rows: Uint32Array,
  key: (row: number) => number,
  buckets: number,
): Uint32Array {
  const counts = new Uint32Array(buckets + 1);
  const k = new Uint32Array(rows.length);
  for (let i = 0; i < rows.length; i++) counts[(k[i] = key(rows[i]!)) + 1]!++;
  for (let b = 1; b <= buckets; b++) counts[b]! += counts[b - 1]!;
  const out = new Uint32Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[counts[k[i]!]!++] = rows[i]!;
  return out;
}

/** 0, 1, …, n-1. */
export function allRows(n: number): Uint32Array {
  const rows = new Uint32Array(n);
  for (let i = 0; i < n; i++) rows[i] = i;
  return rows;
}
