import { describe, expect, it } from 'vitest';
import { TABLE_MIME, type Output } from '@spin/protocol';
import { groupOutputs, tableRows } from './frames';

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
    expect(tableRows(frames)).toEqual([[1], [2], [3]]);
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
