import { expect } from 'vitest';
import type { ProcessorFixture } from '../conformance.js';
import { GrafanaEmulator } from './emulator.js';

/** Grafana runs against {@link GrafanaEmulator} with a service-account token. */
export const fixture: ProcessorFixture = {
  processor: 'grafana',
  async setup() {
    const token = `glsa_canary_${crypto.randomUUID()}`;
    const wrong = `glsa_wrong_${crypto.randomUUID()}`;
    const emu = await new GrafanaEmulator(token).start();
    const connection = (url = emu.url, t = token) => ({
      name: 'grafana',
      config: { url, orgId: 1 },
      secrets: { token: t },
    });
    const ds = (expr: string, maxDataPoints = 100, uid = 'prom') => ({
      source: expr,
      params: { queryType: 'datasource', datasourceUid: uid, maxDataPoints },
    });
    return {
      connection: connection(),
      secrets: [token, wrong],
      query: {
        cell: ds('up', 10),
        check(frames) {
          const series = frames.flatMap((f) => (f.type === 'timeseries' ? f.frame.series : []));
          expect(series.map((s) => s.labels.job)).toEqual(['api', 'web']);
          expect(series[1]!.values).toEqual([1, 2, 0, 1, 2, 0, 1, 2, 0, 1]);
        },
      },
      slow: {
        cell: ds('up # hold'),
        started: async () => emu.openHeld > 0,
        running: async () => emu.openHeld > 0,
      },
      large: { cell: ds('up', 700) },
      paged: { cell: ds('up', 700), rows: 1400 },
      errors: {
        authFailed: {
          cell: ds('up'),
          connection: connection(emu.url, wrong),
          message: /Grafana: Invalid API key/,
        },
        notFound: { cell: ds('up', 10, 'nope'), message: /Data source not found/ },
        rateLimited: {
          cell: ds('up'),
          connection: connection(`${emu.url}/limited`),
          message: /slow down/,
          retryAfterS: 120,
        },
        badQuery: {
          cell: ds('sum(rate(up[5m])'),
          message: /parse error: unclosed left parenthesis/,
        },
      },
      unhealthy: connection(emu.url, wrong),
      leakProbe: { cell: { source: '', params: { queryType: 'dashboards' } } },
      teardown: () => emu.stop(),
    };
  },
};
