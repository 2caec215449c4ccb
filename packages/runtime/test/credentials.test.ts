import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKey, type CellInput, type RuntimeMessage } from '@spin/protocol';
import { RestEmulator } from '../src/processors/rest/emulator.js';
import { FakeServer, TestClient, startPaired, type Harness } from './fixtures.js';
import {
  connection,
  endOf,
  filesContaining,
  outputText,
  relay,
  sealBundle,
  secret,
  uses,
} from './credentialFixtures.js';

/** Issue 9, acceptance 3 (runtime half): bundles replace, never roll back; deleted means gone. */
const TOKEN_V2 = 'inv-token-v2-' + 'k'.repeat(20);
const TOKEN_V1 = 'inv-token-v1-' + 'j'.repeat(20);
const INVENTORY = { id: 'conn_inv', name: 'inventory' };
const LEGACY = { id: 'conn_legacy', name: 'legacy' };

const restCell = (id: string, name: string): CellInput => ({
  id,
  type: 'rest',
  source: 'GET /private',
  connection: name,
});

describe('credential bundles at the runtime', () => {
  let api: RestEmulator;
  let h: Harness;
  let client: TestClient;
  let welcome: RuntimeMessage;

  const store = () => join(h.home, 'credentials');
  const bundleBytes = () => readFileSync(join(store(), 'bundle.enc'));

  /** Bundle v`version`: the inventory connection whose token field references a secret. */
  const inventoryBundle = (version: number, token: string, extra = false) =>
    sealBundle(h, version, {
      connections: [
        connection({
          ...INVENTORY,
          processor: 'rest',
          config: { baseUrl: api.url, auth: 'bearer' },
          secrets: { token: '{{secret:INV_TOKEN}}' },
          secretIds: { INV_TOKEN: 'sec_inv' },
        }),
        ...(extra
          ? [connection({ ...LEGACY, processor: 'rest', config: { baseUrl: api.url } })]
          : []),
      ],
      secrets: [secret('sec_inv', 'INV_TOKEN', { value: token })],
    });

  beforeAll(async () => {
    api = await new RestEmulator(TOKEN_V2).start();
    h = await startPaired();
    client = await TestClient.connect(h.rt.url);
    client.send({ type: 'hello', token: await h.server.token() });
    welcome = await client.next((m) => m.type === 'welcome');
    client.send({ type: 'attach', lastSeq: 0 });
    await client.next((m) => m.type === 'attached');
  });
  afterAll(async () => {
    client?.close();
    await h?.close();
    await api.stop();
  });

  it('reports version 0 before any bundle, then stores one and acks its version', async () => {
    expect(welcome).toMatchObject({ type: 'welcome', credentialsVersion: 0 });
    expect(await relay(client, await inventoryBundle(2, TOKEN_V2))).toMatchObject({
      type: 'credentials_ack',
      version: 2,
    });
    for (const f of ['bundle.enc', 'store.key', 'version']) {
      expect(statSync(join(store(), f)).mode & 0o777).toBe(0o600);
    }
    expect(statSync(store()).mode & 0o777).toBe(0o700);
    expect(filesContaining(h.home, [TOKEN_V2])).toEqual([]); // encrypted at rest
    expect(h.logs.text).toContain('"credentialsVersion":2');
  });

  it('runs a cell on the bundle connection, its {{secret:…}} field resolved', async () => {
    const events = await client.run(
      await h.server.cell(restCell('inv', 'inventory'), uses(2, {}, INVENTORY)),
    );
    expect(endOf(events).status).toBe('ok');
    expect(outputText(events)).toContain('stays on the server');
    expect(api.seen.at(-1)?.headers.authorization).toBe(`Bearer ${TOKEN_V2}`);
  });

  it('refuses a replayed older bundle and an equal one: nothing changes', async () => {
    const before = bundleBytes();
    const older = await relay(client, await inventoryBundle(1, TOKEN_V1, true));
    expect(older).toMatchObject({ type: 'error', code: 'credentials.stale_bundle' });
    const equal = await relay(client, await inventoryBundle(2, TOKEN_V1, true));
    expect(equal).toMatchObject({ type: 'error', code: 'credentials.stale_bundle' });
    expect(bundleBytes().equals(before)).toBe(true);
    expect(readFileSync(join(store(), 'version'), 'utf8').trim()).toBe('2');
    // the old bundle's connection did not come back, and the token is still v2's
    const legacy = await client.run(
      await h.server.cell(restCell('leg', 'legacy'), uses(1, {}, LEGACY)),
    );
    expect(endOf(legacy).status).toBe('error');
    expect(outputText(legacy)).toContain('ConnectionNotFound: connection.not_found');
    await client.run(await h.server.cell(restCell('inv2', 'inventory'), uses(2, {}, INVENTORY)));
    expect(api.seen.at(-1)?.headers.authorization).toBe(`Bearer ${TOKEN_V2}`);
  });

  it('refuses bundles for another runtime or not signed by the paired server', async () => {
    const before = bundleBytes();
    const elsewhere = await sealBundle(h, 9, {}, { aud: 'rt_other' });
    expect(await relay(client, elsewhere)).toMatchObject({
      type: 'error',
      code: 'credentials.bundle_invalid',
    });
    const forger = new FakeServer(await generateSigningKey(), h.server.identity);
    const forged = await sealBundle({ ...h, server: forger }, 9, {});
    const answer = await relay(client, forged);
    expect(answer.type).toBe('error');
    expect(answer.type === 'error' && answer.code).toMatch(/^envelope\./);
    expect(await relay(client, 'not-a-jwe')).toMatchObject({
      type: 'error',
      code: 'envelope.malformed',
    });
    expect(bundleBytes().equals(before)).toBe(true);
  });

  it('says credentials.missing when a program needs a newer bundle than the runtime holds', async () => {
    const events = await client.run(
      await h.server.cell(restCell('inv3', 'inventory'), uses(3, {}, INVENTORY)),
    );
    expect(endOf(events).status).toBe('error');
    expect(outputText(events)).toMatch(
      /CredentialsMissing: credentials\.missing: this cell needs credentials version 3, but the runtime holds version 2/,
    );
  });

  it('drops a deleted connection and its secret with the newer bundle; its cells fail clearly', async () => {
    const seen = api.seen.length;
    expect(
      await relay(
        client,
        await sealBundle(h, 3, { secrets: [secret('sec_other', 'OTHER', { value: 'other-v3' })] }),
      ),
    ).toMatchObject({ type: 'credentials_ack', version: 3 });
    const events = await client.run(
      await h.server.cell(restCell('inv4', 'inventory'), uses(2, {}, INVENTORY)),
    );
    expect(endOf(events).status).toBe('error');
    expect(outputText(events)).toContain(
      'ConnectionNotFound: connection.not_found: connection "inventory" is not available on this runtime',
    );
    expect(api.seen.length).toBe(seen); // nothing reached the API
    const shell = await client.run(
      await h.server.shell('echo "{{secret:INV_TOKEN}}"', uses(2, { INV_TOKEN: 'sec_inv' })),
    );
    expect(endOf(shell).status).toBe('error');
    expect(outputText(shell)).toContain(
      'secret.unavailable: {{secret:INV_TOKEN}}: secret "INV_TOKEN" is not in this runtime\'s credentials',
    );
  });

  it('keeps the newest bundle across a restart and still refuses older ones', async () => {
    client.close();
    await h.restart();
    client = await TestClient.connect(h.rt.url);
    client.send({ type: 'hello', token: await h.server.token() });
    expect(await client.next((m) => m.type === 'welcome')).toMatchObject({
      credentialsVersion: 3,
    });
    client.send({ type: 'attach', lastSeq: 0 });
    await client.next((m) => m.type === 'attached');
    const events = await client.run(
      await h.server.shell('printf %s "{{secret:OTHER}}" | wc -c', uses(3, { OTHER: 'sec_other' })),
    );
    expect(outputText(events).trim()).toBe('8');
    expect(await relay(client, await inventoryBundle(2, TOKEN_V2))).toMatchObject({
      code: 'credentials.stale_bundle',
    });
    expect(filesContaining(h.home, [TOKEN_V1, TOKEN_V2, 'other-v3'])).toEqual([]);
  });

  it('after the store is damaged, takes the current bundle again but still no older one', async () => {
    client.close();
    await h.rt.close();
    writeFileSync(join(store(), 'bundle.enc'), Buffer.from('damaged beyond repair'));
    await h.restart();
    client = await TestClient.connect(h.rt.url);
    client.send({ type: 'hello', token: await h.server.token() });
    expect(await client.next((m) => m.type === 'welcome')).toMatchObject({
      credentialsVersion: 0,
    });
    client.send({ type: 'attach', lastSeq: 0 });
    await client.next((m) => m.type === 'attached');
    expect(h.logs.text).toContain('stored credential bundle cannot be read');
    expect(await relay(client, await inventoryBundle(2, TOKEN_V2))).toMatchObject({
      code: 'credentials.stale_bundle',
    });
    expect(
      await relay(
        client,
        await sealBundle(h, 3, { secrets: [secret('sec_other', 'OTHER', { value: 'other-v3' })] }),
      ),
    ).toMatchObject({ type: 'credentials_ack', version: 3 });
  });
});
