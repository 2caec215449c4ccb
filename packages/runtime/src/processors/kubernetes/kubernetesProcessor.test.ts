import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOGS_MIME, TABLE_MIME, type JournalEvent } from '@spin/protocol';
import { parseKubectl } from '@spin/protocol/processors/kubernetes';
import { CellHarness } from '../cellHarness.js';
import { KubernetesEmulator, clusterPki, type ClusterPki } from './emulator.js';

async function until(probe: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (probe()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${what} did not happen`);
}

function logLines(events: JournalEvent[]): string[] {
  return events.flatMap((e) =>
    e.type === 'display_data' && e.data.data[LOGS_MIME]
      ? (e.data.data[LOGS_MIME] as { entries: { line: string }[] }).entries.map((x) => x.line)
      : [],
  );
}

function tableColumn(events: JournalEvent[], column: string): unknown[] {
  return events.flatMap((e) => {
    if (e.type !== 'display_data' || !e.data.data[TABLE_MIME]) return [];
    const t = e.data.data[TABLE_MIME] as {
      schema: { fields: { name: string }[] };
      columns: unknown[][];
    };
    return t.columns[t.schema.fields.findIndex((f) => f.name === column)] ?? [];
  });
}

describe('Kubernetes processor against an emulated API server (HTTPS, cluster CA, bearer token)', () => {
  const token = 'k8s-test-token';
  let pki: ClusterPki;
  let emu: KubernetesEmulator;
  let dir: string;
  let harness: CellHarness;
  const conn = (over: Record<string, unknown> = {}, t = token) => ({
    name: 'cluster',
    config: { server: emu.url, caCert: pki.caCert, ...over },
    secrets: { token: t },
  });

  beforeAll(async () => {
    pki = clusterPki();
    emu = await new KubernetesEmulator(token, pki).start();
    dir = mkdtempSync(join(tmpdir(), 'spin-k8s-'));
    harness = new CellHarness(dir, { pageRows: 100 });
  });
  afterAll(async () => {
    await harness.dispose();
    await emu.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('follows a pod log with new lines until cancelled, and cancelling closes the upstream stream', async () => {
    const events: JournalEvent[] = [];
    let execution: { interrupt(): void } | undefined;
    const run = harness.run('kubernetes', conn(), 'logs api-0 -f', {
      onEvent: (e) => events.push(e),
      onStart: (e) => (execution = e),
    });
    await until(() => logLines(events).length >= 5, 'the existing lines');
    expect(emu.openFollows).toBe(1);
    const follow = emu.requests.findLast((r) => r.path.endsWith('/pods/api-0/log'))!;
    expect(follow.query.get('follow')).toBe('true');
    expect(follow.query.get('timestamps')).toBe('true');
    emu.appendLog('default', 'api-0', 'GET /orders 500 upstream reset');
    await until(() => logLines(events).includes('GET /orders 500 upstream reset'), 'the new line');
    emu.appendLog('default', 'api-0', 'GET /orders 200');
    await until(() => logLines(events).includes('GET /orders 200'), 'the second new line');
    expect(logLines(events).slice(0, 5)).toEqual(
      Array.from({ length: 5 }, (_, i) => `GET /healthz 200 (${i})`),
    );
    execution!.interrupt();
    const r = await run;
    expect(r.status).toBe('interrupted');
    await until(() => emu.openFollows === 0, 'the API server seeing the stream close');
    // A line written after the cancel reaches nobody.
    emu.appendLog('default', 'api-0', 'after the cancel');
    expect(logLines(r.events)).not.toContain('after the cancel');
  });

  it('pages a list with limit/continue and shows events of the time range only', async () => {
    const before = emu.requests.length;
    const pods = await harness.run('kubernetes', conn(), 'get pods -n bulk');
    expect(pods.errorText).toBe('');
    const lists = emu.requests.slice(before);
    expect(lists.length).toBe(12);
    expect(lists[0]!.query.get('limit')).toBe('100');
    expect(lists[1]!.query.get('continue')).toEqual(expect.any(String));
    expect(tableColumn(pods.events, 'name').length).toBe(1200);

    const events = await harness.run('kubernetes', conn(), 'get events');
    expect(events.errorText).toBe('');
    // The emulator's "Scheduled" event is two hours old: outside now-1h … now.
    expect(tableColumn(events.events, 'reason')).toEqual([
      'BackOff',
      'Pulled',
      'Unhealthy',
      'Started',
    ]);
    expect(tableColumn(events.events, 'node')).toEqual(['web-1', 'web-1', 'web-2', 'worker-9']);
  });

  it('trusts only the configured CA, and says so when the certificate is not trusted', async () => {
    const other = clusterPki();
    const r = await harness.run('kubernetes', conn({ caCert: other.caCert }), 'get pods');
    expect(r.status).toBe('error');
    expect(r.errorText).toMatch(
      /processor\.unavailable: cannot reach Kubernetes at https:\/\/127\.0\.0\.1:\d+: .*(CERT|SIGNATURE|ISSUER|VERIFY)/i,
    );
  });

  it("reports 401 and 5xx with the API server's Status message, and retries a short 429 within the cell", async () => {
    const denied = await harness.run('kubernetes', conn({}, 'wrong'), 'get pods');
    expect(denied.errorText).toContain(
      'processor.auth_failed: authentication failed (HTTP 401): Kubernetes: Unauthorized (Unauthorized)',
    );
    const broken = await harness.run(
      'kubernetes',
      conn({ server: `${emu.url}/broken` }),
      'get pods',
    );
    expect(broken.errorText).toContain(
      'processor.unavailable: upstream unavailable (HTTP 500): Kubernetes: Internal error occurred: etcdserver: request timed out',
    );
    emu.fail({
      times: 2,
      status: 429,
      headers: { 'retry-after': '1' },
      body: {
        kind: 'Status',
        status: 'Failure',
        reason: 'TooManyRequests',
        message: 'Too many requests',
        code: 429,
      },
    });
    const before = emu.requests.length;
    const retried = await harness.run('kubernetes', conn(), 'get deployments', {
      limits: { timeoutMs: 20_000 },
    });
    expect(retried.errorText).toBe('');
    expect(emu.requests.length - before).toBe(3);
    expect(tableColumn(retried.events, 'ready')).toEqual(['2/2']);
  });

  it('binds template values as single words of the command, and refuses ones that add options', async () => {
    const ok = await harness.run('kubernetes', conn(), 'get pods -n {{ns}} -l app={{app}}', {
      vars: { ns: 'default', app: 'api' },
    });
    expect(ok.errorText).toBe('');
    expect(tableColumn(ok.events, 'name')).toEqual(['api-0', 'api-1']);
    const before = emu.requests.length;
    const bad = await harness.run('kubernetes', conn(), 'get pods -n {{ns}}', {
      vars: { ns: 'default -A' },
    });
    expect(bad.errorText).toContain('template.invalid: {{ns}}: a value here must be one word');
    expect(emu.requests.length).toBe(before);
  });

  it('reads only: other verbs are refused when the cell compiles', () => {
    expect(() => parseKubectl('delete pod api-0')).toThrow(/a Kubernetes cell reads with get/);
    expect(() => parseKubectl('get secrets')).toThrow(/get what\?/);
    expect(parseKubectl('kubectl logs api-0 -c api --tail=20 -n prod')).toEqual({
      verb: 'logs',
      pod: 'api-0',
      namespace: 'prod',
      container: 'api',
      follow: false,
      tailLines: 20,
    });
    expect(parseKubectl('get po -A -l app=api')).toMatchObject({
      resource: 'pods',
      namespace: '*',
      labelSelector: 'app=api',
    });
  });
});
