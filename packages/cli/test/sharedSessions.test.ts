import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, type NotebookSession, type ServerApi } from '@spin/client';
import { createNodeApi } from '@spin/client/node';
import type { JournalEvent, WorkspaceRole } from '@spin/protocol';
import { openSession, signedUpApi, startStack, type StackFixture } from './fixtures.js';

let stack: StackFixture;
let admin: ServerApi;
let notebookId: string;

/** A member of the default workspace with `role`, signed in through the API. */
async function member(name: string, role: WorkspaceRole): Promise<{ api: ServerApi; id: string }> {
  const [ws] = await admin.listWorkspaces();
  const email = `${name.toLowerCase()}@example.test`;
  const password = `pw-${name}-0123456789`;
  const user = await stack.spin.server.services.auth.createUser({
    email,
    password,
    name,
    workspaceId: ws!.id,
    role,
  });
  const api = createNodeApi(stack.spin.url);
  await api.login({ email, password });
  return { api, id: user.id };
}

/** Every journal event a client receives, as the bytes it got them in. */
function recordJournal(s: NotebookSession): string[] {
  const seen: string[] = [];
  s.socket.onDidEvent((ev: JournalEvent) => seen.push(JSON.stringify(ev)));
  return seen;
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return err instanceof ApiError ? err.code : String(err);
  }
}

beforeAll(async () => {
  stack = await startStack();
  admin = await signedUpApi(stack);
  notebookId = (await admin.createNotebook({ title: 'Incident 42', cells: [] })).id;
});
afterAll(async () => stack?.close());

describe('shared sessions and handoff (issue 8)', () => {
  it('three clients share one live journal; a viewer watches; a handoff moves interrupt and restart', async () => {
    const bea = await member('Bea', 'editor');
    const cy = await member('Cy', 'viewer');
    const adminId = (await admin.me()).user.id;

    const sAdmin = await openSession(admin, notebookId);
    const sBea = await openSession(bea.api, notebookId);
    const sCy = await openSession(cy.api, notebookId);
    const sessions = [sAdmin, sBea, sCy];
    try {
      expect(new Set(sessions.map((s) => s.sid)).size).toBe(1);
      const journals = sessions.map(recordJournal);
      // The creator owns the session; every client is told so.
      await expect
        .poll(() => sessions.map((s) => s.owner?.owner))
        .toEqual([adminId, adminId, adminId]);

      // 1. Three attached clients see byte-identical journals.
      const run = await sAdmin.run({
        id: 'lines',
        type: 'python',
        source:
          'import time\nfor i in range(40):\n    print(f"line {i}", flush=True)\n    time.sleep(0.01)',
      });
      expect(run.status).toBe('ok');
      await expect
        .poll(() => journals.map((j) => j.length))
        .toEqual(journals.map(() => journals[0]!.length));
      expect(journals[0]!.length).toBeGreaterThan(2);
      expect(journals[1]).toEqual(journals[0]);
      expect(journals[2]).toEqual(journals[0]);
      expect(journals[0]!.join('')).toContain('line 39');

      // 2. A viewer's execute is refused with a clear error, and nothing runs.
      const before = journals[0]!.length;
      expect(
        await codeOf(sCy.run({ id: 'v', type: 'python', source: 'print("viewer ran")' })),
      ).toBe('auth.permission_required');
      // A participant who is not the owner may run cells but not stop the owner's kernel.
      expect(await codeOf(sBea.interrupt())).toBe('runtime.permission_required');

      // 3. Handoff through the server: audited, epoch raised.
      const record = await admin.handOff(sAdmin.sid, bea.id);
      expect(record).toMatchObject({ ownerId: bea.id, ownerEpoch: 1, owner: { name: 'Bea' } });
      expect(record.participants.map((p) => p.name).sort()).toEqual(['Ada Admin', 'Bea', 'Cy']);
      const audit = await admin.audit({ limit: 500 });
      expect(audit.filter((e) => e.action === 'session.handoff').at(-1)?.data).toMatchObject({
        from: adminId,
        to: bea.id,
        ownerEpoch: 1,
      });
      // Only the owner or a workspace owner hands off: Cy cannot take the session.
      expect(await codeOf(cy.api.handOff(sAdmin.sid, cy.id))).toBe('auth.permission_required');
      expect((await admin.sessionRecord(sAdmin.sid)).ownerId).toBe(bea.id);

      // The new owner's next token reaches the runtime, which tells every client.
      sBea.close();
      const sBea2 = await openSession(bea.api, notebookId);
      sessions.push(sBea2);
      await expect
        .poll(() => [sAdmin.owner, sCy.owner, sBea2.owner])
        .toEqual([0, 1, 2].map(() => ({ owner: bea.id, ownerEpoch: 1 })));

      // The old owner can still run cells, but can no longer interrupt; the new owner can.
      const long = sAdmin.run({
        id: 'sleep',
        type: 'python',
        source: 'import time\ntime.sleep(60)',
      });
      long.catch(() => undefined); // awaited below; a failure before then must not go unhandled
      await expect.poll(() => sAdmin.cellState('sleep')?.running, { timeout: 30_000 }).toBe(true);
      expect(await codeOf(sAdmin.interrupt())).toBe('runtime.not_owner');
      expect(sAdmin.cellState('sleep')?.running).toBe(true);
      expect(await codeOf(sBea2.interrupt())).toBe('ok');
      const ended = await long;
      expect(ended.status).toBe('interrupted');
      // Restart is an owner right too: refused for the old owner, done for the new one.
      expect(await codeOf(sAdmin.restart())).toBe('runtime.not_owner');
      expect(await codeOf(sBea2.restart())).toBe('ok');
      expect(journals[0]!.length).toBeGreaterThan(before);
    } finally {
      for (const s of sessions) s.close();
    }
  });
});
