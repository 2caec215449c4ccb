import { describe, expect, it } from 'vitest';
import { CellIdSchema, type Cell } from '@spin/protocol';
import {
  cellInputs,
  emptyCell,
  initialFocus,
  insertCell,
  newCellId,
  planAfterRun,
  removeCell,
  sameContent,
  updateCell,
} from './notebookModel';

const cells: Cell[] = [
  emptyCell('python', 'a'),
  emptyCell('markdown', 'b'),
  emptyCell('shell', 'c'),
];
let n = 0;
const makeId = () => `new${++n}`;

describe('planAfterRun', () => {
  it('Shift+Enter moves to the next cell', () => {
    expect(planAfterRun(cells, 'a', 'advance', makeId)).toEqual({ focusId: 'b' });
  });
  it('Shift+Enter on the last cell creates a cell of the same type below and focuses it', () => {
    const plan = planAfterRun(cells, 'c', 'advance', () => 'fresh');
    expect(plan.insert).toEqual({ index: 3, cell: emptyCell('shell', 'fresh') });
    expect(plan.focusId).toBe('fresh');
  });
  it('Ctrl/Cmd+Enter stays in place', () => {
    expect(planAfterRun(cells, 'a', 'stay', makeId)).toEqual({ focusId: null });
  });
  it('Alt+Enter inserts below even when a next cell exists', () => {
    const plan = planAfterRun(cells, 'a', 'insert-below', () => 'ins');
    expect(plan.insert?.index).toBe(1);
    expect(plan.insert?.cell.type).toBe('python');
    expect(plan.focusId).toBe('ins');
  });
  it('does nothing for an unknown cell', () => {
    expect(planAfterRun(cells, 'zzz', 'advance', makeId)).toEqual({ focusId: null });
  });
});

describe('cell list edits', () => {
  it('insert, update and remove keep other cells identical', () => {
    const added = insertCell(cells, 1, emptyCell('python', 'x'));
    expect(added.map((c) => c.id)).toEqual(['a', 'x', 'b', 'c']);
    const updated = updateCell(added, 'x', { source: 'print(1)' });
    expect(updated[1]?.source).toBe('print(1)');
    expect(updated[0]).toBe(added[0]);
    expect(removeCell(updated, 'x').map((c) => c.id)).toEqual(['a', 'b', 'c']);
    expect(insertCell(cells, 99, emptyCell('python', 'end')).at(-1)?.id).toBe('end');
  });
  it('cellInputs drops outputs and lastRun', () => {
    expect(cellInputs([{ ...emptyCell('python', 'a'), source: 'x' }])).toEqual([
      { id: 'a', type: 'python', source: 'x' },
    ]);
  });
});

describe('newCellId', () => {
  it('creates distinct ids valid for the protocol', () => {
    const ids = new Set(Array.from({ length: 200 }, () => newCellId()));
    expect(ids.size).toBe(200);
    for (const id of ids) expect(CellIdSchema.safeParse(id).success).toBe(true);
  });
});

describe('sameContent', () => {
  it('compares title and cell inputs', () => {
    const a = { title: 't', cells: cellInputs(cells) };
    expect(sameContent(a, { title: 't', cells: cellInputs(cells) })).toBe(true);
    expect(sameContent(a, { title: 'u', cells: cellInputs(cells) })).toBe(false);
    expect(
      sameContent(a, { title: 't', cells: cellInputs(updateCell(cells, 'b', { source: '#' })) }),
    ).toBe(false);
  });
});

describe('initialFocus', () => {
  it('puts a new (empty) notebook’s first cell in edit mode', () => {
    expect(initialFocus([emptyCell('python', 'first'), emptyCell('shell', 'x')])).toBe('first');
  });

  it('does not steal focus in a notebook with content, or without cells', () => {
    const written = { ...emptyCell('python', 'p'), source: 'print(1)' };
    expect(initialFocus([emptyCell('python', 'a'), written])).toBeNull();
    expect(initialFocus([])).toBeNull();
  });
});
