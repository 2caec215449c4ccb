import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RuntimeIdentitySchema, outputsFromEvents } from '@spin/protocol';
import { TestClient, startPaired, type Harness } from './fixtures.js';

/** A JUPYTER_PATH folder holding one kernelspec, as `ipykernel install --prefix` would write. */
function jupyterPath(name: string, spec: object): string {
  const dir = mkdtempSync(join(tmpdir(), 'spin-jupyter-path-'));
  mkdirSync(join(dir, 'kernels', name), { recursive: true });
  writeFileSync(join(dir, 'kernels', name, 'kernel.json'), JSON.stringify(spec));
  return dir;
}

async function identity(h: Harness) {
  const res = await fetch(`${h.rt.url}/v1/identity`);
  return RuntimeIdentitySchema.parse(await res.json());
}

describe('a kernelspec on JUPYTER_PATH (another interpreter or a venv)', () => {
  let h: Harness;
  let dir: string;

  beforeAll(async () => {
    dir = jupyterPath('python3', {
      argv: ['/usr/bin/python3', '-m', 'ipykernel_launcher', '-f', '{connection_file}'],
      display_name: 'Python from JUPYTER_PATH',
      language: 'python',
      env: { KERNEL_MARKER: 'from-temp-jupyter-path' },
    });
    h = await startPaired({ env: { ...process.env, JUPYTER_PATH: dir } });
  });
  afterAll(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is listed first, on the handle and in GET /v1/identity', async () => {
    const found = h.rt.availableKernels();
    expect(found.searched[0]).toBe(join(dir, 'kernels'));
    expect(found.kernels[0]).toEqual({
      name: 'python3',
      displayName: 'Python from JUPYTER_PATH',
      language: 'python',
      interpreter: '/usr/bin/python3',
      resourceDir: join(dir, 'kernels', 'python3'),
    });
    const announced = (await identity(h)).kernels;
    expect(announced?.[0]).toEqual({
      name: 'python3',
      displayName: 'Python from JUPYTER_PATH',
      language: 'python',
    });
    // the public identity names kernels, never filesystem paths
    expect(JSON.stringify(announced)).not.toContain(dir);
  });

  it('is the kernel python cells run in (its env reaches the code)', async () => {
    const client = await TestClient.session(h.rt.url, await h.server.token());
    try {
      const events = await client.run(
        await h.server.python('import os, sys; print(os.environ["KERNEL_MARKER"], sys.executable)'),
      );
      expect(outputsFromEvents(events)).toEqual([
        {
          output_type: 'stream',
          name: 'stdout',
          text: 'from-temp-jupyter-path /usr/bin/python3\n',
        },
      ]);
    } finally {
      client.close();
    }
  });
});

describe('a runtime without any Python kernel', () => {
  let h: Harness;
  let empty: string;

  beforeAll(async () => {
    empty = mkdtempSync(join(tmpdir(), 'spin-no-kernels-'));
    h = await startPaired({ kernelSearchPath: [join(empty, 'kernels')] });
  });
  afterAll(async () => {
    await h?.close();
    rmSync(empty, { recursive: true, force: true });
  });

  it('says so at start, naming the Debian package', async () => {
    const warning = h.logs.text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { level: number; msg: string; searched?: string[] })
      .find((l) => l.msg.startsWith('no Python kernel found'));
    expect(warning?.level).toBe(40); // pino warn
    expect(warning?.msg).toContain('apt-get install python3-ipykernel');
    expect(warning?.searched).toEqual([join(empty, 'kernels')]);
    expect((await identity(h)).kernels).toEqual([]);
  });

  it('fails a python cell with runtime.kernel_not_found and the hint, while shell cells run', async () => {
    const client = await TestClient.session(h.rt.url, await h.server.token());
    try {
      const py = await client.run(await h.server.python('print(6*7)'));
      const err = py.find((e) => e.type === 'error');
      expect(err?.type === 'error' && err.data.ename).toBe('KernelNotFound');
      const evalue = err?.type === 'error' ? err.data.evalue : '';
      expect(evalue).toMatch(/^runtime\.kernel_not_found: no kernel named "python3"/);
      expect(evalue).toContain(
        'apt-get install python3-ipykernel python3-pandas python3-matplotlib',
      );
      expect(h.rt.kernels.spawnedCount).toBe(0);

      const sh = await client.run(await h.server.shell('echo still works'));
      expect(outputsFromEvents(sh)).toEqual([
        { output_type: 'stream', name: 'stdout', text: 'still works\n' },
      ]);
    } finally {
      client.close();
    }
  });
});
