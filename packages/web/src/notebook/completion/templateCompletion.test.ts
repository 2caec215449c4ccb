import { describe, expect, it } from 'vitest';
import { templateCompletionResult, type TemplateNames } from './templateCompletion';

const names: TemplateNames = {
  variables: [{ name: 'service', description: 'the service to look at' }, { name: 'env' }],
  results: ['cell_q1', 'service'],
  secrets: ['PG_PASSWORD'],
};

/** Complete at `|` in `line`; returns the line after accepting the option labelled `label`. */
function accept(line: string, label: string): string {
  const at = line.indexOf('|');
  const before = line.slice(0, at);
  const after = line.slice(at + 1);
  const r = templateCompletionResult(before, after, at, names);
  if (!r) throw new Error('no completion');
  const o = r.options.find((x) => x.label === label);
  if (!o) throw new Error(`no option ${label}: ${r.options.map((x) => x.label).join(',')}`);
  return before.slice(0, r.from) + String(o.apply) + before.slice(r.to ?? at) + after;
}

describe('template reference completion', () => {
  it('offers variables, cell results and secret names after {{', () => {
    const r = templateCompletionResult('echo {{ ', '', 8, names)!;
    expect(r.options.map((o) => [o.label, o.detail])).toEqual([
      ['service', 'template variable'],
      ['env', 'template variable'],
      ['cell_q1', 'cell result'],
      ['secret:PG_PASSWORD', 'secret'],
    ]);
    expect(r.options[0]!.info).toBe('the service to look at');
  });

  it('replaces the part typed and closes the braces the way they were opened', () => {
    expect(accept('echo {{ ser|', 'service')).toBe('echo {{ service }}');
    expect(accept('echo {{ser|', 'service')).toBe('echo {{service}}');
    expect(accept('WHERE a = {{ser|}} AND', 'service')).toBe('WHERE a = {{service}} AND');
    expect(accept('curl -u {{ secret:PG|', 'secret:PG_PASSWORD')).toBe(
      'curl -u {{ secret:PG_PASSWORD }}',
    );
    expect(accept('x {{secret_var:|', 'secret_var:env')).toBe('x {{secret_var:env}}');
  });

  it('stays out of text that is not an open reference', () => {
    expect(templateCompletionResult('echo service', '', 12, names)).toBe(null);
    expect(templateCompletionResult('echo {{ service }} ', '', 19, names)).toBe(null);
    expect(templateCompletionResult('echo \\{{ ser', '', 12, names)).toBe(null);
    expect(templateCompletionResult('{{', '', 2, { variables: [], results: [], secrets: [] })).toBe(
      null,
    );
  });
});
