import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProcessorHost } from './types.js';
import { fetchWithRetry, vendorErrorMessage, vendorJson, type VendorCall } from './vendorHttp.js';

const host: ProcessorHost = {
  logger: pino({ level: 'silent' }),
  fetch: globalThis.fetch,
  env: {},
  limits: { pageRows: 10 },
};

describe('the shared vendor HTTP helper', () => {
  let server: Server;
  let url: URL;
  /** Answers for the next requests, in order; then 200 {"ok":true}. */
  const plan: { status: number; headers?: Record<string, string>; body: string }[] = [];
  let hits = 0;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      hits++;
      const next = plan.shift() ?? { status: 200, body: '{"ok":true}' };
      res.writeHead(next.status, { 'content-type': 'application/json', ...next.headers });
      res.end(next.body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/x`);
  });
  afterAll(() => new Promise((r) => server.close(r)));
  const call = (over: Partial<VendorCall> = {}): VendorCall => ({
    host,
    vendor: 'Acme',
    signal: new AbortController().signal,
    deadline: Date.now() + 10_000,
    ...over,
  });

  it('waits the Retry-After (seconds or an HTTP date) and then answers', async () => {
    plan.push({ status: 429, headers: { 'retry-after': '1' }, body: '{}' });
    plan.push({
      status: 503,
      headers: { 'retry-after': new Date(Date.now() + 1000).toUTCString() },
      body: '{}',
    });
    const waits: number[] = [];
    const before = hits;
    const { data, retries } = await vendorJson<{ ok: boolean }>(
      url,
      {},
      call({ onRetry: (s) => waits.push(s) }),
    );
    expect(data).toEqual({ ok: true });
    expect(retries).toBe(2);
    expect(hits - before).toBe(3);
    expect(waits[0]).toBe(1);
    expect(waits[1]).toBeLessThanOrEqual(1);
  });

  it('does not wait past the deadline: the 429 becomes processor.rate_limited with the wait asked', async () => {
    plan.push({ status: 429, headers: { 'retry-after': '60' }, body: '{"message":"slow down"}' });
    const before = hits;
    await expect(vendorJson(url, {}, call())).rejects.toMatchObject({
      code: 'processor.rate_limited',
      message: 'rate limited (HTTP 429); retry after 60 s: Acme: slow down',
      details: { retryAfterS: 60 },
    });
    expect(hits - before).toBe(1);
  });

  it('stops after maxAttempts, and a cancelled cell stops waiting at once', async () => {
    for (let i = 0; i < 2; i++)
      plan.push({ status: 429, headers: { 'retry-after': '0' }, body: '{}' });
    const r = await fetchWithRetry(url, {}, call({ maxAttempts: 2 }));
    expect(r).toMatchObject({ limited: true, retries: 1 });
    expect(r.res.status).toBe(429);
    plan.push({ status: 429, headers: { 'retry-after': '5' }, body: '{}' });
    const ac = new AbortController();
    const p = fetchWithRetry(
      url,
      {},
      call({
        signal: ac.signal,
        onRetry: () => setTimeout(() => ac.abort(new Error('cancelled')), 10),
      }),
    );
    await expect(p).rejects.toThrow('cancelled');
  });

  it('names an unreachable vendor, and reads the error shapes vendors use', async () => {
    // A port nothing listens on: take a free one and close it.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const err = await vendorJson(new URL(`http://127.0.0.1:${port}/`), {}, call()).catch(
      (e: Error) => e,
    );
    expect(err).toMatchObject({ code: 'processor.unavailable' });
    expect((err as Error).message).toBe(
      `cannot reach Acme at http://127.0.0.1:${port}: ECONNREFUSED`,
    );
    expect(vendorErrorMessage('{"errors":["a","b"]}')).toBe('a; b');
    expect(vendorErrorMessage('{"messages":[{"type":"FATAL","text":"bad"}]}')).toBe('bad');
    expect(vendorErrorMessage('{"error":{"message":"deep"}}')).toBe('deep');
    expect(vendorErrorMessage('<html>oops</html>')).toBe('<html>oops</html>');
  });
});
