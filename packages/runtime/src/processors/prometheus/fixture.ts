import { expect } from 'vitest';
import type { ProcessorFixture } from '../conformance.js';
import { PrometheusAuthProxy } from './authProxy.js';
import { PrometheusServer } from './prometheusServer.js';

/**
 * Prometheus runs for real (Debian's `/usr/bin/prometheus`, scraping itself every second)
 * behind {@link PrometheusAuthProxy}, which demands a bearer token as the reverse proxies in
 * front of real deployments do. Bad PromQL and a wrong path prefix (404) come from Prometheus
 * itself; a wrong token (401) and rate limiting (429 + Retry-After) from the proxy, since
 * Prometheus has neither. The slow query is held by the proxy, which sees its connection close.
 */
export const fixture: ProcessorFixture = {
  processor: 'prometheus',
  async setup() {
    const token = `prom-token-canary-${crypto.randomUUID()}`;
    const wrong = `prom-wrong-canary-${crypto.randomUUID()}`;
    const prom = await new PrometheusServer().start();
    const proxy = await new PrometheusAuthProxy(prom.url, token).start();
    const connection = (url: string, t = token) => ({
      name: 'prom',
      config: { url, auth: 'bearer', timeoutS: 30 },
      secrets: { token: t },
    });
    return {
      connection: connection(proxy.url),
      secrets: [token, wrong],
      query: {
        cell: { source: 'up{job="prometheus"}', params: { queryType: 'instant' } },
        check(frames) {
          const table = frames.find((f) => f.type === 'table');
          if (table?.type !== 'table') throw new Error('no table frame');
          const names = table.frame.schema.fields.map((f) => f.name);
          expect(names).toEqual(['__name__', 'instance', 'job', 'time', 'value']);
          expect(table.frame.columns[0]).toEqual(['up']);
          expect(table.frame.columns[2]).toEqual(['prometheus']);
          expect(table.frame.columns[4]).toEqual([1]);
          expect(frames.find((f) => f.type === 'raw')).toMatchObject({
            value: { status: 'success', data: { resultType: 'vector' } },
          });
        },
      },
      slow: {
        cell: { source: 'sum(rate(prometheus_http_requests_total[5m])) # hold' },
        started: async () => proxy.openHeld > 0,
        running: async () => proxy.openHeld > 0,
      },
      // 3,601 points of one series: far more than the 4 KiB budget.
      large: { cell: { source: 'vector(1)', params: { step: '1s' } } },
      // The last hour at 5 s: 721 points, in pages of 500.
      paged: { cell: { source: 'vector(1)', params: { step: '5s' } }, rows: 721 },
      errors: {
        authFailed: {
          cell: { source: 'up' },
          connection: connection(proxy.url, wrong),
          message: /invalid bearer token/,
        },
        notFound: {
          cell: { source: 'up' },
          connection: connection(`${proxy.url}/no/such/prefix`),
          message: /404 page not found/,
        },
        rateLimited: {
          cell: { source: 'up' },
          connection: connection(`${proxy.url}/limited`),
          message: /slow down/,
          retryAfterS: 7,
        },
        badQuery: {
          cell: { source: 'sum(rate(up[5m])' },
          message: /parse error: unclosed left parenthesis/,
        },
      },
      unhealthy: connection('http://127.0.0.1:9'),
      leakProbe: { cell: { source: 'up' } },
      async teardown() {
        await proxy.stop();
        await prom.stop();
      },
    };
  },
};
