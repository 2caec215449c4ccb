import { expect } from 'vitest';
import type { ProcessorFixture } from '../conformance.js';
import { SplunkEmulator } from './emulator.js';

/**
 * Splunk runs against {@link SplunkEmulator} on loopback with token auth. The slow search is a
 * job that never finishes (`| hold`): cancelling the cell must DELETE it on the server.
 */
export const fixture: ProcessorFixture = {
  processor: 'splunk',
  async setup() {
    const token = `splunk-token-canary-${crypto.randomUUID()}`;
    const password = `splunk-password-canary-${crypto.randomUUID()}`;
    const wrong = `splunk-wrong-canary-${crypto.randomUUID()}`;
    const emu = await new SplunkEmulator({ token, username: 'admin', password }).start();
    const connection = (url = emu.url, t = token) => ({
      name: 'splunk',
      config: { url, auth: 'token' },
      secrets: { token: t },
    });
    return {
      connection: connection(),
      secrets: [token, password, wrong],
      query: {
        cell: { source: 'index=web | stats count by host' },
        check(frames) {
          const table = frames.find((f) => f.type === 'table');
          if (table?.type !== 'table') throw new Error('no table frame');
          expect(table.frame.schema.fields).toEqual([
            { name: 'host', type: 'string' },
            { name: 'count', type: 'integer' },
          ]);
          expect(table.frame.columns[0]).toEqual(['db-1', 'web-1', 'web-2', 'web-3']);
          const counts = table.frame.columns[1] as number[];
          expect(counts.reduce((a, b) => a + b, 0)).toBeGreaterThan(100);
          expect(frames.find((f) => f.type === 'raw')).toMatchObject({
            value: { job: { dispatchState: 'DONE' } },
          });
        },
      },
      slow: {
        cell: { source: 'index=web | hold' },
        started: async () => emu.runningJobs() > 0,
        running: async () => emu.runningJobs() > 0,
      },
      large: { cell: { source: '| makeresults count=5000' } },
      paged: { cell: { source: '| makeresults count=1200' }, rows: 1200 },
      errors: {
        authFailed: {
          cell: { source: 'index=web' },
          connection: connection(emu.url, wrong),
          message: /call not properly authenticated/,
        },
        notFound: {
          cell: { source: 'index=web' },
          connection: connection(`${emu.url}/no/such/prefix`),
          message: /Not Found/,
        },
        rateLimited: {
          cell: { source: 'index=web' },
          connection: connection(`${emu.url}/limited`),
          message: /slow down/,
          retryAfterS: 120,
        },
        badQuery: {
          cell: { source: 'index=web | stats count(' },
          message: /Unbalanced parentheses/,
        },
      },
      unhealthy: connection(emu.url, wrong),
      leakProbe: { cell: { source: 'index=web | head 1' } },
      teardown: () => emu.stop(),
    };
  },
};
