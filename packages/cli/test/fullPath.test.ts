import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiError } from '@spin/client';
import { type NotebookSession, type ServerApi } from '@spin/client';
import { createNodeApi } from '@spin/client/node';
import {
  METRICS_TOKEN,
  openSession,
  signedUpApi,
  startStack,
  type StackFixture,
} from './fixtures.js';

let stack: StackFixture;
let api: ServerApi;
let session: NotebookSession;
let notebookId: string;

beforeAll(async () => {
  stack = await startStack();
  api = await signedUpApi(stack);
  const nb = await api.createNotebook({
    title: 'Full path',
    cells: [
      { id: 'py', type: 'python', source: 'print(6*7)' },
      { id: 'boom', type: 'python', source: 'raise ValueError("boom")' },
      { id: 'sh', type: 'shell', source: 'echo hi; exit 3' },
    ],
  });
  notebookId = nb.id;
  session = await openSession(api, notebookId);
});

afterAll(async () => {
  session?.close();
  await stack?.close();
});

describe('the execution path through @spin/client (DESIGN.md §1)', () => {
  it('runs python and shell cells and records one verified audit entry per run', async () => {
    const py = await session.run({ id: 'py', type: 'python', source: 'print(6*7)' });
    expect(py.status).toBe('ok');
    expect(py.outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: '42\n' }]);
    expect(await py.audited).toBeGreaterThan(0);

    const boom = await session.run({
      id: 'boom',
      type: 'python',
      source: 'raise ValueError("boom")',
    });
    expect(boom.status).toBe('error');
    const err = boom.outputs.find((o) => o.output_type === 'error');
    expect(err).toMatchObject({ ename: 'ValueError', evalue: 'boom' });

    const sh = await session.run({ id: 'sh', type: 'shell', source: 'echo hi; exit 3' });
    expect(sh.status).toBe('error');
    expect(sh.exitCode).toBe(3);
    expect(sh.outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: 'hi\n' }]);
    await Promise.all([boom.audited, sh.audited]);

    // the server persisted the verified outputs with the notebook
    const nb = await api.getNotebook(notebookId);
    const byId = Object.fromEntries(nb.cells.map((c) => [c.id, c]));
    expect(byId.py?.outputs).toEqual(py.outputs);
    expect(byId.py?.lastRun?.jti).toBe(py.jti);
    expect(byId.sh?.lastRun).toMatchObject({ status: 'error', exitCode: 3, jti: sh.jti });
    expect(byId.py?.lastRun?.executionCount).toBe(py.executionCount);

    // exactly one cell.executed entry per run, each carrying the runtime's receipt
    const audit = await api.audit({ limit: 500 });
    const executed = audit.filter((e) => e.action === 'cell.executed');
    for (const run of [py, boom, sh]) {
      const entries = executed.filter((e) => e.data.jti === run.jti);
      expect(entries).toHaveLength(1);
      expect(entries[0]!.data.status).toBe(run.status);
      expect(typeof entries[0]!.data.receipt).toBe('string');
    }
    expect((await api.verifyAudit()).ok).toBe(true);
  });

  it('a second client joins the same session and replays the journal', async () => {
    const again = await openSession(api, notebookId);
    try {
      expect(again.sid).toBe(session.sid);
      expect(again.socket.lastSeq).toBe(session.socket.lastSeq);
      expect(again.cellState('py')?.outputs).toEqual([
        { output_type: 'stream', name: 'stdout', text: '42\n' },
      ]);
      // replaying the history asked the server once which receipts were missing (none were),
      // instead of re-posting every receipt
      const metrics = await (
        await fetch(`${stack.spin.url}/metrics`, {
          headers: { authorization: `Bearer ${METRICS_TOKEN}` },
        })
      ).text();
      expect(metrics).not.toMatch(/spin_receipts_total\{result="receipt.duplicate"\}/);
      expect(metrics).toMatch(/spin_receipts_total\{result="accepted"\} 3/);
    } finally {
      again.close();
    }
  });

  it('interrupts a running cell from the client; the kernel survives', async () => {
    const sleeper = {
      id: 'sleep',
      type: 'python' as const,
      source: 'import time\nprint("start", flush=True)\ntime.sleep(60)',
    };
    const started = new Promise<void>((resolve) => {
      const d = session.onDidChangeCell((s) => {
        if (s.cellId === 'sleep' && s.outputs.length > 0) {
          d.dispose();
          resolve();
        }
      });
    });
    const running = session.run(sleeper);
    await started;
    session.interrupt();
    const result = await running;
    expect(result.status).toBe('interrupted');
    expect(result.outputs.find((o) => o.output_type === 'error')).toMatchObject({
      ename: 'KeyboardInterrupt',
    });
    await result.audited;
    // same kernel afterwards: state defined before the interrupt is still there
    const after = await session.run({ id: 'py', type: 'python', source: 'print(time.time() > 0)' });
    expect(after.outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: 'True\n' }]);
  });

  it('refuses compile without a session cookie', async () => {
    const anon = createNodeApi(stack.spin.url);
    await expect(
      anon.compile(notebookId, {
        sid: session.sid,
        cell: { id: 'py', type: 'python', source: '1' },
      }),
    ).rejects.toMatchObject({
      code: 'auth.unauthenticated',
    } satisfies Partial<ApiError>);
  });
});
