import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotebookSession, type InputRequest, type ServerApi } from '@spin/client';
import { NodeWebSocket } from '@spin/client/node';
import { signedUpApi, startStack, type StackFixture } from './fixtures.js';

let stack: StackFixture;
let api: ServerApi;
let session: NotebookSession;
let notebookId: string;
const asked: InputRequest[] = [];
const SECRET = 'hunter2-Aq9-never-audited';

beforeAll(async () => {
  stack = await startStack();
  api = await signedUpApi(stack);
  const nb = await api.createNotebook({
    title: 'Kernel control',
    cells: [{ id: 'c', type: 'python', source: '' }],
  });
  notebookId = nb.id;
  const [runtime] = await api.listRuntimes();
  session = await NotebookSession.open({
    api,
    notebookId: nb.id,
    runtime: runtime!,
    WebSocket: NodeWebSocket,
    onInputRequest: (req) => {
      asked.push(req);
      return req.password ? SECRET : 'Grace';
    },
  });
});

afterAll(async () => {
  session?.close();
  await stack?.close();
});

describe('kernel control through @spin/client (issue 8)', () => {
  it("answers input() from the client's onInputRequest; the run is audited", async () => {
    const run = await session.run({
      id: 'c',
      type: 'python',
      source: 'n = input("name? ")\nprint("hi", n)',
    });
    expect(asked.at(-1)).toMatchObject({ cell: 'c', prompt: 'name? ', password: false });
    expect(run.status).toBe('ok');
    expect(run.outputs).toEqual([
      { output_type: 'stream', name: 'stdout', text: 'name? Grace\nhi Grace\n' },
    ]);
    expect(await run.audited).toBeGreaterThan(0);
  });

  it('getpass() gets its answer, which reaches neither the outputs nor the server', async () => {
    const run = await session.run({
      id: 'c',
      type: 'python',
      source: 'import getpass\nprint(len(getpass.getpass("token: ")))',
    });
    expect(asked.at(-1)).toMatchObject({ prompt: 'token: ', password: true });
    expect(run.outputs).toEqual([
      { output_type: 'stream', name: 'stdout', text: `token: \n${SECRET.length}\n` },
    ]);
    await run.audited;
    const audit = await api.audit({ limit: 200 });
    expect(audit.some((e) => e.data.jti === run.jti)).toBe(true);
    expect(JSON.stringify(audit)).not.toContain(SECRET);
    const nb = await api.getNotebook(notebookId);
    expect(JSON.stringify(nb)).not.toContain(SECRET);
  });

  it('complete() and isComplete() answer from the session kernel', async () => {
    await session.run({ id: 'c', type: 'python', source: 'spin_total = 3' });
    const { matches, cursorEnd } = await session.complete('c', 'spin_to', 7);
    expect(matches).toEqual(['spin_total']);
    expect(cursorEnd).toBe(7);
    expect(await session.isComplete('if True:')).toMatchObject({ status: 'incomplete' });
    const doc = await session.inspect('len', 3);
    expect(doc.found).toBe(true);
  });

  it('restart() clears the kernel state and reports the new kernel idle', async () => {
    await session.run({ id: 'c', type: 'python', source: 'z = 1' });
    await session.restart();
    expect(session.kernelStatus).toMatchObject({ state: 'idle', kernel: 'python3' });
    const run = await session.run({ id: 'c', type: 'python', source: 'print(z)' });
    expect(run.outputs.find((o) => o.output_type === 'error')).toMatchObject({
      ename: 'NameError',
    });
  });

  it('reports a killed kernel through kernelStatus with its cause', async () => {
    const live = stack.spin.runtime.kernels
      .list()
      .filter((k) => k.alive && !k.sid.startsWith('pool:'));
    expect(live).toHaveLength(1);
    const dead = new Promise<unknown>((resolve) => {
      const d = session.onDidChangeKernelStatus((s) => {
        if (s.state === 'dead') {
          d.dispose();
          resolve(s);
        }
      });
    });
    process.kill(live[0]!.pid!, 'SIGKILL');
    expect(await dead).toMatchObject({
      state: 'dead',
      restartable: true,
      cause: { reason: 'oom', signal: 'SIGKILL' },
    });
    await session.restart();
    const run = await session.run({ id: 'c', type: 'python', source: 'print("alive")' });
    expect(run.outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: 'alive\n' }]);
  });
});
