import { z } from 'zod';
import { SpinError } from './errors.js';

/**
 * Template references in cell text and parameters (DESIGN.md §3):
 * - `{{name}}` / `{{name.path.0}}`: a notebook template variable or a session variable (the
 *   `CellResult` of an earlier integration cell);
 * - `{{secret:NAME}}`, `{{secret_var:name}}`: secrets, resolved at the runtime only.
 * `\{{` is a literal `{{`. Anything else between braces (`{{ .State }}` of `docker --format`,
 * `{{1+1}}`) is not a reference and stays as written.
 *
 * References are never pasted into text by the server: compiled programs keep them, and the
 * runtime binds all of them in one pass through the processor's `bindTemplates` hook, so a
 * substituted value is never parsed for references again and every processor decides how a
 * value enters its language (bind parameter, environment variable, escaped literal).
 */

/** A JSON value: what template variables and session-variable paths resolve to. */
export type TemplateValue =
  string | number | boolean | null | TemplateValue[] | { [key: string]: TemplateValue };

export const TemplateValueSchema: z.ZodType<TemplateValue> = z.lazy(() =>
  z.union([
    z.string(),
    z.number(),
    z.boolean(),
    z.null(),
    z.array(TemplateValueSchema),
    z.record(z.string(), TemplateValueSchema),
  ]),
);

/** A parsed reference. `raw` is the text as written, braces included. */
export type TemplateRef =
  | { kind: 'var'; name: string; path: string[]; raw: string }
  | { kind: 'secret'; name: string; raw: string }
  | { kind: 'secret_var'; name: string; raw: string };

/** A piece of template text. */
export type TemplatePart = { kind: 'text'; text: string } | { kind: 'ref'; ref: TemplateRef };

const REF =
  /\\\{\{|\{\{\s*(?:(secret|secret_var):([A-Za-z_][A-Za-z0-9_.-]{0,127})|([A-Za-z_][A-Za-z0-9_]{0,63}(?:\.[A-Za-z0-9_]{1,64}){0,16}))\s*\}\}/g;

/** Split text into literal pieces and references (escapes already undone). */
export function parseTemplate(text: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let last = 0;
  let literal = '';
  for (const m of text.matchAll(REF)) {
    literal += text.slice(last, m.index);
    last = m.index + m[0].length;
    if (m[0] === '\\{{') {
      literal += '{{';
      continue;
    }
    if (literal) parts.push({ kind: 'text', text: literal });
    literal = '';
    const [raw, secretKind, secretName, path] = m;
    if (secretKind && secretName) {
      parts.push({
        kind: 'ref',
        ref: { kind: secretKind as 'secret' | 'secret_var', name: secretName, raw },
      });
    } else {
      const [name, ...rest] = path!.split('.');
      parts.push({ kind: 'ref', ref: { kind: 'var', name: name!, path: rest, raw } });
    }
  }
  literal += text.slice(last);
  if (literal) parts.push({ kind: 'text', text: literal });
  return parts;
}

/** Every reference in a value: strings are parsed, arrays and objects walked. */
export function templateRefs(value: unknown): TemplateRef[] {
  if (typeof value === 'string') {
    return parseTemplate(value).flatMap((p) => (p.kind === 'ref' ? [p.ref] : []));
  }
  if (Array.isArray(value)) return value.flatMap(templateRefs);
  if (value && typeof value === 'object') return Object.values(value).flatMap(templateRefs);
  return [];
}

/** Rebuild text with each reference replaced by `render(ref)` and escapes undone. */
export function renderTemplate(text: string, render: (ref: TemplateRef) => string): string {
  return parseTemplate(text)
    .map((p) => (p.kind === 'text' ? p.text : render(p.ref)))
    .join('');
}

/** Apply {@link renderTemplate} to every string inside a JSON-like value. */
export function renderTemplatesDeep<T>(value: T, render: (ref: TemplateRef) => string): T {
  if (typeof value === 'string') return renderTemplate(value, render) as T;
  if (Array.isArray(value)) return value.map((v) => renderTemplatesDeep(v, render)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, renderTemplatesDeep(v, render)]),
    ) as T;
  }
  return value;
}

/**
 * How the runtime resolves references while a processor binds them. Throws `template.*`
 * SpinErrors for unknown variables and unavailable secrets.
 */
export interface TemplateBinder {
  resolve(ref: TemplateRef): TemplateValue;
}

/** A value as plain text: strings as-is, null as empty, everything else as JSON. */
export function templateText(value: TemplateValue): string {
  if (typeof value === 'string') return value;
  if (value === null) return '';
  return JSON.stringify(value);
}

/** Follow `path` into a JSON value (object keys, array indexes). */
export function valueAtPath(
  value: TemplateValue,
  path: readonly string[],
  ref: string,
): TemplateValue {
  let v: TemplateValue = value;
  for (const key of path) {
    if (Array.isArray(v) && /^\d+$/.test(key) && Number(key) < v.length) v = v[Number(key)]!;
    else if (v && typeof v === 'object' && !Array.isArray(v) && Object.hasOwn(v, key)) v = v[key]!;
    else throw new SpinError('template.unknown_variable', `${ref}: no "${key}" in this value`);
  }
  return v;
}

/**
 * The binding for processors that take no templates: any reference is refused (there is no
 * safe default for pasting a value into an unknown language); escapes are undone.
 */
export function refuseTemplates<T>(params: T, processor: string): T {
  return renderTemplatesDeep(params, (ref) => {
    throw new SpinError(
      'template.unsupported',
      `${ref.raw}: the ${processor} processor does not take template references`,
    );
  });
}
