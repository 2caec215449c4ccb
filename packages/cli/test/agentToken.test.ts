import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, type ServerApi } from '@spin/client';
import { createNodeApi } from '@spin/client/node';
import { openSession, signedUpApi, startStack, type StackFixture } from './fixtures.js';

let stack: StackFixture;
let admin: ServerApi;
let agent: ServerApi;
let notebookId: string;

beforeAll(async () => {
  stack = await startStack();
  admin = await signedUpApi(stack);
  const nb = await admin.createNotebook({
    title: 'Agent runbook',
    cells: [{ id: 'py', type: 'python', source: 'print(6*7)' }],
  });
  notebookId = nb.id;
  const [ws] = await admin.listWorkspaces();
  const { secret } = await admin.createToken({
    name: 'triage agent',
    kind: 'agent',
    workspaceId: ws!.id,
    expiresInDays: 1,
  });
  agent = createNodeApi(stack.spin.url, { apiToken: secret });
});

afterAll(async () => {
  await stack?.close();
});

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApiError) return err.code;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('an AI agent with an agent token, through @spin/client and a real runtime', () => {
  it('runs a cell end to end (the runtime accepts its agent-role access token) and cannot edit', async () => {
    const session = await openSession(agent, notebookId);
    try {
      const run = await session.run({ id: 'py', type: 'python', source: 'print(6*7)' });
      expect(run.status).toBe('ok');
      expect(run.outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: '42\n' }]);
      await run.audited;
    } finally {
      session.close();
    }

    const before = await admin.getNotebook(notebookId);
    expect(
      await codeOf(agent.updateNotebook(notebookId, { title: 'rewritten by the agent' })),
    ).toBe('auth.permission_required');
    expect(await codeOf(agent.createNotebook({ title: 'agent notebook' }))).toBe(
      'auth.permission_required',
    );
    const after = await admin.getNotebook(notebookId);
    expect(after.title).toBe(before.title);
    expect(after.version).toBe(before.version);
    expect((await admin.listNotebooks()).map((n) => n.title)).toEqual(['Agent runbook']);

    // The run is in the audit log: compiled and executed (verified receipt) for the token owner.
    const me = (await admin.me()).user.id;
    const actions = (await admin.audit({ limit: 1000 }))
      .filter((e) => e.actor === me)
      .map((e) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining(['token.create', 'program.compiled', 'cell.executed']),
    );
  });
});
