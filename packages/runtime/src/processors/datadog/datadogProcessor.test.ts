import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindDatadogQuery } from '@spin/protocol/processors/datadog';
import { CellHarness } from '../cellHarness.js';
import type { ProcessorFrame, ProcessorHost } from '../sdk.js';
import { DatadogEmulator } from './emulator.js';
import { createDatadog } from './datadogProcessor.js';

const keys = { apiKey: 'dd-test-api', appKey: 'dd-test-app' };
const host: ProcessorHost = {
  logger: pino({ level: 'silent' }),
  fetch: globalThis.fetch,
  env: {},
  limits: { pageRows: 40 },
};

describe('Datadog processor against the emulated API', () => {
  const emu = new DatadogEmulator(keys);
  let dir: string;
  let harness: CellHarness;
  const conn = (url = emu.url, k: Record<string, string> = keys) => ({
    name: 'datadog',
    config: { url },
    secrets: k,
  });

  beforeAll(async () => {
    await emu.start();
    dir = mkdtempSync(join(tmpdir(), 'spin-datadog-'));
    harness = new CellHarness(dir);
  });
  afterAll(async () => {
    await harness.dispose();
    await emu.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads a log search page by page with the response cursor, in the time range', async () => {
    const dd = createDatadog(conn(), host);
    const to = new Date();
    const from = new Date(to.getTime() - 3_600_000);
    const before = emu.requests.length;
    const frames: ProcessorFrame[] = [];
    const out = dd.query(
      {
        params: { queryType: 'logs', query: 'service:web', maxLogs: 1000, sort: 'timestamp' },
        cwd: dir,
        limits: { timeoutMs: 10_000, outputBytes: 1_000_000 },
        timeRange: { from: from.toISOString(), to: to.toISOString() },
        cell: 'c',
        jti: 'j',
      },
      new AbortController().signal,
    );
    for await (const f of out as AsyncIterable<ProcessorFrame>) frames.push(f);
    const expected = emu.logs.filter(
      (l) => l.service === 'web' && l.timestamp >= from.getTime() && l.timestamp <= to.getTime(),
    );
    const pages = frames.flatMap((f) => (f.type === 'logs' ? [f.frame] : []));
    expect(pages.length).toBe(Math.ceil(expected.length / 40));
    expect(pages.map((p) => p.page.offset)).toEqual(pages.map((_, i) => i * 40));
    expect(pages.at(-1)!.page).toMatchObject({ last: true, total: expected.length });
    const entries = pages.flatMap((p) => p.entries);
    expect(entries.map((e) => e.labels?.id)).toEqual(expected.map((l) => l.id));
    expect(entries[0]).toMatchObject({
      level: expected[0]!.status,
      labels: { service: 'web', env: 'prod' },
    });
    const bodies = emu.requests
      .slice(before)
      .map((r) => JSON.parse(r.body) as { page: { cursor?: string } });
    expect(bodies[0]).toEqual({
      filter: { query: 'service:web', from: from.toISOString(), to: to.toISOString() },
      sort: 'timestamp',
      page: { limit: 40 },
    });
    expect(bodies[1]!.page.cursor).toEqual(expect.any(String));
  });

  it('stops at the log limit and says so', async () => {
    const dd = createDatadog(conn(), host);
    const frames: ProcessorFrame[] = [];
    const out = dd.query(
      {
        params: { queryType: 'logs', query: '*', maxLogs: 50, sort: '-timestamp' },
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
    );
    for await (const f of out as AsyncIterable<ProcessorFrame>) frames.push(f);
    const entries = frames.flatMap((f) => (f.type === 'logs' ? f.frame.entries : []));
    expect(entries.length).toBe(50);
    // Newest first.
    expect(entries[0]!.time).toBeGreaterThan(entries[49]!.time);
    const notes = frames.flatMap((f) => (f.type === 'stream' ? [f.text] : []));
    expect(notes).toContain('showing the first 50 logs (log limit)\n');
  });

  it('names the failure: a bad key, a 5xx and a rate limit past the cell time', async () => {
    const denied = await harness.run(
      'datadog',
      conn(emu.url, { ...keys, appKey: 'x' }),
      'avg:a.b{*}',
    );
    expect(denied.errorText).toContain(
      'processor.auth_failed: Datadog refused the API or application key (HTTP 403): Datadog: Forbidden',
    );
    const broken = await harness.run('datadog', conn(`${emu.url}/broken`), 'avg:a.b{*}');
    expect(broken.errorText).toContain(
      'processor.unavailable: upstream unavailable (HTTP 500): Datadog: Internal Server Error',
    );
  });

  it('waits out X-RateLimit-Reset when it fits in the cell, then answers', async () => {
    emu.fail({
      times: 1,
      status: 429,
      headers: { 'x-ratelimit-reset': '1', 'x-ratelimit-remaining': '0' },
      body: { errors: ['Rate limit reached'] },
    });
    const before = emu.requests.length;
    const r = await harness.run('datadog', conn(), 'avg:system.cpu.user{host:web-1}', {
      limits: { timeoutMs: 15_000 },
    });
    expect(r.errorText).toBe('');
    expect(emu.requests.length - before).toBe(2);
    const stderr = r.outputs.flatMap((o) => (o.output_type === 'stream' ? [o.text] : []));
    expect(stderr.join('')).toContain('Datadog rate limited the request; retrying in 1 s');
  });

  it('sends both keys as DD-API-KEY / DD-APPLICATION-KEY and validates the API key for health', async () => {
    expect(await createDatadog(conn(), host).checkHealth()).toMatchObject({ ok: true });
    const bad = await createDatadog(
      conn(emu.url, { apiKey: 'nope', appKey: 'x' }),
      host,
    ).checkHealth();
    expect(bad).toMatchObject({ ok: false, message: expect.stringContaining('HTTP 403') });
  });

  it('lists events of the time range by tag, and monitors by name across pages', async () => {
    const dd = createDatadog(conn(), { ...host, limits: { pageRows: 3 } });
    const rows = async (params: Record<string, unknown>) => {
      const out = dd.query(
        {
          params: { maxLogs: 1000, sort: '-timestamp', ...params },
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
      );
      const frames: ProcessorFrame[] = [];
      for await (const f of out as AsyncIterable<ProcessorFrame>) frames.push(f);
      return frames.flatMap((f) => (f.type === 'table' ? [f.frame] : []));
    };
    const events = await rows({ queryType: 'events', query: 'service:api,host:web-2' });
    expect(events.flatMap((t) => t.columns[1])).toEqual(['Deployed api to web-2']);
    const before = emu.requests.length;
    const monitors = await rows({ queryType: 'monitors', query: 'host' });
    expect(monitors.flatMap((t) => t.columns[1])).toEqual(emu.monitors.slice(1).map((m) => m.name));
    expect(emu.requests.length - before).toBe(3);
  });

  it('binds templates as quoted strings or tag words only', () => {
    const bind = (q: string, v: string) => bindDatadogQuery(q, () => v);
    expect(bind('avg:cpu{host:{{h}}}', 'web-1')).toBe('avg:cpu{host:web-1}');
    expect(bind('service:web @msg:"{{m}}"', 'say "hi"')).toBe('service:web @msg:"say \\"hi\\""');
    expect(() => bind('avg:cpu{host:{{h}}}', 'a} by {b')).toThrow(/single tag-like word/);
  });
});
