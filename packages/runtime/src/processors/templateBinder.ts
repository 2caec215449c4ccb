import { SpinError, valueAtPath, type TemplateBinder, type TemplateValue } from '@spin/protocol';
import type { SessionResults } from './sessionResults.js';

/**
 * Where secrets come from at the runtime (credentials/runCredentials.ts): only those the
 * program names. `get` may throw a SpinError saying why one is not available.
 */
export interface SecretSource {
  get(name: string): string | undefined;
}

function secretVarName(
  variable: string,
  vars: Readonly<Record<string, TemplateValue>>,
  results: Pick<SessionResults, 'resolve'>,
): string {
  const raw = `{{secret_var:${variable}}}`;
  const v = Object.hasOwn(vars, variable) ? vars[variable] : results.resolve(variable, [], raw);
  if (typeof v !== 'string' || v === '') {
    throw new SpinError(
      'template.unknown_variable',
      `${raw}: the variable "${variable}" must hold a secret's name`,
    );
  }
  return v;
}

/**
 * The runtime's {@link TemplateBinder}: `{{name}}` reads the program's notebook template values
 * first, then the session's variables; `{{secret:…}}` reads the secret source. Every secret it
 * hands out is recorded, so output masking knows what to hide.
 */
export function createTemplateBinder(opts: {
  vars?: Readonly<Record<string, TemplateValue>> | undefined;
  results: Pick<SessionResults, 'resolve'>;
  secrets?: SecretSource | undefined;
}): TemplateBinder & { readonly usedSecrets: ReadonlySet<string> } {
  const usedSecrets = new Set<string>();
  const vars = opts.vars ?? {};
  return {
    usedSecrets,
    resolve(ref) {
      if (ref.kind === 'var') {
        if (Object.hasOwn(vars, ref.name)) return valueAtPath(vars[ref.name]!, ref.path, ref.raw);
        const v = opts.results.resolve(ref.name, ref.path, ref.raw);
        if (v !== undefined) return v;
        throw new SpinError(
          'template.unknown_variable',
          `${ref.raw}: no template variable or earlier cell result is named "${ref.name}"`,
        );
      }
      // {{secret_var:v}}: the secret whose name the variable `v` holds (still one the program names)
      const name = ref.kind === 'secret' ? ref.name : secretVarName(ref.name, vars, opts.results);
      let value: string | undefined;
      try {
        value = opts.secrets?.get(name);
      } catch (err) {
        if (err instanceof SpinError) throw new SpinError(err.code, `${ref.raw}: ${err.message}`);
        throw err;
      }
      if (value === undefined) {
        throw new SpinError(
          'template.secret_unavailable',
          `${ref.raw}: no secret "${name}" is available on this runtime`,
        );
      }
      usedSecrets.add(value);
      return value;
    },
  };
}
