import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  announcedKernels,
  describeKernels,
  findKernelSpec,
  kernelSearchPath,
  kernelWarnings,
  listKernelSpecs,
} from './kernelspec.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A Jupyter data dir with the given kernelspecs (kernel.json contents, or raw text). */
function dataDir(specs: Record<string, object | string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'spin-kernelspec-'));
  dirs.push(dir);
  for (const [name, spec] of Object.entries(specs)) {
    mkdirSync(join(dir, 'kernels', name), { recursive: true });
    const text = typeof spec === 'string' ? spec : JSON.stringify(spec);
    writeFileSync(join(dir, 'kernels', name, 'kernel.json'), text);
  }
  return dir;
}

const python = (displayName: string, program = '/usr/bin/python3') => ({
  argv: [program, '-m', 'ipykernel_launcher', '-f', '{connection_file}'],
  display_name: displayName,
  language: 'python',
});

describe('kernelspec discovery', () => {
  it('finds the system python3 kernel with its interpreter from kernel.json', () => {
    const spec = findKernelSpec('python3');
    expect(spec.argv[0]).toBe('/usr/bin/python3');
    expect(spec.argv).toContain('{connection_file}');
    expect(spec.language).toBe('python');
  });

  it('rejects unknown and path-like names with runtime.kernel_not_found', () => {
    for (const name of ['nope', '../python3', '.hidden', 'a/b']) {
      expect(() => findKernelSpec(name)).toThrow(
        expect.objectContaining({ code: 'runtime.kernel_not_found' }),
      );
    }
  });

  it('names the Debian packages and where it looked when python3 is missing', () => {
    const empty = join(dataDir({}), 'kernels');
    expect(() => findKernelSpec('python3', [empty])).toThrow(
      expect.objectContaining({
        code: 'runtime.kernel_not_found',
        message: expect.stringMatching(
          new RegExp(`looked in ${empty}.*apt-get install python3-ipykernel python3-pandas`),
        ) as unknown,
      }),
    );
  });

  it('searches JUPYTER_PATH, the user dir, the active venv, then system folders, in that order', () => {
    const env = {
      JUPYTER_PATH: '/a/share/jupyter:/b',
      HOME: '/home/u',
      VIRTUAL_ENV: '/venv',
    };
    expect(kernelSearchPath(env)).toEqual([
      '/a/share/jupyter/kernels',
      '/b/kernels',
      '/home/u/.local/share/jupyter/kernels',
      '/venv/share/jupyter/kernels',
      '/usr/local/share/jupyter/kernels',
      '/usr/share/jupyter/kernels',
    ]);
    expect(kernelSearchPath({ HOME: '/h', JUPYTER_DATA_DIR: '/data' })[0]).toBe('/data/kernels');
    expect(kernelSearchPath({ HOME: '/h', XDG_DATA_HOME: '/xdg' })[0]).toBe('/xdg/jupyter/kernels');
  });

  it('lists every kernel once, the first folder winning, and reports the broken ones', () => {
    const first = dataDir({ python3: python('Mine'), r: { argv: ['sh'], language: 'R' } });
    const second = dataDir({
      python3: python('Shadowed'),
      broken: '{not json',
      noargv: { display_name: 'x', language: 'python' },
      gone: python('Deleted venv', '/nonexistent/venv/bin/python'),
    });
    const path = [join(first, 'kernels'), '/does/not/exist', join(second, 'kernels')];
    const found = listKernelSpecs(path, { PATH: '/usr/bin:/bin' });

    expect(found.searched).toEqual(path);
    expect(found.kernels).toEqual([
      {
        name: 'python3',
        displayName: 'Mine',
        language: 'python',
        interpreter: '/usr/bin/python3',
        resourceDir: join(first, 'kernels', 'python3'),
      },
      // a bare program name is resolved on PATH, as exec would
      expect.objectContaining({ name: 'r', language: 'R', interpreter: '/usr/bin/sh' }),
    ]);
    expect(found.problems.map((p) => p.file).sort()).toEqual(
      ['broken', 'gone', 'noargv'].map((n) => join(second, 'kernels', n, 'kernel.json')),
    );
    expect(found.problems.find((p) => p.file.includes('gone'))?.message).toContain(
      '/nonexistent/venv/bin/python, which does not exist',
    );
    expect(announcedKernels(found)).toEqual([
      { name: 'python3', displayName: 'Mine', language: 'python' },
      { name: 'r', displayName: 'r', language: 'R' },
    ]);
  });

  it('warns in plain words when python cells have no kernel, and not when they do', () => {
    const none = listKernelSpecs([join(dataDir({}), 'kernels')]);
    expect(kernelWarnings(none)).toEqual([
      expect.stringContaining('no Python kernel found, so python cells will fail'),
    ]);
    expect(kernelWarnings(none)[0]).toContain('apt-get install python3-ipykernel');
    expect(describeKernels(none)[0]).toMatch(/^none \(looked in /);

    const otherName = listKernelSpecs([join(dataDir({ venv: python('venv') }), 'kernels')]);
    expect(kernelWarnings(otherName)).toEqual([
      expect.stringContaining('the kernel named "python3", which is not installed (found venv)'),
    ]);

    const ok = listKernelSpecs([join(dataDir({ python3: python('Python 3') }), 'kernels')]);
    expect(kernelWarnings(ok)).toEqual([]);
    expect(describeKernels(ok)).toEqual(['python3  python  /usr/bin/python3  (Python 3)']);
  });
});
