import { memo, useDeferredValue, useEffect, useMemo, useRef, useState } from 'react';
import {
  getCoreRowModel,
  useReactTable,
  type ColumnDef,
  type ColumnFiltersState,
  type ColumnSizingState,
  type SortingState,
} from '@tanstack/react-table';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { TableData } from './frames';
import { SortIndex, sortRows, type ColumnSortSpec } from './tableModel';
import { useFilteredRows } from './useFilteredRows';
import { GridHeader } from './GridHeader';
import { GridCell } from './GridCell';
import { csvBlob, downloadBlob } from './csv';

/** Height of one body row (px); rows are fixed-height so the virtualiser never measures. */
export const ROW_HEIGHT = 28;
/** Most rows the grid's viewport shows before it scrolls. */
const VIEW_ROWS = 15;
/** Header rows (names, column filters) before the first body row. */
const HEAD_ROWS = 2;

/** Row index → the value of column `c` (TanStack's row data is the source row index). */
type Row = number;

const columnId = (c: number) => `c${c}`;
const columnIndex = (id: string) => Number(id.slice(1));

function defaultWidth(type: string, name: string): number {
  const base = type === 'string' || type === 'json' ? 200 : type === 'time' ? 190 : 110;
  return Math.max(base, Math.min(320, name.length * 9 + 40));
}

/**
 * A table result as a data grid (issue 11): click a header to sort (ascending, descending,
 * none; Shift adds a column), filter all columns or one, resize columns by dragging or with
 * the arrow keys on a header's edge, export CSV. Columns, sort/filter/size state and the header
 * and cell models are TanStack Table's; rows are virtualised with TanStack Virtual, so only the
 * rows on screen exist in the DOM and as TanStack rows (its `data` is the visible window;
 * sorting and filtering over all rows happen on row indices, see tableModel.ts).
 */
export const DataGrid = memo(function DataGrid({
  data,
  label,
}: {
  data: TableData;
  label: string;
}) {
  const [sorting, setSorting] = useState<SortingState>([]);
  const [globalFilter, setGlobalFilter] = useState('');
  const [columnFilters, setColumnFilters] = useState<ColumnFiltersState>([]);
  const [columnSizing, setColumnSizing] = useState<ColumnSizingState>({});
  const [exporting, setExporting] = useState(false);
  // typing stays responsive: the filter over every row runs in slices (useFilteredRows)
  const global = useDeferredValue(globalFilter);
  const perColumn = useDeferredValue(columnFilters);

  const sortIndex = useMemo(() => new SortIndex(data), [data]);
  const filter = useMemo(() => {
    const columns = new Map<number, string>();
    for (const f of perColumn) {
      if (typeof f.value === 'string') columns.set(columnIndex(f.id), f.value);
    }
    return { global, columns };
  }, [global, perColumn]);
  const { rows: filtered, pending } = useFilteredRows(data, filter);
  const view = useMemo(() => {
    const specs: ColumnSortSpec[] = sorting.map((s) => ({
      column: columnIndex(s.id),
      desc: s.desc,
    }));
    return sortRows(data, filtered, specs, sortIndex);
  }, [data, filtered, sorting, sortIndex]);

  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: view.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 8,
  });
  // a new order or filter starts at its first row
  useEffect(() => {
    scrollRef.current?.scrollTo({ top: 0 });
  }, [sorting, global, perColumn]);
  const items = virtualizer.getVirtualItems();
  const windowRows = useMemo(() => items.map((i) => view[i.index]!), [items, view]);

  const columns = useMemo<ColumnDef<Row>[]>(
    () =>
      data.fields.map((f, c) => ({
        id: columnId(c),
        header: f.name,
        accessorFn: (r: Row) => data.columns[c]?.[r],
        sortDescFirst: false,
        size: defaultWidth(f.type, f.name),
        minSize: 48,
        maxSize: 1600,
        meta: { field: f },
      })),
    [data],
  );
  const table = useReactTable<Row>({
    data: windowRows,
    columns,
    state: { sorting, globalFilter, columnFilters, columnSizing },
    onSortingChange: setSorting,
    onGlobalFilterChange: setGlobalFilter,
    onColumnFiltersChange: setColumnFilters,
    onColumnSizingChange: setColumnSizing,
    manualSorting: true,
    manualFiltering: true,
    columnResizeMode: 'onChange',
    getCoreRowModel: getCoreRowModel(),
    getRowId: (r) => String(r),
  });
  const rowsById = table.getRowModel().rowsById;

  const exportCsv = async () => {
    setExporting(true);
    try {
      downloadBlob(await csvBlob(data), 'result.csv');
    } finally {
      setExporting(false);
    }
  };

  const height = Math.min(view.length, VIEW_ROWS) * ROW_HEIGHT + HEAD_ROWS * ROW_HEIGHT + 2;
  const filteredOut = view.length !== data.rowCount;
  return (
    <div className="datagrid">
      <div className="datagrid-toolbar">
        <input
          type="search"
          className="datagrid-filter"
          placeholder="Filter rows…"
          aria-label="Filter rows"
          data-testid="grid-filter"
          value={globalFilter}
          onChange={(e) => table.setGlobalFilter(e.target.value)}
        />
        <span className="muted" data-testid="grid-row-count" aria-live="polite">
          {filteredOut
            ? `${view.length.toLocaleString('en-US')} of ${data.rowCount.toLocaleString('en-US')} rows`
            : `${data.rowCount.toLocaleString('en-US')} rows`}
        </span>
        <button
          type="button"
          className="btn btn-link"
          data-testid="grid-export-csv"
          disabled={exporting}
          title={`All ${data.rowCount} rows as CSV (RFC 4180)`}
          onClick={() => void exportCsv()}
        >
          {exporting ? 'Exporting…' : 'Export CSV'}
        </button>
      </div>
      <div
        ref={scrollRef}
        className="datagrid-scroll"
        style={{ height }}
        tabIndex={0}
        role="region"
        aria-label={`${label}: rows`}
        data-testid="grid-scroll"
      >
        <div
          role="table"
          aria-label={label}
          aria-busy={pending}
          aria-rowcount={view.length + HEAD_ROWS}
          aria-colcount={data.fields.length}
          className="datagrid-table"
          style={{ width: table.getTotalSize() }}
        >
          <GridHeader table={table} />
          <div
            role="rowgroup"
            className="datagrid-body"
            style={{ height: virtualizer.getTotalSize() }}
          >
            {items.map((item) => {
              const row = rowsById[String(view[item.index])];
              if (!row) return null;
              return (
                <div
                  key={item.key}
                  role="row"
                  className="datagrid-row"
                  aria-rowindex={item.index + HEAD_ROWS + 1}
                  data-row={row.original}
                  style={{ transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}
                >
                  {row.getVisibleCells().map((cell) => (
                    <GridCell key={cell.id} cell={cell} width={cell.column.getSize()} />
                  ))}
                </div>
              );
            })}
          </div>
        </div>
      </div>
      {view.length === 0 && data.rowCount > 0 && (
        <p className="muted datagrid-empty">No rows match the filter.</p>
      )}
    </div>
  );
});
