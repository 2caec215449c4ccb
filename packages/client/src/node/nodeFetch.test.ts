import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ApiError, HttpClient } from '@spin/client';
import { nodeFetch } from './nodeFetch.js';

let server: Server;
let base = '';
const seen: { method: string; url: string; body: string; cookie: string | undefined }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method!, url: req.url!, body, cookie: req.headers.cookie });
      if (req.url === '/login') {
        res.setHeader('set-cookie', ['sid=abc; HttpOnly', 'theme=dark']);
        res.end(JSON.stringify({ ok: true }));
      } else if (req.url === '/moved') {
        res.writeHead(307, { location: '/echo' }).end();
      } else if (req.url === '/echo') {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ got: body ? (JSON.parse(body) as unknown) : null }));
      } else {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'request.not_found', message: 'no such thing' } }));
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const addr = server.address() as { port: number };
  base = `http://127.0.0.1:${addr.port}`;
});

afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe('nodeFetch under HttpClient', () => {
  const client = () => new HttpClient({ baseUrl: base, fetch: nodeFetch, manageCookies: true });

  it('sends the JSON body and method, and returns the parsed answer', async () => {
    const got = await client().request('POST', '/echo', z.object({ got: z.unknown() }), {
      cell: 'x = 6 * 7',
    });
    expect(got).toEqual({ got: { cell: 'x = 6 * 7' } });
    expect(seen.at(-1)).toMatchObject({ method: 'POST', url: '/echo' });
  });

  it('keeps every cookie the server sets and sends them back', async () => {
    const c = client();
    await c.request('POST', '/login', z.object({ ok: z.boolean() }), {});
    await c.request('GET', '/echo', z.object({ got: z.unknown() }));
    expect(seen.at(-1)?.cookie).toBe('sid=abc; theme=dark');
  });

  it('follows a redirect like fetch', async () => {
    const got = await client().request('POST', '/moved', z.object({ got: z.unknown() }), {
      n: 1,
    });
    expect(got).toEqual({ got: { n: 1 } });
  });

  it("turns an error answer into the server's error code and status", async () => {
    const err = await client()
      .request('GET', '/missing', z.unknown())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'request.not_found', status: 404 });
  });

  it('reports an unreachable server as client.network_error', async () => {
    const c = new HttpClient({ baseUrl: 'http://127.0.0.1:1', fetch: nodeFetch });
    await expect(c.request('GET', '/echo', z.unknown())).rejects.toMatchObject({
      code: 'client.network_error',
    });
  });
});
