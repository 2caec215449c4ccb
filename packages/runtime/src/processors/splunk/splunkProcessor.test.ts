import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLE_MIME } from '@spin/protocol';
import { bindSpl, manifest } from '@spin/protocol/processors/splunk';
import { CellHarness } from '../cellHarness.js';
import pino from 'pino';
import type { ProcessorConnection, ProcessorFrame } from '../sdk.js';
import { SplunkEmulator } from './emulator.js';
import { createSplunk } from './splunkProcessor.js';

const auth = { token: 'splunk-test-token', username: 'ada', password: 'pw-ada' };

describe('Splunk processor against the emulated search jobs API', () => {
  const emu = new SplunkEmulator(auth);
  let dir: string;
  let harness: CellHarness;
  const conn = (config: Record<string, unknown>, secrets: Record<string, unknown> = {}) =>
    ({ name: 'splunk', config, secrets }) satisfies ProcessorConnection;
  const token = () => conn({ url: emu.url, auth: 'token' }, { token: auth.token });

  beforeAll(async () => {
    await emu.start();
    dir = mkdtempSync(join(tmpdir(), 'spin-splunk-'));
    harness = new CellHarness(dir, { pageRows: 50 });
  });
  afterAll(async () => {
    await harness.dispose();
    await emu.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("creates a job over the cell's time range, polls it and reads results in offset/count pages", async () => {
    const before = emu.requests.length;
    const r = await harness.run('splunk', token(), 'index=web status=500');
    expect(r.errorText).toBe('');
    const seen = emu.requests.slice(before).map((q) => `${q.method} ${q.path}`);
    expect(seen[0]).toBe('POST /services/search/jobs');
    expect(seen.filter((s) => /^GET \/services\/search\/jobs\/[\d.]+$/.test(s)).length).toBe(2);
    const job = [...emu.jobs.values()].at(-1)!;
    expect(job.search).toBe('search index=web status=500');
    const tables = r.outputs.flatMap((o) =>
      o.output_type === 'display_data' && o.data[TABLE_MIME] ? [o.data[TABLE_MIME]] : [],
    ) as { columns: unknown[][] }[];
    const statuses = tables.flatMap((t) => t.columns[2] as number[]);
    // The emulator's 500s in the last hour (time range now-1h … now).
    const expected = emu.events.filter(
      (e) => e.status === 500 && e._time * 1000 >= Date.now() - 3_600_000 - 60_000,
    );
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.length).toBeLessThanOrEqual(expected.length);
    expect(new Set(statuses)).toEqual(new Set([500]));
  });

  it('authenticates with basic auth and searches in an app namespace', async () => {
    const before = emu.requests.length;
    const r = await harness.run(
      'splunk',
      conn({ url: emu.url, auth: 'basic', username: 'ada', app: 'search' }, { password: 'pw-ada' }),
      '| makeresults count=3',
    );
    expect(r.errorText).toBe('');
    const first = emu.requests[before]!;
    expect(first.path).toBe('/servicesNS/-/search/search/jobs');
    expect(first.authorization).toBe(`Basic ${Buffer.from('ada:pw-ada').toString('base64')}`);
  });

  it("says who refused: 401 as auth failed, 5xx as unavailable, with Splunk's message", async () => {
    const denied = await harness.run(
      'splunk',
      conn({ url: emu.url }, { token: 'nope' }),
      'index=web',
    );
    expect(denied.status).toBe('error');
    expect(denied.errorText).toContain(
      'processor.auth_failed: authentication failed (HTTP 401): Splunk: call not properly authenticated',
    );
    const broken = await harness.run(
      'splunk',
      conn({ url: `${emu.url}/broken` }, { token: auth.token }),
      'index=web',
    );
    expect(broken.errorText).toContain(
      'processor.unavailable: upstream unavailable (HTTP 500): Splunk: Internal server error: splunkd is restarting',
    );
  });

  it('retries a 429 after its Retry-After when that fits in the cell, and says so', async () => {
    emu.fail({
      times: 1,
      status: 429,
      headers: { 'retry-after': '1' },
      body: { messages: [{ type: 'ERROR', text: 'Too many requests' }] },
    });
    const before = emu.requests.length;
    const r = await harness.run('splunk', token(), 'index=web | stats count by host', {
      limits: { timeoutMs: 20_000 },
    });
    expect(r.errorText).toBe('');
    expect(r.status).toBe('ok');
    const posts = emu.requests.slice(before).filter((q) => q.method === 'POST');
    expect(posts.length).toBe(2);
    const stderr = r.outputs.flatMap((o) =>
      o.output_type === 'stream' && o.name === 'stderr' ? [o.text] : [],
    );
    expect(stderr.join('')).toContain('Splunk rate limited the request; retrying in 1 s');
  });

  it('does not wait past the cell timeout: a long Retry-After fails at once with it', async () => {
    emu.fail({
      times: 1,
      status: 429,
      headers: { 'retry-after': '30' },
      body: { messages: [{ type: 'ERROR', text: 'Too many requests' }] },
    });
    const before = emu.requests.length;
    const r = await harness.run('splunk', token(), 'index=web', { limits: { timeoutMs: 10_000 } });
    expect(r.status).toBe('error');
    expect(r.errorText).toContain(
      'processor.rate_limited: rate limited (HTTP 429); retry after 30 s: Splunk: Too many requests',
    );
    expect(emu.requests.length - before).toBe(1);
  });

  it('streams an export search as table pages, and cancelling closes the export connection', async () => {
    const sp = createSplunk(token(), {
      logger: pino({ level: 'silent' }),
      fetch: globalThis.fetch,
      env: {},
      limits: { pageRows: 25 },
    });
    const request = (search: string, signal: AbortSignal) =>
      sp.query(
        {
          params: { search, mode: 'export', maxRows: 1000 },
          cwd: dir,
          limits: { timeoutMs: 10_000, outputBytes: 1_000_000 },
          timeRange: {
            from: new Date(Date.now() - 3_600_000).toISOString(),
            to: new Date().toISOString(),
          },
          cell: 'c',
          jti: 'j',
        },
        signal,
      ) as AsyncIterable<ProcessorFrame>;
    const pages: { rows: number; last: boolean }[] = [];
    for await (const f of request('search index=web', new AbortController().signal)) {
      if (f.type === 'table')
        pages.push({ rows: f.frame.columns[0]!.length, last: f.frame.page.last });
    }
    const expected = emu.events.filter(
      (e) => e._time * 1000 >= Date.now() - 3_600_000 - 60_000,
    ).length;
    expect(pages.reduce((n, p) => n + p.rows, 0)).toBeGreaterThanOrEqual(expected - 1);
    expect(pages.filter((p) => p.last)).toHaveLength(1);
    expect(pages.length).toBeGreaterThan(3);
    const ac = new AbortController();
    let openWhileStreaming = 0;
    const held = (async () => {
      for await (const f of request('| makeresults count=30 | hold', ac.signal)) {
        if (f.type === 'table') {
          openWhileStreaming = emu.openExports;
          ac.abort();
        }
      }
    })();
    await expect(held).rejects.toBeDefined();
    expect(openWhileStreaming).toBe(1);
    for (let i = 0; i < 100 && emu.openExports > 0; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(emu.openExports).toBe(0);
  });

  it('binds templates as SPL strings, and refuses bare values that could add commands', () => {
    const bind = (spl: string, v: string) => bindSpl(spl, () => v);
    expect(bind('search host="{{h}}"', 'a"b\\c')).toBe('search host="a\\"b\\\\c"');
    expect(bind('search host={{h}}', 'web-1')).toBe('search host=web-1');
    expect(() => bind('search host={{h}}', 'x | delete')).toThrow(/outside quotes/);
    const program = manifest.compile(
      { source: 'index=web', params: { mode: 'job', maxRows: 10 } },
      {} as Parameters<typeof manifest.compile>[1],
    );
    expect(program).toEqual({ search: 'search index=web', mode: 'job', maxRows: 10 });
  });
});
