import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiError,
  inspectRuntime,
  NotebookSession,
  pairRuntime,
  type ServerApi,
} from '@spin/client';
import { NodeWebSocket } from '@spin/client/node';
import { startRuntime, type RuntimeHandle } from '@spin/runtime';
import { signedUpApi, startStack, type StackFixture } from './fixtures.js';

const WRONG = 'SHA256:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff';

let stack: StackFixture;
let api: ServerApi;
let home: string;
let edge: RuntimeHandle;
const origins = ['http://ui.example.test'];

const startEdge = () =>
  startRuntime({ port: 0, host: '127.0.0.1', home, logLevel: 'warn', banner: false });
const pairingFile = () => path.join(home, 'pairing.json');

beforeAll(async () => {
  stack = await startStack();
  api = await signedUpApi(stack);
  home = await mkdtemp(path.join(os.tmpdir(), 'spin-edge-'));
  edge = await startEdge();
});
afterAll(async () => {
  await edge?.close();
  await rm(home, { recursive: true, force: true });
  await stack?.close();
});

describe('pairing through @spin/client (DESIGN.md §1 "Pairing a runtime")', () => {
  it('compares the fingerprint before pairing: a mismatching runtime is never paired', async () => {
    const err = await pairRuntime({
      api,
      runtimeUrl: edge.url,
      spinToken: edge.spinToken,
      name: 'edge',
      allowedOrigins: origins,
      expectedFingerprint: WRONG,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe('client.fingerprint_mismatch');
    expect(existsSync(pairingFile())).toBe(false);
    expect(edge.identity.paired).toBe(false);
    expect((await api.listRuntimes()).map((r) => r.id)).not.toContain(edge.identity.runtimeId);
  });

  it('pairs and registers a new runtime; a paired runtime with another fingerprint stays as it was', async () => {
    const result = await pairRuntime({
      api,
      runtimeUrl: edge.url,
      spinToken: edge.spinToken,
      name: 'edge',
      allowedOrigins: origins,
      expectedFingerprint: edge.identity.fingerprint,
    });
    expect(result.previousFingerprint).toBeNull();
    expect(result.runtime).toMatchObject({
      id: edge.identity.runtimeId,
      fingerprint: edge.identity.fingerprint,
      url: edge.url,
    });
    const before = readFileSync(pairingFile(), 'utf8');
    await expect(
      inspectRuntime({ api, runtimeUrl: edge.url, expectedFingerprint: WRONG }),
    ).rejects.toMatchObject({ code: 'client.fingerprint_mismatch' });
    expect(readFileSync(pairingFile(), 'utf8')).toBe(before);
  });

  it('re-pairs a re-keyed runtime only when confirmed, with a grant, showing both fingerprints', async () => {
    const oldFingerprint = edge.identity.fingerprint;
    // the runtime's keys are replaced (its home was restored without keys); it stays paired
    await edge.close();
    await rm(path.join(home, 'keys'), { recursive: true, force: true });
    edge = await startEdge();
    expect(edge.identity.paired).toBe(true);
    expect(edge.identity.fingerprint).not.toBe(oldFingerprint);
    const pairingBefore = readFileSync(pairingFile(), 'utf8');

    const unconfirmed = await pairRuntime({
      api,
      runtimeUrl: edge.url,
      spinToken: edge.spinToken,
      name: 'edge',
      allowedOrigins: origins,
    }).catch((e: unknown) => e);
    expect((unconfirmed as ApiError).code).toBe('client.repair_unconfirmed');
    expect((unconfirmed as ApiError).message).toContain(oldFingerprint);
    expect(readFileSync(pairingFile(), 'utf8')).toBe(pairingBefore);
    const stale = (await api.listRuntimes()).find((r) => r.id === edge.identity.runtimeId);
    expect(stale?.fingerprint).toBe(oldFingerprint);

    let shown: { old: string; new: string } | null = null;
    const result = await pairRuntime({
      api,
      runtimeUrl: edge.url,
      spinToken: edge.spinToken,
      name: 'edge',
      allowedOrigins: origins,
      confirmRepair: (plan) => {
        shown = { old: plan.registered!.fingerprint, new: plan.identity.fingerprint };
        return true;
      },
    });
    expect(shown).toEqual({ old: oldFingerprint, new: edge.identity.fingerprint });
    expect(result).toMatchObject({
      previousFingerprint: oldFingerprint,
      runtime: { fingerprint: edge.identity.fingerprint, url: edge.url },
    });
    const entries = await api.audit({ limit: 1000 });
    expect(entries.map((e) => e.action)).toEqual(
      expect.arrayContaining(['runtime.pair_grant_issued', 'runtime.repaired']),
    );
    expect(entries.find((e) => e.action === 'runtime.repaired')?.data).toMatchObject({
      oldFingerprint,
      newFingerprint: edge.identity.fingerprint,
    });

    // and the re-keyed runtime runs cells: programs are sealed to its new key
    const nb = await api.createNotebook({ title: 'edge', cells: [] });
    const runtime = (await api.listRuntimes(nb.workspaceId)).find(
      (r) => r.id === edge.identity.runtimeId,
    )!;
    const session = await NotebookSession.open({
      api,
      notebookId: nb.id,
      runtime,
      WebSocket: NodeWebSocket,
    });
    try {
      const run = await session.run({ id: 'c', type: 'python', source: 'print(6*7)' });
      expect(run.status).toBe('ok');
      expect(run.outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: '42\n' }]);
      await run.audited;
    } finally {
      session.close();
    }
  });
});
