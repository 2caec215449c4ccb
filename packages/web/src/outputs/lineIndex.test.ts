import { describe, expect, it } from 'vitest';
import {
  EMPTY_INDEX,
  findLines,
  indexLines,
  lineAt,
  lineCount,
  updateLineIndex,
} from './lineIndex';

const lines = (ix: ReturnType<typeof updateLineIndex>) =>
  Array.from({ length: lineCount(ix) }, (_, i) => lineAt(ix, i));

describe('line index', () => {
  it('counts the lines of a fixed text: none in "", no empty line after a final newline', () => {
    expect(indexLines('').length).toBe(0);
    const a = indexLines('a\nb\n');
    expect(a.length).toBe(2);
    expect([0, 1].map((i) => lineAt(a.index, i))).toEqual(['a', 'b']);
    expect(indexLines('a\nb').length).toBe(2);
    const capped = indexLines('a\nb\nc\n', 2);
    expect(capped.length).toBe(2);
    expect(lineAt(capped.index, 1)).toBe('b');
  });

  it('indexes lines and grows with appended text without rescanning the old part', () => {
    let ix = updateLineIndex(EMPTY_INDEX, 'a\nb');
    expect(lines(ix)).toEqual(['a', 'b']);
    ix = updateLineIndex(ix, 'a\nbc\nd\n');
    expect(lines(ix)).toEqual(['a', 'bc', 'd']);
    expect(ix.starts).toEqual([0, 2, 5, 7]);
    ix = updateLineIndex(ix, 'a\nbc\nd\ne');
    expect(lines(ix)).toEqual(['a', 'bc', 'd', 'e']);
  });

  it('follows a rewritten last line (carriage return progress bars)', () => {
    let ix = updateLineIndex(EMPTY_INDEX, 'start\n10%');
    ix = updateLineIndex(ix, 'start\n50%');
    expect(lines(ix)).toEqual(['start', '50%']);
    ix = updateLineIndex(ix, 'start\n100%\ndone\n');
    expect(lines(ix)).toEqual(['start', '100%', 'done']);
  });

  it('starts over for another output', () => {
    let ix = updateLineIndex(EMPTY_INDEX, 'one\ntwo\nthree\n');
    ix = updateLineIndex(ix, 'x\n');
    expect(lines(ix)).toEqual(['x']);
    ix = updateLineIndex(ix, 'completely\ndifferent');
    expect(lines(ix)).toEqual(['completely', 'different']);
  });

  it('matches a full rescan for a million lines fed in chunks', () => {
    const all = Array.from({ length: 1_000_000 }, (_, i) => `line ${i}`).join('\n') + '\n';
    let ix = EMPTY_INDEX;
    for (let at = 0; at < all.length; at += 997_123) ix = updateLineIndex(ix, all.slice(0, at));
    ix = updateLineIndex(ix, all);
    expect(lineCount(ix)).toBe(1_000_000);
    expect(lineAt(ix, 999_999)).toBe('line 999999');
    expect(lineAt(ix, 123_456)).toBe('line 123456');
  });

  it('finds lines, case-insensitively, one hit per line', () => {
    const ix = updateLineIndex(EMPTY_INDEX, 'ok\nERROR disk\nok\nerror error\n');
    expect(findLines(ix, 'error')).toEqual([1, 3]);
    expect(findLines(ix, '')).toEqual([]);
    expect(findLines(ix, 'nothing')).toEqual([]);
  });
});
