import { useEffect, useMemo, useState } from 'react';
import type { TableData } from './frames';
import { FilterIndex, filterSteps, isEmptyFilter, runSliced, type RowFilter } from './tableFilter';
import { allRows } from './tableModel';

/**
 * The rows of `data` that pass `filter`, computed in slices between frames. While a new filter
 * runs, the previous result stays on screen (`pending` is true); an empty filter is all rows
 * at once.
 */
export function useFilteredRows(
  data: TableData,
  filter: RowFilter,
): { rows: Uint32Array; pending: boolean } {
  const index = useMemo(() => new FilterIndex(data), [data]);
  const all = useMemo(() => allRows(data.rowCount), [data]);
  const empty = isEmptyFilter(filter);
  const [done, setDone] = useState<{ for: RowFilter; data: TableData; rows: Uint32Array } | null>(
    null,
  );
  useEffect(() => {
    if (empty) return;
    return runSliced(filterSteps(data, filter, index), (rows) =>
      setDone({ for: filter, data, rows }),
    );
  }, [data, filter, index, empty]);
  if (empty) return { rows: all, pending: false };
  if (!done) return { rows: all, pending: true };
  const current = done.for === filter && done.data === data;
  // an older result of a growing table: its row indices are still rows of this one
  return { rows: done.rows, pending: !current };
}
