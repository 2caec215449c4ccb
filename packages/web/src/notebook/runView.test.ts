import { describe, expect, it } from 'vitest';
import { cellRunView, formatDuration, statusLabel } from './runView';

describe('statusLabel', () => {
  const base = cellRunView({ outputs: [], lastRun: null }, undefined);
  it('labels shell failures with their exit code and durations', () => {
    expect(
      statusLabel({
        ...base,
        status: 'error',
        exitCode: 3,
        startedAt: '2026-01-01T10:00:00.000Z',
        endedAt: '2026-01-01T10:00:02.250Z',
      }),
    ).toBe('failed (exit 3) · 2.3s');
    expect(statusLabel({ ...base, status: 'error' })).toBe('failed');
    expect(statusLabel({ ...base, status: 'timeout' })).toBe('timeout');
    expect(statusLabel(base)).toBe('');
  });
  it('counts a running cell up to now', () => {
    const now = Date.parse('2026-01-01T10:00:00.400Z');
    expect(
      statusLabel({ ...base, status: 'running', startedAt: '2026-01-01T10:00:00.000Z' }, now),
    ).toBe('running… · 0.40s');
  });
});

describe('formatDuration', () => {
  it('formats minutes and hours', () => {
    expect(formatDuration(125_000)).toBe('2m 05s');
    expect(formatDuration(3_720_000)).toBe('1h 02m');
    expect(formatDuration(-1)).toBe('');
  });
});
