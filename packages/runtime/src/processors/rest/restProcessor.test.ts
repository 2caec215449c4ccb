import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manifest, parseHttpRequest, type RestProgram } from '@spin/protocol/processors/rest';
import type { ProcessorFrame, ProcessorHost, ProcessorRequest } from '../sdk.js';
import { RestEmulator } from './emulator.js';
import { createRest } from './restProcessor.js';

const host: ProcessorHost = {
  logger: pino({ level: 'silent' }),
  fetch: globalThis.fetch,
  env: {},
  limits: { pageRows: 100 },
};

function request(params: Partial<RestProgram> & Pick<RestProgram, 'url'>): ProcessorRequest {
  return {
    params: {
      method: 'GET',
      headers: [],
      body: null,
      parse: 'auto',
      followRedirects: true,
      ...params,
    },
    cwd: '/tmp',
    limits: { timeoutMs: 10_000, outputBytes: 100_000 },
    timeRange: { from: '2026-01-01T00:00:00.000Z', to: '2026-01-01T01:00:00.000Z' },
    cell: 'c',
    jti: 'j',
  };
}

async function frames(
  out: ReturnType<ReturnType<typeof createRest>['query']>,
): Promise<ProcessorFrame[]> {
  if (Symbol.asyncIterator in out) {
    const list: ProcessorFrame[] = [];
    for await (const f of out) list.push(f);
    return list;
  }
  return out;
}

describe('REST processor', () => {
  const emu = new RestEmulator('t0ken');
  const other = new RestEmulator('other');
  beforeAll(async () => {
    await emu.start();
    await other.start();
  });
  afterAll(async () => {
    await emu.stop();
    await other.stop();
  });

  it('parses .http requests and names the line that is wrong', () => {
    expect(
      parseHttpRequest(
        '# list\nPOST /items HTTP/1.1\nContent-Type: application/json\n\n{"a": 1}\n',
      ),
    ).toEqual({
      method: 'POST',
      url: '/items',
      headers: [['Content-Type', 'application/json']],
      body: '{"a": 1}\n',
    });
    expect(parseHttpRequest('https://x.test/a')).toMatchObject({
      method: 'GET',
      url: 'https://x.test/a',
      body: null,
    });
    expect(() => parseHttpRequest('FETCH /x')).toThrow(/line 1: expected "METHOD URL"/);
    expect(() => parseHttpRequest('GET /x\nnot a header')).toThrow(/line 2: expected a header/);
  });

  it.each([
    ['bearer', { auth: 'bearer' }, { token: 'tk' }, 'authorization', 'Bearer tk'],
    [
      'basic',
      { auth: 'basic', username: 'ada' },
      { password: 'pw' },
      'authorization',
      `Basic ${Buffer.from('ada:pw').toString('base64')}`,
    ],
    ['header', { auth: 'header', headerName: 'X-API-Key' }, { token: 'k1' }, 'x-api-key', 'k1'],
  ])(
    'authenticates with %s from the connection, only to its own origin',
    async (_n, config, secrets, header, value) => {
      const rest = createRest(
        {
          name: 'c',
          config: { baseUrl: emu.url, headers: { 'X-Team': 'ops' }, ...config },
          secrets,
        },
        host,
      );
      await frames(rest.query(request({ url: '/items' }), new AbortController().signal));
      const seen = emu.seen[emu.seen.length - 1]!;
      expect(seen.url).toBe('/items');
      expect(seen.headers[header]).toBe(value);
      expect(seen.headers['x-team']).toBe('ops');
      await frames(
        rest.query(request({ url: `${other.url}/items` }), new AbortController().signal),
      );
      const elsewhere = other.seen[other.seen.length - 1]!;
      expect(elsewhere.headers[header]).toBeUndefined();
      expect(elsewhere.headers['x-team']).toBeUndefined();
    },
  );

  it('sends bodies and shows JSON objects as JSON, text as text, with status and timing', async () => {
    const rest = createRest(null, host);
    const posted = await frames(
      rest.query(
        request({
          url: `${emu.url}/echo`,
          method: 'POST',
          headers: [['Content-Type', 'application/json']],
          body: '{"n":1}',
        }),
        new AbortController().signal,
      ),
    );
    expect(posted.find((f) => f.type === 'display_data')).toMatchObject({
      data: {
        'application/json': { method: 'POST', body: '{"n":1}', contentType: 'application/json' },
      },
    });
    expect(posted.find((f) => f.type === 'raw')).toMatchObject({
      value: { status: 200, timing: { totalMs: expect.any(Number) } },
    });
    const text = await frames(
      rest.query(request({ url: `${emu.url}/big` }), new AbortController().signal),
    );
    expect(text.find((f) => f.type === 'stream' && f.name === 'stdout')).toMatchObject({
      text: expect.stringMatching(/^0123456789abcdef\n/),
    });
  });

  it('binds templates for their place: encoded in URLs, escaped in JSON bodies, one line in headers', () => {
    const p = manifest.programSchema.parse({
      method: 'POST',
      url: '/search?q={{q}}',
      headers: [
        ['Content-Type', 'application/json'],
        ['X-Note', '{{q}}'],
      ],
      body: '{"q": "{{q}}"}',
    });
    const bound = manifest.bindTemplates!(p, { resolve: () => 'a&b "c"/d' }) as RestProgram;
    expect(bound.url).toBe('/search?q=a%26b%20%22c%22%2Fd');
    expect(JSON.parse(bound.body!)).toEqual({ q: 'a&b "c"/d' });
    expect(bound.headers[1]).toEqual(['X-Note', 'a&b "c"/d']);
    expect(() => manifest.bindTemplates!(p, { resolve: () => 'x\r\nInjected: 1' })).toThrow(
      expect.objectContaining({ code: 'template.invalid' }),
    );
  });

  it('refuses relative URLs without a base URL and non-HTTP schemes', async () => {
    const rest = createRest(null, host);
    await expect(
      frames(rest.query(request({ url: '/items' }), new AbortController().signal)),
    ).rejects.toMatchObject({
      code: 'processor.invalid_params',
    });
    await expect(
      frames(rest.query(request({ url: 'file:///etc/passwd' }), new AbortController().signal)),
    ).rejects.toMatchObject({
      code: 'processor.invalid_params',
    });
  });
});
