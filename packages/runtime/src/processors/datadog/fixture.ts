import { expect } from 'vitest';
import type { ProcessorFixture } from '../conformance.js';
import { DATADOG_HOSTS, DatadogEmulator } from './emulator.js';

/**
 * Datadog runs against {@link DatadogEmulator} on loopback. The conformance cells are metrics
 * queries (the logs search and its cursor paging have their own test); the slow one asks for a
 * `hold.*` metric, which the emulator never answers, so cancelling must close the connection.
 */
export const fixture: ProcessorFixture = {
  processor: 'datadog',
  async setup() {
    const apiKey = `dd-api-canary-${crypto.randomUUID()}`;
    const appKey = `dd-app-canary-${crypto.randomUUID()}`;
    const wrong = `dd-wrong-canary-${crypto.randomUUID()}`;
    const emu = await new DatadogEmulator({ apiKey, appKey }).start();
    const connection = (url = emu.url, keys = { apiKey, appKey }) => ({
      name: 'datadog',
      config: { site: 'datadoghq.eu', url },
      secrets: keys,
    });
    const byHost = 'avg:system.cpu.user{*} by {host}';
    return {
      connection: connection(),
      secrets: [apiKey, appKey, wrong],
      query: {
        cell: { source: byHost },
        check(frames) {
          const series = frames.flatMap((f) => (f.type === 'timeseries' ? f.frame.series : []));
          expect([...new Set(series.map((s) => s.labels.host))]).toEqual([...DATADOG_HOSTS]);
          const web2 = series.filter((s) => s.labels.host === 'web-2').flatMap((s) => s.values);
          expect(web2.slice(0, 6)).toEqual([10, 11, 12, 13, 14, 10]);
          expect(frames.find((f) => f.type === 'raw')).toMatchObject({
            value: { status: 'ok', res_type: 'time_series' },
          });
        },
      },
      slow: {
        cell: { source: 'avg:hold.forever{*}' },
        started: async () => emu.openHeld > 0,
        running: async () => emu.openHeld > 0,
      },
      large: { cell: { source: byHost } },
      // The last hour at 20 s: 181 points for each of five hosts, in pages of 500.
      paged: { cell: { source: byHost }, rows: 181 * DATADOG_HOSTS.length },
      errors: {
        authFailed: {
          cell: { source: byHost },
          connection: connection(emu.url, { apiKey, appKey: wrong }),
          message: /Datadog refused the API or application key \(HTTP 403\): Datadog: Forbidden/,
        },
        notFound: {
          cell: { source: byHost },
          connection: connection(`${emu.url}/no/such/prefix`),
          message: /Not found/,
        },
        rateLimited: {
          cell: { source: byHost },
          connection: connection(`${emu.url}/limited`),
          message: /Rate limit of 300 requests in 3600 seconds reached/,
          retryAfterS: 120,
        },
        badQuery: {
          cell: { source: 'avg:system.cpu.user{' },
          message: /Error parsing query/,
        },
      },
      unhealthy: connection(emu.url, { apiKey: wrong, appKey }),
      leakProbe: { cell: { source: 'avg:system.cpu.user{host:web-1}' } },
      teardown: () => emu.stop(),
    };
  },
};
