import { describe, expect, it } from 'vitest';
import type { Cell } from '@spin/protocol';
import { moveCellTo } from './cellDrag';
import { emptyCell } from './notebookModel';

const nb: Cell[] = ['a', 'b', 'c', 'd'].map((id) => emptyCell('python', id));
const ids = (cells: readonly Cell[]) => cells.map((c) => c.id).join('');

describe('moveCellTo (drag and drop of a cell)', () => {
  it('moves a cell before or after another, up or down', () => {
    expect(ids(moveCellTo(nb, 'c', { targetId: 'a', place: 'before' }))).toBe('cabd');
    expect(ids(moveCellTo(nb, 'a', { targetId: 'c', place: 'after' }))).toBe('bcad');
    expect(ids(moveCellTo(nb, 'a', { targetId: 'd', place: 'after' }))).toBe('bcda');
    expect(ids(moveCellTo(nb, 'd', { targetId: 'b', place: 'before' }))).toBe('adbc');
  });

  it('returns the same array when nothing moves (no save)', () => {
    expect(moveCellTo(nb, 'b', { targetId: 'b', place: 'before' })).toBe(nb);
    expect(moveCellTo(nb, 'b', { targetId: 'a', place: 'after' })).toBe(nb);
    expect(moveCellTo(nb, 'b', { targetId: 'c', place: 'before' })).toBe(nb);
    expect(moveCellTo(nb, 'x', { targetId: 'a', place: 'before' })).toBe(nb);
    expect(moveCellTo(nb, 'a', { targetId: 'x', place: 'before' })).toBe(nb);
  });
});
