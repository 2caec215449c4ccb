import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BLOB_REF_MIME,
  BlobRefSchema,
  outputsFromEvents,
  verifyReceipt,
  type JournalEvent,
} from '@spin/protocol';
import { TestClient, startPaired, type Harness } from './fixtures.js';

function ended(events: JournalEvent[]) {
  const last = events[events.length - 1];
  if (last?.type !== 'cell_ended') throw new Error('no cell_ended');
  return last.data;
}

describe('executing programs (real ipykernel)', () => {
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

  it('prints 42 and signs a receipt over exactly those outputs', async () => {
    const events = await client.run(await h.server.python('print(6*7)'));
    expect(events.map((e) => e.type)).toEqual(['cell_started', 'stream', 'cell_ended']);
    const stream = events[1];
    expect(stream?.type === 'stream' && stream.data).toEqual({
      output_type: 'stream',
      name: 'stdout',
      text: '42\n',
    });
    const end = ended(events);
    expect(end.status).toBe('ok');
    expect(end.executionCount).toBe(1);
    const claims = await verifyReceipt(
      end.receipt,
      h.rt.identity.keys.signing,
      outputsFromEvents(events),
    );
    expect(claims).toMatchObject({
      iss: h.rt.identity.runtimeId,
      status: 'ok',
      cell: 'c1',
      sid: 'ses_1',
      sub: 'usr_1',
      seqFirst: events[0]!.seq,
      seqLast: events[1]!.seq,
      outputCount: 1,
    });
  });

  it('reports a Python exception as an error output with traceback', async () => {
    const events = await client.run(await h.server.python('raise ValueError("boom")'));
    const err = events.find((e) => e.type === 'error');
    expect(err?.type === 'error' && err.data.ename).toBe('ValueError');
    expect(err?.type === 'error' && err.data.evalue).toBe('boom');
    expect(err?.type === 'error' && err.data.traceback.join('\n')).toContain('ValueError');
    expect(ended(events).status).toBe('error');
  });

  it('returns execute_result for an expression', async () => {
    const events = await client.run(await h.server.python('1+1'));
    const res = events.find((e) => e.type === 'execute_result');
    expect(res?.type === 'execute_result' && res.data.data).toEqual({ 'text/plain': '2' });
    expect(ended(events).status).toBe('ok');
  });

  it('runs shell cells: output, non-zero exit code sets status error', async () => {
    const events = await client.run(await h.server.shell('echo hi; exit 3'));
    const out = events.filter((e) => e.type === 'stream');
    expect(out.map((e) => e.type === 'stream' && e.data.text).join('')).toBe('hi\n');
    const end = ended(events);
    expect(end.status).toBe('error');
    expect(end.exitCode).toBe(3);
    const claims = await verifyReceipt(
      end.receipt,
      h.rt.identity.keys.signing,
      outputsFromEvents(events),
    );
    expect(claims.exitCode).toBe(3);
  });

  it('runs cells of a session in order, one at a time', async () => {
    const a = await client.execute(
      await h.server.python('import time; time.sleep(0.3); print("a")'),
    );
    const b = await client.execute(await h.server.shell('echo b'));
    expect(a.type).toBe('accepted');
    expect(b.type).toBe('accepted');
    const jtiB = b.type === 'accepted' ? b.jti : '';
    await client.next(
      (m) => m.type === 'event' && m.event.jti === jtiB && m.event.type === 'cell_ended',
    );
    const order = client
      .events()
      .filter((e) => e.type === 'cell_started' || e.type === 'cell_ended')
      .slice(-4)
      .map((e) => `${e.jti === jtiB ? 'b' : 'a'}:${e.type}`);
    expect(order).toEqual(['a:cell_started', 'a:cell_ended', 'b:cell_started', 'b:cell_ended']);
  });

  it('spills output past the budget: a blob reference and the tail instead of the rest', async () => {
    const env = await h.server.python('print("x" * 5000)', {
      limits: { timeoutMs: 60_000, outputBytes: 100 },
    });
    const events = await client.run(env);
    const outs = outputsFromEvents(events);
    expect(outs).toHaveLength(2);
    const ref = BlobRefSchema.parse(
      outs[0]?.output_type === 'display_data' ? outs[0].data[BLOB_REF_MIME] : null,
    );
    expect(ref).toMatchObject({ state: 'complete', bytes: 5001, lines: 1, head: { lines: 0 } });
    expect(ref.sha256).toBe(
      createHash('sha256')
        .update('x'.repeat(5000) + '\n')
        .digest('hex'),
    );
    expect(outs[1]).toEqual({ output_type: 'stream', name: 'stdout', text: 'x'.repeat(11) + '\n' });
  });

  it('ends a cell that runs too long with status timeout', async () => {
    const env = await h.server.python('import time; time.sleep(30)', {
      limits: { timeoutMs: 500, outputBytes: 1000 },
    });
    const events = await client.run(env);
    expect(ended(events).status).toBe('timeout');
    const after = await client.run(await h.server.python('print("still alive")'));
    expect(ended(after).status).toBe('ok');
  });

  it('kills the whole process group of a shell cell that times out', async () => {
    // A distinctive command line, found from the host: inside a sandbox `$!` is a PID of the
    // sandbox's own namespace.
    const env = await h.server.shell('sleep 31.4159 & echo started; wait', {
      limits: { timeoutMs: 500, outputBytes: 1000 },
    });
    const events = await client.run(env);
    expect(ended(events).status).toBe('timeout');
    expect(outputsFromEvents(events)).toContainEqual({
      output_type: 'stream',
      name: 'stdout',
      text: 'started\n',
    });
    const sleepers = () =>
      readdirSync('/proc')
        .filter((p) => /^\d+$/.test(p))
        .filter((pid) => {
          try {
            const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
            const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
            return cmd.startsWith('sleep 31.4159') && state !== 'Z';
          } catch {
            return false; // exited while we looked
          }
        });
    for (let i = 0; i < 30 && sleepers().length > 0; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(sleepers()).toEqual([]);
  });

  it('interrupts a running cell on request', async () => {
    const code = 'import time\nprint("sleeping", flush=True)\ntime.sleep(30)';
    const r = await client.execute(await h.server.python(code));
    const jti = r.type === 'accepted' ? r.jti : '';
    await client.next(
      (m) => m.type === 'event' && m.event.jti === jti && m.event.type === 'stream',
    );
    client.send({ type: 'interrupt', requestId: 'int1' });
    await client.next((m) => m.type === 'interrupted' && m.requestId === 'int1');
    await client.next(
      (m) => m.type === 'event' && m.event.jti === jti && m.event.type === 'cell_ended',
    );
    const events = client.events().filter((e) => e.jti === jti);
    expect(ended(events).status).toBe('interrupted');
    expect(events.some((e) => e.type === 'error' && e.data.ename === 'KeyboardInterrupt')).toBe(
      true,
    );
  });

  it('numbers journal events 1, 2, 3… without gaps', () => {
    const seqs = client.events().map((e) => e.seq);
    expect(seqs.length).toBeGreaterThan(10);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  });

  it('replays exactly the missing events to a client that reattaches with lastSeq', async () => {
    const all = client.events();
    const lastSeq = all[4]!.seq;
    const again = await TestClient.session(h.rt.url, await h.server.token(), lastSeq);
    expect(again.events()).toEqual(all.slice(5));
    const attached = again.messages.find((m) => m.type === 'attached');
    expect(attached).toEqual({ type: 'attached', fromSeq: lastSeq + 1, headSeq: all.length });
    again.close();
  });

  it('reports an unknown kernel as an error output', async () => {
    const env = await h.server.seal(h.server.claims({ kind: 'kernel', kernel: 'nope', code: '1' }));
    const events = await client.run(env);
    const err = events.find((e) => e.type === 'error');
    expect(err?.type === 'error' && err.data.evalue).toContain('runtime.kernel_not_found');
    expect(ended(events).status).toBe('error');
  });

  it('ends the cell with KernelDied when the kernel exits and starts a fresh kernel next', async () => {
    await client.run(await h.server.python('x = 1'));
    const before = h.rt.kernels.spawnedCount;
    const events = await client.run(await h.server.python('import os; os._exit(1)'));
    const err = events.find((e) => e.type === 'error');
    expect(err?.type === 'error' && err.data.ename).toBe('KernelDied');
    expect(ended(events).status).toBe('error');
    const next = await client.run(await h.server.python('print("fresh")'));
    expect(outputsFromEvents(next)).toEqual([
      { output_type: 'stream', name: 'stdout', text: 'fresh\n' },
    ]);
    expect(h.rt.kernels.spawnedCount).toBe(before + 1);
    const [dead, fresh] = h.rt.kernels.list().slice(-2);
    expect(dead?.alive).toBe(false);
    expect(fresh?.executeRequests).toBe(1);
  });
});
