import { describe, expect, it } from 'vitest';
import { OutputBudget } from './outputBudget.js';

describe('OutputBudget', () => {
  it('forwards text up to the limit, cuts the crossing chunk, then drops everything', () => {
    const b = new OutputBudget(10);
    expect(b.takeText('hello')).toEqual({ text: 'hello', justExhausted: false });
    expect(b.takeText('world!!!')).toEqual({ text: 'world', justExhausted: true });
    expect(b.truncated).toBe(true);
    expect(b.takeText('more')).toEqual({ text: '', justExhausted: false });
    expect(b.takeRich(1)).toEqual({ keep: false, justExhausted: false });
  });

  it('never splits a multi-byte character', () => {
    const b = new OutputBudget(4);
    expect(b.takeText('aé€').text).toBe('aé');
  });

  it('drops a rich output that does not fit', () => {
    const b = new OutputBudget(100);
    expect(b.takeRich(60).keep).toBe(true);
    expect(b.takeRich(60)).toEqual({ keep: false, justExhausted: true });
  });
});
