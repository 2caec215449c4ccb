import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TIMESERIES_MIME, type JournalEvent } from '@spin/protocol';
import { PrometheusServer } from '../src/processors/prometheus/prometheusServer.js';
import type { ProcessorConnection } from '../src/processors/types.js';
import { TestClient, startPaired, type Harness } from './fixtures.js';

function stdout(events: JournalEvent[]): string {
  return events
    .flatMap((e) => (e.type === 'stream' && e.data.name === 'stdout' ? [e.data.text] : []))
    .join('');
}

function errorText(events: JournalEvent[]): string {
  return events
    .flatMap((e) => (e.type === 'error' ? [`${e.data.ename}: ${e.data.evalue}`] : []))
    .join('\n');
}

// Issue 10 acceptance 4: a Prometheus cell's result, from a real Prometheus, is `df` in a real
// Python kernel of the same session (pandas from Debian), and what Python computes on it is
// what Prometheus's own HTTP API says.
describe('a Prometheus result as data in Python (real Prometheus, real ipykernel + pandas)', () => {
  const prom = new PrometheusServer();
  let h: Harness;
  let client: TestClient;

  beforeAll(async () => {
    // The query below ends 2 s ago and starts at Prometheus's first scrape at the earliest: with
    // 10 samples of `up` (one a second) it holds at least 7 steps.
    await prom.start({ samples: 10 });
    const connection: ProcessorConnection = {
      name: 'metrics',
      config: { url: prom.url },
      secrets: {},
    };
    h = await startPaired({
      connections: { get: (name) => (name === connection.name ? connection : undefined) },
    });
    client = await TestClient.session(h.rt.url, await h.server.token());
  }, 90_000);
  afterAll(async () => {
    client?.close();
    await h?.close();
    await prom.stop();
  });

  it("computes on the cell's df what Prometheus's query_range answers", async () => {
    const query = 'scrape_samples_scraped + up';
    const end = Math.floor(Date.now() / 1000) * 1000 - 2000;
    const start = end - 30_000;
    const events = await client.run(
      await h.server.cell({
        id: 'prom_cell',
        type: 'prometheus',
        source: query,
        connection: 'metrics',
        params: { step: '1s' },
        timeRange: { from: new Date(start).toISOString(), to: new Date(end).toISOString() },
        resultVar: 'scraped',
      }),
    );
    expect(errorText(events)).toBe('');
    const shown = events.find((e) => e.type === 'display_data');
    expect(shown?.type === 'display_data' && shown.data.data[TIMESERIES_MIME]).toMatchObject({
      range: { from: start, to: end, stepMs: 1000 },
    });

    const q = new URLSearchParams({
      query,
      start: String(start / 1000),
      end: String(end / 1000),
      step: '1',
    });
    const api = (await (await fetch(`${prom.url}/api/v1/query_range?${q}`)).json()) as {
      data: { result: { values: [number, string][] }[] };
    };
    const values = api.data.result.flatMap((s) => s.values.map(([, v]) => Number(v)));
    expect(values.length).toBeGreaterThan(3);
    const firstTs = api.data.result[0]!.values[0]![0];

    const py = await client.run(
      await h.server.python(
        [
          'import pandas as pd',
          'df = scraped.df',
          'print(len(df), f"{df[\'value\'].sum():.3f}", f"{df[\'value\'].max():.3f}")',
          'print(df["time"].min().isoformat(), df["job"].iloc[0], scraped.kind)',
        ].join('\n'),
        { cell: 'py_prom' },
      ),
    );
    expect(errorText(py)).toBe('');
    const sum = values.reduce((a, b) => a + b, 0);
    expect(stdout(py)).toBe(
      [
        `${values.length} ${sum.toFixed(3)} ${Math.max(...values).toFixed(3)}`,
        `${new Date(firstTs * 1000).toISOString().replace('Z', '+00:00').replace('.000', '')} prometheus timeseries`,
        '',
      ].join('\n'),
    );
  });
});
