import { describe, expect, it } from 'vitest';
import { compileCell } from '../compile.js';
import { bindPromql, manifest, stepSeconds } from './index.js';

const limits = { timeoutMs: 1000, outputBytes: 1000 };

describe('Prometheus manifest', () => {
  it('picks a step from the time range (about 720 points) unless the cell sets one', () => {
    expect(stepSeconds('auto', 3_600_000)).toBe(5);
    expect(stepSeconds('auto', 86_400_000)).toBe(120);
    expect(stepSeconds('auto', 5 * 60_000)).toBe(1);
    expect(stepSeconds('1m30s', 0)).toBe(90);
    expect(stepSeconds('2.5', 0)).toBe(2.5);
    expect(stepSeconds('500ms', 0)).toBe(0.5);
  });

  it("compiles with the cell's own time range over the notebook's", () => {
    const program = compileCell(
      {
        id: 'p',
        type: manifest.cellType,
        source: 'up',
        timeRange: { from: '2026-01-01T00:00:00.000Z', to: '2026-01-02T00:00:00.000Z' },
      },
      { limits, notebookTimeRange: { from: 'now-5m', to: 'now' } },
    );
    expect(program).toMatchObject({
      kind: 'processor',
      processor: 'prometheus',
      params: { query: 'up', queryType: 'range', stepS: 120 },
      timeRange: { from: '2026-01-01T00:00:00.000Z', to: '2026-01-02T00:00:00.000Z' },
    });
  });

  it('refuses an empty query, a bad step and steps that give too many points', () => {
    const cell = (source: string, params: Record<string, unknown>) => () =>
      compileCell(
        {
          id: 'p',
          type: manifest.cellType,
          source,
          params,
          timeRange: { from: '2026-01-01T00:00:00.000Z', to: '2026-01-02T00:00:00.000Z' },
        },
        { limits },
      );
    expect(cell('  ', {})).toThrow(/write a PromQL query/);
    expect(cell('up', { step: 'often' })).toThrow(/step: a duration such as 15s/);
    expect(cell('up', { step: '1s' })).toThrow(/more than 11,000 points/);
    expect(cell('up', { step: '1s', queryType: 'instant' })).not.toThrow();
  });

  it('escapes values inside PromQL strings and refuses bare values that are not names or numbers', () => {
    const bind = (q: string, v: string) => bindPromql(q, () => v);
    expect(bind('up{job="{{j}}"}', 'a"b\\c\nd')).toBe('up{job="a\\"b\\\\c\\nd"}');
    expect(bind("up{job='{{j}}'}", "it's")).toBe("up{job='it\\'s'}");
    expect(bind('up{job=~`{{j}}`}', 'a.*\\d')).toBe('up{job=~`a.*\\d`}');
    expect(() => bind('up{job=~`{{j}}`}', 'a`b')).toThrow(/raw string cannot hold a backtick/);
    expect(bind('sum by ({{l}}) (up)', 'job')).toBe('sum by (job) (up)');
    expect(bindPromql('rate(x[{{w}}]) > {{n}}', (r) => (r.raw === '{{w}}' ? '5m' : '0.5'))).toBe(
      'rate(x[5m]) > 0.5',
    );
    expect(() => bind('up > {{n}}', '1 or vector(1)')).toThrow(
      /outside quotes a value must be a number, a duration or a name/,
    );
    // A quote inside an earlier string does not confuse where the reference stands.
    expect(bind('up{a="x\\"y", b="{{v}}"}', '"')).toBe('up{a="x\\"y", b="\\""}');
    expect(bind('up # note {{v}}\n', 'one\ntwo')).toBe('up # note one two\n');
  });
});
