import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

function spin(args: string[], env: NodeJS.ProcessEnv = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the spin command', () => {
  it('prints help, and rejects unknown commands with exit code 2', async () => {
    const help = await spin(['help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('spin start');
    const unknown = await spin(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
  });

  it('names the busy port and exits 1 when it cannot listen', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const busy = (blocker.address() as net.AddressInfo).port;
    const home = await mkdtemp(path.join(os.tmpdir(), 'spin-bin-'));
    try {
      const res = await spin(
        ['start', '--port', String(busy), '--runtime-port', '0', '--home', home],
        { SPIN_MASTER_KEY_FILE: path.join(home, 'config', 'master.key') },
      );
      expect(res.code).toBe(1);
      expect(res.stderr).toContain(`port ${busy}`);
      expect(res.stderr).toContain('already in use');
    } finally {
      blocker.close();
      await rm(home, { recursive: true, force: true });
    }
  });

  it('rejects a port that is not a number, naming the option', async () => {
    const res = await spin(['start', '--port', 'eighty']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('must be a port number');
  });

  it('spin runtime --unpair forgets the server the runtime was paired with', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'spin-unpair-'));
    const pairing = path.join(home, 'pairing.json');
    await writeFile(pairing, '{"issuer":"http://old.test","jwks":{"keys":[]}}', { mode: 0o600 });
    const child = spawn(process.execPath, [bin, 'runtime', '--unpair'], {
      env: { ...process.env, SPIN_HOME: home, PORT: '0', LOG_LEVEL: 'warn' },
    });
    try {
      let stdout = '';
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          stdout += d.toString();
          if (stdout.includes('listening on')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${stdout}`)));
      });
      expect(stdout).toContain('pairing reset');
      expect(existsSync(pairing)).toBe(false);
    } finally {
      child.kill('SIGTERM');
      await rm(home, { recursive: true, force: true });
    }
  });

  it('shows the URL, the fingerprint and the kernels in plain words, no JSON', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'spin-bin-'));
    const kernelDir = path.join(home, 'jupyter', 'kernels', 'venv');
    await mkdir(kernelDir, { recursive: true });
    await writeFile(
      path.join(kernelDir, 'kernel.json'),
      JSON.stringify({
        argv: ['/usr/bin/python3', '-m', 'ipykernel_launcher', '-f', '{connection_file}'],
        display_name: 'A venv',
        language: 'python',
      }),
    );
    const child = spawn(
      process.execPath,
      [bin, 'start', '--port', '0', '--runtime-port', '0', '--home', home],
      {
        env: {
          ...process.env,
          LOG_LEVEL: '',
          JUPYTER_PATH: path.join(home, 'jupyter'),
          SPIN_MASTER_KEY_FILE: path.join(home, 'config', 'master.key'),
        },
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('close', r));
    try {
      await expect.poll(() => out, { timeout: 30_000 }).toContain('press Ctrl+C to stop');
      expect(out).toMatch(/SPIN is running: open http:\/\/localhost:\d+\n/);
      expect(out).toMatch(/fingerprint {2}SHA256:[0-9a-f:]+\n/);
      expect(out).toContain(`venv     python  /usr/bin/python3  (A venv)`);
      expect(out).toContain('python3  python  /usr/bin/python3');
      expect(out).not.toContain('{"level"');
    } finally {
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      await rm(home, { recursive: true, force: true });
    }
  });
});
