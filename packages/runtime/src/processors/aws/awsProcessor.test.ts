import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CellHarness } from '../cellHarness.js';
import type { ProcessorFrame, ProcessorHost } from '../sdk.js';
import { createAws } from './awsProcessor.js';
import { AwsEmulator, verifySigV4 } from './emulator.js';

const keys = { accessKeyId: 'AKIATESTKEY000000001', secretAccessKey: 'aws-test-secret' };
const host: ProcessorHost = {
  logger: pino({ level: 'silent' }),
  fetch: globalThis.fetch,
  env: {},
  limits: { pageRows: 1000 },
};

describe('AWS processor against an emulated CloudWatch that verifies SigV4', () => {
  const emu = new AwsEmulator(keys);
  let dir: string;
  let harness: CellHarness;
  const conn = (secrets: Record<string, string> = keys, endpoint = emu.url) => ({
    name: 'aws',
    config: { region: 'eu-west-1', endpoint },
    secrets,
  });

  beforeAll(async () => {
    await emu.start();
    dir = mkdtempSync(join(tmpdir(), 'spin-aws-'));
    harness = new CellHarness(dir);
  });
  afterAll(async () => {
    await harness.dispose();
    await emu.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function query(params: Record<string, unknown>, secrets = keys): Promise<ProcessorFrame[]> {
    const aws = createAws(conn(secrets), host);
    const frames: ProcessorFrame[] = [];
    const out = aws.query(
      {
        params: {
          queryType: 'logs',
          logGroups: ['/aws/lambda/api'],
          periodS: 300,
          maxRows: 1000,
          ...params,
        },
        cwd: dir,
        limits: { timeoutMs: 20_000, outputBytes: 1_000_000 },
        timeRange: {
          from: new Date(Date.now() - 3_600_000).toISOString(),
          to: new Date().toISOString(),
        },
        cell: 'c',
        jti: 'j',
      },
      new AbortController().signal,
    );
    for await (const f of out as AsyncIterable<ProcessorFrame>) frames.push(f);
    return frames;
  }

  it("the emulator's verifier accepts AWS's published SigV4 test vector (get-vanilla) and nothing altered", () => {
    const req = {
      method: 'GET',
      path: '/',
      query: new URLSearchParams(),
      headers: {
        host: 'example.amazonaws.com',
        'x-amz-date': '20150830T123600Z',
        authorization:
          'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
      },
      body: '',
    };
    const vectorKeys = new Map([['AKIDEXAMPLE', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY']]);
    const at = Date.parse('2015-08-30T12:36:00Z');
    expect(verifySigV4(req, vectorKeys, at)).toBeNull();
    expect(verifySigV4({ ...req, path: '/other' }, vectorKeys, at)).toMatchObject({
      type: 'InvalidSignatureException',
    });
    expect(verifySigV4(req, new Map([['AKIDEXAMPLE', 'wrong']]), at)).toMatchObject({
      status: 403,
    });
    expect(verifySigV4(req, vectorKeys, at + 10 * 60_000)?.message).toMatch(/Signature expired/);
  });

  it('signs every request with SigV4 for the service and region, and the emulator accepts it', async () => {
    const before = emu.requests.length;
    const frames = await query({ query: 'stats count(*) by host' });
    const seen = emu.requests.slice(before);
    expect(seen.map((r) => r.target)).toEqual([
      'Logs_20140328.StartQuery',
      'Logs_20140328.GetQueryResults',
      'Logs_20140328.GetQueryResults',
    ]);
    expect(seen.every((r) => r.region === 'eu-west-1' && r.service === 'logs' && !r.rejected)).toBe(
      true,
    );
    const table = frames.find((f) => f.type === 'table');
    expect(table?.type === 'table' && table.frame.columns).toEqual([
      ['web-1', 'web-2', 'web-3'],
      [40, 40, 40],
    ]);
  });

  it('a wrong secret key is refused by the emulator, no query starts, and the cell says so', async () => {
    const queries = emu.queries.size;
    const r = await harness.run(
      'aws',
      conn({ ...keys, secretAccessKey: 'not-the-secret' }),
      'fields @message',
    );
    expect(r.status).toBe('error');
    expect(r.errorText).toContain(
      'processor.auth_failed: authentication failed (HTTP 403): AWS InvalidSignatureException: The request signature we calculated does not match the signature you provided.',
    );
    expect(emu.requests.at(-1)!.rejected).toBe('InvalidSignatureException');
    expect(emu.queries.size).toBe(queries);
  });

  it('retries ThrottlingException with backoff inside the cell time, and reports 5xx as unavailable', async () => {
    emu.fail({ times: 1, status: 400, type: 'ThrottlingException', message: 'Rate exceeded' });
    const frames = await query({ query: 'fields @timestamp, @message | limit 5' });
    expect(frames.flatMap((f) => (f.type === 'stream' ? [f.text] : []))).toContain(
      'AWS throttled StartQuery; retrying in 1 s\n',
    );
    expect(frames.find((f) => f.type === 'table')).toBeDefined();
    const broken = createAws(conn(keys, `${emu.url}broken/`), host);
    const out = broken.query(
      {
        params: {
          queryType: 'logs',
          logGroups: ['/aws/lambda/api'],
          query: 'fields @message',
          periodS: 300,
          maxRows: 10,
        },
        cwd: dir,
        limits: { timeoutMs: 5000, outputBytes: 1000 },
        timeRange: {
          from: new Date(Date.now() - 60_000).toISOString(),
          to: new Date().toISOString(),
        },
        cell: 'c',
        jti: 'j',
      },
      new AbortController().signal,
    ) as AsyncIterable<ProcessorFrame>;
    await expect(
      (async () => {
        for await (const _ of out) void _;
      })(),
    ).rejects.toMatchObject({
      code: 'processor.unavailable',
      message: expect.stringContaining('ServiceUnavailableException: The service is unavailable'),
    });
  });

  it('assumes a role with STS and signs the queries with its temporary keys and session token', async () => {
    const role = 'arn:aws:iam::123456789012:role/spin-reader';
    emu.roles.set(role, keys.accessKeyId);
    const aws = createAws(
      {
        name: 'aws',
        config: { region: 'eu-west-1', endpoint: emu.url, roleArn: role },
        secrets: keys,
      },
      host,
    );
    const before = emu.requests.length;
    const frames: ProcessorFrame[] = [];
    const out = aws.query(
      {
        params: {
          queryType: 'logs',
          logGroups: ['/aws/lambda/api'],
          query: 'fields @message | limit 2',
          periodS: 300,
          maxRows: 10,
        },
        cwd: dir,
        limits: { timeoutMs: 10_000, outputBytes: 1_000_000 },
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
    const seen = emu.requests.slice(before);
    expect(seen.map((r) => `${r.service} ${r.target}`).slice(0, 2)).toEqual([
      'sts sts.AssumeRole',
      'logs Logs_20140328.StartQuery',
    ]);
    expect(seen.every((r) => !r.rejected)).toBe(true);
    expect(emu.temporaryKeys().length).toBe(1);
    expect(seen[0]!.accessKeyId).toBe(keys.accessKeyId);
    expect(seen[1]!.accessKeyId).toBe(emu.temporaryKeys()[0]);
    expect(frames.some((f) => f.type === 'table')).toBe(true);

    const denied = createAws(
      {
        name: 'aws',
        config: {
          region: 'eu-west-1',
          endpoint: emu.url,
          roleArn: 'arn:aws:iam::123456789012:role/admin',
        },
        secrets: keys,
      },
      host,
    );
    const queries = emu.queries.size;
    await expect(
      (async () => {
        for await (const _ of denied.query(
          {
            params: {
              queryType: 'logs',
              logGroups: ['/aws/lambda/api'],
              query: 'fields @message',
              periodS: 300,
              maxRows: 10,
            },
            cwd: dir,
            limits: { timeoutMs: 10_000, outputBytes: 1_000_000 },
            timeRange: {
              from: new Date(Date.now() - 60_000).toISOString(),
              to: new Date().toISOString(),
            },
            cell: 'c',
            jti: 'j',
          },
          new AbortController().signal,
        ) as AsyncIterable<ProcessorFrame>)
          void _;
      })(),
    ).rejects.toMatchObject({
      code: 'processor.forbidden',
      message: expect.stringContaining(
        'AWS STS AccessDenied: User: arn:aws:iam::123456789012:user/spin is not authorized to perform: sts:AssumeRole',
      ),
    });
    expect(emu.queries.size).toBe(queries);
  });

  it('reads GetMetricData as time series across NextToken pages', async () => {
    const before = emu.requests.length;
    const frames = await query({
      queryType: 'metrics',
      query: 'SELECT AVG(CPUUtilization) FROM SCHEMA("AWS/EC2", InstanceId) GROUP BY InstanceId',
      periodS: 300,
    });
    const calls = emu.requests.slice(before);
    expect(calls.map((c) => `${c.service} ${c.target}`)).toEqual([
      'monitoring GraniteServiceVersion20100801.GetMetricData',
      'monitoring GraniteServiceVersion20100801.GetMetricData',
    ]);
    expect(JSON.parse(calls[1]!.body)).toMatchObject({ NextToken: 'page-2' });
    const series = frames.flatMap((f) => (f.type === 'timeseries' ? f.frame.series : []));
    expect(series.map((s) => s.name)).toEqual(['i-0a1', 'i-0b2', 'i-0c3']);
    expect(series.every((s) => s.values.length === 12)).toBe(true);
    expect(series[1]!.values.slice(0, 5)).toEqual([10, 11, 12, 13, 10]);
  });
});
