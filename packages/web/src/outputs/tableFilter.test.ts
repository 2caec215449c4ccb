import { describe, expect, it } from 'vitest';
import type { TableData } from './frames';
import { FILTER_SLICE_ROWS, FilterIndex, filterRows, filterSteps, runSliced } from './tableFilter';

const n = FILTER_SLICE_ROWS * 3 + 5;
const data: TableData = {
  fields: [
    { name: 'host', type: 'string' },
    { name: 'n', type: 'integer' },
  ],
  columns: [
    Array.from({ length: n }, (_, i) => `host-${i % 100}`),
    Array.from({ length: n }, (_, i) => i),
  ],
  rowCount: n,
  complete: true,
  total: null,
};

describe('filtering in slices', () => {
  it('yields between slices of rows and ends with the same rows as a filter in one go', () => {
    const filter = { global: 'host-42', columns: new Map<number, string>() };
    const steps = filterSteps(data, filter, new FilterIndex(data));
    let yields = 0;
    let s = steps.next();
    for (; !s.done; s = steps.next()) yields++;
    // two columns' text built and every row tested, a slice at a time
    expect(yields).toBeGreaterThanOrEqual(3 * 3);
    const expected = [...Array(n).keys()].filter((i) => i % 100 === 42);
    expect([...s.value]).toEqual(expected);
    expect([...filterRows(data, filter, new FilterIndex(data))]).toEqual(expected);
  });

  it('runs between macrotasks until done, and a cancelled run never reports', async () => {
    const filter = { global: '', columns: new Map([[1, '777']]) };
    const got = await new Promise<number[]>((resolve) =>
      runSliced(filterSteps(data, filter, new FilterIndex(data)), (rows) => resolve([...rows])),
    );
    expect(got).toEqual([...Array(n).keys()].filter((i) => String(i).includes('777')));
    let reported = false;
    const cancel = runSliced(
      filterSteps(data, { global: 'x', columns: new Map() }, new FilterIndex(data)),
      () => {
        reported = true;
      },
    );
    cancel();
    await new Promise((r) => setTimeout(r, 50));
    expect(reported).toBe(false);
  });
});
