import { describe, expect, it } from 'vitest';
import type { Field } from '@spin/protocol';
import type { TableData } from './frames';
import { CSV_CHUNK_ROWS, csvBlob, csvChunks, csvField, toCsv } from './csv';

function table(fields: Field[], rows: unknown[][]): TableData {
  return {
    fields,
    columns: fields.map((_, c) => rows.map((r) => r[c])),
    rowCount: rows.length,
    complete: true,
    total: null,
  };
}

describe('CSV export (RFC 4180)', () => {
  it('quotes only fields with a comma, a double quote, CR or LF, doubling quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\r')).toBe('"cr\r"');
    expect(csvField('')).toBe('');
  });

  it('writes a header and CRLF-terminated records; nulls empty, times ISO 8601, JSON as JSON', () => {
    const data = table(
      [
        { name: 'name, full', type: 'string' },
        { name: 'n', type: 'integer' },
        { name: 'at', type: 'time' },
        { name: 'meta', type: 'json' },
        { name: 'ok', type: 'boolean' },
      ],
      [
        ['Ada "the first"', 1, Date.UTC(2026, 11, 2, 12, 0, 0, 5), { k: 'v,w' }, true],
        ['multi\nline', null, null, null, false],
      ],
    );
    expect(toCsv(data)).toBe(
      '"name, full",n,at,meta,ok\r\n' +
        '"Ada ""the first""",1,2026-12-02T12:00:00.005Z,"{""k"":""v,w""}",true\r\n' +
        '"multi\nline",,,,false\r\n',
    );
  });

  it('exports the rows given, in their order (a sorted view)', () => {
    const data = table([{ name: 'x', type: 'integer' }], [[1], [2], [3]]);
    expect(toCsv(data, Uint32Array.from([2, 0]))).toBe('x\r\n3\r\n1\r\n');
  });

  it('splits a large export into chunks that together hold every row', async () => {
    const n = CSV_CHUNK_ROWS * 2 + 7;
    const data = table(
      [{ name: 'i', type: 'integer' }],
      Array.from({ length: n }, (_, i) => [i]),
    );
    expect([...csvChunks(data)]).toHaveLength(1 + 3);
    const text = await (await csvBlob(data)).text();
    const lines = text.split('\r\n');
    expect(lines[0]).toBe('i');
    expect(lines[n]).toBe(String(n - 1));
    expect(lines).toHaveLength(n + 2); // header, n rows, and the empty string after the last CRLF
  });
});
