import { describe, expect, it } from 'vitest';
import { TemplateVariablesSchema, type TemplateVariable } from '@spin/protocol';
import {
  newVariable,
  parseAllowed,
  parseStaticText,
  retypeVariable,
  staticText,
} from './templateVariablesModel';

describe('template variables in the panel', () => {
  it('adds variables with fresh names that the schema accepts', () => {
    let vars: TemplateVariable[] = [];
    for (const type of ['input', 'static', 'code_python'] as const) {
      vars = [...vars, newVariable(type, vars)];
    }
    expect(vars.map((v) => v.name)).toEqual(['var1', 'var2', 'var3']);
    expect(TemplateVariablesSchema.safeParse(vars).success).toBe(true);
  });

  it('keeps the name and description when the type changes', () => {
    const v = retypeVariable({ name: 'env', type: 'static', value: 1, description: 'd' }, 'input');
    expect(v).toEqual({ name: 'env', description: 'd', type: 'input', valueKind: 'string' });
  });

  it('reads static values as JSON when they are JSON, else as text, and shows them back', () => {
    expect(parseStaticText('42')).toBe(42);
    expect(parseStaticText('["a"]')).toEqual(['a']);
    expect(parseStaticText('eu-west-1')).toBe('eu-west-1');
    for (const text of ['eu-west-1', '42', '["a",1]', '"42"']) {
      expect(staticText(parseStaticText(text))).toBe(text);
    }
  });

  it('types allowed values by the value kind', () => {
    expect(parseAllowed('1, 2,', 'number')).toEqual([1, 2]);
    expect(parseAllowed(' ', 'string')).toBeUndefined();
    expect(parseAllowed('true,false', 'boolean')).toEqual([true, false]);
  });
});
