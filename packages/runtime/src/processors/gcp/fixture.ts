import { expect } from 'vitest';
import type { ProcessorFixture } from '../conformance.js';
import { GcpEmulator, serviceAccount } from './emulator.js';

/**
 * Google Cloud runs against {@link GcpEmulator}: a service account key made for the run (its
 * private key is the secret), exchanged for access tokens by the JWT bearer flow. A key the
 * emulator does not trust is refused at the token endpoint.
 */
export const fixture: ProcessorFixture = {
  processor: 'gcp',
  async setup() {
    const emu = await new GcpEmulator().start();
    const account = serviceAccount(emu.tokenUri);
    const stranger = serviceAccount(emu.tokenUri);
    emu.trust(account);
    const connection = (key = account.keyFile, apiUrl = emu.url) => ({
      name: 'gcp',
      config: { apiUrl },
      secrets: { serviceAccountKey: JSON.stringify(key) },
    });
    const keyBody = (k: Record<string, string>) =>
      k.private_key!.split('\n').filter((l) => l && !l.startsWith('-----'))[2]!;
    return {
      connection: connection(),
      secrets: [keyBody(account.keyFile), keyBody(stranger.keyFile)],
      query: {
        cell: { source: 'severity>=ERROR' },
        check(frames) {
          const entries = frames.flatMap((f) => (f.type === 'logs' ? f.frame.entries : []));
          expect(entries.length).toBe(120);
          expect(entries.every((e) => e.level === 'error' && e.line.endsWith('failed'))).toBe(true);
          expect(entries[0]!.time).toBeGreaterThan(entries[1]!.time);
        },
      },
      slow: {
        cell: { source: 'textPayload:"hold"' },
        started: async () => emu.openHeld > 0,
        running: async () => emu.openHeld > 0,
      },
      large: { cell: { source: 'resource.type="k8s_container"', params: { maxRows: 5000 } } },
      paged: {
        cell: { source: 'resource.type="k8s_container"', params: { maxRows: 5000 } },
        rows: 1200,
      },
      errors: {
        authFailed: {
          cell: { source: 'severity>=ERROR' },
          connection: connection(stranger.keyFile),
          message: /invalid_grant/,
        },
        notFound: {
          cell: { source: 'severity>=ERROR' },
          connection: {
            ...connection(),
            config: { apiUrl: emu.url, projectId: 'other-project-1' },
          },
          message: /NOT_FOUND: Requested entity was not found/,
        },
        rateLimited: {
          cell: { source: 'severity>=ERROR' },
          connection: connection(account.keyFile, `${emu.url}/limited`),
          message: /RESOURCE_EXHAUSTED: Quota exceeded/,
        },
        badQuery: {
          cell: { source: 'severity>=ERROR AND (resource.type="x"' },
          message: /INVALID_ARGUMENT: Invalid filter expression/,
        },
      },
      unhealthy: connection(stranger.keyFile),
      leakProbe: { cell: { source: 'severity>=ERROR' } },
      teardown: () => emu.stop(),
    };
  },
};
