import type { CellRunResult } from '@spin/client';
import type { InputValueKind, InputValues, TemplateValue, TemplateVariable } from '@spin/protocol';

/** What each variable type is, as the panel explains it. */
export const VARIABLE_TYPES: { type: TemplateVariable['type']; label: string; help: string }[] = [
  { type: 'input', label: 'Input', help: 'asked when a session starts' },
  { type: 'static', label: 'Static', help: 'a fixed value' },
  {
    type: 'code_python',
    label: 'Python',
    help: "the last line's value, computed at session start",
  },
];

/** A new variable of `type` with a name no other variable has. */
export function newVariable(
  type: TemplateVariable['type'],
  existing: readonly TemplateVariable[],
): TemplateVariable {
  const names = new Set(existing.map((v) => v.name));
  let n = existing.length + 1;
  while (names.has(`var${n}`)) n++;
  return retypeVariable({ name: `var${n}`, type: 'static', value: '' }, type);
}

/** The same variable (name, description) as another type, with that type's empty fields. */
export function retypeVariable(
  v: TemplateVariable,
  type: TemplateVariable['type'],
): TemplateVariable {
  const common = { name: v.name, ...(v.description ? { description: v.description } : {}) };
  if (type === 'input') return { ...common, type, valueKind: 'string' };
  if (type === 'static') return { ...common, type, value: '' };
  return { ...common, type, code: '', kernel: 'python3' };
}

/** A static value as typed: JSON when it parses as JSON, else the text itself. */
export function parseStaticText(text: string): TemplateValue {
  try {
    return JSON.parse(text) as TemplateValue;
  } catch {
    return text;
  }
}

/** A static value as the field shows it (strings without quotes unless they look like JSON). */
export function staticText(value: TemplateValue): string {
  if (typeof value === 'string') {
    return parseStaticText(value) === value ? value : JSON.stringify(value);
  }
  return JSON.stringify(value);
}

/** One typed form value of an input variable's kind (`"3"` → 3 for numbers). */
export function parseScalar(text: string, kind: InputValueKind): string | number | boolean {
  if (kind === 'number') return text.trim() === '' ? NaN : Number(text);
  if (kind === 'boolean') return text.trim() === 'true';
  return text;
}

/** Allowed values typed as a comma-separated list. */
export function parseAllowed(text: string, kind: InputValueKind) {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return items.length ? items.map((s) => parseScalar(s, kind)) : undefined;
}

/** How a value reads in the panel. */
export function valueText(v: TemplateValue | undefined): string {
  if (v === undefined) return '—';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** A `code_python` variable's run as the panel shows it: its JSON value, or why it failed. */
export interface PythonValue {
  ok: boolean;
  text: string;
}

export function pythonValue(run: CellRunResult): PythonValue {
  for (const o of run.outputs) {
    if (o.output_type === 'error') return { ok: false, text: `${o.ename}: ${o.evalue}` };
  }
  if (run.status !== 'ok') return { ok: false, text: `the code ended with status ${run.status}` };
  for (const o of run.outputs) {
    if (o.output_type !== 'display_data') continue;
    const text = o.data['text/plain'];
    if (typeof text === 'string') return { ok: true, text };
  }
  return { ok: false, text: 'no value' };
}

/** What one session's variables resolved to, remembered for a reload of the same session. */
export interface ResolvedVariables {
  inputs: InputValues;
  python: Record<string, PythonValue>;
}

const KEY = (sid: string) => `spin.templateVariables.${sid}`;

/** The values this tab resolved for session `sid`, if any (sessionStorage: this tab only). */
export function loadResolved(sid: string): ResolvedVariables | null {
  try {
    const raw = sessionStorage.getItem(KEY(sid));
    return raw ? (JSON.parse(raw) as ResolvedVariables) : null;
  } catch {
    return null;
  }
}

export function saveResolved(sid: string, r: ResolvedVariables): void {
  try {
    sessionStorage.setItem(KEY(sid), JSON.stringify(r));
  } catch {
    // not remembered: a reload asks again
  }
}
