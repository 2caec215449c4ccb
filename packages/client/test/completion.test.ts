import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, type NotebookSession, type ServerApi } from '@spin/client';
import { createNodeApi } from '@spin/client/node';
import {
  openSession,
  signedUpApi,
  startStack,
  type StackFixture,
} from '../../cli/test/fixtures.js';

/**
 * Issue 11: completion and inspection from the session's kernel through the client, the
 * runtime and a real ipykernel — cursor positions in code points as Jupyter counts them, and
 * a viewer refused with a stable code.
 */
let stack: StackFixture;
let admin: ServerApi;
let notebookId: string;
let session: NotebookSession;

beforeAll(async () => {
  stack = await startStack();
  admin = await signedUpApi(stack);
  notebookId = (await admin.createNotebook({ title: 'completion', cells: [] })).id;
  session = await openSession(admin, notebookId);
});
afterAll(async () => {
  session?.close();
  await stack?.close();
});

/** The text after accepting `match` for the reply's range (in code points) of `code`. */
function accepted(code: string, r: { cursorStart: number; cursorEnd: number }, match: string) {
  const points = [...code];
  return [...points.slice(0, r.cursorStart), match, ...points.slice(r.cursorEnd)].join('');
}

describe('kernel completion through @spin/client', () => {
  it('completes `import o` with os among the matches', async () => {
    const r = await session.complete('c1', 'import o', 8);
    expect(r.cursorEnd).toBe(8);
    expect(r.matches.map((m) => accepted('import o', r, m))).toContain('import os');
    // IPython with jedi types its matches (`_jupyter_types_experimental`); without jedi
    // there are none, and every match is still there
    for (const t of Object.keys(r.types)) expect(r.matches).toContain(t);
  });

  it('counts the cursor in code points: an emoji before it does not shift the range', async () => {
    await session.run({ id: 'c2', type: 'python', source: 'spin_value = 42' });
    const code = 's = "😀😀"; spin_va + 1';
    const cursor = [...'s = "😀😀"; spin_va'].length; // 17 code points, 19 UTF-16 units
    const r = await session.complete('c3', code, cursor);
    expect(r.matches.map((m) => accepted(code, r, m))).toContain('s = "😀😀"; spin_value + 1');
    // the same place counted in UTF-16 units is two characters further on, past ` +`
    const wrong = await session.complete('c3', code, 's = "😀😀"; spin_va'.length);
    expect(wrong.matches.map((m) => accepted(code, wrong, m))).not.toContain(
      's = "😀😀"; spin_value + 1',
    );
  });

  it('inspects a name at a code-point cursor', async () => {
    const doc = await session.inspect('x = "😀"; len', 12);
    expect(doc.found).toBe(true);
    expect(String(doc.data['text/plain'])).toContain('Return the number of items');
  });

  it('refuses a viewer with runtime.permission_required', async () => {
    const [ws] = await admin.listWorkspaces();
    const email = 'vic@example.test';
    const password = 'pw-vic-0123456789';
    await stack.spin.server.services.auth.createUser({
      email,
      password,
      name: 'Vic',
      workspaceId: ws!.id,
      role: 'viewer',
    });
    const viewerApi = createNodeApi(stack.spin.url);
    await viewerApi.login({ email, password });
    const viewer = await openSession(viewerApi, notebookId);
    try {
      const err = await viewer.complete('c1', 'import o', 8).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).code).toBe('runtime.permission_required');
      const inspect = await viewer.inspect('len', 3).catch((e: ApiError) => e.code);
      expect(inspect).toBe('runtime.permission_required');
    } finally {
      viewer.close();
    }
  });
});
