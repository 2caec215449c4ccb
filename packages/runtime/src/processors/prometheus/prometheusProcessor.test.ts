import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileCell, type TimeSeriesFrame } from '@spin/protocol';
import { manifest, type PrometheusProgram } from '@spin/protocol/processors/prometheus';
import type { ProcessorFrame, ProcessorHost, ProcessorInstance } from '../sdk.js';
import { PrometheusAuthProxy } from './authProxy.js';
import { createPrometheus } from './prometheusProcessor.js';
import { PrometheusServer } from './prometheusServer.js';

const host: ProcessorHost = {
  logger: pino({ level: 'silent' }),
  fetch: globalThis.fetch,
  env: {},
  limits: { pageRows: 5000 },
};

async function collect(
  instance: ProcessorInstance,
  params: PrometheusProgram,
  timeRange: { from: string; to: string },
): Promise<ProcessorFrame[]> {
  const out = instance.query(
    {
      params,
      cwd: '/tmp',
      limits: { timeoutMs: 30_000, outputBytes: 1_000_000 },
      timeRange,
      cell: 'c',
      jti: 'j',
    },
    new AbortController().signal,
  );
  const frames: ProcessorFrame[] = [];
  if (Symbol.asyncIterator in out) for await (const f of out) frames.push(f);
  else frames.push(...(await out));
  return frames;
}

/** Prometheus's own answer for a query_range, straight from its HTTP API. */
async function queryRange(url: string, query: string, start: number, end: number, step: number) {
  const q = new URLSearchParams({
    query,
    start: String(start / 1000),
    end: String(end / 1000),
    step: String(step),
  });
  const res = await fetch(`${url}/api/v1/query_range?${q}`);
  const body = (await res.json()) as {
    status: string;
    data: {
      resultType: string;
      result: { metric: Record<string, string>; values: [number, string][] }[];
    };
  };
  expect(body.status).toBe('success');
  return body.data;
}

