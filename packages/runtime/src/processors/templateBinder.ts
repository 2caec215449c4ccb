import { SpinError, valueAtPath, type TemplateBinder, type TemplateValue } from '@spin/protocol';
import type { SessionResults } from './sessionResults.js';

/** Where secrets come from at the runtime (issue 9 provides one; without it none resolve). */
export interface SecretSource {
  get(name: string): string | undefined;
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
      const value = ref.kind === 'secret' ? opts.secrets?.get(ref.name) : undefined;
      if (value === undefined) {
        throw new SpinError(
          'template.secret_unavailable',
          `${ref.raw}: ${ref.kind === 'secret' ? `no secret "${ref.name}" is available on this runtime` : 'secret variables are not available on this runtime'}`,
        );
      }
      usedSecrets.add(value);
      return value;
    },
  };
}
