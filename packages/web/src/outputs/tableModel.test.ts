import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Field } from '@spin/protocol';
import type { TableData } from './frames';
import { allRows, formatCell, formatTime, sortRows } from './tableModel';
import { FilterIndex, filterRows } from './tableFilter';

function table(fields: Field[], rows: unknown[][]): TableData {
  return {
    fields,
    columns: fields.map((_, c) => rows.map((r) => r[c])),
    rowCount: rows.length,
    complete: true,
    total: null,
  };
}

const data = table(
  [
    { name: 'host', type: 'string' },
    { name: 'cpu', type: 'number' },
    { name: 'at', type: 'time' },
  ],
  [
    ['web-2', 0.5, Date.UTC(2026, 11, 2, 12, 0, 0)],
    ['db-1', null, Date.UTC(2026, 11, 2, 12, 0, 1, 250)],
    ['web-10', 12, null],
    ['cache', 0.5, Date.UTC(2026, 11, 1)],
  ],
);
const hostsOf = (rows: Uint32Array) => [...rows].map((r) => data.columns[0]![r]);
const noFilter = { global: '', columns: new Map<number, string>() };

describe('sorting a table result by row index', () => {
  it('sorts numbers as numbers, ascending and descending, nulls last both ways', () => {
    const rows = allRows(data.rowCount);
    expect(hostsOf(sortRows(data, rows, [{ column: 1, desc: false }]))).toEqual([
      'web-2',
      'cache',
      'web-10',
      'db-1',
    ]);
    expect(hostsOf(sortRows(data, rows, [{ column: 1, desc: true }]))).toEqual([
      'web-10',
      'web-2',
      'cache',
      'db-1',
    ]);
  });

  it('keeps ties in their original order and breaks them with a second column', () => {
    const rows = allRows(data.rowCount);
    // web-2 and cache tie on cpu 0.5: original order first, then by host descending
    expect(hostsOf(sortRows(data, rows, [{ column: 1, desc: false }])).slice(0, 2)).toEqual([
      'web-2',
      'cache',
    ]);
    expect(
      hostsOf(
        sortRows(data, rows, [
          { column: 1, desc: false },
          { column: 0, desc: false },
        ]),
      ).slice(0, 2),
    ).toEqual(['cache', 'web-2']);
  });

  it('sorts strings by code point and leaves the input order alone without a sort', () => {
    const rows = allRows(data.rowCount);
    expect(hostsOf(sortRows(data, rows, [{ column: 0, desc: false }]))).toEqual([
      'cache',
      'db-1',
      'web-10',
      'web-2',
    ]);
    expect(sortRows(data, rows, [])).toBe(rows);
    expect(hostsOf(rows)).toEqual(['web-2', 'db-1', 'web-10', 'cache']);
  });

  it('sorts only the rows it is given (a filtered view)', () => {
    const rows = Uint32Array.from([0, 2]);
    expect(hostsOf(sortRows(data, rows, [{ column: 1, desc: true }]))).toEqual(['web-10', 'web-2']);
  });

  it('orders like a stable comparator sort for any values and specs', () => {
    const value = fc.oneof(
      fc.constant(null),
      fc.integer({ min: -5, max: 5 }),
      fc.constantFrom('a', 'b', 'B', ''),
      fc.boolean(),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(value, value), { maxLength: 40 }),
        fc.array(fc.record({ column: fc.constantFrom(0, 1), desc: fc.boolean() }), {
          minLength: 1,
          maxLength: 2,
        }),
        (rows, specs) => {
          const t = table(
            [
              { name: 'a', type: 'json' },
              { name: 'b', type: 'json' },
            ],
            rows,
          );
          const key = (v: unknown) =>
            typeof v === 'boolean' ? Number(v) : typeof v === 'string' ? v : (v as number);
          const cmp = (x: unknown, y: unknown) => {
            const [kx, ky] = [key(x), key(y)];
            if (typeof kx !== typeof ky) return typeof kx === 'number' ? -1 : 1;
            return kx < ky ? -1 : kx > ky ? 1 : 0;
          };
          const expected = [...allRows(rows.length)].sort((ra, rb) => {
            for (const s of specs) {
              const [x, y] = [t.columns[s.column]![ra], t.columns[s.column]![rb]];
              if (x === null || y === null) {
                if (x === y) continue;
                return x === null ? 1 : -1;
              }
              const c = cmp(x, y);
              if (c) return s.desc ? -c : c;
            }
            return ra - rb;
          });
          expect([...sortRows(t, allRows(rows.length), specs)]).toEqual(expected);
        },
      ),
    );
  });
});

describe('filtering a table result', () => {
  it('keeps every row with no needle', () => {
    expect(hostsOf(filterRows(data, noFilter, new FilterIndex(data)))).toHaveLength(4);
  });

  it('matches the global needle in any column, case-insensitively, on the text shown', () => {
    const index = new FilterIndex(data);
    expect(hostsOf(filterRows(data, { ...noFilter, global: 'WEB' }, index))).toEqual([
      'web-2',
      'web-10',
    ]);
    // the time column is searched as it is shown (UTC, readable)
    expect(hostsOf(filterRows(data, { ...noFilter, global: '2026-12-01' }, index))).toEqual([
      'cache',
    ]);
    expect(hostsOf(filterRows(data, { ...noFilter, global: '12' }, index))).toEqual([
      'web-2',
      'db-1',
      'web-10',
      'cache',
    ]);
  });

  it('combines per-column needles with the global one, and finds nulls by "null"', () => {
    const index = new FilterIndex(data);
    const cols = (m: [number, string][]) => ({ global: '', columns: new Map(m) });
    expect(hostsOf(filterRows(data, cols([[1, '0.5']]), index))).toEqual(['web-2', 'cache']);
    expect(hostsOf(filterRows(data, { ...cols([[1, '0.5']]), global: 'web' }, index))).toEqual([
      'web-2',
    ]);
    expect(hostsOf(filterRows(data, cols([[1, 'null']]), index))).toEqual(['db-1']);
    expect(hostsOf(filterRows(data, cols([[0, 'nothing']]), index))).toEqual([]);
  });
});

describe('cell text', () => {
  it('shows times in UTC with milliseconds only when there are some', () => {
    expect(formatTime(Date.UTC(2026, 11, 2, 12, 45, 28))).toBe('2026-12-02 12:45:28');
    expect(formatTime(Date.UTC(2026, 11, 2, 12, 45, 28, 123))).toBe('2026-12-02 12:45:28.123');
  });

  it('writes JSON values as JSON and leaves nulls empty', () => {
    expect(formatCell({ a: [1] }, { name: 'j', type: 'json' })).toBe('{"a":[1]}');
    expect(formatCell(true, { name: 'b', type: 'boolean' })).toBe('true');
    expect(formatCell(null, { name: 'n', type: 'number' })).toBe('');
  });
});