describe('Prometheus processor (real /usr/bin/prometheus)', () => {
  const prom = new PrometheusServer();
  let instance: ProcessorInstance;

  beforeAll(async () => {
    await prom.start({ samples: 8 });
    instance = createPrometheus({ name: 'local', config: { url: prom.url }, secrets: {} }, host);
  }, 60_000);
  afterAll(() => prom.stop());

  it("returns a range query's series with exactly the values of Prometheus's own query_range", async () => {
    // A finished stretch of the past, so both answers read the same stored samples.
    const end = Math.floor(Date.now() / 1000) * 1000 - 2000;
    const start = end - 20_000;
    const query =
      '{__name__=~"up|prometheus_tsdb_head_samples_appended_total|scrape_samples_scraped"}';
    const timeRange = { from: new Date(start).toISOString(), to: new Date(end).toISOString() };
    const program = compileCell(
      { id: 'r', type: manifest.cellType, source: query, params: { step: '2s' }, timeRange },
      { limits: { timeoutMs: 30_000, outputBytes: 1_000_000 } },
    );
    if (program.kind !== 'processor') throw new Error('not a processor program');
    const frames = await collect(instance, program.params as PrometheusProgram, program.timeRange!);
    const expected = await queryRange(prom.url, query, start, end, 2);
    expect(expected.resultType).toBe('matrix');
    expect(expected.result.length).toBeGreaterThanOrEqual(3);

    const ts = frames.filter((f) => f.type === 'timeseries').map((f) => f.frame as TimeSeriesFrame);
    expect(ts).toHaveLength(1);
    expect(ts[0]!.range).toEqual({ from: start, to: end, stepMs: 2000 });
    expect(ts[0]!.page).toMatchObject({ index: 0, offset: 0, last: true });
    const got = ts[0]!.series.map((s) => ({
      labels: s.labels,
      points: s.timestamps.map((t, i) => [t, s.values[i]]),
    }));
    const want = expected.result.map((s) => ({
      labels: s.metric,
      points: s.values.map(([t, v]) => [Math.round(t * 1000), Number(v)]),
    }));
    expect(got).toEqual(want);
    // Real data: `up` is 1 at every step since the first scrape (at most 11 steps in 20 s).
    const up = got.find((s) => s.labels.__name__ === 'up')!;
    expect(up.points.length).toBeGreaterThanOrEqual(3);
    expect(up.points.length).toBeLessThanOrEqual(11);
    expect(new Set(up.points.map(([, v]) => v))).toEqual(new Set([1]));
    expect(frames.at(-1)).toMatchObject({
      type: 'raw',
      value: { status: 'success', data: { resultType: 'matrix' } },
    });
  });

  it('splits a long series into pages that put the whole series back together', async () => {
    const end = Date.now();
    const start = end - 3_600_000;
    const paged = createPrometheus(
      { name: 'local', config: { url: prom.url }, secrets: {} },
      { ...host, limits: { pageRows: 1000 } },
    );
    const frames = await collect(
      paged,
      { query: 'vector(7)', queryType: 'range', stepS: 1 },
      { from: new Date(start).toISOString(), to: new Date(end).toISOString() },
    );
    const pages = frames.flatMap((f) => (f.type === 'timeseries' ? [f.frame] : []));
    expect(pages.map((p) => [p.page.index, p.page.offset, p.page.last])).toEqual([
      [0, 0, false],
      [1, 1000, false],
      [2, 2000, false],
      [3, 3000, true],
    ]);
    const values = pages.flatMap((p) => p.series.flatMap((s) => s.values));
    expect(values).toHaveLength(3601);
    expect(new Set(values)).toEqual(new Set([7]));
  });

  it('answers instant vectors and scalars as tables', async () => {
    const now = new Date().toISOString();
    const range = { from: now, to: now };
    const vector = await collect(instance, { query: 'up', queryType: 'instant', stepS: 1 }, range);
    const table = vector.find((f) => f.type === 'table');
    expect(table?.type === 'table' && table.frame.schema.fields).toEqual([
      { name: '__name__', type: 'string' },
      { name: 'instance', type: 'string' },
      { name: 'job', type: 'string' },
      { name: 'time', type: 'time' },
      { name: 'value', type: 'number' },
    ]);
    expect(table?.type === 'table' && table.frame.columns[1]).toEqual([
      prom.url.replace('http://', ''),
    ]);
    const scalar = await collect(
      instance,
      { query: '6 * 7', queryType: 'instant', stepS: 1 },
      range,
    );
    const s = scalar.find((f) => f.type === 'table');
    expect(s?.type === 'table' && s.frame.columns[1]).toEqual([42]);
    expect(s?.type === 'table' && s.frame.columns[0]).toEqual([Date.parse(now)]);
  });

  it('binds template values inside PromQL strings so they cannot change the query', async () => {
    const now = new Date().toISOString();
    const bind = (value: string) =>
      manifest.bindTemplates!(
        manifest.programSchema.parse({
          query: 'up{job="{{job}}"}',
          queryType: 'instant',
          stepS: 1,
        }),
        { resolve: () => value },
      ) as PrometheusProgram;
    const rows = async (value: string) => {
      const frames = await collect(instance, bind(value), { from: now, to: now });
      const t = frames.find((f) => f.type === 'table');
      return t?.type === 'table' ? (t.frame.columns[0]?.length ?? 0) : -1;
    };
    expect(await rows('prometheus')).toBe(1);
    // Unescaped, this would close the string and add every series of another metric.
    const hostile = 'nope"} or prometheus_build_info{job="prometheus';
    expect(bind(hostile).query).toBe(
      'up{job="nope\\"} or prometheus_build_info{job=\\"prometheus"}',
    );
    expect(await rows(hostile)).toBe(0);
  });

  it('completes metric and label names, and browses metrics with metadata and their series', async () => {
    expect(await instance.complete!('rate(prometheus_http_req', 24)).toContain(
      'prometheus_http_requests_total',
    );
    const labels = await instance.complete!('up{jo', 5);
    expect(labels).toEqual(['job']);
    const metrics = (await instance.browse!([])) as { name: string; type?: string }[];
    expect(metrics.find((m) => m.name === 'prometheus_http_requests_total')).toMatchObject({
      type: 'counter',
    });
    expect(metrics.some((m) => m.name === 'up')).toBe(true);
    const series = (await instance.browse!(['up'])) as Record<string, string>[];
    expect(series).toEqual([
      { __name__: 'up', instance: prom.url.replace('http://', ''), job: 'prometheus' },
    ]);
  });

  it('reports the version when healthy, and the vendor message for bad PromQL', async () => {
    expect(await instance.checkHealth()).toEqual({
      ok: true,
      message: expect.stringMatching(/^Prometheus 2\.42\.0/),
    });
    const now = new Date().toISOString();
    await expect(
      collect(
        instance,
        { query: 'rate(up[5m]', queryType: 'instant', stepS: 1 },
        { from: now, to: now },
      ),
    ).rejects.toMatchObject({
      code: 'processor.bad_query',
      message: expect.stringMatching(/^bad_data: .*parse error: unclosed left parenthesis/),
    });
  });

  it("gives up after the connection's timeout, closing the request, and says so", async () => {
    const proxy = await new PrometheusAuthProxy(prom.url, 'tok').start();
    try {
      const slow = createPrometheus(
        {
          name: 'slow',
          config: { url: proxy.url, auth: 'bearer', timeoutS: 1 },
          secrets: { token: 'tok' },
        },
        host,
      );
      const now = new Date().toISOString();
      await expect(
        collect(
          slow,
          { query: 'up # hold', queryType: 'instant', stepS: 1 },
          { from: now, to: now },
        ),
      ).rejects.toMatchObject({
        code: 'processor.timeout',
        message: 'Prometheus did not answer within 1 s',
      });
      expect(proxy.heldSeen).toBe(1);
      await expect.poll(() => proxy.openHeld).toBe(0);
      // The same connection through the proxy answers when the query is not held.
      const ok = await collect(
        slow,
        { query: 'up', queryType: 'instant', stepS: 1 },
        { from: now, to: now },
      );
      expect(ok.some((f) => f.type === 'table')).toBe(true);
    } finally {
      await proxy.stop();
    }
  });
});
