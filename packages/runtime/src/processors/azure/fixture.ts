import { expect } from 'vitest';
import type { ProcessorFixture } from '../conformance.js';
import { AzureEmulator, testTls } from './emulator.js';

/**
 * Azure runs against {@link AzureEmulator}: Entra ID and Log Analytics over HTTPS with a CA
 * made for the run; the app's client secret is the secret.
 */
export const fixture: ProcessorFixture = {
  processor: 'azure',
  async setup() {
    const tls = testTls();
    const app = {
      tenantId: '11111111-2222-3333-4444-555555555555',
      clientId: '66666666-7777-8888-9999-000000000000',
      clientSecret: `azure-secret-canary-${crypto.randomUUID()}`,
      workspaceId: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
    };
    const wrong = `azure-wrong-canary-${crypto.randomUUID()}`;
    const emu = await new AzureEmulator(tls, app).start();
    const connection = (
      secret = app.clientSecret,
      logsUrl = emu.url,
      workspaceId = app.workspaceId,
    ) => ({
      name: 'azure',
      config: {
        tenantId: app.tenantId,
        clientId: app.clientId,
        workspaceId,
        authorityHost: emu.url,
        logsUrl,
        managementUrl: emu.url,
        caCert: tls.caCert,
      },
      secrets: { clientSecret: secret },
    });
    return {
      connection: connection(),
      secrets: [app.clientSecret, wrong],
      query: {
        cell: { source: 'Heartbeat | summarize count() by Computer' },
        check(frames) {
          const table = frames.find((f) => f.type === 'table');
          if (table?.type !== 'table') throw new Error('no table frame');
          expect(table.frame.schema.fields).toEqual([
            { name: 'Computer', type: 'string' },
            { name: 'count_', type: 'integer' },
          ]);
          expect(table.frame.columns[0]).toEqual(['db-1', 'web-1', 'web-2']);
        },
      },
      slow: {
        cell: { source: 'Heartbeat | hold' },
        started: async () => emu.openHeld > 0,
        running: async () => emu.openHeld > 0,
      },
      large: { cell: { source: 'range x from 1 to 5000 step 1' } },
      paged: { cell: { source: 'range x from 1 to 1200 step 1' }, rows: 1200 },
      errors: {
        authFailed: {
          cell: { source: 'Heartbeat' },
          connection: connection(wrong),
          message: /invalid_client: AADSTS7000215: Invalid client secret provided/,
        },
        notFound: {
          cell: { source: 'Heartbeat' },
          connection: connection(app.clientSecret, emu.url, 'ffffffff-ffff-ffff-ffff-ffffffffffff'),
          message: /WorkspaceNotFoundError/,
        },
        rateLimited: {
          cell: { source: 'Heartbeat' },
          connection: connection(app.clientSecret, `${emu.url}/limited`),
          message: /slow down/,
          retryAfterS: 120,
        },
        badQuery: {
          cell: { source: 'Heartbeat | frobnicate' },
          message: /BadArgumentError: The request had some invalid properties — SyntaxError/,
        },
      },
      unhealthy: connection(wrong),
      leakProbe: { cell: { source: 'Heartbeat | take 1' } },
      teardown: () => emu.stop(),
    };
  },
};
