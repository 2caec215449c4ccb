import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProcessorFrame, ProcessorHost } from '../sdk.js';
import { JenkinsEmulator, jettyPage } from './emulator.js';
import { createJenkins } from './jenkinsProcessor.js';

const host: ProcessorHost = {
  logger: pino({ level: 'silent' }),
  fetch: globalThis.fetch,
  env: {},
  limits: { pageRows: 100 },
};

describe('Jenkins processor against the emulated remote access API', () => {
  const emu = new JenkinsEmulator('ada', 'jenkins-test-token');
  const conn = (url = emu.url, apiToken = 'jenkins-test-token') => ({
    name: 'j',
    config: { url, username: 'ada' },
    secrets: { apiToken },
  });
  beforeAll(() => emu.start());
  afterAll(() => emu.stop());

  function query(
    params: Record<string, unknown>,
    c = conn(),
    signal = new AbortController().signal,
  ) {
    return createJenkins(c, host).query(
      {
        params: {
          queryType: 'builds',
          job: ['team', 'api'],
          build: null,
          follow: true,
          maxRows: 5000,
          fields: '',
          ...params,
        },
        cwd: '/tmp',
        limits: { timeoutMs: 20_000, outputBytes: 1_000_000 },
        timeRange: {
          from: new Date(Date.now() - 600_000).toISOString(),
          to: new Date().toISOString(),
        },
        cell: 'c',
        jti: 'j',
      },
      signal,
    ) as AsyncIterable<ProcessorFrame>;
  }
  async function all(out: AsyncIterable<ProcessorFrame>) {
    const frames: ProcessorFrame[] = [];
    for await (const f of out) frames.push(f);
    return frames;
  }

  it('reads a finished build console in one progressive read, with basic auth', async () => {
    const frames = await all(query({ queryType: 'console', build: '1199' }));
    const entries = frames.flatMap((f) => (f.type === 'logs' ? f.frame.entries : []));
    expect(entries.map((e) => e.line)).toEqual(emu.builds.find((b) => b.number === 1199)!.console);
    const req = emu.requests.at(-1)!;
    expect(req.path).toBe('/job/team/job/api/1199/logText/progressiveText');
    expect(req.authorization).toBe(
      `Basic ${Buffer.from('ada:jenkins-test-token').toString('base64')}`,
    );
  });

  it('follows a running build from X-Text-Size on, until cancelled', async () => {
    const ac = new AbortController();
    const lines: string[] = [];
    const starts: string[] = [];
    const before = emu.requests.length;
    await expect(
      (async () => {
        for await (const f of query(
          { queryType: 'console', build: 'lastBuild' },
          conn(),
          ac.signal,
        )) {
          if (f.type === 'logs') lines.push(...f.frame.entries.map((e) => e.line));
          if (lines.includes('[Pipeline] poll 2')) ac.abort();
        }
      })(),
    ).rejects.toBeDefined();
    for (const r of emu.requests.slice(before)) starts.push(r.query.get('start')!);
    expect(lines).toEqual([
      'Started by user ada',
      '[Pipeline] Start of Pipeline',
      '[Pipeline] poll 1',
      '[Pipeline] poll 2',
    ]);
    expect(starts[0]).toBe('0');
    expect(Number(starts[1])).toBeGreaterThan(0);
    // Each line once: the second read starts where the first ended.
    expect(new Set(lines).size).toBe(lines.length);
  });

  it('lists builds of the time range newest first, with extra tree fields', async () => {
    const frames = await all(query({ fields: 'actions[parameters[name,value]]' }));
    const numbers = frames.flatMap((f) =>
      f.type === 'table' ? (f.frame.columns[0] as number[]) : [],
    );
    const inRange = emu.builds.filter((b) => b.timestamp >= Date.now() - 600_000 - 5000);
    expect(numbers[0]).toBe(1200);
    expect(numbers.length).toBeLessThanOrEqual(inRange.length);
    expect(numbers.length).toBeGreaterThanOrEqual(inRange.length - 3);
    const actions = frames.flatMap((f) => (f.type === 'table' ? f.frame.columns[6]! : []));
    expect(actions[0]).toEqual(emu.builds[0]!.actions);
    expect(emu.requests.at(-1)!.query.get('tree')).toMatch(
      /^builds\[number,result,building,timestamp,duration,url,actions\[parameters\[name,value\]\]\]\{\d+,\d+\}$/,
    );
  });

  it("retries a proxy's 429 within the cell, and names 401 and 503 from Jenkins' own pages", async () => {
    emu.fail({
      times: 1,
      status: 429,
      headers: { 'retry-after': '1' },
      body: jettyPage(429, 'Too Many Requests'),
    });
    expect((await all(query({ queryType: 'jobs', job: [] }))).some((f) => f.type === 'table')).toBe(
      true,
    );
    await expect(
      all(query({ queryType: 'jobs', job: [] }, conn(emu.url, 'nope'))),
    ).rejects.toMatchObject({
      code: 'processor.auth_failed',
      message: 'authentication failed (HTTP 401): Jenkins: Invalid password/token for user: ada',
    });
    await expect(
      all(query({ queryType: 'jobs', job: [] }, conn(`${emu.url}/broken`))),
    ).rejects.toMatchObject({
      code: 'processor.unavailable',
      message:
        'upstream unavailable (HTTP 503): Jenkins: Service Unavailable: Jenkins is restarting',
    });
  });
});
