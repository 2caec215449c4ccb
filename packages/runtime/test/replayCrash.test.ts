import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RuntimeIdentity } from '@spin/protocol';
import { freePort } from '../src/processors/prometheus/prometheusServer.js';
import { FakeServer, ISSUER, ORIGIN, TestClient, pair, tempHome } from './fixtures.js';

const runtimeBin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
/** Each run of this program appends one line to a file in the session's work dir. */
const EFFECT = 'with open("ran.txt", "a") as f:\n    f.write("ran\\n")\nprint("done")';

/**
 * issue 13 "Open": the replay cache's claim is not fdatasync'd on the hot path. A runtime
 * killed with SIGKILL right after `accepted` must still refuse the same envelope after it
 * restarts, and the program's effect must not happen twice.
 */
describe('a runtime killed with SIGKILL right after accepting a program', () => {
  const { home, cleanup } = tempHome();
  let env: NodeJS.ProcessEnv;
  let url: string;
  let child: ChildProcess | null = null;
  let server: FakeServer;

  const start = async () => {
    const c = spawn(process.execPath, [runtimeBin], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    c.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${url}/healthz`)).ok) break;
      } catch {
        if (i > 300 || c.exitCode !== null) throw new Error(`runtime did not start: ${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    return c;
  };
  const kill9 = async () => {
    const c = child!;
    child = null;
    const exited = once(c, 'exit');
    c.kill('SIGKILL');
    await exited;
  };
  const ranCount = () => {
    const f = join(home, 'sessions', 'ses_1', 'work', 'ran.txt');
    return existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean).length : 0;
  };

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    env = {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      SPIN_HOME: home,
      SPIN_TOKEN: randomBytes(32).toString('base64url'),
      SPIN_SANDBOX: 'none', // the kernel is this test's to see; the sandbox is not the subject
      SPIN_KERNEL_POOL: 'off',
      LOG_LEVEL: 'warn',
    };
    child = await start();
    const identity = (await (await fetch(`${url}/v1/identity`)).json()) as RuntimeIdentity;
    server = await FakeServer.create(identity);
    const res = await pair(url, env.SPIN_TOKEN, {
      server: { issuer: ISSUER, jwks: { keys: [server.key.publicJwk] } },
      allowedOrigins: [ORIGIN],
    });
    expect(res.status).toBe(200);
  }, 60_000);
  afterAll(async () => {
    if (child) {
      // an orderly stop, so the last life's kernel is shut down (a SIGKILL would orphan it)
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }
    cleanup();
  });

  it('refuses both envelopes after the restart, and neither effect happens twice', async () => {
    // 1: a run that completes, then SIGKILL at once (no orderly close, no final fdatasync)
    const done = await server.python(EFFECT);
    let c = await TestClient.session(url, await server.token());
    const events = await c.run(done);
    expect(events.some((e) => e.type === 'stream' && String(e.data.text).includes('done'))).toBe(
      true,
    );
    expect(ranCount()).toBe(1);
    // 2: accepted, then SIGKILL the moment the reply arrives (its kernel is still starting)
    const accepted = await server.python(EFFECT);
    const reply = await c.execute(accepted);
    expect(reply.type).toBe('accepted');
    await kill9();
    c.close();
    const afterKill = ranCount(); // 1 or 2: the kernel was warm, so it may have run before the kill

    child = await start();
    c = await TestClient.session(url, await server.token());
    expect(await c.execute(done)).toMatchObject({ type: 'error', code: 'envelope.replayed' });
    expect(await c.execute(accepted)).toMatchObject({ type: 'error', code: 'envelope.replayed' });
    // a fresh program still runs; neither replay added an effect
    await c.run(await server.python('print("after")'));
    expect(ranCount()).toBe(afterKill);
    c.close();
  }, 120_000);
});
