import { CellInputSchema, SpinError, type CellInput, type UpdateCellRequest } from '@spin/protocol';

/**
 * Cell operations on a notebook's cell list, as pure functions: each returns a new list or
 * throws a SpinError naming what is wrong, and never changes its input. The service saves the
 * result like any other save (version check, new version).
 */

function indexOf(cells: readonly CellInput[], cellId: string): number {
  const index = cells.findIndex((c) => c.id === cellId);
  if (index < 0)
    throw new SpinError('notebook.cell_not_found', `no cell "${cellId}" in this notebook`);
  return index;
}

function checkIndex(index: number, max: number): void {
  if (index > max) {
    throw new SpinError('request.invalid', `index ${index} is past the end (at most ${max})`);
  }
}

/** Insert `cell` at `index` (default: after the last cell). */
export function insertCell(
  cells: readonly CellInput[],
  cell: CellInput,
  index = cells.length,
): CellInput[] {
  if (cells.some((c) => c.id === cell.id)) {
    throw new SpinError('notebook.cell_exists', `the notebook already has a cell "${cell.id}"`);
  }
  checkIndex(index, cells.length);
  return [...cells.slice(0, index), cell, ...cells.slice(index)];
}

/** Move cell `cellId` so that it ends up at `index` of the resulting list. */
export function moveCell(cells: readonly CellInput[], cellId: string, index: number): CellInput[] {
  const from = indexOf(cells, cellId);
  checkIndex(index, cells.length - 1);
  const rest = cells.filter((_, i) => i !== from);
  return [...rest.slice(0, index), cells[from]!, ...rest.slice(index)];
}

/** Remove cell `cellId`. */
export function deleteCell(cells: readonly CellInput[], cellId: string): CellInput[] {
  const index = indexOf(cells, cellId);
  return cells.filter((_, i) => i !== index);
}

/**
 * Change some fields of cell `cellId` (`null` clears an optional field). The changed cell is
 * validated as a whole, so params must fit the (possibly new) type.
 */
export function updateCell(
  cells: readonly CellInput[],
  cellId: string,
  patch: Omit<UpdateCellRequest, 'version'>,
): CellInput[] {
  const index = indexOf(cells, cellId);
  const next: Record<string, unknown> = { ...cells[index]! };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (value === null) delete next[key];
    else next[key] = value;
  }
  const parsed = CellInputSchema.safeParse(next);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({
      path: i.path.map(String).join('.'),
      message: i.message,
    }));
    throw new SpinError('request.invalid', `${issues[0]?.path}: ${issues[0]?.message}`, { issues });
  }
  return cells.map((c, i) => (i === index ? parsed.data : c));
}
