import type { Completion, CompletionResult } from '@codemirror/autocomplete';

/** Names a `{{ … }}` reference may use in this notebook (never a secret's value). */
export interface TemplateNames {
  /** The notebook's template variables. */
  variables: readonly { name: string; description?: string | undefined }[];
  /** Session variables: the result variables of the notebook's integration cells. */
  results: readonly string[];
  /** Secret names the notebook's workspace holds. */
  secrets: readonly string[];
}

/** An open reference just before the cursor: `{{`, optional space, the part typed so far. */
const OPEN_REF = /(?<!\\)\{\{(\s*)((?:secret_var:|secret:)?[A-Za-z0-9_.-]*)$/;

/**
 * Completions inside a template reference (protocol `templates.ts`: `{{name}}`,
 * `{{name.path}}`, `{{secret:NAME}}`, `{{secret_var:name}}`) for the text of the line before
 * the cursor, `lineBefore`, at document offset `pos`; `after` is the text after the cursor on
 * the line. Accepting an option closes the braces unless they are closed already. Null when
 * the cursor is not in a reference.
 */
export function templateCompletionResult(
  lineBefore: string,
  after: string,
  pos: number,
  names: TemplateNames,
): CompletionResult | null {
  const m = OPEN_REF.exec(lineBefore);
  if (!m) return null;
  const space = m[1]!;
  const typed = m[2]!;
  const closed = /^\s*\}\}/.test(after);
  const close = closed ? '' : `${space}}}`;
  const option = (label: string, detail: string, type: string, info?: string): Completion => ({
    label,
    detail,
    type,
    apply: label + close,
    ...(info ? { info } : {}),
  });
  const options: Completion[] = [];
  if (typed.startsWith('secret_var:')) {
    for (const v of names.variables) {
      options.push(option(`secret_var:${v.name}`, 'secret named by a variable', 'variable'));
    }
  } else {
    const seen = new Set<string>();
    for (const v of names.variables) {
      if (seen.has(v.name)) continue;
      seen.add(v.name);
      options.push(option(v.name, 'template variable', 'variable', v.description));
    }
    for (const r of names.results) {
      if (seen.has(r)) continue;
      seen.add(r);
      options.push(option(r, 'cell result', 'property'));
    }
    for (const s of names.secrets) options.push(option(`secret:${s}`, 'secret', 'constant'));
  }
  if (options.length === 0) return null;
  return { from: pos - typed.length, to: pos, options, validFor: /^[\w.:-]*$/ };
}
