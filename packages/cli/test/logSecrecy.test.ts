import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotebookSession } from '@spin/client';
import { NodeWebSocket, createNodeApi } from '@spin/client/node';
import { startAll, type SpinInstance } from '../src/index.js';
import { ADMIN, METRICS_TOKEN, stackOptions } from './fixtures.js';

// DESIGN.md / brief: SPIN_TOKEN, passwords, cookies and access tokens never appear in logs.
// This drives both tiers at `trace` level through sign-up, login, a cell run and a receipt,
// capturing every log line of the server and the runtime.
let home: string;
let spin: SpinInstance;
const lines: string[] = [];

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'spin-logs-'));
  spin = await startAll({
    ...stackOptions(home),
    logLevel: 'trace',
    logDestination: { write: (line: string) => lines.push(line) },
  });
});

afterAll(async () => {
  await spin?.close();
  await rm(home, { recursive: true, force: true });
});

describe('logs of a whole SPIN', () => {
  it('never contain the pairing token, passwords, cookies, CSRF or access tokens, envelopes', async () => {
    const api = createNodeApi(spin.url);
    const signup = await api.signup(ADMIN);
    await api.logout();
    const login = await api.login({ email: ADMIN.email, password: ADMIN.password });
    const nb = await api.createNotebook({ title: 'logs', cells: [] });
    const [runtime] = await api.listRuntimes();
    const session = await NotebookSession.open({
      api,
      notebookId: nb.id,
      runtime: runtime!,
      WebSocket: NodeWebSocket,
    });
    const token = (await api.accessToken(session.sid)).token;
    const compiled = await api.compile(nb.id, {
      sid: session.sid,
      cell: { id: 'c', type: 'python', source: 'print(1)' },
    });
    const run = await session.run({ id: 'c', type: 'python', source: 'print(6*7)' });
    await run.audited;
    session.close();
    // a failed login and a bad pairing attempt log their failures too
    await expect(
      createNodeApi(spin.url).login({ email: ADMIN.email, password: 'wrong-password-123' }),
    ).rejects.toThrow();
    const badPair = await fetch(`${spin.runtime.url}/v1/pair`, {
      method: 'POST',
      headers: { authorization: 'Bearer not-the-token', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(badPair.status).toBe(401);

    // a raw login, to learn the session cookie value the server handed out
    const raw = await fetch(`${spin.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: ADMIN.email, password: ADMIN.password }),
    });
    const sessionCookie =
      /spin_session=([^;]+)/.exec(raw.headers.get('set-cookie') ?? '')?.[1] ?? '';
    await createNodeApi(spin.url)
      .me()
      .catch(() => undefined); // an unauthenticated request
    await fetch(`${spin.url}/api/v1/auth/me`, {
      headers: { cookie: `spin_session=${sessionCookie}` },
    });

    for (const url of [`${spin.url}/metrics`, `${spin.runtime.url}/metrics`]) {
      const res = await fetch(url, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(res.status).toBe(200);
    }

    const log = lines.join('');
    expect(lines.length).toBeGreaterThan(20); // the capture works: requests were logged
    expect(log).toContain('/api/v1/auth/me');
    const secrets: Record<string, string> = {
      SPIN_TOKEN: spin.runtime.spinToken,
      'SPIN_TOKEN as stored': (
        await readFile(path.join(home, 'runtime', 'spin-token'), 'utf8')
      ).trim(),
      password: ADMIN.password,
      'session cookie': sessionCookie,
      'CSRF token (signup)': signup.csrfToken,
      'CSRF token (login)': login.csrfToken,
      'access token': token,
      'access token signature': token.split('.')[2]!,
      'envelope ciphertext': compiled.envelope.split('.')[3]!,
      'metrics token': METRICS_TOKEN,
    };
    for (const [name, value] of Object.entries(secrets)) {
      expect(value.length, name).toBeGreaterThan(10);
      expect(log.includes(value), `${name} leaked into the logs`).toBe(false);
    }
    expect(run.status).toBe('ok');
  });
});
