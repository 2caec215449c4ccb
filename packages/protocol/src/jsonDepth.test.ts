import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonTextDepth, jsonValueDepth } from './jsonDepth.js';

const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);

describe('JSON depth', () => {
  it('measures text and values the same way', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(jsonTextDepth(JSON.stringify(v))).toBe(jsonValueDepth(v));
      }),
    );
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(jsonTextDepth('{"a":"[[[{{{","b":"\\"[[["}')).toBe(1);
    expect(jsonTextDepth('"[["')).toBe(0);
    expect(jsonTextDepth('[{"k":[1,{"x":[]}]}]')).toBe(5);
  });

  it('handles 10,000 and 1,000,000 levels without recursion, stopping past the limit', () => {
    expect(jsonTextDepth(deep(10_000))).toBe(10_000);
    expect(jsonTextDepth(deep(1_000_000), 100)).toBe(101);
    const value = JSON.parse(deep(10_000)) as unknown;
    expect(jsonValueDepth(value)).toBe(10_000);
    expect(jsonValueDepth(value, 64)).toBe(65);
    expect(jsonValueDepth('scalar')).toBe(0);
  });
});
