import { describe, expect, it } from 'vitest';
import {
  parseTemplate,
  refuseTemplates,
  renderTemplate,
  templateRefs,
  valueAtPath,
} from './templates.js';

describe('template references', () => {
  it('parses variables with paths, secrets and secret variables', () => {
    expect(
      parseTemplate('a {{ host }} b {{res.rows.0.n}} {{secret:DB_PW}}{{secret_var:tok}}'),
    ).toEqual([
      { kind: 'text', text: 'a ' },
      { kind: 'ref', ref: { kind: 'var', name: 'host', path: [], raw: '{{ host }}' } },
      { kind: 'text', text: ' b ' },
      {
        kind: 'ref',
        ref: { kind: 'var', name: 'res', path: ['rows', '0', 'n'], raw: '{{res.rows.0.n}}' },
      },
      { kind: 'text', text: ' ' },
      { kind: 'ref', ref: { kind: 'secret', name: 'DB_PW', raw: '{{secret:DB_PW}}' } },
      { kind: 'ref', ref: { kind: 'secret_var', name: 'tok', raw: '{{secret_var:tok}}' } },
    ]);
  });

  it('leaves what is not a reference alone and undoes \\{{ escapes', () => {
    const docker = "docker inspect --format '{{.State.Status}}' {{ 1+1 }} {{}}";
    expect(templateRefs(docker)).toEqual([]);
    expect(renderTemplate(docker, () => 'X')).toBe(docker);
    expect(renderTemplate('\\{{x}} {{x}}', () => 'V')).toBe('{{x}} V');
  });

  it('finds references deep in parameters', () => {
    const refs = templateRefs({ q: 'up{job="{{job}}"}', opts: [{ h: '{{secret:T}}' }], n: 3 });
    expect(refs.map((r) => r.raw)).toEqual(['{{job}}', '{{secret:T}}']);
  });

  it('follows paths into values and names the missing key', () => {
    const v = { rows: [{ n: 1 }, { n: 2 }] };
    expect(valueAtPath(v, ['rows', '1', 'n'], '{{r}}')).toBe(2);
    expect(() => valueAtPath(v, ['rows', '5'], '{{r.rows.5}}')).toThrow(
      /\{\{r\.rows\.5\}\}: no "5"/,
    );
  });

  it('refuses references for processors that bind none', () => {
    expect(refuseTemplates({ a: 'plain \\{{x}}' }, 'demo')).toEqual({ a: 'plain {{x}}' });
    expect(() => refuseTemplates({ a: 'x {{y}}' }, 'demo')).toThrow(
      expect.objectContaining({ code: 'template.unsupported' }),
    );
  });
});
