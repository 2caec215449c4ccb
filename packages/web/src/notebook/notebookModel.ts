import type { Cell, CellInput, CellType } from '@spin/protocol';

/**
 * Pure edits of a notebook's cell list and the Jupyter keyboard rules for moving on after a
 * run. Kept free of React so they are unit-tested and reused by every handler.
 */

/** A random cell id that satisfies the protocol's `CellIdSchema` (letters, digits, - and _). */
export function newCellId(): string {
  const bytes = new Uint8Array(9);
  crypto.getRandomValues(bytes);
  let s = '';
  for (const b of bytes) s += b.toString(36).padStart(2, '0');
  return 'c' + s.slice(0, 16);
}

export function emptyCell(type: CellType, id: string = newCellId()): Cell {
  return { id, type, source: '', outputs: [], lastRun: null };
}

/**
 * The cell to put in edit mode when a notebook opens: the first one of a notebook with nothing
 * written yet (a new notebook), so the user can type straight away, as in Jupyter. A notebook
 * with content opens without stealing focus.
 */
export function initialFocus(cells: readonly Cell[]): string | null {
  const [first] = cells;
  return first && cells.every((c) => c.source.trim() === '') ? first.id : null;
}

/** The editable part of cells, as sent to `updateNotebook`. */
export function cellInputs(cells: readonly Cell[]): CellInput[] {
  return cells.map(({ id, type, source }) => ({ id, type, source }));
}

export function insertCell(cells: readonly Cell[], index: number, cell: Cell): Cell[] {
  const i = Math.max(0, Math.min(index, cells.length));
  return [...cells.slice(0, i), cell, ...cells.slice(i)];
}

export function removeCell(cells: readonly Cell[], id: string): Cell[] {
  return cells.filter((c) => c.id !== id);
}

/** Apply a patch to one cell, keeping the identity of every other cell (cheap re-renders). */
export function updateCell(
  cells: readonly Cell[],
  id: string,
  patch: Partial<Pick<Cell, 'source' | 'type'>>,
): Cell[] {
  return cells.map((c) => (c.id === id ? { ...c, ...patch } : c));
}

/** Keyboard run modes: Shift+Enter, Ctrl/Cmd+Enter, Alt+Enter (Jupyter semantics). */
export type RunMode = 'advance' | 'stay' | 'insert-below';

/** What to do after running a cell from the keyboard. */
export interface AfterRunPlan {
  /** A cell to insert, and where. */
  insert?: { index: number; cell: Cell };
  /** The cell whose editor gets focus next (null = keep focus where it is). */
  focusId: string | null;
}

/**
 * Shift+Enter moves to the next cell, creating one of the same type when the cell was the
 * last; Ctrl/Cmd+Enter stays; Alt+Enter always inserts a new cell below and moves into it.
 */
export function planAfterRun(
  cells: readonly Pick<Cell, 'id' | 'type'>[],
  cellId: string,
  mode: RunMode,
  makeId: () => string = newCellId,
): AfterRunPlan {
  const index = cells.findIndex((c) => c.id === cellId);
  const current = cells[index];
  if (!current || mode === 'stay') return { focusId: null };
  const next = cells[index + 1];
  if (mode === 'advance' && next) return { focusId: next.id };
  const cell = emptyCell(current.type, makeId());
  return { insert: { index: index + 1, cell }, focusId: cell.id };
}

/** Whether two sets of cell inputs (and titles) are the same document content. */
export function sameContent(
  a: { title: string; cells: readonly CellInput[] },
  b: { title: string; cells: readonly CellInput[] },
): boolean {
  if (a.title !== b.title || a.cells.length !== b.cells.length) return false;
  return a.cells.every((c, i) => {
    const d = b.cells[i]!;
    return c.id === d.id && c.type === d.type && c.source === d.source;
  });
}
