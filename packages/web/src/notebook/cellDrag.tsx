import {
  useRef,
  useState,
  type DragEvent,
  type KeyboardEvent,
  type ReactElement,
  type RefObject,
} from 'react';
import type { Cell } from '@spin/protocol';

/**
 * Drag a cell by its handle to reorder the notebook (JupyterLab's habit), with native HTML5 drag
 * and drop: a handle per cell costs one element and no listeners beyond its own (off-screen cells
 * draw a toolbar stub without one), and one set of listeners on the cell list finds the drop
 * place from the cell under the pointer — static off-screen cells included. A drop is one
 * `setCells`, saved like any other move.
 */

/** The drag data type of a cell id (other drags — files, text — are not ours). */
export const CELL_DRAG_TYPE = 'application/x-spin-cell';

/** Where a dragged cell lands: before or after `targetId`. */
export interface CellDrop {
  targetId: string;
  place: 'before' | 'after';
}

/** `cells` with `id` moved before or after `targetId`; the same array when nothing moves. */
export function moveCellTo(cells: Cell[], id: string, drop: CellDrop): Cell[] {
  const from = cells.findIndex((c) => c.id === id);
  if (from < 0 || id === drop.targetId) return cells;
  const rest = cells.filter((c) => c.id !== id);
  const target = rest.findIndex((c) => c.id === drop.targetId);
  if (target < 0) return cells;
  const at = target + (drop.place === 'after' ? 1 : 0);
  if (at === from) return cells;
  return [...rest.slice(0, at), cells[from]!, ...rest.slice(at)];
}

/** The handle's drag start: carry the cell id and show the whole cell as the drag image. */
function startCellDrag(e: DragEvent<HTMLElement>, cellId: string): void {
  e.dataTransfer.setData(CELL_DRAG_TYPE, cellId);
  e.dataTransfer.effectAllowed = 'move';
  const cell = e.currentTarget.closest('[data-testid="cell"]');
  if (cell) e.dataTransfer.setDragImage(cell, 12, 12);
}

/**
 * A cell's drag handle (in its toolbar). Keyboard users move the cell with ↑/↓ on the handle, as
 * with Ctrl+Shift+↑/↓ in command mode.
 */
export function CellDragHandle({
  cellId,
  index,
  onMove,
}: {
  cellId: string;
  index: number;
  onMove: (cellId: string, delta: -1 | 1) => void;
}) {
  const onKeyDown = (e: KeyboardEvent<HTMLSpanElement>) => {
    if (e.key !== 'ArrowUp' && e.key !== 'ArrowDown') return;
    e.preventDefault();
    e.stopPropagation(); // not command mode's arrows (they move the selection)
    onMove(cellId, e.key === 'ArrowUp' ? -1 : 1);
  };
  return (
    <span
      className="cell-drag-handle"
      data-testid="cell-drag-handle"
      role="button"
      tabIndex={0}
      draggable
      title="Drag to move the cell (or ↑/↓ here; Ctrl+Shift+↑/↓ in command mode)"
      aria-label={`Move cell ${index + 1}: drag, or press the up and down arrows`}
      onDragStart={(e) => startCellDrag(e, cellId)}
      onKeyDown={onKeyDown}
    >
      ⠿
    </span>
  );
}

/** Where the drop indicator is drawn: the drop and its offset in the cell list. */
interface Indicator extends CellDrop {
  top: number;
}

/**
 * Drop handling for the cell list: spread `listProps` on it (it must be `position: relative`)
 * and render `indicator` inside it. A drop moves the cell in `cellsRef` through `setCells`.
 */
export function useCellDrop(
  enabled: boolean,
  cellsRef: RefObject<Cell[]>,
  setCells: (next: Cell[]) => void,
): {
  listProps: {
    onDragOver?: (e: DragEvent<HTMLElement>) => void;
    onDragLeave?: (e: DragEvent<HTMLElement>) => void;
    onDrop?: (e: DragEvent<HTMLElement>) => void;
    onDragEnd?: () => void;
  };
  indicator: ReactElement | null;
} {
  const [at, setAt] = useState<Indicator | null>(null);
  const last = useRef<Indicator | null>(null);
  const show = (next: Indicator | null) => {
    const prev = last.current;
    if (prev?.targetId === next?.targetId && prev?.place === next?.place) return;
    last.current = next;
    setAt(next);
  };
  if (!enabled) return { listProps: {}, indicator: null };

  const place = (e: DragEvent<HTMLElement>): Indicator | null => {
    const cell = (e.target as Element).closest<HTMLElement>('[data-cell-id]');
    if (!cell || !e.currentTarget.contains(cell)) return last.current;
    const rect = cell.getBoundingClientRect();
    const after = e.clientY > rect.top + rect.height / 2;
    const list = e.currentTarget.getBoundingClientRect();
    return {
      targetId: cell.dataset.cellId!,
      place: after ? 'after' : 'before',
      top: (after ? rect.bottom : rect.top) - list.top,
    };
  };
  return {
    listProps: {
      onDragOver: (e) => {
        if (!e.dataTransfer.types.includes(CELL_DRAG_TYPE)) return;
        e.preventDefault(); // a drop target
        e.dataTransfer.dropEffect = 'move';
        show(place(e));
      },
      onDragLeave: (e) => {
        const to = e.relatedTarget as Node | null;
        if (!to || !e.currentTarget.contains(to)) show(null);
      },
      onDrop: (e) => {
        const id = e.dataTransfer.getData(CELL_DRAG_TYPE);
        const drop = place(e);
        show(null);
        if (!id || !drop) return;
        e.preventDefault();
        const next = moveCellTo(cellsRef.current, id, drop);
        if (next !== cellsRef.current) setCells(next);
      },
      onDragEnd: () => show(null),
    },
    indicator: at && (
      <div
        className="cell-drop-indicator"
        data-testid="cell-drop-indicator"
        data-target-id={at.targetId}
        data-place={at.place}
        aria-hidden="true"
        style={{ top: at.top }}
      />
    ),
  };
}
