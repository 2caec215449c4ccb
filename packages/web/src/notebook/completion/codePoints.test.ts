import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { codePointOffset, utf16Offset } from './codePoints';

describe('cursor offsets: code points (Jupyter) and UTF-16 (CodeMirror)', () => {
  it('counts a character outside the BMP as one code point and two UTF-16 units', () => {
    const text = 'x = "😀"; os.pa';
    expect(text.length).toBe(15);
    expect(codePointOffset(text, text.length)).toBe(14);
    expect(utf16Offset(text, 14)).toBe(15);
    // before the emoji both counts agree; after it they differ by one
    expect(codePointOffset(text, 5)).toBe(5);
    expect(codePointOffset(text, 7)).toBe(6);
    expect(utf16Offset(text, 6)).toBe(7);
  });

  it('agrees with the spread of the string (Array.from counts code points)', () => {
    const text = 'a𝔘b\u00e9🇫🇷c';
    for (let i = 0; i <= [...text].length; i++) {
      const units = [...text].slice(0, i).join('').length;
      expect(utf16Offset(text, i)).toBe(units);
      expect(codePointOffset(text, units)).toBe(i);
    }
  });

  it('clamps offsets past the end, and counts a lone surrogate as one code point', () => {
    expect(codePointOffset('ab', 9)).toBe(2);
    expect(utf16Offset('ab', 9)).toBe(2);
    expect(codePointOffset('a\ud800b', 3)).toBe(3);
    expect(utf16Offset('a\udc00b', 2)).toBe(2);
  });

  it('round-trips every code-point offset of any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.nat(), (text, k) => {
        const points = [...text].length;
        const p = k % (points + 1);
        expect(codePointOffset(text, utf16Offset(text, p))).toBe(p);
      }),
    );
  });
});
