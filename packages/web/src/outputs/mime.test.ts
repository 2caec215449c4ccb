import { describe, expect, it } from 'vitest';
import { mimeText, selectMime } from './mime';

describe('selectMime', () => {
  it('prefers a PNG over HTML and text, as a base64 data URL without line breaks', () => {
    const r = selectMime({
      'text/plain': '<Figure>',
      'text/html': '<b>fig</b>',
      'image/png': 'iVBORw0K\nGgo=\n',
    });
    expect(r).toEqual({
      kind: 'image',
      mime: 'image/png',
      src: 'data:image/png;base64,iVBORw0KGgo=',
    });
  });

  it('renders SVG as an encoded data URL, never inline markup', () => {
    const r = selectMime({
      'image/svg+xml': '<svg onload="alert(1)"><rect/></svg>',
      'text/plain': 'x',
    });
    expect(r.kind).toBe('image');
    if (r.kind !== 'image') throw new Error('unreachable');
    expect(r.src.startsWith('data:image/svg+xml;charset=utf-8,%3Csvg')).toBe(true);
    expect(r.src).not.toContain('<');
  });

  it('prefers HTML over JSON and text/plain', () => {
    expect(selectMime({ 'text/plain': 'df', 'text/html': ['<table>', '</table>'] })).toEqual({
      kind: 'html',
      mime: 'text/html',
      html: '<table></table>',
    });
  });

  it('keeps JSON as its value (for the tree) and pretty-printed (for Raw JSON)', () => {
    expect(selectMime({ 'application/json': { a: [1, 2] }, 'text/plain': '{...}' })).toEqual({
      kind: 'json',
      mime: 'application/json',
      text: '{\n  "a": [\n    1,\n    2\n  ]\n}',
      value: { a: [1, 2] },
    });
  });

  it('falls back to text/plain, then other text types, then empty', () => {
    expect(selectMime({ 'text/plain': ['a\n', 'b'] })).toEqual({
      kind: 'text',
      mime: 'text/plain',
      text: 'a\nb',
    });
    expect(selectMime({ 'text/markdown': '# hi' })).toEqual({
      kind: 'text',
      mime: 'text/markdown',
      text: '# hi',
    });
    expect(selectMime({ 'application/x-unknown': 1 })).toEqual({ kind: 'empty' });
  });

  it('skips a malformed richer type instead of failing', () => {
    expect(selectMime({ 'image/png': 'not base64!', 'text/plain': 'fallback' })).toEqual({
      kind: 'text',
      mime: 'text/plain',
      text: 'fallback',
    });
  });
});

describe('mimeText', () => {
  it('joins line lists and rejects non-text', () => {
    expect(mimeText(['a', 'b'])).toBe('ab');
    expect(mimeText(3)).toBeUndefined();
    expect(mimeText(['a', 1])).toBeUndefined();
  });
});
