import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bindShellScript, manifest } from '@spin/protocol/processors/shell';
import { BASH } from './shellProcessor.js';

/** Run a bound script with real bash and return its stdout. */
function runBound(script: string, value: string): string {
  const bound = bindShellScript(script, () => value);
  return execFileSync(BASH, ['--noprofile', '--norc', '-c', bound.script], {
    env: { PATH: process.env.PATH, ...bound.env },
    encoding: 'utf8',
  });
}

const contexts: [string, string][] = [
  ['a plain argument', 'printf %s {{v}}'],
  ['double quotes', 'printf %s "<{{v}}>"'],
  ['single quotes', "printf %s '<{{v}}>'"],
  ['a here-document', 'cat <<EOF\n<{{v}}>\nEOF'],
  ['a here-document with tabs stripped', 'cat <<-END\n\t<{{v}}>\n\tEND'],
  ['a line after a comment with a quote', "# don't\nprintf %s {{v}}"],
];

// Issue 9 asks that values with quotes, braces, backslashes and newlines arrive literally in a
// shell argument; bash itself is the judge here.
describe('shell template binding (real bash)', () => {
  const hostile = fc
    .string({ unit: 'binary', minLength: 0, maxLength: 40 })
    .filter((s) => !s.includes('\0'));

  for (const [where, script] of contexts) {
    it(`passes any value literally inside ${where}`, () => {
      const wrap = script.includes('<') ? (v: string) => `<${v}>` : (v: string) => v;
      fc.assert(
        fc.property(hostile, (value) => {
          const out = runBound(script, value);
          const expected = script.startsWith('cat') ? `${wrap(value)}\n` : wrap(value);
          expect(out).toBe(expected);
        }),
        { numRuns: 60 },
      );
    });
  }

  it('never runs code from a value', () => {
    const out = runBound('echo {{v}}', '$(echo pwned) `echo pwned`; echo pwned');
    expect(out).toBe('$(echo pwned) `echo pwned`; echo pwned\n');
  });

  it('refuses a reference inside a quoted here-document, where nothing expands', () => {
    expect(() => bindShellScript("cat <<'EOF'\n{{v}}\nEOF", () => 'x')).toThrow(
      expect.objectContaining({ code: 'template.unsupported' }),
    );
  });

  it('binds the env parameter by plain substitution and reuses one variable per reference', () => {
    const bound = manifest.bindTemplates!(
      { script: 'echo {{a}} {{a}} {{b}}', env: { X: 'x={{a}}' }, output: 'text' },
      { resolve: (ref) => (ref.kind === 'var' ? `${ref.name}!` : null) },
    );
    expect(bound).toEqual({
      script: 'echo "${SPIN_TPL_1}" "${SPIN_TPL_1}" "${SPIN_TPL_2}"',
      env: { X: 'x=a!', SPIN_TPL_1: 'a!', SPIN_TPL_2: 'b!' },
      output: 'text',
    });
  });
});
