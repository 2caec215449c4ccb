import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JournalEvent } from '@spin/protocol';
import { RestEmulator } from '../src/processors/rest/emulator.js';
import { startRuntime } from '../src/index.js';
import { TestClient, startPaired, type Harness } from './fixtures.js';

const TOKEN = 'rest-token-' + 'c'.repeat(24);

function text(events: JournalEvent[]): string {
  return events
    .map((e) =>
      e.type === 'stream'
        ? e.data.text
        : e.type === 'display_data'
          ? JSON.stringify(e.data.data)
          : e.type === 'error'
            ? `${e.data.ename}: ${e.data.evalue}`
            : '',
    )
    .join('\n');
}

function ended(events: JournalEvent[]) {
  const last = events[events.length - 1];
  if (last?.type !== 'cell_ended') throw new Error('no cell_ended');
  return last.data;
}

function connectionsFile(dir: string, value: unknown, mode = 0o600): string {
  const file = join(dir, `connections-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  chmodSync(file, mode);
  return file;
}

describe('connections defined at the runtime (SPIN_CONNECTIONS_FILE)', () => {
  let api: RestEmulator;
  let dir: string;
  let h: Harness;
  let client: TestClient;

  beforeAll(async () => {
    api = await new RestEmulator(TOKEN).start();
    dir = mkdtempSync(join(tmpdir(), 'spin-conn-'));
    const file = connectionsFile(dir, {
      connections: [
        {
          name: 'inventory',
          type: 'rest',
          config: { baseUrl: api.url, auth: 'bearer' },
          secrets: { token: { env: 'INVENTORY_TOKEN' } },
        },
        { name: 'inventory-anon', type: 'rest', config: { baseUrl: api.url } },
      ],
    });
    h = await startPaired({
      connectionsFile: file,
      env: { ...process.env, INVENTORY_TOKEN: TOKEN },
    });
    client = await TestClient.session(h.rt.url, await h.server.token());
  });
  afterAll(async () => {
    client?.close();
    await h?.close();
    await api.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs a cell on a named connection with its secret from the environment', async () => {
    const events = await client.run(
      await h.server.cell({
        id: 'private_cell',
        type: 'rest',
        source: 'GET /private',
        connection: 'inventory',
      }),
    );
    expect(ended(events).status).toBe('ok');
    expect(text(events)).toContain('stays on the server');
    expect(api.seen.at(-1)?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    // The token reached the API, and neither the output nor the runtime's logs show it.
    expect(text(events)).not.toContain(TOKEN);
    expect(h.logs.text).not.toContain(TOKEN);
    expect(h.logs.text).toContain('inventory');
  });

  it('a connection without the secret is refused by the API, not given another one', async () => {
    const events = await client.run(
      await h.server.cell({
        id: 'anon_cell',
        type: 'rest',
        source: 'GET /private',
        connection: 'inventory-anon',
      }),
    );
    expect(ended(events).status).toBe('error');
    expect(text(events)).toMatch(/invalid or missing token/);
    expect(api.seen.at(-1)?.headers.authorization).toBeUndefined();
  });

  it('a cell naming a connection the runtime does not have fails with a clear error', async () => {
    const before = api.seen.length;
    const events = await client.run(
      await h.server.cell({
        id: 'ghost_cell',
        type: 'rest',
        source: 'GET /items',
        connection: 'ghost',
      }),
    );
    expect(ended(events).status).toBe('error');
    expect(text(events)).toContain('connection "ghost" is not available on this runtime');
    expect(api.seen.length).toBe(before);
  });
});

describe('a bad connections file stops the start, naming the problem', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'spin-conn-bad-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const start = (connectionsFile: string, env: NodeJS.ProcessEnv = {}) =>
    startRuntime({
      port: 0,
      home: mkdtempSync(join(dir, 'home-')),
      banner: false,
      logLevel: 'silent',
      sandbox: 'none',
      connectionsFile,
      env: { PATH: process.env.PATH, ...env },
    });

  it.each([
    ['malformed JSON', '{"connections": [', /not JSON/],
    ['an unknown processor', { connections: [{ name: 'x', type: 'nope' }] }, /no processor "nope"/],
    [
      'a duplicate name',
      {
        connections: [
          { name: 'a', type: 'rest' },
          { name: 'a', type: 'rest' },
        ],
      },
      /connection "a" is defined twice/,
    ],
    [
      'a config field its manifest refuses',
      { connections: [{ name: 'a', type: 'rest', config: { baseUrl: 'ftp://x' } }] },
      /connection "a": config\.baseUrl/,
    ],
    ['an unknown top-level field', { connections: [], extra: true }, /\(top level\)|extra/],
    [
      'an environment variable that is not set',
      { connections: [{ name: 'a', type: 'rest', secrets: { token: { env: 'NOT_SET_HERE' } } }] },
      /secrets\.token: NOT_SET_HERE is not set/,
    ],
  ])('%s', async (_what, value, message) => {
    await expect(start(connectionsFile(dir, value))).rejects.toThrow(message);
  });

  it('literal secrets in a file other users may read, without quoting the value', async () => {
    const secret = 'literal-' + 'd'.repeat(20);
    const file = connectionsFile(
      dir,
      { connections: [{ name: 'a', type: 'rest', secrets: { token: secret } }] },
      0o644,
    );
    const err = await start(file).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/secrets\.token is written in a file other users may read/);
    expect(err?.message).not.toContain(secret);
  });

  it('a missing file that was named explicitly', async () => {
    await expect(start(join(dir, 'absent.json'))).rejects.toThrow(/cannot read it \(ENOENT\)/);
  });
});
