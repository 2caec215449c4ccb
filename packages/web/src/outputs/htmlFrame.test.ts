import { describe, expect, it } from 'vitest';
import { estimateHtmlHeight, frameDocument } from './htmlFrame';

describe('estimateHtmlHeight', () => {
  it('grows with table rows and is clamped', () => {
    const table = (n: number) => '<table>' + '<tr><td>x</td></tr>'.repeat(n) + '</table>';
    expect(estimateHtmlHeight(table(3))).toBe(24 + 3 * 24);
    expect(estimateHtmlHeight(table(5))).toBeGreaterThan(estimateHtmlHeight(table(3)));
    expect(estimateHtmlHeight(table(500))).toBe(420);
    expect(estimateHtmlHeight('<b>x</b>')).toBe(48);
  });
});

describe('frameDocument', () => {
  it('keeps the output markup after our base style', () => {
    const doc = frameDocument('<table><tr><td>1</td></tr></table>');
    expect(doc.startsWith('<!doctype html>')).toBe(true);
    expect(doc.endsWith('<table><tr><td>1</td></tr></table>')).toBe(true);
  });
});
