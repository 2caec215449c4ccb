import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProcessorFrame, ProcessorHost } from '../sdk.js';
import { GcpEmulator, serviceAccount, type TestServiceAccount } from './emulator.js';
import { createGcp } from './gcpProcessor.js';

const host: ProcessorHost = {
  logger: pino({ level: 'silent' }),
  fetch: globalThis.fetch,
  env: {},
  limits: { pageRows: 500 },
};

describe('Google Cloud processor against an emulated token endpoint, Logging and Monitoring', () => {
  const emu = new GcpEmulator();
  let account: TestServiceAccount;
  const conn = (apiUrl = emu.url, key: Record<string, string> = account.keyFile) => ({
    name: 'gcp',
    config: { apiUrl },
    secrets: { serviceAccountKey: JSON.stringify(key) },
  });
  beforeAll(async () => {
    await emu.start();
    account = serviceAccount(emu.tokenUri);
    emu.trust(account);
  });
  afterAll(() => emu.stop());

  async function run(
    gcp: ReturnType<typeof createGcp>,
    params: Record<string, unknown>,
  ): Promise<ProcessorFrame[]> {
    const frames: ProcessorFrame[] = [];
    const out = gcp.query(
      {
        params: {
          queryType: 'logs',
          filter: 'severity>=ERROR',
          maxRows: 1000,
          alignmentPeriodS: 300,
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

  it('exchanges a signed JWT assertion for a token once, and reuses it until it expires', async () => {
    const gcp = createGcp(conn(), host);
    const before = emu.requests.length;
    await run(gcp, {});
    await run(gcp, {});
    const seen = emu.requests.slice(before);
    expect(seen.map((r) => r.path)).toEqual(['/token', '/v2/entries:list', '/v2/entries:list']);
    const form = new URLSearchParams(seen[0]!.body);
    expect(form.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
    const claims = JSON.parse(
      Buffer.from(form.get('assertion')!.split('.')[1]!, 'base64url').toString(),
    ) as Record<string, unknown>;
    expect(claims).toMatchObject({
      iss: account.keyFile.client_email,
      aud: emu.tokenUri,
      scope:
        'https://www.googleapis.com/auth/logging.read https://www.googleapis.com/auth/monitoring.read',
    });
    expect(seen[1]!.authorization).toMatch(/^Bearer ya29\./);
    expect(JSON.parse(seen[1]!.body)).toMatchObject({
      resourceNames: ['projects/spin-test-project'],
      orderBy: 'timestamp desc',
    });
  });

  it('reads Cloud Monitoring time series oldest first, aligned to the period', async () => {
    const frames = await run(createGcp(conn(), host), {
      queryType: 'metrics',
      filter: 'metric.type="kubernetes.io/container/cpu/core_usage_time"',
    });
    const series = frames.flatMap((f) => (f.type === 'timeseries' ? f.frame.series : []));
    expect(series.map((s) => s.labels.pod_name)).toEqual(['api-0', 'api-1']);
    expect(series[0]!.values.length).toBe(12);
    expect(series[1]!.values.slice(-2)).toEqual([1.1, 1]);
    expect(series[0]!.timestamps[0]).toBeLessThan(series[0]!.timestamps[1]!);
  });

  it('retries RESOURCE_EXHAUSTED with backoff inside the cell, and reports UNAVAILABLE and a refused key', async () => {
    emu.fail({
      times: 1,
      status: 429,
      body: { error: { code: 429, status: 'RESOURCE_EXHAUSTED', message: 'Quota exceeded' } },
    });
    const frames = await run(createGcp(conn(), host), {});
    expect(frames.flatMap((f) => (f.type === 'stream' ? [f.text] : []))).toContain(
      'Google Cloud rate limited the request; retrying in 1 s\n',
    );
    await expect(run(createGcp(conn(`${emu.url}/broken`), host), {})).rejects.toMatchObject({
      code: 'processor.unavailable',
      message:
        'upstream unavailable (HTTP 503): Google Cloud: UNAVAILABLE: The service is currently unavailable.',
    });
    const stranger = serviceAccount(emu.tokenUri);
    const before = emu.requests.length;
    await expect(run(createGcp(conn(emu.url, stranger.keyFile), host), {})).rejects.toMatchObject({
      code: 'processor.auth_failed',
      message: expect.stringContaining('invalid_grant'),
    });
    // Refused at the token endpoint: no API call was made.
    expect(emu.requests.slice(before).map((r) => r.path)).toEqual(['/token']);
    await expect(
      run(createGcp({ name: 'g', config: {}, secrets: { serviceAccountKey: '{' } }, host), {}),
    ).rejects.toMatchObject({
      code: 'processor.auth_failed',
      message: 'Google Cloud: the service account key is not JSON',
    });
  });
});
