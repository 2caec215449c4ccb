// A Python kernel for `npm start`: found, or installed from Debian when we may (root + apt).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { run, say, since } from './progress.mjs';

/**
 * When no Python kernelspec is installed and this is root on a system with apt, install
 * Debian's kernel with pandas and matplotlib. Otherwise leave it to the runtime, whose start
 * banner names the exact command; shell cells work either way.
 */
export async function ensurePythonKernel(root) {
  const runtime = await import(pathToFileURL(join(root, 'packages/runtime/dist/index.js')).href);
  const found = runtime.listKernelSpecs();
  if (found.kernels.some((k) => k.language.toLowerCase() === 'python')) return;
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) return;
  const t0 = performance.now();
  say(`no Python kernel found: installing ${runtime.PYTHON_KERNEL_PACKAGES.join(', ')} (apt-get)…`);
  try {
    await run('bash', [
      join(root, 'scripts/install-system-deps.sh'),
      ...runtime.PYTHON_KERNEL_PACKAGES,
    ]);
    say(`Python kernel installed in ${since(t0)}`);
  } catch (err) {
    say(`could not install the Python kernel (${err.message}); starting anyway — shell cells work`);
  }
}
