import { accessSync, constants, existsSync, readFileSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { z } from 'zod';
import { SpinError, type RuntimeKernel } from '@spin/protocol';

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

/** An installed kernelspec as listed: enough to show it and to pick it by name. */
export interface KernelSpecSummary {
  name: string;
  displayName: string;
  language: string;
  /** The program the kernel runs (argv[0], resolved on PATH when it is a bare name). */
  interpreter: string;
  /** The folder holding its kernel.json. */
  resourceDir: string;
}

/** Every usable kernelspec, where the runtime looked, and the kernel.json files it skipped. */
export interface KernelDiscovery {
  kernels: KernelSpecSummary[];
  /** The kernels/ folders searched, in precedence order (missing ones included). */
  searched: string[];
  problems: { file: string; message: string }[];
}

/**
 * The kernel python cells run in: the server compiles every python cell to this kernelspec name
 * (DESIGN.md §3, "python3 by default"), so another interpreter is used by installing its
 * kernelspec under this name earlier in the search path (docs/kernels.md).
 */
export const DEFAULT_PYTHON_KERNEL = 'python3';

/** Debian's packages for a python3 kernel with the libraries cells commonly use. */
export const PYTHON_KERNEL_PACKAGES = ['python3-ipykernel', 'python3-pandas', 'python3-matplotlib'];

/** What to do when no Python kernel exists, in one sentence (cell errors, start-up warning). */
export const PYTHON_KERNEL_HINT =
  `install one with \`apt-get install ${PYTHON_KERNEL_PACKAGES.join(' ')}\` (Debian/Ubuntu, as root), ` +
  'or register another interpreter with `python -m ipykernel install --prefix DIR` and set ' +
  'JUPYTER_PATH=DIR/share/jupyter (docs/kernels.md)';

const NAME_RE = /^[A-Za-z0-9._-]{1,128}$/;

/** kernel.json as Jupyter writes it; unknown fields (metadata, …) are tolerated. */
const KernelJsonSchema = z.object({
  argv: z.array(z.string()).min(1),
  display_name: z.string().optional(),
  language: z.string().optional(),
  env: z.record(z.string(), z.string()).optional(),
  interrupt_mode: z.enum(['signal', 'message']).optional(),
});

/**
 * The kernels/ folders Jupyter searches, in its order: `JUPYTER_PATH`, the user data dir
 * (`JUPYTER_DATA_DIR`, else `$XDG_DATA_HOME/jupyter`, else `~/.local/share/jupyter`), the active
 * environment (`VIRTUAL_ENV`, `CONDA_PREFIX`: its `share/jupyter`), then system-wide.
 */
export function kernelSearchPath(env: NodeJS.ProcessEnv = process.env): string[] {
  const dataDirs = (env.JUPYTER_PATH ?? '').split(delimiter).filter(Boolean);
  const home = env.HOME || homedir();
  dataDirs.push(
    env.JUPYTER_DATA_DIR ||
      (env.XDG_DATA_HOME ? join(env.XDG_DATA_HOME, 'jupyter') : join(home, '.local/share/jupyter')),
  );
  for (const prefix of [env.VIRTUAL_ENV, env.CONDA_PREFIX]) {
    if (prefix) dataDirs.push(join(prefix, 'share/jupyter'));
  }
  dataDirs.push('/usr/local/share/jupyter', '/usr/share/jupyter');
  return [...new Set(dataDirs.map((d) => join(d, 'kernels')))];
}

/** `argv[0]` as a path: bare names are looked up on PATH, like the kernel's own exec would. */
function resolveInterpreter(program: string, env: NodeJS.ProcessEnv): string | null {
  const candidates = program.includes('/')
    ? [program]
    : (env.PATH ?? '')
        .split(delimiter)
        .filter(Boolean)
        .map((d) => join(d, program));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // not here
    }
  }
  return null;
}

/** Read and check one kernel.json; a SpinError says what is wrong with it. */
function readSpec(name: string, resourceDir: string, env: NodeJS.ProcessEnv): KernelSpec {
  const file = join(resourceDir, 'kernel.json');
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new SpinError('runtime.kernel_failed', `kernelspec ${file} is not valid JSON`);
  }
  const parsed = KernelJsonSchema.safeParse(json);
  if (!parsed.success) {
    throw new SpinError('runtime.kernel_failed', `kernelspec ${file} has no argv list`);
  }
  const raw = parsed.data;
  const interpreter = resolveInterpreter(raw.argv[0]!, env);
  if (!interpreter) {
    throw new SpinError(
      'runtime.kernel_failed',
      `kernelspec ${file} runs ${raw.argv[0]}, which does not exist or is not executable`,
    );
  }
  return {
    name,
    argv: [interpreter, ...raw.argv.slice(1)],
    displayName: raw.display_name ?? name,
    language: raw.language ?? 'unknown',
    env: raw.env ?? {},
    interruptMode: raw.interrupt_mode ?? 'signal',
    resourceDir,
  };
}

