import { describe, expect, it } from 'vitest';
import { TimeRangeSchema, resolveTimeRange } from './timeRange.js';

describe('time ranges', () => {
  const now = Date.parse('2026-05-01T12:00:00.000Z');

  it('resolves relative and absolute ends against the run time', () => {
    expect(resolveTimeRange({ from: 'now-90m', to: 'now' }, now)).toEqual({
      from: '2026-05-01T10:30:00.000Z',
      to: '2026-05-01T12:00:00.000Z',
    });
    expect(resolveTimeRange({ from: 'now-1w', to: '2026-05-01T11:00:00Z' }, now)).toEqual({
      from: '2026-04-24T12:00:00.000Z',
      to: '2026-05-01T11:00:00.000Z',
    });
  });

  it('rejects unreadable ends and ranges that end before they start', () => {
    expect(TimeRangeSchema.safeParse({ from: 'yesterday', to: 'now' }).success).toBe(false);
    expect(TimeRangeSchema.safeParse({ from: 'now-5x', to: 'now' }).success).toBe(false);
    expect(() => resolveTimeRange({ from: 'now', to: 'now-1h' }, now)).toThrow(
      /starts after it ends/,
    );
  });
});
