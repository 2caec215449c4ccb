import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RuntimeMessage } from '@spin/protocol';
import { TestClient, startPaired, type Harness } from './fixtures.js';

type KernelStatus = Extract<RuntimeMessage, { type: 'kernel_status' }>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('idle kernels are culled (SPIN_KERNEL_IDLE_TIMEOUT)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startPaired({ kernelIdleTimeoutMs: 1000 });
  });
  afterAll(async () => {
    await h.close();
  });

  const alive = (sid: string) => h.rt.kernels.list().filter((k) => k.sid === sid && k.alive);

  async function until(cond: () => boolean): Promise<void> {
    for (let i = 0; i < 100 && !cond(); i++) await sleep(100);
  }

  it('keeps the kernel of a session with a client attached, culls it once none is', async () => {
    const c = await TestClient.session(h.rt.url, await h.server.token({ sid: 'ses_a' }));
    await c.run(await h.server.python('kept = 1', { sid: 'ses_a' }));
    await sleep(3000); // three timeouts' worth: attached, so never culled
    expect(alive('ses_a')).toHaveLength(1);
    expect(text(await c.run(await h.server.python('print(kept)', { sid: 'ses_a' })))).toBe('1\n');
    c.close();
    await until(() => alive('ses_a').length === 0);
    expect(alive('ses_a')).toEqual([]);

    // a client that comes back is told why, and the next run starts a new kernel
    const back = await TestClient.session(h.rt.url, await h.server.token({ sid: 'ses_a' }));
    const status = await back.next<KernelStatus>((m) => m.type === 'kernel_status');
    expect(status).toMatchObject({ state: 'dead', cause: { reason: 'culled' }, restartable: true });
    const events = await back.run(await h.server.python('print(kept)', { sid: 'ses_a' }));
    expect(events.find((e) => e.type === 'error')).toMatchObject({ data: { ename: 'NameError' } });
    expect(alive('ses_a')).toHaveLength(1);
    back.close();
  });

  it('never culls a busy kernel, even with no client attached', async () => {
    const c = await TestClient.session(h.rt.url, await h.server.token({ sid: 'ses_b' }));
    const r = await c.execute(
      await h.server.python('import time\nprint("go", flush=True)\ntime.sleep(4)\nprint("done")', {
        sid: 'ses_b',
      }),
    );
    expect(r.type).toBe('accepted');
    await c.next((m) => m.type === 'event' && m.event.type === 'stream');
    c.close();
    await sleep(2500); // past the timeout, while the cell still sleeps
    expect(alive('ses_b')).toHaveLength(1);
    // it finished (its output is in the journal), then idled out
    await until(() => alive('ses_b').length === 0);
    expect(alive('ses_b')).toEqual([]);
    const again = await TestClient.session(h.rt.url, await h.server.token({ sid: 'ses_b' }));
    expect(text(again.events())).toBe('go\ndone\n');
    again.close();
  });
});

function text(events: { type: string; data: unknown }[]): string {
  return events.map((e) => (e.type === 'stream' ? (e.data as { text: string }).text : '')).join('');
}
