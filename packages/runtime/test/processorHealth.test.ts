import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JournalEvent } from '@spin/protocol';
import { PrometheusServer, freePort } from '../src/processors/prometheus/prometheusServer.js';
import type { ProcessorConnection } from '../src/processors/types.js';
import { TestClient, startPaired, type Harness } from './fixtures.js';

const text = (events: JournalEvent[]) =>
  events.flatMap((e) => (e.type === 'stream' ? [e.data.text] : [])).join('');
const errors = (events: JournalEvent[]) =>
  events.flatMap((e) => (e.type === 'error' ? [`${e.data.ename}: ${e.data.evalue}`] : []));

// "Test connection" (issue 9): the server compiles `{ health: true }` for a connection; the
// runtime answers with the processor's own health check against that connection.
describe('connection health checks (real Prometheus)', () => {
  const prom = new PrometheusServer();
  let h: Harness;
  let client: TestClient;
  let deadUrl: string;

  beforeAll(async () => {
    await prom.start();
    deadUrl = `http://127.0.0.1:${await freePort()}`;
    const connections: Record<string, ProcessorConnection> = {
      metrics: { name: 'metrics', config: { url: prom.url }, secrets: {} },
      gone: { name: 'gone', config: { url: deadUrl }, secrets: {} },
    };
    h = await startPaired({ connections: { get: (name) => connections[name] } });
    client = await TestClient.session(h.rt.url, await h.server.token());
  }, 90_000);
  afterAll(async () => {
    client?.close();
    await h?.close();
    await prom.stop();
  });

  const check = async (connection: string, cell: string) =>
    client.run(
      await h.server.seal(
        h.server.claims(
          { kind: 'processor', processor: 'prometheus', connection, params: { health: true } },
          { cell },
        ),
      ),
    );

  it('says a reachable Prometheus is connected', async () => {
    const events = await check('metrics', 'health_ok');
    expect(errors(events)).toEqual([]);
    expect(text(events)).toMatch(/^✓ metrics: connected/);
  });

  it('fails the cell with processor.unavailable, naming the connection, when it is down', async () => {
    const events = await check('gone', 'health_down');
    const [err] = errors(events);
    expect(err).toContain('processor.unavailable');
    expect(err).toContain('gone');
    expect(text(events)).not.toContain('connected');
  });
});
