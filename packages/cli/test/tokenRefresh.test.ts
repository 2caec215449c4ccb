import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotebookSession, ServerApi } from '@spin/client';
import { openSession, signedUpApi, startStack, type StackFixture } from './fixtures.js';

// Access tokens are short-lived; a socket that outlives its token must not keep executing, and
// the client must carry on transparently with a fresh token (DESIGN.md §1 "Access tokens").
let stack: StackFixture;
let api: ServerApi;
let session: NotebookSession;
let notebookId: string;

beforeAll(async () => {
  process.env.SPIN_ACCESS_TOKEN_TTL = '1'; // this file runs in its own process
  stack = await startStack();
  api = await signedUpApi(stack);
  notebookId = (await api.createNotebook({ title: 'tokens', cells: [] })).id;
  session = await openSession(api, notebookId);
});

afterAll(async () => {
  session?.close();
  await stack?.close();
  delete process.env.SPIN_ACCESS_TOKEN_TTL;
});

describe('access token expiry on a long-lived runtime connection', () => {
  it('reconnects with a fresh token and runs the cell once', async () => {
    const cell = {
      id: 'c',
      type: 'python' as const,
      source: 'n = globals().get("n", 0) + 1\nprint(n)',
    };
    const first = await session.run(cell);
    expect(first.outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: '1\n' }]);

    const states: string[] = [];
    session.socket.onDidChangeState((s) => states.push(s));
    await new Promise((r) => setTimeout(r, 1500)); // the token expires while connected
    const second = await session.run(cell);
    expect(second.status).toBe('ok');
    // same kernel, run exactly once more: the refused attempt never reached it
    expect(second.outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: '2\n' }]);
    expect(states).toContain('reconnecting');
    expect(session.socket.state).toBe('open');
    expect(await second.audited).toBeGreaterThan(0);
  });
});
