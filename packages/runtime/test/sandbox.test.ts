import { homedir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outputsFromEvents } from '@spin/protocol';
import { TestClient, startPaired, type Harness } from './fixtures.js';

describe('SPIN_SANDBOX=bwrap', () => {
  let h: Harness;
  let client: TestClient;

  beforeAll(async () => {
    // a home outside /tmp, so hiding it is the sandbox's doing and not the private /tmp's
    h = await startPaired({ sandbox: 'bwrap' }, homedir());
    client = await TestClient.session(h.rt.url, await h.server.token());
  });
  afterAll(async () => {
    client.close();
    await h.close();
  });

  it('runs python in the sandbox: only the session dir is writable', async () => {
    const code = [
      'import os',
      'open("ok.txt", "w").write("x")',
      'try:',
      '    open("/etc/spin-escape", "w")',
      'except OSError as e:',
      '    print("blocked", type(e).__name__)',
      'print(os.path.exists("ok.txt"))',
    ].join('\n');
    const events = await client.run(await h.server.python(code));
    expect(outputsFromEvents(events)).toEqual([
      { output_type: 'stream', name: 'stdout', text: 'blocked OSError\nTrue\n' },
    ]);
  });

  it('runs shell in the sandbox and cannot see the runtime home', async () => {
    const script = `touch here; ls ${h.home}/keys 2>&1 | head -1; echo rw > /usr/spin-x || echo ro`;
    const events = await client.run(await h.server.shell(script));
    const text = outputsFromEvents(events)
      .map((o) => (o.output_type === 'stream' ? o.text : ''))
      .join('');
    expect(text).toMatch(/No such file or directory/);
    expect(text).not.toContain('signing.jwk.json');
    expect(text).toContain('ro\n');
    expect(events.at(-1)).toMatchObject({ type: 'cell_ended', data: { status: 'ok' } });
  });

  it('interrupts a sandboxed kernel by message', async () => {
    const r = await client.execute(
      await h.server.python('import time\nprint("go", flush=True)\ntime.sleep(30)'),
    );
    const jti = r.type === 'accepted' ? r.jti : '';
    await client.next(
      (m) => m.type === 'event' && m.event.jti === jti && m.event.type === 'stream',
    );
    client.send({ type: 'interrupt', requestId: 'i' });
    const end = await client.next(
      (m) => m.type === 'event' && m.event.jti === jti && m.event.type === 'cell_ended',
    );
    expect(end).toMatchObject({ event: { data: { status: 'interrupted' } } });
    expect(h.rt.kernels.spawnedCount).toBe(1);
  });
});
