import { expect } from 'vitest';
import type { ProcessorFixture } from '../conformance.js';
import { KubernetesEmulator, clusterPki } from './emulator.js';

/**
 * Kubernetes runs against {@link KubernetesEmulator}: HTTPS with a cluster CA made for the
 * run, a bearer token. The slow cell follows a pod's log, which never ends by itself:
 * cancelling must close the stream at the API server.
 */
export const fixture: ProcessorFixture = {
  processor: 'kubernetes',
  async setup() {
    const token = `k8s-token-canary-${crypto.randomUUID()}`;
    const wrong = `k8s-wrong-canary-${crypto.randomUUID()}`;
    const pki = clusterPki();
    const emu = await new KubernetesEmulator(token, pki).start();
    const connection = (server = emu.url, t = token, caCert: string | undefined = pki.caCert) => ({
      name: 'cluster',
      config: { server, namespace: 'default', ...(caCert ? { caCert } : {}) },
      secrets: { token: t },
    });
    return {
      connection: connection(),
      secrets: [token, wrong],
      query: {
        cell: { source: 'get pods' },
        check(frames) {
          const table = frames.find((f) => f.type === 'table');
          if (table?.type !== 'table') throw new Error('no table frame');
          const names = table.frame.schema.fields.map((f) => f.name);
          expect(names).toEqual([
            'namespace',
            'name',
            'phase',
            'ready',
            'restarts',
            'node',
            'ip',
            'created',
          ]);
          expect(table.frame.columns[1]).toEqual(['api-0', 'api-1', 'cache-0']);
          expect(table.frame.columns[4]).toEqual([2, 0, 0]);
          expect(table.frame.columns[5]).toEqual(['web-1', 'web-2', 'worker-9']);
        },
      },
      slow: {
        cell: { source: 'logs api-0 -f' },
        started: async () => emu.openFollows > 0,
        running: async () => emu.openFollows > 0,
      },
      large: { cell: { source: 'get pods -n bulk' } },
      paged: { cell: { source: 'get pods --namespace=bulk' }, rows: 1200 },
      errors: {
        authFailed: {
          cell: { source: 'get pods' },
          connection: connection(emu.url, wrong),
          message: /Kubernetes: Unauthorized/,
        },
        notFound: { cell: { source: 'logs nope' }, message: /pods "nope" not found/ },
        rateLimited: {
          cell: { source: 'get pods' },
          connection: connection(`${emu.url}/limited`),
          message: /Too many requests, please try again later/,
          retryAfterS: 120,
        },
        badQuery: {
          cell: { source: 'get pods -l "app in web"' },
          message: /unable to parse requirement/,
        },
      },
      // Without the cluster's CA the API server's certificate is not trusted.
      unhealthy: connection(emu.url, token, ''),
      leakProbe: { cell: { source: 'get events -A' } },
      teardown: () => emu.stop(),
    };
  },
};
