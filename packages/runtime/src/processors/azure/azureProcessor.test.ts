import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProcessorFrame, ProcessorHost } from '../sdk.js';
import { createAzure } from './azureProcessor.js';
import { AzureEmulator, testTls } from './emulator.js';

const host: ProcessorHost = {
  logger: pino({ level: 'silent' }),
  fetch: globalThis.fetch,
  env: {},
  limits: { pageRows: 500 },
};
const app = {
  tenantId: '11111111-2222-3333-4444-555555555555',
  clientId: '66666666-7777-8888-9999-000000000000',
  clientSecret: 'azure-test-secret',
  workspaceId: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
};

describe('Azure processor against emulated Entra ID and Azure Monitor (HTTPS)', () => {
  const tls = testTls();
  const emu = new AzureEmulator(tls, app);
  const conn = (over: Record<string, unknown> = {}, clientSecret = app.clientSecret) => ({
    name: 'az',
    config: {
      tenantId: app.tenantId,
      clientId: app.clientId,
      workspaceId: app.workspaceId,
      authorityHost: emu.url,
      logsUrl: emu.url,
      managementUrl: emu.url,
      caCert: tls.caCert,
      ...over,
    },
    secrets: { clientSecret },
  });
  beforeAll(() => emu.start());
  afterAll(() => emu.stop());

  async function run(
    az: ReturnType<typeof createAzure>,
    params: Record<string, unknown>,
  ): Promise<ProcessorFrame[]> {
    const frames: ProcessorFrame[] = [];
    const out = az.query(
      {
        params: {
          queryType: 'logs',
          query: 'Heartbeat | take 3',
          resourceId: null,
          interval: 'PT5M',
          aggregation: 'Average',
          ...params,
        },
        cwd: '/tmp',
        limits: { timeoutMs: 15_000, outputBytes: 1_000_000 },
        timeRange: {
          from: new Date(Date.now() - 3_600_000).toISOString(),
          to: new Date().toISOString(),
        },
        cell: 'c',
        jti: 'j',
      },
      new AbortController().signal,
    ) as AsyncIterable<ProcessorFrame>;
    for await (const f of out) frames.push(f);
    return frames;
  }

  it('gets a token by client credentials once (MSAL caches it) and sends KQL with the timespan', async () => {
    const az = createAzure(conn(), host);
    const before = emu.requests.length;
    await run(az, {});
    const frames = await run(az, { query: 'Heartbeat | where Computer == "web-2" | take 2' });
    const seen = emu.requests.slice(before);
    const tokenCalls = seen.filter((r) => r.path.endsWith('/oauth2/v2.0/token'));
    expect(tokenCalls.length).toBe(1);
    const form = new URLSearchParams(tokenCalls[0]!.body);
    expect(form.get('grant_type')).toBe('client_credentials');
    expect(form.get('scope')).toContain(`${emu.url}/.default`);
    const queries = seen.filter((r) => r.path === `/v1/workspaces/${app.workspaceId}/query`);
    expect(queries.length).toBe(2);
    expect(JSON.parse(queries[1]!.body).timespan).toMatch(/^\d{4}-.+Z\/\d{4}-.+Z$/);
    const table = frames.find((f) => f.type === 'table');
    expect(table?.type === 'table' && table.frame.columns[1]).toEqual(['web-2', 'web-2']);
    expect(table?.type === 'table' && typeof table.frame.columns[0]![0]).toBe('number');
  });

  it('reads Azure Monitor metrics of a resource as time series', async () => {
    const frames = await run(createAzure(conn(), host), {
      queryType: 'metrics',
      query: 'Percentage CPU',
      resourceId:
        '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1',
    });
    const series = frames.flatMap((f) => (f.type === 'timeseries' ? f.frame.series : []));
    expect(series.map((s) => s.name)).toEqual(['Percentage CPU']);
    expect(series[0]!.values.slice(0, 8)).toEqual([0, 1, 2, 3, 4, 5, 6, 0]);
    const req = emu.requests.findLast((r) =>
      r.path.endsWith('/providers/Microsoft.Insights/metrics'),
    )!;
    expect(req.path).toBe(
      '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1/providers/Microsoft.Insights/metrics',
    );
  });

  it('retries a 429 within the cell, and names a refused secret and a 503 clearly', async () => {
    emu.fail({
      times: 1,
      status: 429,
      headers: { 'retry-after': '1' },
      body: { error: { code: 'ThrottledError', message: 'slow down' } },
    });
    const frames = await run(createAzure(conn(), host), {});
    expect(frames.flatMap((f) => (f.type === 'stream' ? [f.text] : []))).toContain(
      'Azure rate limited the request; retrying in 1 s\n',
    );
    const before = emu.requests.length;
    await expect(run(createAzure(conn({}, 'wrong'), host), {})).rejects.toMatchObject({
      code: 'processor.auth_failed',
      message: expect.stringContaining(
        'invalid_client: AADSTS7000215: Invalid client secret provided.',
      ),
    });
    // Refused at Entra ID: Log Analytics saw no query.
    expect(emu.requests.slice(before).some((r) => r.path.includes('/v1/workspaces/'))).toBe(false);
    await expect(
      run(createAzure(conn({ logsUrl: `${emu.url}/broken` }), host), {}),
    ).rejects.toMatchObject({
      code: 'processor.unavailable',
      message:
        'upstream unavailable (HTTP 503): Azure: ServiceUnavailableError: The service is temporarily unavailable',
    });
  });
});
