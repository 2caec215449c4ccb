import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClient, startPaired, type Harness } from './fixtures.js';

describe('runtime restart with the same SPIN_HOME', () => {
  let h: Harness;
  let envelope: string;
  const before: { runtimeId: string; fingerprint: string; events: unknown[] } = {
    runtimeId: '',
    fingerprint: '',
    events: [],
  };

  beforeAll(async () => {
    h = await startPaired();
    const c = await TestClient.session(h.rt.url, await h.server.token());
    envelope = await h.server.python('print("before restart")');
    await c.run(envelope);
    await c.run(await h.server.shell('echo two'));
    before.events = c.events();
    before.runtimeId = h.rt.identity.runtimeId;
    before.fingerprint = h.rt.identity.fingerprint;
    c.close();
    await h.restart();
  });
  afterAll(async () => {
    await h.close();
  });

  it('keeps its identity and pairing', () => {
    expect(h.rt.identity.runtimeId).toBe(before.runtimeId);
    expect(h.rt.identity.fingerprint).toBe(before.fingerprint);
    expect(h.rt.identity.paired).toBe(true);
  });

  it('replays the journal to a client resuming with lastSeq', async () => {
    const c = await TestClient.session(h.rt.url, await h.server.token(), 2);
    expect(c.events()).toEqual(before.events.slice(2));
    const welcome = c.messages.find((m) => m.type === 'welcome');
    expect(welcome).toMatchObject({ headSeq: before.events.length });
    // new events continue the numbering
    const more = await c.run(await h.server.shell('echo three'));
    expect(more[0]?.seq).toBe(before.events.length + 1);
    c.close();
  });

  it('still rejects a replayed envelope, without starting a kernel', async () => {
    const c = await TestClient.session(h.rt.url, await h.server.token());
    const reply = await c.execute(envelope);
    expect(reply).toMatchObject({ type: 'error', code: 'envelope.replayed' });
    expect(h.rt.kernels.spawnedCount).toBe(0);
    expect(h.rt.kernels.totalExecuteRequests).toBe(0);
    c.close();
  });
});
