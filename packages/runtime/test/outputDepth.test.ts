import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outputsFromEvents, verifyReceipt } from '@spin/protocol';
import { TestClient, startPaired, type Harness } from './fixtures.js';

// Issue 5 finding 3: output nested 10,000 deep overflows every recursive JSON walk downstream
// (here JSON.stringify killed the iopub pump and the cell never ended). The runtime replaces
// it with an error output and carries on.
describe('deeply nested kernel output (real ipykernel)', () => {
  let h: Harness;
  let client: TestClient;

  beforeAll(async () => {
    h = await startPaired();
    client = await TestClient.session(h.rt.url, await h.server.token());
  });
  afterAll(async () => {
    client.close();
    await h.close();
  });

  // ipykernel's own JSON encoder stops at Python's recursion limit (1000): raise it so the
  // kernel really sends the 10,000-deep message.
  const deep = [
    'import sys',
    'sys.setrecursionlimit(100000)',
    'from IPython.display import display',
    'deep = []',
    'for _ in range(10000): deep = [deep]',
  ].join('\n');

  it.each([
    ['data', 'display({"application/json": deep}, raw=True)'],
    ['metadata', 'display({"text/plain": "x"}, metadata={"m": deep}, raw=True)'],
  ])('replaces display_data with 10,000-deep %s by a clear error and runs on', async (_, call) => {
    const events = await client.run(
      await h.server.python(`${deep}\n${call}\nprint("after")`, {
        limits: { timeoutMs: 30_000, outputBytes: 10_000_000 },
      }),
    );
    const outputs = outputsFromEvents(events);
    expect(outputs).toEqual([
      {
        output_type: 'error',
        ename: 'OutputTooDeep',
        evalue:
          'runtime.output_too_deep: a display_data output nested more than 64 levels deep was dropped',
        traceback: [],
      },
      { output_type: 'stream', name: 'stdout', text: 'after\n' },
    ]);
    const end = events.at(-1);
    expect(end?.type === 'cell_ended' && end.data.status).toBe('ok');
    const receipt = end?.type === 'cell_ended' ? end.data.receipt : '';
    await expect(verifyReceipt(receipt, h.rt.identity.keys.signing, outputs)).resolves.toBeTruthy();
  });

  it('forwards output nested up to the limit unchanged', async () => {
    const code =
      'from IPython.display import display\nv = 1\nfor _ in range(64): v = [v]\ndisplay({"application/json": v}, raw=True)';
    const events = await client.run(await h.server.python(code));
    const out = outputsFromEvents(events)[0];
    expect(out?.output_type).toBe('display_data');
    let v = out?.output_type === 'display_data' ? out.data['application/json'] : null;
    let depth = 0;
    while (Array.isArray(v)) {
      v = v[0];
      depth++;
    }
    expect([depth, v]).toEqual([64, 1]);
  });
});
