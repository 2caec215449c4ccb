import { describe, expect, it } from 'vitest';
import { alignSeries, seriesLabel } from './seriesAlign';

describe('alignSeries', () => {
  it('puts series on one sorted time axis in seconds, gaps as null', () => {
    const [xs, a, b] = alignSeries([
      { name: 'a', labels: {}, timestamps: [2000, 1000], values: [2, 1] },
      { name: 'b', labels: {}, timestamps: [1000, 3000], values: [10, Number.NaN] },
    ]);
    expect(xs).toEqual([1, 2, 3]);
    expect(a).toEqual([1, 2, null]);
    expect(b).toEqual([10, null, null]);
  });

  it('names series by metric and labels', () => {
    expect(seriesLabel({ name: '', labels: { __name__: 'up', job: 'prometheus' } })).toBe(
      'up{job="prometheus"}',
    );
    expect(seriesLabel({ name: 'latency', labels: {} })).toBe('latency');
    expect(seriesLabel({ name: '', labels: { job: 'x' } })).toBe('{job="x"}');
    expect(seriesLabel({ name: '', labels: {} })).toBe('value');
  });
});
