import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Autosaver, type SaveState } from './autosaver';

describe('Autosaver', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  function setup(save: () => Promise<void>) {
    const states: SaveState[] = [];
    const saver = new Autosaver({ delayMs: 600, save, onStateChange: (s) => states.push(s) });
    return { saver, states };
  }

  it('debounces: one save 600 ms after the last edit', async () => {
    const save = vi.fn(() => Promise.resolve());
    const { saver, states } = setup(save);
    saver.markDirty();
    await vi.advanceTimersByTimeAsync(400);
    saver.markDirty();
    await vi.advanceTimersByTimeAsync(400);
    expect(save).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(200);
    expect(save).toHaveBeenCalledTimes(1);
    expect(states.at(-1)).toBe('saved');
  });

  it('flush saves immediately and is a no-op when clean', async () => {
    const save = vi.fn(() => Promise.resolve());
    const { saver } = setup(save);
    expect(await saver.flush()).toBe(true);
    expect(save).not.toHaveBeenCalled();
    saver.markDirty();
    expect(await saver.flush()).toBe(true);
    expect(save).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(save).toHaveBeenCalledTimes(1);
  });

  it('never runs two saves at once; edits during a save cause one more save', async () => {
    let release!: () => void;
    let active = 0;
    let maxActive = 0;
    const save = vi.fn(async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise<void>((r) => (release = r));
      active--;
    });
    const { saver } = setup(save);
    saver.markDirty();
    const first = saver.flush();
    await Promise.resolve();
    saver.markDirty();
    const second = saver.flush();
    release();
    await first;
    await vi.waitFor(() => expect(save).toHaveBeenCalledTimes(2));
    release();
    expect(await second).toBe(true);
    expect(maxActive).toBe(1);
  });

  it('keeps edits after a failed save and retries on the next flush', async () => {
    const save = vi.fn().mockRejectedValueOnce(new Error('offline')).mockResolvedValue(undefined);
    const { saver, states } = setup(save);
    saver.markDirty();
    expect(await saver.flush()).toBe(false);
    expect(states.at(-1)).toBe('error');
    expect(saver.isDirty).toBe(true);
    expect(await saver.flush()).toBe(true);
    expect(save).toHaveBeenCalledTimes(2);
    expect(states.at(-1)).toBe('saved');
  });
});
