import { z } from 'zod';
import { ResultVarSchema } from './cellResult.js';
import { SpinError } from './errors.js';
import type { ProgramBody } from './program.js';
import { StorableStringSchema } from './strings.js';
import { templateRefs, TemplateValueSchema, type TemplateValue } from './templates.js';

/**
 * Template variables defined on a notebook (issue 9), resolved when a session starts; cells
 * read them as `{{name}}` (templates.ts):
 * - `input`: the user gives a value when the session starts (default and allowed values are
 *   optional); the client carries it for the session and sends it with every compile, and the
 *   server checks it against the definition before it enters a program's `vars`;
 * - `static`: a fixed value; only the notebook's own definition counts, never a client's;
 * - `code_python`: Python run in the session's kernel at session start; its last expression's
 *   JSON value becomes a session variable at the runtime (like a cell result), so `{{name}}`
 *   resolves there. The server compiles that program from the notebook's definition.
 *
 * Python cells are not templated: their source runs exactly as written (`{{x}}` is legal
 * Python in f-strings and Jinja text, and Jupyter users expect variables, not text
 * substitution). Instead the kernel has a `spin_vars` dict holding every template value.
 */

/** A variable's name: a Python identifier that `{{name}}` can reference. */
export const TemplateVariableNameSchema = ResultVarSchema.refine(
  (s) => s.length <= 64,
  'at most 64 characters',
).refine((s) => s !== 'spin_vars', 'spin_vars is the dict of template values in Python');

/** What an `input` variable holds. */
export const InputValueKindSchema = z.enum(['string', 'number', 'boolean']);
export type InputValueKind = z.infer<typeof InputValueKindSchema>;

const ScalarSchema = z.union([StorableStringSchema.max(10_000), z.number(), z.boolean()]);

const common = {
  name: TemplateVariableNameSchema,
  /** Shown next to the input; optional. */
  description: StorableStringSchema.max(500).optional(),
};

export const InputVariableSchema = z.object({
  ...common,
  type: z.literal('input'),
  valueKind: InputValueKindSchema.default('string'),
  default: ScalarSchema.optional(),
  /** When set, the value must be one of these. */
  allowed: z.array(ScalarSchema).max(200).optional(),
});

export const StaticVariableSchema = z.object({
  ...common,
  type: z.literal('static'),
  value: TemplateValueSchema,
});

export const CodePythonVariableSchema = z.object({
  ...common,
  type: z.literal('code_python'),
  code: StorableStringSchema.max(100_000),
  /** Kernelspec that runs it (the session's Python kernel). */
  kernel: z.string().min(1).max(128).default('python3'),
});

export const TemplateVariableSchema = z.discriminatedUnion('type', [
  InputVariableSchema,
  StaticVariableSchema,
  CodePythonVariableSchema,
]);
export type TemplateVariable = z.infer<typeof TemplateVariableSchema>;
export type InputVariable = z.infer<typeof InputVariableSchema>;

/** A notebook's variables: names unique, defaults and allowed values of the input's kind. */
export const TemplateVariablesSchema = z
  .array(TemplateVariableSchema)
  .max(100)
  .superRefine((vars, ctx) => {
    const seen = new Set<string>();
    vars.forEach((v, i) => {
      if (seen.has(v.name)) {
        ctx.addIssue({
          code: 'custom',
          path: [i, 'name'],
          message: `"${v.name}" is defined twice`,
        });
      }
      seen.add(v.name);
      if (v.type !== 'input') return;
      for (const [key, value] of [
        ['default', v.default],
        ...(v.allowed ?? []).map((a, j) => [`allowed.${j}`, a] as const),
      ] as const) {
        if (value !== undefined && typeof value !== v.valueKind) {
          ctx.addIssue({ code: 'custom', path: [i, key], message: `must be a ${v.valueKind}` });
        }
      }
      if (v.default !== undefined && v.allowed && !v.allowed.includes(v.default)) {
        ctx.addIssue({
          code: 'custom',
          path: [i, 'default'],
          message: 'must be one of the allowed values',
        });
      }
    });
  });

/** Values the user gave `input` variables for a session (client → server with each compile). */
export const InputValuesSchema = z.record(z.string().max(64), ScalarSchema);
export type InputValues = z.infer<typeof InputValuesSchema>;

/**
 * One input value checked against its definition. Form fields give text, so a string is
 * converted for `number` and `boolean` variables (`"42"`, `"true"`); anything else that is not
 * of the variable's kind, or not among its allowed values, is `template.invalid_value`.
 */
