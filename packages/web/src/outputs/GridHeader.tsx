import type { KeyboardEvent } from 'react';
import type { Header, Table } from '@tanstack/react-table';
import { alignClass } from './GridCell';

/** Arrow keys on a column edge move it by this much (px); with Shift, by more. */
const KEY_STEP = 16;

const ariaSort = (s: false | 'asc' | 'desc') =>
  s === 'asc' ? 'ascending' : s === 'desc' ? 'descending' : 'none';

/**
 * The grid's header rows: column names (click to sort, the edge to resize) and a filter box
 * per column. `aria-sort` tells screen readers the order; the edge is a focusable vertical
 * separator (the ARIA window-splitter pattern) that the arrow keys resize.
 */
export function GridHeader({ table }: { table: Table<number> }) {
  const headers = table.getHeaderGroups()[0]?.headers ?? [];
  return (
    <div role="rowgroup" className="datagrid-head">
      <div role="row" className="datagrid-row datagrid-names" aria-rowindex={1}>
        {headers.map((h) => (
          <ColumnHeader key={h.id} header={h} />
        ))}
      </div>
      <div role="row" className="datagrid-row datagrid-filters" aria-rowindex={2}>
        {headers.map((h) => {
          const name = String(h.column.columnDef.header);
          return (
            <div role="cell" key={h.id} className="datagrid-cell" style={{ width: h.getSize() }}>
              <input
                type="search"
                aria-label={`Filter ${name}`}
                placeholder="filter"
                data-testid="grid-column-filter"
                value={(h.column.getFilterValue() as string | undefined) ?? ''}
                onChange={(e) => h.column.setFilterValue(e.target.value || undefined)}
              />
            </div>
          );
        })}
      </div>
    </div>
  );
}

function ColumnHeader({ header }: { header: Header<number, unknown> }) {
  const { column } = header;
  const field = column.columnDef.meta?.field;
  const name = String(column.columnDef.header);
  const sorted = column.getIsSorted();
  const size = header.getSize();
  const resize = header.getResizeHandler();
  const onKeyDown = (e: KeyboardEvent) => {
    const step = e.shiftKey ? KEY_STEP * 4 : KEY_STEP;
    const by = e.key === 'ArrowLeft' ? -step : e.key === 'ArrowRight' ? step : 0;
    if (!by) return;
    e.preventDefault();
    const min = column.columnDef.minSize ?? 20;
    const max = column.columnDef.maxSize ?? Number.MAX_SAFE_INTEGER;
    header.getContext().table.setColumnSizing((old) => ({
      ...old,
      [column.id]: Math.max(min, Math.min(max, (old[column.id] ?? size) + by)),
    }));
  };
  return (
    <div
      role="columnheader"
      aria-sort={ariaSort(sorted)}
      className={`datagrid-cell datagrid-header${alignClass(field)}`}
      style={{ width: size }}
      title={field ? `${field.type}${field.unit ? ` (${field.unit})` : ''}` : undefined}
    >
      <button
        type="button"
        className="datagrid-sort"
        data-testid="grid-sort"
        onClick={column.getToggleSortingHandler()}
      >
        <span className="datagrid-name">{name}</span>
        {field?.unit && <span className="muted"> ({field.unit})</span>}
        <span className="datagrid-sort-mark" aria-hidden="true">
          {sorted === 'asc' ? '▲' : sorted === 'desc' ? '▼' : ''}
        </span>
      </button>
      <div
        role="separator"
        aria-orientation="vertical"
        aria-label={`Resize ${name}`}
        aria-valuenow={size}
        aria-valuemin={column.columnDef.minSize}
        aria-valuemax={column.columnDef.maxSize}
        tabIndex={0}
        data-testid="grid-resize"
        className={`datagrid-resizer${column.getIsResizing() ? ' resizing' : ''}`}
        onMouseDown={resize}
        onTouchStart={resize}
        onDoubleClick={() => column.resetSize()}
        onKeyDown={onKeyDown}
      />
    </div>
  );
}
