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
    ...(c.linked ? { linked: true } : {}),
    ...(c.outputsCleared ? { outputsCleared: c.outputsCleared } : {}),
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
  Pick<
    Cell,
    | 'source'
    | 'type'
    | 'params'
    | 'connection'
    | 'resultVar'
    | 'timeRange'
    | 'linked'
    | 'outputsCleared'
  >
>;

/** Switch a cell to another type: its parameters start over from the new type's defaults. */
export function retypeCell(cell: Cell, type: CellType): CellPatch {
  const defaults = cellTypeInfo(type)?.defaults.params ?? {};
  return {
    type,
    params: Object.keys(defaults).length ? { ...defaults } : undefined,
    // Markdown cells cannot be linked.
    ...(cellTypeInfo(type)?.kind === 'markdown' ? { linked: undefined } : {}),
  };
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

// ---- several cells at once (command mode: select, delete, undo, copy, paste, move)

/** Cells removed by one delete or cut, with where each stood, so the deletion can be undone. */
export interface Deletion {
  removed: { index: number; cell: Cell }[];
}

/** Remove `ids`; the result says where each cell stood. */
export function deleteCells(
  cells: readonly Cell[],
  ids: ReadonlySet<string>,
): { cells: Cell[]; deletion: Deletion } {
  const removed: Deletion['removed'] = [];
  const kept: Cell[] = [];
  cells.forEach((cell, index) =>
    ids.has(cell.id) ? removed.push({ index, cell }) : kept.push(cell),
  );
  return { cells: kept, deletion: { removed } };
}

/** Put deleted cells back where they stood (or at the end, if the notebook got shorter). */
export function restoreCells(cells: readonly Cell[], deletion: Deletion): Cell[] {
  const next = [...cells];
  const present = new Set(cells.map((c) => c.id));
  for (const { index, cell } of deletion.removed) {
    if (present.has(cell.id)) continue; // already back (e.g. pasted): never duplicate an id
    next.splice(Math.min(index, next.length), 0, cell);
  }
  return next;
}

/**
 * Copies of `clipboard` to insert at `index`: new ids, so pasting twice never duplicates an id,
 * and no outputs (they belong to the runs of the cells copied).
 */
export function pasteCells(
  cells: readonly Cell[],
  index: number,
  clipboard: readonly Cell[],
  makeId: () => string = newCellId,
): { cells: Cell[]; pasted: Cell[] } {
  const pasted = clipboard.map((c) => {
    const { outputsCleared: _cleared, ...rest } = c;
    return { ...rest, id: makeId(), outputs: [], lastRun: null };
  });
  const i = Math.max(0, Math.min(index, cells.length));
  return { cells: [...cells.slice(0, i), ...pasted, ...cells.slice(i)], pasted };
}

/**
 * Move the selected cells one place up (-1) or down (+1) as a block; nothing moves when the block
 * is already at that end.
 */
export function moveCells(cells: readonly Cell[], ids: ReadonlySet<string>, delta: -1 | 1): Cell[] {
  const indexes = cells.flatMap((c, i) => (ids.has(c.id) ? [i] : []));
  if (indexes.length === 0) return [...cells];
  const first = indexes[0]!;
  const last = indexes[indexes.length - 1]!;
  if ((delta < 0 && first === 0) || (delta > 0 && last === cells.length - 1)) return [...cells];
  const moving = cells.filter((c) => ids.has(c.id));
  const rest = cells.filter((c) => !ids.has(c.id));
  // The block lands one place past the cell it jumps over.
  const anchor = delta < 0 ? first - 1 : last + 1;
  const jumped = cells[anchor]!;
  const at = rest.indexOf(jumped) + (delta < 0 ? 0 : 1);
  return [...rest.slice(0, at), ...moving, ...rest.slice(at)];
}

/** Ids from `anchor` to `head` inclusive, in notebook order (Shift+arrows select a range). */
export function selectRange(cells: readonly Cell[], anchor: string, head: string): Set<string> {
  const a = cells.findIndex((c) => c.id === anchor);
  const b = cells.findIndex((c) => c.id === head);
  if (a < 0 || b < 0) return new Set(b >= 0 ? [head] : []);
  const [from, to] = a <= b ? [a, b] : [b, a];
  return new Set(cells.slice(from, to + 1).map((c) => c.id));
}

/** Whether a cell runs code or a query (markdown cells only render). */
export function isRunnable(cell: Pick<Cell, 'type'>): boolean {
  const kind = cellTypeInfo(cell.type)?.kind;
  return kind === 'kernel' || kind === 'processor';
}

/** Which cells "Run all", "Run above" (before the active cell) and "Run below" (from it) run. */
export function cellsToRun(
  cells: readonly Cell[],
  scope: 'all' | 'above' | 'below',
  activeId: string | null,
): Cell[] {
  const i = activeId === null ? -1 : cells.findIndex((c) => c.id === activeId);
  const slice =
    scope === 'all' || i < 0 ? cells : scope === 'above' ? cells.slice(0, i) : cells.slice(i);
  return slice.filter(isRunnable);
}

/**
 * The runnable cell that runs next when `cellId` succeeds because it is linked to it: the next
 * runnable cell, if it is linked (markdown cells between them neither link nor break a chain).
 */
export function nextLinked(cells: readonly Cell[], cellId: string): Cell | null {
  const i = cells.findIndex((c) => c.id === cellId);
  if (i < 0) return null;
  const next = cells.slice(i + 1).find(isRunnable);
  return next?.linked ? next : null;
}

/**
 * The patch "Clear outputs" makes to a cell: hide the run it shows (`shownJti`, the live or the
 * persisted one), or an imported notebook's outputs. Null when it shows nothing to clear.
 */
export function clearOutputsPatch(
  cell: Cell,
  shownJti: string | null,
): { outputsCleared: string } | null {
  if (shownJti) return { outputsCleared: shownJti };
  if (!cell.lastRun && cell.outputs.length > 0 && cell.outputsCleared !== 'imported') {
    return { outputsCleared: 'imported' };
  }
  return null;
}
