import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the emulator saw of one request. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/**
 * A small JSON API on loopback for the REST processor's tests: a list, a paged list, errors in
 * the shapes real APIs use (`{"error": …}`, `{"message": …}`, 429 with Retry-After), a bearer-
 * protected route, and a route that never answers so tests can see a cancelled request close.
 */
export class RestEmulator {
  readonly seen: SeenRequest[] = [];
  /** Requests to /slow whose connection is still open. */
  openSlow = 0;
  private server: Server | null = null;
  url = '';

  constructor(readonly token: string) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        this.seen.push({
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body,
        });
        const url = new URL(req.url ?? '/', 'http://emulator');
        const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
          res.writeHead(status, { 'content-type': 'application/json', ...headers });
          res.end(JSON.stringify(value));
        };
        switch (url.pathname) {
          case '/':
            return json(200, { ok: true });
          case '/items':
            return json(200, [
              { id: 1, name: 'web-1', cpu: 0.5 },
              { id: 2, name: 'web-2', cpu: 2.25 },
            ]);
          case '/many':
            return json(
              200,
              Array.from({ length: 1200 }, (_, i) => ({ i, sq: i * i })),
            );
          case '/big':
            res.writeHead(200, { 'content-type': 'text/plain' });
            return res.end('0123456789abcdef\n'.repeat(12_000));
          case '/limited':
            return json(429, { message: 'too many requests, slow down' }, { 'retry-after': '7' });
          case '/search':
            if ((url.searchParams.get('q') ?? '').includes('('))
              return json(400, { error: 'unbalanced parenthesis in q' });
            return json(200, { q: url.searchParams.get('q'), hits: 3 });
          case '/private':
            if (req.headers.authorization !== `Bearer ${this.token}`)
              return json(401, { error: 'invalid or missing token' });
            return json(200, { secret: 'stays on the server', user: 'ada' });
          case '/echo':
            return json(200, {
              method: req.method,
              body,
              contentType: req.headers['content-type'] ?? null,
            });
          case '/slow':
            this.openSlow++;
            res.on('close', () => this.openSlow--);
            res.writeHead(200, { 'content-type': 'text/plain' });
            res.write('started\n'); // headers and a first chunk, then nothing until the client leaves
            return;
          default:
            return json(404, { error: `no route ${url.pathname}` });
        }
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }
}
