import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RuntimeMessage } from '@spin/protocol';
import { TestClient, startPaired, type Harness } from './fixtures.js';

type Reply = Extract<RuntimeMessage, { type: 'kernel_reply' }>;

describe('complete, inspect and is_complete forwarded to the kernel (real ipykernel)', () => {
  let h: Harness;
  let c: TestClient;
  let n = 0;
  beforeAll(async () => {
    h = await startPaired();
    c = await TestClient.session(h.rt.url, await h.server.token());
    await c.run(await h.server.python('import os\nspin_answer = 42'));
  });
  afterAll(async () => {
    c.close();
    await h.close();
  });

  async function ask(msg: Record<string, unknown>, client = c): Promise<RuntimeMessage> {
    const requestId = `q${++n}`;
    client.send({ type: 'kernel_request', requestId, ...msg });
    return client.next(
      (m) => (m.type === 'kernel_reply' || m.type === 'error') && m.requestId === requestId,
    );
  }

  it('completes names the kernel knows, its own variables included', async () => {
    const r = (await ask({ request: 'complete', code: 'os.pa', cursorPos: 5 })) as Reply;
    expect(r.type).toBe('kernel_reply');
    expect(r.content).toMatchObject({ status: 'ok', cursor_end: 5 });
    // what the editor would show after accepting each match (IPython, with or without jedi,
    // replaces either the whole dotted name or only its last part)
    const start = Number(r.content.cursor_start);
    const completed = (r.content.matches as string[]).map((m) => 'os.pa'.slice(0, start) + m);
    expect(completed).toContain('os.path');
    const v = (await ask({ request: 'complete', code: 'spin_ans' })) as Reply;
    expect(v.content.matches).toEqual(['spin_answer']);
  });

  it('inspects an object and says whether code is complete', async () => {
    const r = (await ask({ request: 'inspect', code: 'len', cursorPos: 3 })) as Reply;
    expect(r.content.found).toBe(true);
    expect(JSON.stringify(r.content.data)).toContain('Return the number of items');
    const open = (await ask({ request: 'is_complete', code: 'for i in range(3):' })) as Reply;
    expect(open.content.status).toBe('incomplete');
    const done = (await ask({ request: 'is_complete', code: 'x = 1' })) as Reply;
    expect(done.content.status).toBe('complete');
  });

  it("refuses a token without execute, and the kernel's state is untouched", async () => {
    const viewer = await TestClient.session(
      h.rt.url,
      await h.server.token({ sub: 'usr_v', perms: ['view'] }),
    );
    const r = await ask({ request: 'complete', code: 'spin_ans' }, viewer);
    expect(r).toMatchObject({ type: 'error', code: 'runtime.permission_required' });
    viewer.close();
  });

  it('rejects a malformed request with a clear error', async () => {
    c.send({ type: 'kernel_request', requestId: 'bad', request: 'eval', code: '1' });
    const r = await c.next((m) => m.type === 'error' && m.code === 'request.invalid');
    expect(r).toMatchObject({ message: expect.stringContaining('kernel_request') });
  });
});
