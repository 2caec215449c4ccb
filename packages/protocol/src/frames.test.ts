import { describe, expect, it } from 'vitest';
import { TableFrameSchema, TimeSeriesFrameSchema, framePlainText } from './frames.js';

const page = { frameId: 'f', index: 0, offset: 0, last: true };

describe('typed frames', () => {
  it('accepts a columnar table and renders it as plain text', () => {
    const frame = TableFrameSchema.parse({
      schema: {
        fields: [
          { name: 'host', type: 'string' },
          { name: 'up', type: 'boolean' },
        ],
      },
      columns: [
        ['a', 'b'],
        [true, false],
      ],
      page,
    });
    expect(framePlainText({ kind: 'table', frame })).toBe(
      'host\tup\na\ttrue\nb\tfalse\n[2 rows × 2 columns]',
    );
  });

  it('rejects tables whose columns do not match their fields', () => {
    const fields = [
      { name: 'a', type: 'string' },
      { name: 'b', type: 'string' },
    ];
    expect(TableFrameSchema.safeParse({ schema: { fields }, columns: [['x']], page }).success).toBe(
      false,
    );
    expect(
      TableFrameSchema.safeParse({ schema: { fields }, columns: [['x'], ['y', 'z']], page })
        .success,
    ).toBe(false);
    expect(
      TableFrameSchema.safeParse({ schema: { fields }, columns: [['x'], 'y'], page }).success,
    ).toBe(false);
  });

  it('keeps a column as the array it was given (a 5,000-row page is not copied)', () => {
    const col = ['a', null, { nested: true }];
    const frame = TableFrameSchema.parse({
      schema: { fields: [{ name: 'a', type: 'json' }] },
      columns: [col],
      page,
    });
    expect(frame.columns[0]).toBe(col);
  });

  it('requires a value per timestamp in a series', () => {
    const series = [{ name: 'up', labels: {}, timestamps: [1, 2], values: [1] }];
    expect(
      TimeSeriesFrameSchema.safeParse({ series, range: { from: 0, to: 3 }, page }).success,
    ).toBe(false);
  });
});
