import { memo } from 'react';
import type { Cell, RowData } from '@tanstack/react-table';
import type { Field } from '@spin/protocol';
import { formatCell } from './tableModel';

declare module '@tanstack/react-table' {
  // TanStack's documented way to type column meta (declaration merging)
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  interface ColumnMeta<TData extends RowData, TValue> {
    field: Field;
  }
}

/** Numbers read best right-aligned, digits under digits. */
export function alignClass(field: Field | undefined): string {
  return field?.type === 'number' || field?.type === 'integer' ? ' datagrid-num' : '';
}

/** One body cell: the value as text, a null marked as such, a time in UTC. */
export const GridCell = memo(function GridCell({
  cell,
  width,
}: {
  cell: Cell<number, unknown>;
  width: number;
}) {
  const field = cell.column.columnDef.meta?.field;
  const v = cell.getValue();
  const style = { width };
  if (v === null || v === undefined) {
    return (
      <div role="cell" className={`datagrid-cell datagrid-null${alignClass(field)}`} style={style}>
        null
      </div>
    );
  }
  const text = formatCell(v, field);
  return (
    <div
      role="cell"
      className={`datagrid-cell type-${field?.type ?? 'string'}${alignClass(field)}`}
      style={style}
      title={text.length > 24 ? text : field?.type === 'time' ? `${text} UTC` : undefined}
    >
      {text}
    </div>
  );
});
