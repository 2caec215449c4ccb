import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, loadConfig } from '@spin/server';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

function spin(args: string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const CANARY = 'cli-rotation-canary-7d1e';

describe('spin secrets rotate-master-key', () => {
  it('re-encrypts under a new key file; the server starts on it and the secret still opens', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'spin-rotate-'));
    const env = {
      SPIN_DATA_DIR: path.join(home, 'data'),
      SPIN_MASTER_KEY_FILE: path.join(home, 'config', 'master.key'),
      DATABASE_URL: '',
      SPIN_MASTER_KEY: '',
    };
    try {
      const config = loadConfig(env, { webDir: path.join(home, 'no-web') });
      const first = await createServer({ config });
      const signup = await first.app.inject({
        method: 'POST',
        url: '/api/v1/auth/signup',
        payload: { email: 'ops@example.com', password: 'a long enough password', name: 'Ops' },
      });
      const auth = {
        cookies: { spin_session: signup.cookies.find((c) => c.name === 'spin_session')!.value },
        headers: { 'x-csrf-token': signup.json().csrfToken as string },
      };
      const ws = (await first.app.inject({ url: '/api/v1/workspaces', ...auth })).json()[0]
        .id as string;
      const created = await first.app.inject({
        method: 'POST',
        url: `/api/v1/workspaces/${ws}/secrets`,
        payload: { name: 'DB_PASSWORD', ref: { storeType: 'spin_store' }, value: CANARY },
        ...auth,
      });
      expect(created.statusCode, created.body).toBe(201);
      await first.close();
      const keyBefore = await readFile(env.SPIN_MASTER_KEY_FILE, 'utf8');

      const bad = await spin(['secrets', 'frobnicate'], env);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('rotate-master-key');

      const res = await spin(['secrets', 'rotate-master-key'], env);
      expect(res.code, res.stderr).toBe(0);
      expect(res.stderr).toMatch(
        /re-encrypted 1 server key\(s\), 1 secret\(s\), 0 connection\(s\)/,
      );
      expect(res.stdout).toBe('');
      const keyAfter = await readFile(env.SPIN_MASTER_KEY_FILE, 'utf8');
      expect(keyAfter).not.toBe(keyBefore);
      expect(res.stderr).not.toContain(keyAfter.trim());

      // the server starts on the new key (its signing key decrypts) and still has the secret
      const second = await createServer({ config });
      try {
        const relogin = await second.app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          payload: { email: 'ops@example.com', password: 'a long enough password' },
        });
        const cookie = relogin.cookies.find((c) => c.name === 'spin_session')!.value;
        const list = await second.app.inject({
          url: `/api/v1/workspaces/${ws}/secrets`,
          cookies: { spin_session: cookie },
        });
        expect(list.json()).toMatchObject([{ name: 'DB_PASSWORD', value: { set: true } }]);
        expect(list.body).not.toContain(CANARY);
      } finally {
        await second.close();
      }
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
