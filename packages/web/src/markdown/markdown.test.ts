import { describe, expect, it } from 'vitest';
import { parseInline, parseMarkdown, safeHref } from './markdown';

describe('parseMarkdown', () => {
  it('parses headings, paragraphs, lists, code and rules', () => {
    const blocks = parseMarkdown(
      '# Incident 42\n\nDisk *full* on `db-1`.\nSee below.\n\n- check **df**\n- rotate logs\n\n```sh\ndf -h\n```\n---\n> note',
    );
    expect(blocks.map((b) => b.t)).toEqual(['heading', 'paragraph', 'list', 'code', 'hr', 'quote']);
    expect(blocks[0]).toEqual({
      t: 'heading',
      level: 1,
      children: [{ t: 'text', text: 'Incident 42' }],
    });
    expect(blocks[1]).toEqual({
      t: 'paragraph',
      children: [
        { t: 'text', text: 'Disk ' },
        { t: 'em', children: [{ t: 'text', text: 'full' }] },
        { t: 'text', text: ' on ' },
        { t: 'code', text: 'db-1' },
        { t: 'text', text: '.\nSee below.' },
      ],
    });
    expect(blocks[3]).toEqual({ t: 'code', lang: 'sh', text: 'df -h' });
  });

  it('keeps raw HTML as text', () => {
    expect(parseMarkdown('<script>alert(1)</script>')).toEqual([
      { t: 'paragraph', children: [{ t: 'text', text: '<script>alert(1)</script>' }] },
    ]);
  });

  it('numbered lists keep their start', () => {
    const [list] = parseMarkdown('3. three\n4. four');
    expect(list).toMatchObject({ t: 'list', ordered: true, start: 3 });
  });
});

describe('links', () => {
  it('allows http(s), mailto and relative targets but not javascript:', () => {
    expect(safeHref('https://grafana.example/d/1')).toBe('https://grafana.example/d/1');
    expect(safeHref('/notebooks/abc')).toBe('/notebooks/abc');
    expect(safeHref('javascript:alert(1)')).toBeNull();
    expect(safeHref('JaVaScRiPt:alert(1)')).toBeNull();
    expect(safeHref('data:text/html,x')).toBeNull();
    expect(safeHref('\u0001javascript:alert(1)')).toBeNull();
    expect(safeHref('java\tscript:alert(1)')).toBeNull();
    expect(parseInline('[dash](javascript:x)')).toEqual([
      { t: 'link', href: null, children: [{ t: 'text', text: 'dash' }] },
    ]);
  });
});
