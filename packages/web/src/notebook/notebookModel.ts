import {
  canonicalJson,
  cellTypeInfo,
  type Cell,
  type CellInput,
  type CellType,
} from '@spin/protocol';

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

/** A new cell of `type`, with the source and parameters its cell type starts with. */
export function emptyCell(type: CellType, id: string = newCellId()): Cell {
  const defaults = cellTypeInfo(type)?.defaults;
  const params =
    defaults && Object.keys(defaults.params).length ? { params: { ...defaults.params } } : {};
  return { id, type, source: defaults?.source ?? '', ...params, outputs: [], lastRun: null };
}

/** The editable part of one cell: optional fields only when set. */
export function cellInput(c: Cell): CellInput {
  return {
    id: c.id,
    type: c.type,
    source: c.source,
    ...(c.params !== undefined ? { params: c.params } : {}),
    ...(c.connection ? { connection: c.connection } : {}),
    ...(c.resultVar ? { resultVar: c.resultVar } : {}),
    ...(c.timeRange ? { timeRange: c.timeRange } : {}),
  };
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
  return cells.map(cellInput);
}

/** The fields of a cell the editor changes. */
export type CellPatch = Partial<
  Pick<Cell, 'source' | 'type' | 'params' | 'connection' | 'resultVar' | 'timeRange'>
>;

/** Switch a cell to another type: its parameters start over from the new type's defaults. */
export function retypeCell(cell: Cell, type: CellType): CellPatch {
  const defaults = cellTypeInfo(type)?.defaults.params ?? {};
  return { type, params: Object.keys(defaults).length ? { ...defaults } : undefined };
}

export function insertCell(cells: readonly Cell[], index: number, cell: Cell): Cell[] {
  const i = Math.max(0, Math.min(index, cells.length));
  return [...cells.slice(0, i), cell, ...cells.slice(i)];
}

export function removeCell(cells: readonly Cell[], id: string): Cell[] {
  return cells.filter((c) => c.id !== id);
}

/** Apply a patch to one cell, keeping the identity of every other cell (cheap re-renders). */
export function updateCell(cells: readonly Cell[], id: string, patch: CellPatch): Cell[] {
  return cells.map((c) => {
    if (c.id !== id) return c;
    const next: Cell = { ...c, ...patch };
    // A patch that clears an optional field removes it (undefined never reaches a save).
    for (const [k, v] of Object.entries(patch))
      if (v === undefined) delete next[k as keyof CellPatch];
    return next;
  });
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

/** Whether two documents (title, settings, cell inputs) have the same content. */
export function sameContent(
  a: { title: string; settings?: unknown; cells: readonly CellInput[] },
  b: { title: string; settings?: unknown; cells: readonly CellInput[] },
): boolean {
  if (a.title !== b.title || a.cells.length !== b.cells.length) return false;
  // Canonical JSON: the server's jsonb does not keep object key order.
  if (canonicalJson(a.settings ?? null) !== canonicalJson(b.settings ?? null)) return false;
  return a.cells.every((c, i) => canonicalJson(c) === canonicalJson(b.cells[i]));
}
