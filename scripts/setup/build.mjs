// Build only what changed: each build unit has a content stamp of its inputs; a start with
// nothing changed reads the files, compares two hashes and skips the build (≈0.1 s instead of a
// `tsc -b` check and a Vite build).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { run, runLines, say, since } from './progress.mjs';

const STAMPS = join('node_modules', '.cache', 'spin', 'build-stamps.json');
const TS_PACKAGES = ['protocol', 'client', 'server', 'runtime', 'cli'];
const SKIP_DIRS = new Set(['node_modules', 'dist', '.spin']);
const IS_TEST = /\.test\.tsx?$/;

/** What each unit is built from, what it must leave behind, and how it is built. */
const UNITS = [
  {
    id: 'tsc',
    label: 'TypeScript packages',
    inputs: [
      'package-lock.json',
      'tsconfig.json',
      'tsconfig.base.json',
      ...TS_PACKAGES.flatMap((p) => [
        `packages/${p}/src`,
        `packages/${p}/tsconfig.json`,
        `packages/${p}/package.json`,
      ]),
    ],
    outputs: TS_PACKAGES.map((p) => `packages/${p}/dist/index.js`),
    build: buildTypeScript,
  },
  {
    id: 'web',
    label: '@spin/web',
    inputs: [
      'package-lock.json',
      'tsconfig.base.json',
      'packages/web',
      // the UI bundles these two packages
      'packages/protocol/src',
      'packages/client/src',
    ],
    outputs: ['packages/web/dist/index.html'],
    build: async (root) => {
      say('building @spin/web (type-check, then Vite)…');
      await run('npm', ['run', 'build', '-w', '@spin/web', '--silent'], { cwd: root });
    },
  },
];

/** Every file under `paths` (files or folders), sorted, tests and build outputs left out. */
function inputFiles(root, paths) {
  const files = [];
  const walk = (abs) => {
    let st;
    try {
      st = statSync(abs);
    } catch {
      return; // an optional input that does not exist
    }
    if (st.isFile()) {
      if (!IS_TEST.test(abs)) files.push(abs);
      return;
    }
    for (const name of readdirSync(abs)) {
      if (!SKIP_DIRS.has(name) && !name.endsWith('.tsbuildinfo')) walk(join(abs, name));
    }
  };
  for (const p of paths) walk(join(root, p));
  return [...new Set(files)].sort();
}

/** SHA-256 over the inputs' paths and contents: moved mtimes alone do not cause a build. */
export function inputStamp(root, paths) {
  const h = createHash('sha256');
  for (const file of inputFiles(root, paths)) {
    h.update(relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return h.digest('hex');
}

function readStamps(root) {
  try {
    return JSON.parse(readFileSync(join(root, STAMPS), 'utf8'));
  } catch {
    return {};
  }
}

function writeStamps(root, stamps) {
  mkdirSync(dirname(join(root, STAMPS)), { recursive: true });
  writeFileSync(join(root, STAMPS), JSON.stringify(stamps, null, 2));
}

/** `tsc -b`, naming each package as TypeScript starts on it (the slow part of a cold build). */
async function buildTypeScript(root) {
  const names = new Map();
  for (const p of TS_PACKAGES) {
    const pkg = JSON.parse(readFileSync(join(root, 'packages', p, 'package.json'), 'utf8'));
    names.set(join(root, 'packages', p), pkg.name);
  }
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  let built = 0;
  say('checking the TypeScript packages (tsc -b)…');
  await runLines(
    process.execPath,
    [tsc, '-b', '--verbose'],
    (line) => {
      const m = /Building project '(.+)\/tsconfig\.json'/.exec(line);
      if (m) {
        built += 1;
        const dir = m[1];
        const name = names.get(dir) ?? `${names.get(join(dir, '../..')) ?? dir} (node helpers)`;
        say(`building ${name} (tsc)…`);
      } else if (!/^\S* ?\d+:\d+:\d+|^ {4}\* |^\s*$/.test(line)) {
        process.stdout.write(`${line}\n`); // a compiler error
      }
    },
    { cwd: root },
  );
  if (built === 0) say('TypeScript outputs were already up to date');
}

/**
 * Each unit with its current input stamp and why it must be built: `never built`, `sources
 * changed`, `output missing`, or null when it is up to date.
 */
export function buildPlan(root) {
  const stamps = readStamps(root);
  return UNITS.map((unit) => {
    const stamp = inputStamp(root, unit.inputs);
    const reason = !stamps[unit.id]
      ? 'never built'
      : stamps[unit.id] !== stamp
        ? 'sources changed'
        : !unit.outputs.every((o) => existsSync(join(root, o)))
          ? 'output missing'
          : null;
    return { unit, stamp, reason };
  });
}

/**
 * Build every unit whose inputs changed since its last successful build (or whose outputs are
 * missing); `force` builds all. Returns the ids of the units it built.
 */
export async function ensureBuilt(root, { force = false } = {}) {
  const t0 = performance.now();
  const built = [];
  // The processor registries are generated from the processor folders (DESIGN.md §3) before
  // anything is stamped: a new folder is a source change. Files are rewritten only on change.
  await run(process.execPath, [join(root, 'scripts', 'processor-registry.mjs')], { cwd: root });
  for (const { unit, stamp, reason } of buildPlan(root)) {
    if (!force && !reason) continue;
    const started = performance.now();
    if (reason && !force) say(`${unit.label}: ${reason}`);
    await unit.build(root);
    say(`${unit.label} built in ${since(started)}`);
    writeStamps(root, { ...readStamps(root), [unit.id]: stamp });
    built.push(unit.id);
  }
  if (built.length === 0) say(`build up to date (sources checked in ${since(t0)})`);
  return built;
}
