import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonBlobInSlices } from './slicedJson.js';

const text = (v: unknown, opts?: Parameters<typeof jsonBlobInSlices>[1]) =>
  jsonBlobInSlices(v, opts).then((b) => b.text());

describe('JSON written in slices', () => {
  it('writes the text JSON.stringify writes, for any JSON value', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (v) => {
        expect(await text(v, { sliceMs: 0 })).toBe(JSON.stringify(v));
      }),
      { numRuns: 300 },
    );
  });

  it('follows JSON.stringify for undefined, functions, toJSON, non-finite numbers and -0', async () => {
    const v = {
      a: undefined,
      b: () => 1,
      c: [undefined, () => 1, Symbol('s'), NaN, Infinity, -0],
      d: new Date(0),
      e: { toJSON: (key: string) => `key ${key}` },
      f: [{ toJSON: () => undefined }],
      g: 'x',
    };
    expect(await text(v)).toBe(JSON.stringify(v));
    expect(JSON.parse(await text(v))).toEqual({
      c: [null, null, null, null, null, 0],
      d: '1970-01-01T00:00:00.000Z',
      e: 'key e',
      f: [null],
      g: 'x',
    });
  });

  it('refuses a bigint as JSON.stringify does', async () => {
    await expect(text({ n: 1n })).rejects.toThrow(TypeError);
  });

  it('reads back long strings cut anywhere, surrogate pairs and escapes included', async () => {
    const long = '😀"\\\n\u2028é'.repeat(40_000) + 'x😀';
    const v = { text: long, odd: 'a'.repeat(65_535) + '😀' + 'b'.repeat(70_000) };
    const t = await text(v, { sliceMs: 0 });
    expect(JSON.parse(t)).toEqual(v);
  });

  it('gives the thread back between slices of a large value, and only then', async () => {
    const rows = 100_000;
    const table = {
      output_type: 'display_data',
      data: {
        columns: [
          Array.from({ length: rows }, (_, i) => i),
          Array.from({ length: rows }, (_, i) => `host-${i % 97}`),
          Array.from({ length: rows }, (_, i) => i % 7 === 0),
        ],
      },
    };
    let yields = 0;
    const count = async () => {
      yields++;
      await new Promise((r) => setTimeout(r, 0));
    };
    const t = await text([table], { sliceMs: 0, yieldNow: count });
    expect(t).toBe(JSON.stringify([table]));
    expect(yields).toBeGreaterThan(10);
    yields = 0;
    expect(await text({ small: [1, 2, 3] }, { yieldNow: count })).toBe('{"small":[1,2,3]}');
    expect(yields).toBe(0);
  });
});
