import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProcessorFrame, ProcessorHost } from '../sdk.js';
import { GRAFANA_DASHBOARDS, GrafanaEmulator } from './emulator.js';
import { createGrafana } from './grafanaProcessor.js';

const host: ProcessorHost = {
  logger: pino({ level: 'silent' }),
  fetch: globalThis.fetch,
  env: {},
  limits: { pageRows: 3 },
};

describe('Grafana processor against the emulated HTTP API', () => {
  const emu = new GrafanaEmulator('glsa_test');
  const conn = (url = emu.url, token = 'glsa_test') => ({
    name: 'g',
    config: { url, orgId: 3 },
    secrets: { token },
  });
  const from = '2026-12-02T08:00:00.000Z';
  const to = '2026-12-02T09:00:00.000Z';
  beforeAll(() => emu.start());
  afterAll(() => emu.stop());

  async function run(params: Record<string, unknown>, c = conn()): Promise<ProcessorFrame[]> {
    const frames: ProcessorFrame[] = [];
    const out = createGrafana(c, host).query(
      {
        params: {
          queryType: 'datasource',
          query: { expr: 'up' },
          datasourceUid: 'prom',
          maxDataPoints: 4,
          ...params,
        },
        cwd: '/tmp',
        limits: { timeoutMs: 15_000, outputBytes: 1_000_000 },
        timeRange: { from, to },
        cell: 'c',
        jti: 'j',
      },
      new AbortController().signal,
    );
    for await (const f of out as AsyncIterable<ProcessorFrame>) frames.push(f);
    return frames;
  }

  it('posts /api/ds/query with the time range in ms, the data source and the org header', async () => {
    const frames = await run({});
    const req = emu.requests.findLast((r) => r.path === '/api/ds/query')!;
    expect(JSON.parse(req.body)).toEqual({
      queries: [{ refId: 'A', datasource: { uid: 'prom' }, maxDataPoints: 4, expr: 'up' }],
      from: String(Date.parse(from)),
      to: String(Date.parse(to)),
    });
    expect(req.headers['x-grafana-org-id']).toBe('3');
    const series = frames.flatMap((f) => (f.type === 'timeseries' ? f.frame.series : []));
    expect(series[0]!.timestamps[0]).toBe(Date.parse(from));
    expect(series.at(-1)!.timestamps.at(-1)).toBe(Date.parse(to));
  });

  it('pages the dashboard search with limit and page, and lists firing alerts', async () => {
    const frames = await run({ queryType: 'dashboards', query: '' });
    const pages = emu.requests.filter(
      (r) => r.path === '/api/search' && r.query.get('limit') === '3',
    );
    expect(pages.map((r) => r.query.get('page'))).toEqual(['1', '2', '3']);
    const titles = frames.flatMap((f) =>
      f.type === 'table' ? (f.frame.columns[1] as string[]) : [],
    );
    expect(titles).toEqual(GRAFANA_DASHBOARDS.map((d) => d.title));
    const alerts = await run({ queryType: 'alerts', query: '' });
    const names = alerts.flatMap((f) =>
      f.type === 'table' ? (f.frame.columns[0] as string[]) : [],
    );
    expect(names).toEqual(['HighErrorRate', 'DiskFilling']);
  });

  it('retries a 429 within the cell, and names 401 and 500 clearly', async () => {
    emu.fail({
      times: 1,
      status: 429,
      headers: { 'retry-after': '1' },
      body: { message: 'Too many requests' },
    });
    const frames = await run({});
    expect(frames.flatMap((f) => (f.type === 'stream' ? [f.text] : []))).toContain(
      'Grafana rate limited the request; retrying in 1 s\n',
    );
    await expect(run({}, conn(emu.url, 'glsa_wrong'))).rejects.toMatchObject({
      code: 'processor.auth_failed',
      message: 'authentication failed (HTTP 401): Grafana: Invalid API key',
    });
    await expect(run({}, conn(`${emu.url}/broken`))).rejects.toMatchObject({
      code: 'processor.unavailable',
      message: 'upstream unavailable (HTTP 500): Grafana: Internal Server Error',
    });
  });
});