export function checkInputValue(def: InputVariable, given: unknown): string | number | boolean {
  let v = given;
  if (typeof v === 'string' && def.valueKind === 'number' && v.trim() !== '') v = Number(v);
  if (typeof v === 'string' && def.valueKind === 'boolean' && /^(true|false)$/.test(v)) {
    v = v === 'true';
  }
  if (typeof v !== def.valueKind || (typeof v === 'number' && !Number.isFinite(v))) {
    throw new SpinError(
      'template.invalid_value',
      `template variable "${def.name}" takes a ${def.valueKind}`,
    );
  }
  const value = v as string | number | boolean;
  if (def.allowed && !def.allowed.includes(value)) {
    throw new SpinError(
      'template.invalid_value',
      `template variable "${def.name}" must be one of ${def.allowed.map((a) => JSON.stringify(a)).join(', ')}`,
    );
  }
  return value;
}

/**
 * The template values a program may carry: `static` values from the definitions and `input`
 * values checked against theirs (the default when none was given). A given value for a name
 * that is not an input variable is refused: clients cannot override static or computed
 * values. `code_python` variables have no value here; they live at the runtime.
 */
export function resolveTemplateValues(
  defs: readonly TemplateVariable[],
  given: Readonly<Record<string, unknown>> = {},
): Record<string, TemplateValue> {
  const byName = new Map(defs.map((d) => [d.name, d]));
  for (const name of Object.keys(given)) {
    const def = byName.get(name);
    if (!def) {
      throw new SpinError(
        'template.unknown_variable',
        `the notebook has no template variable "${name}"`,
      );
    }
    if (def.type !== 'input') {
      throw new SpinError(
        'template.not_input',
        `template variable "${name}" is ${def.type === 'static' ? 'a static value' : 'computed by Python code'}; only input variables take values`,
      );
    }
  }
  const values: Record<string, TemplateValue> = {};
  for (const def of defs) {
    if (def.type === 'static') values[def.name] = def.value;
    else if (def.type === 'input') {
      if (Object.hasOwn(given, def.name)) values[def.name] = checkInputValue(def, given[def.name]);
      else if (def.default !== undefined) values[def.name] = def.default;
    }
  }
  return values;
}

/**
 * Refuse a cell that references an `input` variable with no value, naming it — instead of the
 * runtime's generic "no variable" error later.
 */
export function assertInputsGiven(
  defs: readonly TemplateVariable[],
  values: Readonly<Record<string, TemplateValue>>,
  template: unknown,
): void {
  for (const ref of templateRefs(template)) {
    if (ref.kind !== 'var' || Object.hasOwn(values, ref.name)) continue;
    const def = defs.find((d) => d.name === ref.name);
    if (def?.type === 'input') {
      throw new SpinError(
        'template.missing_value',
        `${ref.raw}: enter a value for the input variable "${def.name}" (notebook variables)`,
      );
    }
  }
}

/** MIME type of the value a `code_python` variable's program displays. */
export const TEMPLATE_VALUE_MIME = 'application/json';

// Runs the definition's code like a notebook cell in the kernel's namespace (its imports and
// names stay for later cells) and displays its last expression's value as JSON, tagged with the
// variable's name, for the runtime to keep. JSON string literals are valid Python literals.
const CODE_PYTHON_RUNNER = `def _spin_template_variable(_name, _src):
    import ast, json
    from IPython import get_ipython
    from IPython.display import display
    ns = get_ipython().user_ns
    where = '<template variable %s>' % _name
    tree = ast.parse(_src, filename=where)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, where, 'exec'), ns)
    value = eval(compile(ast.Expression(last.value), where, 'eval'), ns) if last else None
    try:
        text = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise TypeError('template variable %s: the value of the last line is not JSON (%s)' % (_name, e)) from None
    ns.setdefault('spin_vars', {})[_name] = value
    display({${JSON.stringify(TEMPLATE_VALUE_MIME)}: json.loads(text), 'text/plain': text}, raw=True, metadata={'spin': {'templateVar': _name}})
`;

/** Id of the run that computes variable `name` (claims, receipts and the journal name it). */
export function templateVariableCellId(name: string): string {
  return `var:${name}`;
}

/** The kernel program of a `code_python` variable, built from the notebook's definition. */
export function codePythonProgram(
  def: z.infer<typeof CodePythonVariableSchema>,
): Extract<ProgramBody, { kind: 'kernel' }> {
  const code =
    CODE_PYTHON_RUNNER +
    `try:\n    _spin_template_variable(${JSON.stringify(def.name)}, ${JSON.stringify(def.code)})\n` +
    `finally:\n    del _spin_template_variable\n`;
  return { kind: 'kernel', kernel: def.kernel, code, templateVar: def.name };
}
