import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JournalEvent } from '@spin/protocol';
import { DATADOG_HOSTS, DatadogEmulator } from '../src/processors/datadog/emulator.js';
import { KubernetesEmulator, clusterPki } from '../src/processors/kubernetes/emulator.js';
import { SplunkEmulator } from '../src/processors/splunk/emulator.js';
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

// Issue 12 acceptance 5: a Datadog metric, a Splunk search and a Kubernetes event list — each
// from its emulated vendor API — joined in one Python cell (real ipykernel + pandas) through
// their `CellResult.df`.
describe('a Datadog metric, a Splunk search and Kubernetes events joined in Python', () => {
  const dd = new DatadogEmulator({ apiKey: 'dd-api', appKey: 'dd-app' });
  const splunk = new SplunkEmulator({ token: 'spl-token', username: 'u', password: 'p' });
  const pki = clusterPki();
  const kube = new KubernetesEmulator('kube-token', pki);
  let h: Harness;
  let client: TestClient;

  beforeAll(async () => {
    await Promise.all([dd.start(), splunk.start(), kube.start()]);
    const connections: ProcessorConnection[] = [
      { name: 'dd', config: { url: dd.url }, secrets: { apiKey: 'dd-api', appKey: 'dd-app' } },
      { name: 'spl', config: { url: splunk.url }, secrets: { token: 'spl-token' } },
      {
        name: 'k8s',
        config: { server: kube.url, caCert: pki.caCert },
        secrets: { token: 'kube-token' },
      },
    ];
    h = await startPaired({ connections: { get: (n) => connections.find((c) => c.name === n) } });
    client = await TestClient.session(h.rt.url, await h.server.token());
  }, 90_000);
  afterAll(async () => {
    client?.close();
    await h?.close();
    await Promise.all([dd.stop(), splunk.stop(), kube.stop()]);
  });

  it('prints the joined row count that the three sources imply', async () => {
    const to = Date.now();
    const from = to - 3_600_000;
    const timeRange = { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
    const cells = [
      {
        id: 'dd_cell',
        type: 'datadog',
        source: 'avg:system.cpu.user{*} by {host}',
        connection: 'dd',
        resultVar: 'cpu',
      },
      {
        id: 'spl_cell',
        type: 'splunk',
        source: 'index=web | stats count by host',
        connection: 'spl',
        resultVar: 'hits',
      },
      {
        id: 'k8s_cell',
        type: 'kubernetes',
        source: 'get events',
        connection: 'k8s',
        resultVar: 'events',
      },
    ];
    for (const cell of cells) {
      const events = await client.run(await h.server.cell({ ...cell, timeRange }));
      expect(errorText(events), cell.id).toBe('');
    }

    const py = await client.run(
      await h.server.python(
        [
          'import pandas as pd',
          'per_host = cpu.df.groupby("host", as_index=False)["value"].mean()',
          'joined = per_host.merge(hits.df, on="host").merge(events.df, left_on="host", right_on="node")',
          'print(len(joined))',
          'print(",".join(sorted(joined["host"])), cpu.kind, hits.kind, events.kind)',
        ].join('\n'),
        { cell: 'py_join' },
      ),
    );
    expect(errorText(py)).toBe('');

    // What the emulators hold, joined here without pandas: Datadog reports every host; Splunk
    // the hosts with events in the range; Kubernetes events of the range by node.
    const splunkHosts = new Set(
      splunk.events.filter((e) => e._time >= from / 1000 && e._time < to / 1000).map((e) => e.host),
    );
    const eventNodes = kube.objects
      .filter((o) => o.kind === 'Event' && Date.parse(o.lastTimestamp as string) >= from)
      .map((o) => (o.source as { host: string }).host);
    const joined = eventNodes
      .filter((n) => (DATADOG_HOSTS as readonly string[]).includes(n) && splunkHosts.has(n))
      .sort();
    expect(joined.length).toBeGreaterThan(0);
    expect(stdout(py)).toBe(`${joined.length}\n${joined.join(',')} timeseries table table\n`);
  });
});