/**
 * Every installed kernelspec, first-found-wins per name as in Jupyter. Specs that cannot run
 * (bad JSON, no argv, a missing interpreter such as a deleted venv) go to `problems`.
 */
export function listKernelSpecs(
  searchPath = kernelSearchPath(),
  env: NodeJS.ProcessEnv = process.env,
): KernelDiscovery {
  const seen = new Set<string>();
  const kernels: KernelSpecSummary[] = [];
  const problems: KernelDiscovery['problems'] = [];
  for (const dir of searchPath) {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      continue; // a folder that does not exist is normal
    }
    for (const name of names) {
      if (seen.has(name) || !NAME_RE.test(name) || name.startsWith('.')) continue;
      const resourceDir = join(dir, name);
      if (!existsSync(join(resourceDir, 'kernel.json'))) continue;
      seen.add(name);
      try {
        const spec = readSpec(name, resourceDir, env);
        const { displayName, language } = spec;
        kernels.push({ name, displayName, language, interpreter: spec.argv[0]!, resourceDir });
      } catch (err) {
        problems.push({ file: join(resourceDir, 'kernel.json'), message: (err as Error).message });
      }
    }
  }
  return { kernels, searched: searchPath, problems };
}

/** Find and parse a kernelspec by name; unknown names raise `runtime.kernel_not_found`. */
export function findKernelSpec(
  name: string,
  searchPath = kernelSearchPath(),
  env: NodeJS.ProcessEnv = process.env,
): KernelSpec {
  if (!NAME_RE.test(name) || name.startsWith('.')) {
    throw new SpinError('runtime.kernel_not_found', `no kernel named "${name}"`);
  }
  for (const dir of searchPath) {
    const resourceDir = join(dir, name);
    if (existsSync(join(resourceDir, 'kernel.json'))) return readSpec(name, resourceDir, env);
  }
  const hint = name === DEFAULT_PYTHON_KERNEL ? `; ${PYTHON_KERNEL_HINT}` : '';
  throw new SpinError(
    'runtime.kernel_not_found',
    `no kernel named "${name}" is installed (looked in ${searchPath.join(', ')})${hint}`,
  );
}

/**
 * Plain-words warnings about the kernels found: none for python cells, or kernelspecs that were
 * skipped. Shown at start and logged, so a broken setup is visible before the first run.
 */
export function kernelWarnings(d: KernelDiscovery): string[] {
  const warnings: string[] = [];
  const python = d.kernels.filter((k) => k.language.toLowerCase() === 'python');
  if (!d.kernels.some((k) => k.name === DEFAULT_PYTHON_KERNEL)) {
    warnings.push(
      python.length === 0
        ? `no Python kernel found, so python cells will fail (shell cells work): ${PYTHON_KERNEL_HINT}`
        : `python cells use the kernel named "${DEFAULT_PYTHON_KERNEL}", which is not installed ` +
            `(found ${python.map((k) => k.name).join(', ')}): install yours under that name with ` +
            '`python -m ipykernel install --prefix DIR --name python3` (docs/kernels.md)',
    );
  }
  for (const p of d.problems) warnings.push(`${p.message}, so it is skipped`);
  return warnings;
}

/** One line per kernel for a terminal: name, language, interpreter, display name. */
export function describeKernels(d: KernelDiscovery): string[] {
  if (d.kernels.length === 0) return [`none (looked in ${d.searched.join(', ')})`];
  const width = Math.max(...d.kernels.map((k) => k.name.length));
  return d.kernels.map(
    (k) => `${k.name.padEnd(width)}  ${k.language}  ${k.interpreter}  (${k.displayName})`,
  );
}

/** The kernels as `GET /v1/identity` announces them: names and languages, no paths. */
export function announcedKernels(d: KernelDiscovery): RuntimeKernel[] {
  return d.kernels.slice(0, 256).map((k) => ({
    name: k.name,
    displayName: k.displayName.slice(0, 256),
    language: k.language.slice(0, 64),
  }));
}
