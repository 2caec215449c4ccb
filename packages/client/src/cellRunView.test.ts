import { describe, expect, it } from 'vitest';
import type { CellRunState } from './notebookSession.js';
import type { Cell } from '@spin/protocol';
import { cellRunView, liveRunWins } from './cellRunView.js';

const persistedRun = (
  over: Partial<NonNullable<Cell['lastRun']>> = {},
): NonNullable<Cell['lastRun']> => ({
  jti: 'j-persisted',
  status: 'ok',
  startedAt: '2026-01-01T10:00:00.000Z',
  endedAt: '2026-01-01T10:00:01.500Z',
  executionCount: 4,
  ...over,
});

const live = (over: Partial<CellRunState> = {}): CellRunState => ({
  cellId: 'c1',
  jti: 'j-live',
  running: false,
  outputs: [{ output_type: 'stream', name: 'stdout', text: 'live\n' }],
  status: 'ok',
  exitCode: null,
  executionCount: 1,
  startedAt: '2026-01-01T09:00:00.000Z',
  endedAt: '2026-01-01T09:00:01.000Z',
  auditSeq: null,
  ...over,
});

describe('liveRunWins', () => {
  it('keeps the persisted run when the journal replays an older run', () => {
    expect(liveRunWins(persistedRun(), live())).toBe(false);
  });
  it('shows a newer live run, the same run, or any run still going', () => {
    expect(liveRunWins(persistedRun(), live({ startedAt: '2026-01-01T11:00:00.000Z' }))).toBe(true);
    expect(liveRunWins(persistedRun(), live({ jti: 'j-persisted' }))).toBe(true);
    expect(liveRunWins(persistedRun(), live({ running: true }))).toBe(true);
  });
  it('an equal start time counts as at least as new', () => {
    expect(liveRunWins(persistedRun(), live({ startedAt: '2026-01-01T10:00:00.000Z' }))).toBe(true);
  });
  it('ignores a run that was compiled but never started', () => {
    expect(liveRunWins(null, live({ startedAt: null, status: null, running: false }))).toBe(false);
  });
  it('any started live run wins when nothing is persisted', () => {
    expect(liveRunWins(null, live())).toBe(true);
    expect(liveRunWins(null, undefined)).toBe(false);
  });
});

describe('cellRunView', () => {
  const persistedOutputs = [
    { output_type: 'stream' as const, name: 'stdout' as const, text: 'saved\n' },
  ];
  it('shows persisted outputs when the live run is older (reload after another device ran it)', () => {
    const v = cellRunView({ outputs: persistedOutputs, lastRun: persistedRun() }, live());
    expect(v.source).toBe('persisted');
    expect(v.outputs).toEqual(persistedOutputs);
    expect(v.executionCount).toBe(4);
    expect(v.verified).toBe(true);
  });
  it('marks a live run verified once its receipt was recorded, not before', () => {
    const ended = { running: false, startedAt: '2026-01-01T12:00:00.000Z' };
    expect(cellRunView({ outputs: [], lastRun: null }, live(ended)).verified).toBe(false);
    expect(
      cellRunView({ outputs: [], lastRun: null }, live({ ...ended, auditSeq: 7 })).verified,
    ).toBe(true);
  });
  it('shows a run continuing after a reload mid-run', () => {
    const v = cellRunView(
      { outputs: persistedOutputs, lastRun: persistedRun() },
      live({ running: true, status: null, endedAt: null, startedAt: '2026-01-01T12:00:00.000Z' }),
    );
    expect(v.status).toBe('running');
    expect(v.outputs[0]).toMatchObject({ text: 'live\n' });
    expect(v.verified).toBe(false);
  });
  it('is idle for a cell that never ran', () => {
    expect(cellRunView({ outputs: [], lastRun: null }, undefined)).toMatchObject({
      status: 'idle',
      source: 'none',
    });
  });
});
