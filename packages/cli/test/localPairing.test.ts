import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeApi } from '@spin/client/node';
import { ADMIN, openSession, signedUpApi, startStack } from './fixtures.js';

let home: string;

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'spin-restart-'));
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

async function runsACell(api: ReturnType<typeof createNodeApi>) {
  const nb = await api.createNotebook({ title: 'restart', cells: [] });
  const session = await openSession(api, nb.id);
  try {
    const run = await session.run({ id: 'c', type: 'python', source: 'print("up")' });
    expect(run.outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: 'up\n' }]);
    await run.audited;
  } finally {
    session.close();
  }
}

describe('spin start pairs its own runtime on every start', () => {
  it('registers it once, then re-pairs (audited) when its port changes', async () => {
    const first = await startStack({ home });
    let runtimeId: string;
    try {
      const api = await signedUpApi(first);
      runtimeId = first.spin.runtime.identity.runtimeId;
      const [rt] = await api.listRuntimes();
      expect(rt).toMatchObject({ id: runtimeId, name: 'local', url: first.spin.runtimeUrl });
      await runsACell(api);
    } finally {
      await first.close();
    }
    // the master key lives outside the server's data directory
    expect(existsSync(path.join(home, 'server', 'master.key'))).toBe(false);
    expect(existsSync(path.join(home, 'config', 'master.key'))).toBe(true);

    const second = await startStack({ home }); // new free ports
    try {
      const api = createNodeApi(second.spin.url);
      await api.login({ email: ADMIN.email, password: ADMIN.password });
      const runtimes = await api.listRuntimes();
      expect(runtimes).toEqual([
        expect.objectContaining({ id: runtimeId, url: second.spin.runtimeUrl }),
      ]);
      const audit = await api.audit({ limit: 1000 });
      expect(audit.filter((e) => e.action === 'runtime.registered')).toHaveLength(1);
      const repaired = audit.filter((e) => e.action === 'runtime.repaired');
      expect(repaired).toHaveLength(1);
      expect(repaired[0]!.data).toMatchObject({ newUrl: second.spin.runtimeUrl });
      // the runtime was paired again with a grant from its server, not with the token alone
      expect(audit.some((e) => e.action === 'runtime.pair_grant_issued')).toBe(true);
      await runsACell(api);
      expect((await api.verifyAudit()).ok).toBe(true);
    } finally {
      await second.close();
    }
  });

  it('still starts when .spin/server was wiped but .spin/runtime kept (the pairing is reset in-process)', async () => {
    const runtimeId = JSON.parse(await readFile(path.join(home, 'runtime', 'runtime.json'), 'utf8'))
      .runtimeId as string;
    const pairingBefore = await readFile(path.join(home, 'runtime', 'pairing.json'), 'utf8');
    await rm(path.join(home, 'server'), { recursive: true, force: true });
    await rm(path.join(home, 'config'), { recursive: true, force: true });

    const stack = await startStack({ home });
    try {
      expect(stack.spin.runtime.identity.runtimeId).toBe(runtimeId);
      const pairingAfter = await readFile(path.join(home, 'runtime', 'pairing.json'), 'utf8');
      expect(JSON.parse(pairingAfter).jwks).not.toEqual(JSON.parse(pairingBefore).jwks);
      const api = await signedUpApi(stack);
      expect((await api.listRuntimes()).map((r) => r.id)).toEqual([runtimeId]);
      await runsACell(api);
    } finally {
      await stack.close();
    }
  });
});
