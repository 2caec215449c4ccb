import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { SpinError } from '@spin/protocol';

/**
 * Kernelspec discovery (https://jupyter-client.readthedocs.io/en/stable/kernels.html#kernel-specs).
 * Kernels are started from their spec's argv — never from whatever `python3` is on PATH
 * (FACTS.md: the first python3 may lack ipykernel).
 */
export interface KernelSpec {
  name: string;
  argv: string[];
  displayName: string;
  language: string;
  env: Record<string, string>;
  interruptMode: 'signal' | 'message';
  resourceDir: string;
}

const NAME_RE = /^[A-Za-z0-9._-]{1,128}$/;

/** Directories searched in Jupyter's order: JUPYTER_PATH, user, then system-wide. */
export function kernelSearchPath(env: NodeJS.ProcessEnv = process.env): string[] {
  const dirs = (env.JUPYTER_PATH ?? '')
    .split(':')
    .filter(Boolean)
    .map((d) => join(d, 'kernels'));
  dirs.push(join(homedir(), '.local/share/jupyter/kernels'));
  dirs.push('/usr/local/share/jupyter/kernels', '/usr/share/jupyter/kernels');
  return dirs;
}

/** Find and parse a kernelspec by name; unknown names raise `runtime.kernel_not_found`. */
export function findKernelSpec(name: string, searchPath = kernelSearchPath()): KernelSpec {
  if (!NAME_RE.test(name) || name.startsWith('.')) {
    throw new SpinError('runtime.kernel_not_found', `no kernel named "${name}"`);
  }
  for (const dir of searchPath) {
    const resourceDir = join(dir, name);
    const file = join(resourceDir, 'kernel.json');
    if (!existsSync(file)) continue;
    let raw: Record<string, unknown>;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch {
      throw new SpinError('runtime.kernel_failed', `kernelspec ${file} is not valid JSON`);
    }
    const argv = raw.argv;
    if (!Array.isArray(argv) || argv.length === 0 || !argv.every((a) => typeof a === 'string')) {
      throw new SpinError('runtime.kernel_failed', `kernelspec ${file} has no argv`);
    }
    return {
      name,
      argv: argv as string[],
      displayName: typeof raw.display_name === 'string' ? raw.display_name : name,
      language: typeof raw.language === 'string' ? raw.language : 'unknown',
      env: (raw.env as Record<string, string> | undefined) ?? {},
      interruptMode: raw.interrupt_mode === 'message' ? 'message' : 'signal',
      resourceDir,
    };
  }
  throw new SpinError('runtime.kernel_not_found', `no kernel named "${name}" is installed`);
}
