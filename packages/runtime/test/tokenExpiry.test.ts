import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WS_CLOSE, type JournalEvent, type RuntimeMessage } from '@spin/protocol';
import { TestClient, startPaired, type Harness } from './fixtures.js';

// Issue 5 finding 4: a socket whose access token expired kept receiving live output. Now
// delivery stops at `exp` unless the client sent `refresh` with a new token.

/** A cell that prints a numbered line every 100 ms for `seconds`. */
const ticker = (seconds: number) =>
  `import time\nfor i in range(${seconds * 10}):\n    print(i, flush=True)\n    time.sleep(0.1)`;

function welcomeExp(c: TestClient): number {
  const w = c.messages.find((m) => m.type === 'welcome');
  if (w?.type !== 'welcome' || w.exp === undefined) throw new Error('no exp in welcome');
  return w.exp;
}

const tsMs = (e: JournalEvent) => Date.parse(e.ts);

describe('access token expiry on an attached socket', () => {
  let h: Harness;
  let editor: TestClient;

  beforeAll(async () => {
    h = await startPaired();
    editor = await TestClient.session(h.rt.url, await h.server.token());
    await editor.run(await h.server.python('1')); // kernel up, so cells start at once
  });
  afterAll(async () => {
    editor.close();
    await h.close();
  });

  /** Start a ticker as the editor; resolves when its cell has ended. */
  async function tick(seconds: number): Promise<string> {
    const r = await editor.execute(await h.server.python(ticker(seconds)));
    if (r.type !== 'accepted') throw new Error(JSON.stringify(r));
    return r.jti;
  }
  const endOf = (c: TestClient, jti: string) =>
    c.next((m) => m.type === 'event' && m.event.jti === jti && m.event.type === 'cell_ended');

  it('a viewer receives nothing past exp until it comes back with a new token, then loses nothing', async () => {
    const viewer = await TestClient.session(
      h.rt.url,
      await h.server.token({ perms: ['view'], ttlS: 2 }),
      editor.events().at(-1)!.seq,
    );
    const exp = welcomeExp(viewer);
    const jti = await tick(4);
    const code = await viewer.closed();
    expect(code).toBe(WS_CLOSE.tokenExpired);
    expect(viewer.messages.at(-1)).toMatchObject({ type: 'error', code: 'auth.token_expired' });
    const seen = viewer.events();
    expect(seen.length).toBeGreaterThan(0);
    for (const e of seen) expect(tsMs(e)).toBeLessThan(exp * 1000);

    await endOf(editor, jti);
    const all = editor.events().filter((e) => e.jti === jti);
    expect(all.some((e) => tsMs(e) >= exp * 1000)).toBe(true); // output went on past exp

    const back = await TestClient.session(
      h.rt.url,
      await h.server.token({ perms: ['view'] }),
      seen.at(-1)!.seq,
    );
    await endOf(back, jti);
    const resumed = [...seen, ...back.events()].filter((e) => e.jti === jti);
    expect(resumed).toEqual(all);
    back.close();
  });

  it('a viewer that refreshes in time keeps receiving past the first exp', async () => {
    const viewer = await TestClient.session(
      h.rt.url,
      await h.server.token({ perms: ['view'], ttlS: 2 }),
      editor.events().at(-1)!.seq,
    );
    const firstExp = welcomeExp(viewer);
    const jti = await tick(4);
    viewer.send({
      type: 'refresh',
      requestId: 'f1',
      token: await h.server.token({ perms: ['view'] }),
    });
    const refreshed = await viewer.next<Extract<RuntimeMessage, { type: 'refreshed' }>>(
      (m) => m.type === 'refreshed' || m.type === 'error',
    );
    expect(refreshed).toMatchObject({ type: 'refreshed', requestId: 'f1' });
    expect(refreshed.exp).toBeGreaterThan(firstExp);
    await endOf(viewer, jti);
    expect(viewer.closeCode).toBeNull();
    const got = viewer.events().filter((e) => e.jti === jti);
    expect(got.some((e) => tsMs(e) >= firstExp * 1000)).toBe(true);
    expect(got).toEqual(editor.events().filter((e) => e.jti === jti));
    viewer.close();
  });

  it('refuses a refresh for another session, another user, an older owner or a dead token', async () => {
    const viewer = await TestClient.session(
      h.rt.url,
      await h.server.token({ perms: ['view'], ttlS: 3, ownerEpoch: 3 }),
    );
    const exp = welcomeExp(viewer);
    const refresh = async (requestId: string, token: string) => {
      viewer.send({ type: 'refresh', requestId, token });
      return viewer.next((m) => 'requestId' in m && m.requestId === requestId);
    };
    const long = { perms: ['view' as const], ownerEpoch: 3 };
    expect(await refresh('a', await h.server.token({ ...long, sid: 'ses_other' }))).toMatchObject({
      type: 'error',
      code: 'runtime.token_session_mismatch',
    });
    expect(await refresh('b', await h.server.token({ ...long, sub: 'usr_other' }))).toMatchObject({
      type: 'error',
      code: 'runtime.token_subject_mismatch',
    });
    expect(await refresh('c', await h.server.token({ ...long, ownerEpoch: 2 }))).toMatchObject({
      type: 'error',
      code: 'auth.token_invalid',
    });
    const dead = await h.server.token({ ...long, exp: Math.floor(Date.now() / 1000) - 5 });
    expect(await refresh('d', dead)).toMatchObject({ type: 'error', code: 'auth.token_expired' });
    expect(await refresh('e', 'not.a.token')).toMatchObject({
      type: 'error',
      code: 'auth.token_invalid',
    });
    expect(await refresh('f', await h.server.token({ ...long, aud: 'rt_other' }))).toMatchObject({
      type: 'error',
      code: 'auth.token_invalid',
    });
    // none of them extended the socket: it still ends at the first token's exp
    const jti = await tick(5);
    expect(await viewer.closed()).toBe(WS_CLOSE.tokenExpired);
    for (const e of viewer.events()) expect(tsMs(e)).toBeLessThan(exp * 1000);
    await endOf(editor, jti);
  });

  it("a refresh replaces the socket's permissions (an editor demoted to viewer)", async () => {
    const c = await TestClient.session(h.rt.url, await h.server.token());
    c.send({ type: 'refresh', requestId: 'r', token: await h.server.token({ perms: ['view'] }) });
    await c.next((m) => m.type === 'refreshed');
    const before = h.rt.kernels.totalExecuteRequests;
    const reply = await c.execute(await h.server.python('print("should not run")'));
    expect(reply).toMatchObject({ type: 'error', code: 'runtime.permission_required' });
    expect(h.rt.kernels.totalExecuteRequests).toBe(before);
    c.close();
  });
});
