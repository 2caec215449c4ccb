import type { SpinError } from '@spin/protocol';
import { type CellInput } from '@spin/protocol';
import { describe, expect, it } from 'vitest';
import { deleteCell, insertCell, moveCell, updateCell } from './cellOperations.js';

const cells: CellInput[] = [
  { id: 'a', type: 'markdown', source: 'A' },
  { id: 'b', type: 'python', source: 'B' },
  { id: 'c', type: 'shell', source: 'C' },
];
const ids = (list: CellInput[]) => list.map((c) => c.id);
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as SpinError).code;
  }
  return null;
};

describe('cell operations', () => {
  it('inserts at an index or at the end, refusing a duplicate id and a gap', () => {
    const d = { id: 'd', type: 'python', source: '' };
    expect(ids(insertCell(cells, d))).toEqual(['a', 'b', 'c', 'd']);
    expect(ids(insertCell(cells, d, 0))).toEqual(['d', 'a', 'b', 'c']);
    expect(code(() => insertCell(cells, { ...d, id: 'b' }))).toBe('notebook.cell_exists');
    expect(code(() => insertCell(cells, d, 4))).toBe('request.invalid');
    expect(ids(cells)).toEqual(['a', 'b', 'c']);
  });

  it('moves a cell to its new index, both directions', () => {
    expect(ids(moveCell(cells, 'a', 2))).toEqual(['b', 'c', 'a']);
    expect(ids(moveCell(cells, 'c', 0))).toEqual(['c', 'a', 'b']);
    expect(ids(moveCell(cells, 'b', 1))).toEqual(['a', 'b', 'c']);
    expect(code(() => moveCell(cells, 'a', 3))).toBe('request.invalid');
    expect(code(() => moveCell(cells, 'zz', 0))).toBe('notebook.cell_not_found');
  });

  it('deletes a cell', () => {
    expect(ids(deleteCell(cells, 'b'))).toEqual(['a', 'c']);
    expect(code(() => deleteCell(cells, 'zz'))).toBe('notebook.cell_not_found');
  });

  it('updates fields, clears with null and validates the result against its type', () => {
    const next = updateCell(cells, 'c', { source: 'df -h', params: { output: 'jsonl' } });
    expect(next[2]).toEqual({
      id: 'c',
      type: 'shell',
      source: 'df -h',
      params: { output: 'jsonl' },
    });
    expect(updateCell(next, 'c', { params: null })[2]).toEqual({
      id: 'c',
      type: 'shell',
      source: 'df -h',
    });
    expect(code(() => updateCell(cells, 'c', { params: { output: 'xml' } }))).toBe(
      'request.invalid',
    );
    expect(code(() => updateCell(cells, 'c', { type: 'no_such_type' }))).toBe('request.invalid');
    expect(cells[2]).toEqual({ id: 'c', type: 'shell', source: 'C' });
  });
});
