import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RELAYER_GRACE_MS, type NotebookSession, type ServerApi } from '@spin/client';
import {
  METRICS_TOKEN,
  openSession,
  signedUpApi,
  startStack,
  type StackFixture,
} from '../../cli/test/fixtures.js';

let stack: StackFixture;
let api: ServerApi;

/** Receipts the server was sent, by result, from its `/metrics`. */
async function receiptPosts(): Promise<Record<string, number>> {
  const res = await fetch(`${stack.spin.url}/metrics`, {
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
  });
  const text = await res.text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^spin_receipts_total\{result="([^"]+)"\} (\d+)/gm)) {
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

const total = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

/**
 * Issue 13: with several clients attached to one session, a run's receipt is posted once — by
 * the client that relayed the program — not by every client that saw the run end; a receipt
 * nobody posted is recovered by the next client that replays the journal.
 */
describe('receipt posting', () => {
  beforeAll(async () => {
    stack = await startStack();
    api = await signedUpApi(stack);
  });
  afterAll(() => stack.close());

  it('posts each receipt once, from the relaying client, with five clients attached', async () => {
    const nb = await api.createNotebook({
      title: 'shared',
      cells: [{ id: 'c', type: 'python', source: 'print(6 * 7)' }],
    });
    const clients: NotebookSession[] = [];
    try {
      for (let i = 0; i < 5; i++) clients.push(await openSession(api, nb.id));
      const before = await receiptPosts();
      const [relayer, ...observers] = clients;
      // every observer sees the run end (with its outputs) …
      const seenEnded = observers.map(
        (o) =>
          new Promise<string | null>((resolve) => {
            const d = o.onDidChangeCell((s) => {
              if (s.cellId === 'c' && s.status) {
                d.dispose();
                resolve(s.status);
              }
            });
          }),
      );
      for (let run = 0; run < 3; run++) {
        const result = await relayer!.run({ id: 'c', type: 'python', source: 'print(6 * 7)' });
        expect(result.status).toBe('ok');
        expect(await result.audited).toBeGreaterThan(0);
      }
      expect(await Promise.all(seenEnded)).toEqual(['ok', 'ok', 'ok', 'ok']);
      // … but the server was sent three receipts, not fifteen, and refused none as duplicates
      await expect
        .poll(async () => total(await receiptPosts()) - total(before), { timeout: 20_000 })
        .toBe(3);
      // the observers look after the relayer once the grace period is over: they find the
      // server has every receipt and post none
      await new Promise((r) => setTimeout(r, 2 * RELAYER_GRACE_MS + 500));
      const after = await receiptPosts();
      expect(total(after) - total(before)).toBe(3);
      expect((after['accepted'] ?? 0) - (before['accepted'] ?? 0)).toBe(3);
      expect(after['receipt.duplicate'] ?? 0).toBe(before['receipt.duplicate'] ?? 0);
      const audit = await api.audit({ limit: 500 });
      expect(audit.filter((e) => e.action === 'cell.executed')).toHaveLength(3);
    } finally {
      for (const c of clients) c.close();
    }
  });

  it('records the receipt of megabytes of outputs, its body written in slices', async () => {
    // 40,000 lines of 60 characters: 2.4 MB inline, a body that takes many slices to write
    const source = 'for i in range(40000):\n    print(f"{i:08d} " + "x" * 51)';
    const nb = await api.createNotebook({
      title: 'large',
      cells: [{ id: 'big', type: 'python', source }],
    });
    const session = await openSession(api, nb.id);
    try {
      const result = await session.run({ id: 'big', type: 'python', source });
      expect(result.status).toBe('ok');
      expect(await result.audited).toBeGreaterThan(0);
      const cell = (await api.getNotebook(nb.id)).cells.find((c) => c.id === 'big')!;
      expect(cell.lastRun?.jti).toBe(result.jti);
      const text = cell.outputs.map((o) => (o.output_type === 'stream' ? o.text : '')).join('');
      const lines = text.split('\n');
      expect(lines).toHaveLength(40_001);
      expect(lines[39_999]).toBe(`00039999 ${'x'.repeat(51)}`);
    } finally {
      session.close();
    }
  });

  it('recovers a receipt the relaying client never posted when another client replays', async () => {
    const slow = {
      id: 's',
      type: 'python' as const,
      source: 'import time; time.sleep(1.5); print("done")',
    };
    const nb = await api.createNotebook({ title: 'left', cells: [slow] });
    const relayer = await openSession(api, nb.id);
    const observer = await openSession(api, nb.id);
    let jti: string | null = null;
    try {
      const started = new Promise<void>((resolve) => {
        const d = observer.onDidChangeCell((s) => {
          if (s.cellId === 's' && s.running) {
            jti = s.jti;
            d.dispose();
            resolve();
          }
        });
      });
      const running = relayer.run(slow);
      await started;
      relayer.close(); // the relaying client goes away before the cell ends
      await expect(running).rejects.toMatchObject({ code: 'client.closed' });
      // the observer, attached throughout, sees it end but is not the one to post it …
      await expect
        .poll(() => observer.cellState('s')?.status ?? null, { timeout: 20_000 })
        .toBe('ok');
      expect((await api.pendingReceipts(observer.sid, [jti!])).pending).toEqual([jti]);
    } finally {
      observer.close();
    }
    // … the next client to attach replays the journal and posts what is missing.
    const reloaded = await openSession(api, nb.id);
    try {
      await expect
        .poll(async () => (await api.pendingReceipts(reloaded.sid, [jti!])).pending, {
          timeout: 20_000,
        })
        .toEqual([]);
      const audit = await api.audit({ limit: 500 });
      expect(audit.filter((e) => e.action === 'cell.executed' && e.data.jti === jti)).toHaveLength(
        1,
      );
    } finally {
      reloaded.close();
    }
  });
});
