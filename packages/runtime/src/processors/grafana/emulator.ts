import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A planned failure: the next `times` requests answer it. */
export interface GrafanaFault {
  times: number;
  status: number;
  headers?: Record<string, string>;
  body: unknown;
}

/** Dashboards the emulator's search finds. */
export const GRAFANA_DASHBOARDS = Array.from({ length: 7 }, (_, i) => ({
  id: i + 1,
  uid: `dash-${i}`,
  title: i === 0 ? 'API overview' : `Service ${i}`,
  uri: `db/service-${i}`,
  url: `/d/dash-${i}/service-${i}`,
  type: 'dash-db',
  tags: i % 2 ? ['prod'] : [],
  folderTitle: i < 3 ? 'Ops' : undefined,
}));

/**
 * A loopback Grafana HTTP API (grafana.com/docs, "HTTP API": data source query `POST
 * /api/ds/query`, `GET /api/search`, `GET /api/health`, Grafana-managed alerts at
 * `/api/prometheus/grafana/api/v1/alerts`), with service-account bearer tokens and Grafana's
 * error bodies (`{"message", "messageId", "statusCode"}`; a failed query answers 400 with
 * `results.A.error`). Data source `prom` answers PromQL-like `expr`s with one data frame per
 * series (`Time` + `Value` with labels) of `maxDataPoints` points; an `expr` with `hold`
 * never answers. Paths under `/limited/` answer 429 with Retry-After, under `/broken/` 500.
 */
export class GrafanaEmulator {
  readonly requests: {
    method: string;
    path: string;
    query: URLSearchParams;
    body: string;
    headers: IncomingMessage['headers'];
  }[] = [];
  openHeld = 0;
  private faults: GrafanaFault[] = [];
  private server: Server | null = null;
  url = '';

  constructor(readonly token: string) {}

  fail(fault: GrafanaFault): void {
    this.faults.push({ ...fault });
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => this.handle(req, res, body));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }

  private handle(req: IncomingMessage, res: ServerResponse, body: string): void {
    const url = new URL(req.url ?? '/', 'http://grafana');
    this.requests.push({
      method: req.method ?? '',
      path: url.pathname,
      query: url.searchParams,
      body,
      headers: req.headers,
    });
    const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(value));
    };
    const fault = this.faults[0];
    if (fault) {
      if (--fault.times <= 0) this.faults.shift();
      return json(fault.status, fault.body, fault.headers);
    }
    if (url.pathname === '/api/health')
      return json(200, { commit: 'abc123', database: 'ok', version: '11.3.0' });
    if (url.pathname.startsWith('/limited/'))
      return json(
        429,
        { message: 'Too many requests, slow down', statusCode: 429 },
        { 'retry-after': '120' },
      );
    if (url.pathname.startsWith('/broken/'))
      return json(500, {
        message: 'Internal Server Error',
        messageId: 'internal',
        statusCode: 500,
      });
    if (req.headers.authorization !== `Bearer ${this.token}`)
      return json(401, {
        message: 'Invalid API key',
        messageId: 'api-key.invalid',
        statusCode: 401,
        traceID: '',
      });
    if (url.pathname === '/api/search' && req.method === 'GET') {
      const q = (url.searchParams.get('query') ?? '').toLowerCase();
      const limit = Number(url.searchParams.get('limit') ?? 1000);
      const page = Number(url.searchParams.get('page') ?? 1);
      const hits = GRAFANA_DASHBOARDS.filter((d) => d.title.toLowerCase().includes(q));
      return json(200, hits.slice((page - 1) * limit, page * limit));
    }
    if (url.pathname === '/api/prometheus/grafana/api/v1/alerts') {
      return json(200, {
        status: 'success',
        data: {
          alerts: [
            {
              labels: { alertname: 'HighErrorRate', service: 'api' },
              annotations: { summary: '5xx above 2%' },
              state: 'Alerting',
              activeAt: '2026-12-02T08:00:00Z',
              value: '3.2e+00',
            },
            {
              labels: { alertname: 'DiskFilling', node: 'web-1' },
              annotations: {},
              state: 'Pending',
              activeAt: '2026-12-02T08:30:00Z',
              value: '9.1e+01',
            },
          ],
        },
      });
    }
    if (url.pathname === '/api/ds/query' && req.method === 'POST') {
      let q: {
        queries: {
          refId: string;
          datasource?: { uid?: string };
          expr?: string;
          maxDataPoints?: number;
        }[];
        from: string;
        to: string;
      };
      try {
        q = JSON.parse(body) as typeof q;
      } catch {
        return json(400, {
          message: 'bad request data',
          messageId: 'bad-request',
          statusCode: 400,
        });
      }
      const query = q.queries?.[0];
      if (!query) return json(400, { message: 'No queries found in query', statusCode: 400 });
      if (query.datasource?.uid !== 'prom')
        return json(404, {
          message: 'Data source not found',
          messageId: 'datasource.notFound',
          statusCode: 404,
        });
      const expr = query.expr ?? '';
      if (expr.includes('hold')) {
        this.openHeld++;
        res.on('close', () => this.openHeld--);
        return;
      }
      if ((expr.match(/\(/g)?.length ?? 0) !== (expr.match(/\)/g)?.length ?? 0))
        return json(400, {
          results: {
            [query.refId]: {
              error: `bad_data: invalid parameter "query": 1:${expr.indexOf('(') + 1}: parse error: unclosed left parenthesis`,
              errorSource: 'downstream',
              status: 400,
            },
          },
        });
      const from = Number(q.from);
      const to = Number(q.to);
      const n = query.maxDataPoints ?? 100;
      const step = n > 1 ? (to - from) / (n - 1) : 0;
      const frames = ['api', 'web'].map((job, j) => ({
        schema: {
          refId: query.refId,
          meta: { type: 'timeseries-multi', typeVersion: [0, 1] },
          fields: [
            {
              name: 'Time',
              type: 'time',
              typeInfo: { frame: 'time.Time' },
              config: { interval: step },
            },
            {
              name: 'Value',
              type: 'number',
              typeInfo: { frame: 'float64' },
              labels: { __name__: 'up', job },
              config: {},
            },
          ],
        },
        data: {
          values: [
            Array.from({ length: n }, (_, k) => Math.round(from + k * step)),
            Array.from({ length: n }, (_, k) => (j + k) % 3),
          ],
        },
      }));
      return json(200, { results: { [query.refId]: { status: 200, frames } } });
    }
    return json(404, { message: 'Not found', statusCode: 404 });
  }
}
