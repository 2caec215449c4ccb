import { describe, expect, it } from 'vitest';
import { type Cell } from '@spin/protocol';
import {
  cellsToRun,
  clearOutputsPatch,
  deleteCells,
  emptyCell,
  moveCells,
  nextLinked,
  pasteCells,
  restoreCells,
  selectRange,
} from './notebookModel';
import { cellRunView } from './runView';

const ids = (cells: readonly Cell[]) => cells.map((c) => c.id).join('');

function nb(): Cell[] {
  return [
    emptyCell('python', 'a'),
    emptyCell('markdown', 'b'),
    emptyCell('shell', 'c'),
    emptyCell('python', 'd'),
    emptyCell('python', 'e'),
  ];
}

describe('several cells at once', () => {
  it('deletes a selection and puts every cell back where it stood', () => {
    const { cells, deletion } = deleteCells(nb(), new Set(['b', 'd']));
    expect(ids(cells)).toBe('ace');
    expect(ids(restoreCells(cells, deletion))).toBe('abcde');
    // undoing twice never duplicates a cell
    expect(ids(restoreCells(restoreCells(cells, deletion), deletion))).toBe('abcde');
  });

  it('pastes copies with new ids and without outputs', () => {
    let n = 0;
    const source = nb();
    source[0] = {
      ...source[0]!,
      source: 'x = 1',
      outputs: [{ output_type: 'stream', name: 'stdout', text: '1\n' }],
      lastRun: null,
      outputsCleared: 'imported',
    };
    const { cells, pasted } = pasteCells(source, 2, [source[0]!], () => `p${n++}`);
    expect(ids(cells)).toBe('abp0cde');
    expect(pasted[0]).toMatchObject({ id: 'p0', source: 'x = 1', outputs: [], lastRun: null });
    expect(pasted[0]!.outputsCleared).toBeUndefined();
    expect(ids(pasteCells(cells, 0, [source[0]!], () => `p${n++}`).cells)).toBe('p1abp0cde');
  });

  it('moves a block up and down, and not past either end', () => {
    expect(ids(moveCells(nb(), new Set(['c', 'd']), -1))).toBe('acdbe');
    expect(ids(moveCells(nb(), new Set(['c', 'd']), 1))).toBe('abecd');
    expect(ids(moveCells(nb(), new Set(['a']), -1))).toBe('abcde');
    expect(ids(moveCells(nb(), new Set(['e']), 1))).toBe('abcde');
  });

  it('selects a range either way', () => {
    expect([...selectRange(nb(), 'b', 'd')].join('')).toBe('bcd');
    expect([...selectRange(nb(), 'd', 'b')].join('')).toBe('bcd');
    expect([...selectRange(nb(), 'zz', 'c')].join('')).toBe('c');
  });

  it('runs all, above and below, skipping markdown', () => {
    expect(ids(cellsToRun(nb(), 'all', 'c'))).toBe('acde');
    expect(ids(cellsToRun(nb(), 'above', 'c'))).toBe('a');
    expect(ids(cellsToRun(nb(), 'below', 'c'))).toBe('cde');
  });

  it('follows links past markdown cells, and stops at an unlinked cell', () => {
    const cells = nb();
    cells[2] = { ...cells[2]!, linked: true };
    cells[4] = { ...cells[4]!, linked: true };
    expect(nextLinked(cells, 'a')?.id).toBe('c');
    expect(nextLinked(cells, 'c')).toBeNull();
    expect(nextLinked(cells, 'd')?.id).toBe('e');
    expect(nextLinked(cells, 'e')).toBeNull();
  });
});

describe('clear outputs', () => {
  const ran: Cell = {
    ...emptyCell('python', 'a'),
    outputs: [{ output_type: 'stream', name: 'stdout', text: 'old\n' }],
    lastRun: {
      jti: 'j1',
      status: 'ok',
      startedAt: '2026-01-01T00:00:00Z',
      endedAt: '2026-01-01T00:00:01Z',
    },
  };

  it('hides the shown run until the next one, persisted or replayed', () => {
    const patch = clearOutputsPatch(ran, 'j1');
    expect(patch).toEqual({ outputsCleared: 'j1' });
    const cleared = { ...ran, ...patch };
    expect(cellRunView(cleared, undefined)).toMatchObject({ status: 'idle', outputs: [] });
    const replayed = {
      jti: 'j1',
      cellId: 'a',
      running: false,
      status: 'ok' as const,
      outputs: ran.outputs,
      executionCount: 1,
      exitCode: null,
      startedAt: '2026-01-01T00:00:00Z',
      endedAt: '2026-01-01T00:00:01Z',
      auditSeq: 3,
    };
    expect(cellRunView(cleared, replayed as never).outputs).toEqual([]);
    const next = { ...replayed, jti: 'j2', startedAt: '2026-01-01T00:01:00Z' };
    expect(cellRunView(cleared, next as never).outputs).toEqual(ran.outputs);
  });

  it("clears an imported notebook's outputs, and says when there is nothing to clear", () => {
    const imported = { ...ran, lastRun: null };
    expect(clearOutputsPatch(imported, null)).toEqual({ outputsCleared: 'imported' });
    expect(cellRunView({ ...imported, outputsCleared: 'imported' }, undefined).outputs).toEqual([]);
    expect(clearOutputsPatch(emptyCell('python', 'z'), null)).toBeNull();
  });
});
