import { describe, expect, it } from 'vitest';
import { TABLE_MIME, type Output } from '@spin/protocol';
import { groupOutputs, tableData } from './frames';

function tablePage(index: number, values: number[], last: boolean): Output {
  return {
    output_type: 'display_data',
    metadata: {},
    data: {
      [TABLE_MIME]: {
        schema: { fields: [{ name: 'n', type: 'integer' }] },
        columns: [values],
        page: { frameId: 'f1', index, offset: index * 2, last },
      },
      'text/plain': 'n',
    },
  };
}

describe('frame outputs', () => {
  it('groups the pages of one frame, keeping other outputs in place', () => {
    const outputs: Output[] = [
      { output_type: 'stream', name: 'stdout', text: 'before\n' },
      tablePage(0, [1, 2], false),
      { output_type: 'stream', name: 'stderr', text: 'between\n' },
      tablePage(1, [3], true),
    ];
    const groups = groupOutputs(outputs);
    expect(groups.map((g) => g.kind)).toEqual(['output', 'frames', 'output']);
    const frames = groups[1]!.kind === 'frames' ? groups[1]!.frames : [];
    const data = tableData(frames);
    expect(data.columns).toEqual([[1, 2, 3]]);
    expect(data.rowCount).toBe(3);
    expect(data.complete).toBe(true);
  });

  it('grows a streamed table by its new pages only, leaving earlier snapshots their row count', () => {
    const p0 = tablePage(0, [1, 2], false);
    const p1 = tablePage(1, [3], false);
    const p2 = tablePage(2, [4, 5], true);
    const framesOf = (outputs: Output[]) => {
      const g = groupOutputs(outputs)[0]!;
      return g.kind === 'frames' ? g.frames : [];
    };
    const first = tableData(framesOf([p0, p1]));
    expect(first.rowCount).toBe(3);
    expect(first.complete).toBe(false);
    const second = tableData(framesOf([p0, p1, p2]));
    expect(second.rowCount).toBe(5);
    expect(second.columns[0]!.slice(0, second.rowCount)).toEqual([1, 2, 3, 4, 5]);
    expect(first.rowCount).toBe(3);
    // the page objects themselves are not touched
    const bundle = p0.output_type === 'display_data' ? p0.data[TABLE_MIME] : null;
    expect((bundle as { columns: number[][] }).columns[0]).toEqual([1, 2]);
    // a result that does not extend the joined pages is joined afresh
    expect(tableData(framesOf([p0, p2])).columns[0]).toEqual([1, 2, 4, 5]);
  });

  it('shows a malformed frame as its plain-text fallback', () => {
    const bad: Output = {
      output_type: 'display_data',
      metadata: {},
      data: { [TABLE_MIME]: { schema: { fields: [] }, columns: [[1]] }, 'text/plain': 'fallback' },
    };
    expect(groupOutputs([bad])[0]!.kind).toBe('output');
  });
});
