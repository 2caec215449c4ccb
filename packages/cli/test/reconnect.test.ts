import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotebookSession, type ServerApi } from '@spin/client';
import { NodeWebSocket } from '@spin/client/node';
import type { Runtime } from '@spin/protocol';
import { signedUpApi, startStack, type StackFixture } from './fixtures.js';
import { startTcpProxy, type TcpProxy } from './tcpProxy.js';

// DESIGN.md §3: clients resume with lastSeq and lose nothing across disconnects, reloads or
// new devices. The client's runtime connection goes through a proxy the test can cut.
let stack: StackFixture;
let api: ServerApi;
let proxy: TcpProxy;
let runtime: Runtime;

const LINES = 30;
const slowCell = {
  id: 'slow',
  type: 'python' as const,
  source: `import time\nfor i in range(${LINES}):\n    print(f"line {i}", flush=True)\n    time.sleep(0.02)`,
};
const expected = Array.from({ length: LINES }, (_, i) => `line ${i}\n`).join('');

beforeAll(async () => {
  stack = await startStack();
  api = await signedUpApi(stack);
  const [registered] = await api.listRuntimes();
  proxy = await startTcpProxy(registered!.url);
  runtime = { ...registered!, url: proxy.url };
});

afterAll(async () => {
  await proxy?.close();
  await stack?.close();
});

async function open(notebookId: string): Promise<NotebookSession> {
  return NotebookSession.open({ api, notebookId, runtime, WebSocket: NodeWebSocket });
}

describe('dropped connections and reloads lose no output', () => {
  it('reconnects after the network drops mid-cell and still gets every line and the receipt', async () => {
    const nb = await api.createNotebook({ title: 'drop', cells: [slowCell] });
    const session = await open(nb.id);
    const states: string[] = [];
    session.socket.onDidChangeState((s) => states.push(s));
    try {
      let cut = false;
      session.onDidChangeCell((s) => {
        const text = s.outputs.map((o) => (o.output_type === 'stream' ? o.text : '')).join('');
        if (!cut && text.includes('line 5')) {
          cut = true;
          proxy.cut();
        }
      });
      const result = await session.run(slowCell);
      expect(cut).toBe(true);
      expect(states).toContain('reconnecting');
      expect(result.status).toBe('ok');
      expect(result.outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: expected }]);
      // events arrived exactly once each, in order, across the reconnect
      const seqs = result.events.map((e) => e.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size).toBe(seqs.length);
      expect(await result.audited).toBeGreaterThan(0);
      const saved = await api.getNotebook(nb.id);
      expect(saved.cells[0]?.outputs).toEqual(result.outputs);
    } finally {
      session.close();
    }
  });

  it('a client that joins mid-cell (a reload, another device) sees the whole run', async () => {
    const nb = await api.createNotebook({ title: 'reload', cells: [slowCell] });
    const first = await open(nb.id);
    const running = first.run(slowCell);
    // wait until some output has been produced, then "reload": drop this client for good
    await new Promise<void>((resolve) => {
      const d = first.onDidChangeCell((s) => {
        if (s.outputs.length > 0) {
          d.dispose();
          resolve();
        }
      });
    });
    first.close();
    await expect(running).rejects.toMatchObject({ code: 'client.closed' });

    const second = await open(nb.id);
    try {
      await new Promise<void>((resolve) => {
        const check = () => {
          const s = second.cellState('slow');
          if (s && !s.running && s.status) resolve();
        };
        second.onDidChangeCell(check);
        check();
      });
      const state = second.cellState('slow')!;
      expect(state.status).toBe('ok');
      expect(state.outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: expected }]);
      // the second client relayed the receipt the first one never saw: it watched the run end
      // live, gave the relaying client its grace period, found the server without it, posted it
      await expect
        .poll(async () => (await api.getNotebook(nb.id)).cells[0]?.lastRun?.jti, {
          timeout: 15_000,
        })
        .toBe(state.jti);
    } finally {
      second.close();
    }
  });
});
