import { describe, expect, it } from 'vitest';
import { renderToStaticMarkup } from 'react-dom/server';
import { Markdown } from './Markdown';
import { safeHref } from './safeUrl';

const html = (source: string) => renderToStaticMarkup(<Markdown source={source} />);

describe('Markdown', () => {
  it('renders headings, emphasis, code, nested lists and quotes', () => {
    const out = html(
      '# Incident 42\n\nDisk *full* on `db-1`.\n\n- check **df**\n  - nested\n- rotate\n\n```sh\ndf -h\n```\n\n> note',
    );
    expect(out).toContain('<h1>Incident 42</h1>');
    expect(out).toContain('<em>full</em>');
    expect(out).toContain('<code>db-1</code>');
    expect(out).toMatch(/<li>check <strong>df<\/strong>\s*<ul>\s*<li>nested<\/li>/);
    expect(out).toContain('<pre class="md-code"><code class="language-sh">df -h');
    expect(out).toContain('<blockquote>');
  });

  it('renders GitHub tables, task lists and strikethrough', () => {
    const out = html(
      '| host | load |\n|---|--:|\n| db-1 | 0.9 |\n\n- [x] paged\n- [ ] fixed\n\n~~old~~',
    );
    expect(out).toContain('<table>');
    expect(out).toContain('<th>host</th>');
    expect(out).toMatch(/<td style="text-align:right">0\.9<\/td>/);
    expect(out).toContain('type="checkbox"');
    expect(out).toContain('<del>old</del>');
    expect(out).not.toContain('|---|');
  });

  it('renders math with KaTeX', () => {
    const out = html('Error budget $e^{-\\lambda t}$ and\n\n$$\n\\sum_{i=1}^n x_i\n$$');
    expect(out).toContain('class="katex"');
    expect(out).toContain('katex-display');
    expect(out).not.toContain('$e^');
  });

  it('never renders raw HTML, scripts or unsafe link and image targets', () => {
    const out = html(
      '<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[a](javascript:alert(1)) [b](https://grafana.example/d/1) ![i](data:text/html,x) ![p](data:image/png;base64,iVBORw0KGgo=)',
    );
    expect(out).not.toContain('<script');
    expect(out).not.toContain('onerror');
    expect(out).not.toContain('javascript:');
    expect(out).not.toContain('data:text/html');
    expect(out).toContain(
      'href="https://grafana.example/d/1" target="_blank" rel="noopener noreferrer"',
    );
    expect(out).toContain('src="data:image/png;base64,iVBORw0KGgo="');
  });

  it('keeps KaTeX from running commands that make links or HTML', () => {
    const out = html('$\\href{javascript:alert(1)}{x}$ $\\htmlClass{evil}{y}$');
    // shown as the source text it is, never as a link or a class
    expect(out).not.toMatch(/<a\b/);
    expect(out).not.toContain('href=');
    expect(out).not.toContain('class="evil"');
  });
});

describe('safeHref', () => {
  it('allows http(s), mailto and relative targets but not javascript:', () => {
    expect(safeHref('https://grafana.example/d/1')).toBe('https://grafana.example/d/1');
    expect(safeHref('/notebooks/abc')).toBe('/notebooks/abc');
    expect(safeHref('javascript:alert(1)')).toBeNull();
    expect(safeHref('JaVaScRiPt:alert(1)')).toBeNull();
    expect(safeHref('data:text/html,x')).toBeNull();
    expect(safeHref('\u0001javascript:alert(1)')).toBeNull();
    expect(safeHref('java\tscript:alert(1)')).toBeNull();
  });
});
