import { expect } from 'vitest';
import type { ProcessorFixture } from '../conformance.js';
import { RestEmulator } from './emulator.js';

/**
 * REST runs against {@link RestEmulator} on loopback. The main cells use absolute URLs (no
 * connection), the auth cases a bearer connection: with a wrong token it must fail as auth
 * failed, and neither token may appear in outputs, errors or logs.
 */
export const fixture: ProcessorFixture = {
  processor: 'rest',
  async setup() {
    const token = `rest-token-canary-${crypto.randomUUID()}`;
    const wrong = `rest-wrong-canary-${crypto.randomUUID()}`;
    const emu = await new RestEmulator(token).start();
    const connection = (t: string) => ({
      name: 'emulator',
      config: { baseUrl: emu.url, auth: 'bearer' },
      secrets: { token: t },
    });
    return {
      connection: null,
      secrets: [token, wrong],
      query: {
        cell: { source: `GET ${emu.url}/items\nAccept: application/json` },
        check(frames) {
          const table = frames.find((f) => f.type === 'table');
          expect(table?.type === 'table' && table.frame.columns).toEqual([
            [1, 2],
            ['web-1', 'web-2'],
            [0.5, 2.25],
          ]);
          const status = frames.find((f) => f.type === 'stream' && f.name === 'stderr');
          expect(status?.type === 'stream' && status.text).toMatch(
            /^HTTP 200 OK · \d+ ms · application\/json/,
          );
          expect(frames.find((f) => f.type === 'raw')).toMatchObject({ value: { status: 200 } });
        },
      },
      slow: {
        cell: { source: `GET ${emu.url}/slow`, params: { parse: 'text' } },
        started: async () => emu.openSlow > 0,
        running: async () => emu.openSlow > 0,
      },
      large: { cell: { source: `GET ${emu.url}/big` } },
      paged: { cell: { source: `GET ${emu.url}/many` }, rows: 1200 },
      errors: {
        authFailed: {
          cell: { source: 'GET /private' },
          connection: connection(wrong),
          message: /invalid or missing token/,
        },
        notFound: { cell: { source: `GET ${emu.url}/items/7` }, message: /no route \/items\/7/ },
        rateLimited: {
          cell: { source: `GET ${emu.url}/limited` },
          message: /slow down/,
          retryAfterS: 7,
        },
        badQuery: {
          cell: { source: `GET ${emu.url}/search?q=(x` },
          message: /unbalanced parenthesis/,
        },
      },
      unhealthy: {
        name: 'down',
        config: { baseUrl: 'http://127.0.0.1:9', auth: 'none' },
        secrets: {},
      },
      leakProbe: { cell: { source: 'GET /private' }, connection: connection(token) },
      teardown: () => emu.stop(),
    };
  },
};
