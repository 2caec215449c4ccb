import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A reverse proxy in front of a real Prometheus, as deployments put one (Prometheus itself has
 * no bearer auth and never rate-limits): requests need `Authorization: Bearer <token>` and are
 * forwarded unchanged otherwise. Two path prefixes produce what a real server cannot be made to
 * do on demand: `/limited/…` answers 429 with Retry-After, and a query carrying the PromQL
 * comment `# hold` is kept open without an answer, so tests can see a cancelled or timed-out
 * query close its connection (Prometheus itself finishes any query here too fast to watch).
 */
export class PrometheusAuthProxy {
  /** Held queries whose connection is still open. */
  openHeld = 0;
  /** Held queries seen so far. */
  heldSeen = 0;
  url = '';
  private server: Server | null = null;

  constructor(
    readonly upstream: string,
    readonly token: string,
  ) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = req.url ?? '/';
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' });
      res.end('401 Unauthorized: invalid bearer token\n');
      return;
    }
    if (path.startsWith('/limited/')) {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '7' });
      res.end(
        JSON.stringify({
          status: 'error',
          errorType: 'too_many_requests',
          error: 'query rate limit exceeded, slow down',
        }),
      );
      return;
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const form = new URLSearchParams(body.toString('utf8'));
    const query = form.get('query') ?? new URL(path, 'http://proxy').searchParams.get('query');
    if (query?.includes('# hold')) {
      this.heldSeen++;
      this.openHeld++;
      res.on('close', () => this.openHeld--);
      return;
    }
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) {
      if (['authorization', 'host', 'connection', 'content-length'].includes(k) || !v) continue;
      headers.set(k, Array.isArray(v) ? v.join(', ') : v);
    }
    try {
      const up = await fetch(`${this.upstream}${path}`, {
        method: req.method ?? 'GET',
        headers,
        ...(body.length ? { body } : {}),
      });
      const answer = Buffer.from(await up.arrayBuffer());
      res.writeHead(up.status, {
        'content-type': up.headers.get('content-type') ?? 'application/octet-stream',
      });
      res.end(answer);
    } catch (err) {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`bad gateway: ${(err as Error).message}\n`);
    }
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }
}
