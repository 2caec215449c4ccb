import { describe, expect, it } from 'vitest';
import { notebookToIpynb, parseIpynb, serializeIpynb } from './ipynb.js';
import { compileCell } from './processors/compile.js';
import {
  assertInputsGiven,
  codePythonProgram,
  resolveTemplateValues,
  TemplateVariablesSchema,
  type TemplateVariable,
} from './templateVariables.js';

const LIMITS = { timeoutMs: 1000, outputBytes: 1000 };
const defs: TemplateVariable[] = [
  { name: 'env', type: 'input', valueKind: 'string', allowed: ['prod', 'staging'] },
  { name: 'replicas', type: 'input', valueKind: 'number', default: 3 },
  { name: 'dry', type: 'input', valueKind: 'boolean' },
  { name: 'region', type: 'static', value: { name: 'eu', zones: ['a', 'b'] } },
  { name: 'hosts', type: 'code_python', code: '["a", "b"]', kernel: 'python3' },
];

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe('template variable definitions', () => {
  it('accepts the three types and refuses duplicates, mistyped defaults and reserved names', () => {
    expect(TemplateVariablesSchema.safeParse(defs).success).toBe(true);
    const bad = (v: unknown[]) => TemplateVariablesSchema.safeParse(v).error?.issues[0]?.message;
    expect(bad([defs[0], defs[0]])).toBe('"env" is defined twice');
    expect(bad([{ name: 'n', type: 'input', valueKind: 'number', default: 'x' }])).toBe(
      'must be a number',
    );
    expect(bad([{ name: 'n', type: 'input', default: 'c', allowed: ['a', 'b'] }])).toBe(
      'must be one of the allowed values',
    );
    expect(bad([{ name: 'spin_vars', type: 'static', value: 1 }])).toContain('spin_vars');
    expect(bad([{ name: 'class', type: 'static', value: 1 }])).toContain('Python keyword');
    expect(bad([{ name: '1x', type: 'static', value: 1 }])).toContain('letters');
  });
});

describe('resolveTemplateValues', () => {
  it('takes statics from the definitions, checks inputs and applies defaults', () => {
    expect(resolveTemplateValues(defs, { env: 'prod', dry: 'true' })).toEqual({
      env: 'prod',
      replicas: 3,
      dry: true,
      region: { name: 'eu', zones: ['a', 'b'] },
    });
    expect(resolveTemplateValues(defs, { replicas: '7' }).replicas).toBe(7);
  });

  it('refuses values of the wrong kind, outside the allowed list, or for non-input variables', () => {
    expect(codeOf(() => resolveTemplateValues(defs, { env: 'dev' }))).toBe(
      'template.invalid_value',
    );
    expect(codeOf(() => resolveTemplateValues(defs, { replicas: 'many' }))).toBe(
      'template.invalid_value',
    );
    expect(codeOf(() => resolveTemplateValues(defs, { replicas: '' }))).toBe(
      'template.invalid_value',
    );
    expect(codeOf(() => resolveTemplateValues(defs, { dry: 'yes' }))).toBe(
      'template.invalid_value',
    );
    expect(codeOf(() => resolveTemplateValues(defs, { region: 'us' }))).toBe('template.not_input');
    expect(codeOf(() => resolveTemplateValues(defs, { hosts: '[]' }))).toBe('template.not_input');
    expect(codeOf(() => resolveTemplateValues(defs, { other: 'x' }))).toBe(
      'template.unknown_variable',
    );
  });

  it('names an input variable a cell uses without a value', () => {
    const values = resolveTemplateValues(defs, {});
    expect(codeOf(() => assertInputsGiven(defs, values, ['echo {{env}}']))).toBe(
      'template.missing_value',
    );
    // defaults, statics, Python variables and session variables are not missing here
    expect(
      codeOf(() =>
        assertInputsGiven(defs, values, ['{{replicas}} {{region.name}} {{hosts}} {{cell_x}}']),
      ),
    ).toBeUndefined();
  });
});

describe('compiling with template values', () => {
  it('processor programs carry only the values they reference; kernel programs all as spin_vars', () => {
    const templateValues = resolveTemplateValues(defs, { env: 'prod' });
    const sh = compileCell(
      { id: 'c', type: 'shell', source: 'echo {{env}} {{hosts}}' },
      { limits: LIMITS, templateValues },
    );
    expect(sh).toMatchObject({ kind: 'processor', vars: { env: 'prod' } });
    const py = compileCell(
      { id: 'p', type: 'python', source: 'print("{{env}}")' },
      { limits: LIMITS, templateValues },
    );
    expect(py).toEqual({
      kind: 'kernel',
      kernel: 'python3',
      code: 'print("{{env}}")', // Python source runs as written
      vars: templateValues,
    });
  });

  it("builds a code_python variable's program from its definition, the code as a literal", () => {
    const code = 'x = """\\"\'"""\n{"v": x}';
    const p = codePythonProgram({ name: 'v', type: 'code_python', code, kernel: 'python3' });
    expect(p.templateVar).toBe('v');
    expect(p.kernel).toBe('python3');
    expect(p.code).toContain(`_spin_template_variable("v", ${JSON.stringify(code)})`);
  });
});

describe('template variables in .ipynb files', () => {
  it('travel in the notebook metadata and come back; a bad definition is refused on import', () => {
    const nb = notebookToIpynb({
      title: 'Runbook',
      settings: { templateVariables: defs },
      cells: [],
      runs: new Map(),
      kept: null,
    });
    const back = parseIpynb(JSON.parse(serializeIpynb(nb)));
    expect(back.settings.templateVariables).toEqual(defs);
    const meta = (nb.metadata as { spin: { settings: Record<string, unknown> } }).spin;
    meta.settings.templateVariables = [{ name: 'x', type: 'input', valueKind: 'date' }];
    expect(codeOf(() => parseIpynb(nb))).toBe('notebook.ipynb_invalid');
  });
});
