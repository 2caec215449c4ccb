import { describe, expect, it } from 'vitest';
import type { CellRunState } from '@spin/client';
import { CellRunStore } from './cellRunStore';

const run = (cellId: string, text: string): CellRunState => ({
  cellId,
  jti: 'j',
  running: true,
  outputs: [{ output_type: 'stream', name: 'stdout', text }],
  status: null,
  exitCode: null,
  executionCount: null,
  startedAt: null,
  endedAt: null,
  auditSeq: null,
});

describe('CellRunStore', () => {
  it('coalesces a burst of updates into one notification per changed cell', () => {
    const frames: Array<() => void> = [];
    const store = new CellRunStore((f) => frames.push(f));
    const seen: string[] = [];
    store.subscribe('a', () =>
      seen.push('a:' + (store.get('a').run?.outputs[0] as { text: string }).text),
    );
    store.subscribe('b', () => seen.push('b'));
    for (let i = 0; i < 50; i++) store.setRun(run('a', 'x'.repeat(i + 1)));
    expect(frames).toHaveLength(1);
    expect(seen).toEqual([]);
    frames[0]!();
    expect(seen).toEqual(['a:' + 'x'.repeat(50)]);
  });

  it('a new run request clears the previous error; a run update clears pending', () => {
    const store = new CellRunStore(() => {});
    store.setError('a', { code: 'auth.permission_required', message: 'no' });
    expect(store.get('a').error?.code).toBe('auth.permission_required');
    store.setPending('a', true);
    expect(store.get('a')).toMatchObject({ error: null, pending: true });
    store.setRun(run('a', 'hi'));
    expect(store.get('a').pending).toBe(false);
    expect(store.get('zzz')).toEqual({
      run: undefined,
      error: null,
      pending: false,
      input: null,
    });
  });

  it('keeps an input request while its run goes on, drops it when the run ends', () => {
    const store = new CellRunStore(() => {});
    store.setRun(run('a', ''));
    store.setInput('a', { jti: 'j', cell: 'a', prompt: 'name? ', password: false });
    store.setRun(run('a', 'more output'));
    expect(store.get('a').input).toMatchObject({ prompt: 'name? ' });
    store.setRun({ ...run('a', 'done'), running: false, status: 'interrupted' });
    expect(store.get('a').input).toBeNull();
  });
});
