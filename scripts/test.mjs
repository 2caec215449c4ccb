// `npm test`: set up what the tests need, then check and test everything, stopping at the first
// step that fails (its output says why). Arguments go to vitest: npm test -- packages/runtime
//   1. Debian packages (scripts/install-system-deps.sh; needs root when something is missing)
//   2. PostgreSQL and MariaDB running and accepting the tests' logins (scripts/ensure-services.sh)
//   3. npm ci when node_modules is missing or package-lock.json changed
//   4. a build of the packages whose sources changed
//   5. eslint and prettier --check; 6. tsc of the tests; 7. vitest
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBuilt } from './setup/build.mjs';
import { ensureDependencies } from './setup/dependencies.mjs';
import { requireNode, run, say, since } from './setup/progress.mjs';

requireNode();
const root = fileURLToPath(new URL('..', import.meta.url));
const bin = (name) => join(root, 'node_modules', '.bin', name);
const opts = { cwd: root };

const steps = [
  ['Debian packages', () => run('bash', [join(root, 'scripts/install-system-deps.sh')], opts)],
  ['PostgreSQL and MariaDB', () => run('bash', [join(root, 'scripts/ensure-services.sh')], opts)],
  ['npm dependencies', () => ensureDependencies(root)],
  ['build', () => ensureBuilt(root)],
  ['eslint', () => run(bin('eslint'), ['.'], opts)],
  ['prettier --check', () => run(bin('prettier'), ['--check', '--log-level', 'warn', '.'], opts)],
  ['type-check the tests', () => run(bin('tsc'), ['-p', 'tsconfig.test.json'], opts)],
  ['vitest', () => run(bin('vitest'), ['run', ...process.argv.slice(2)], opts)],
];

const t0 = performance.now();
for (const [i, [name, step]] of steps.entries()) {
  say(`[${i + 1}/${steps.length}] ${name}`);
  try {
    await step();
  } catch (err) {
    process.stderr.write(`spin: npm test stopped at "${name}": ${err.message}\n`);
    process.exit(1);
  }
}
say(`all checks and tests passed in ${since(t0)}`);
