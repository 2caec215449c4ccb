import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Hosts the emulator reports metrics for, in order. */
export const DATADOG_HOSTS = ['web-1', 'web-2', 'web-3', 'db-1', 'cache-1'] as const;

/** One of the emulator's logs. */
export interface EmulatedLog {
  id: string;
  timestamp: number;
  host: string;
  service: string;
  status: 'info' | 'error';
  message: string;
}

/** A planned failure: the next `times` requests answer it. */
export interface DatadogFault {
  times: number;
  status: number;
  headers?: Record<string, string>;
  body: unknown;
}

const METRIC_QUERY = /^(avg|sum|min|max):([a-z][\w.]*)\{([^{}]*)\}(?:\s+by\s+\{([\w.,-]+)\})?$/;

/**
 * A loopback Datadog API (API reference: "Metrics › Query timeseries points" v1, "Logs › Search
 * logs" v2, "Authentication › Validate API key"), with its headers and bodies:
 * `DD-API-KEY` + `DD-APPLICATION-KEY`, a bad key answered 403 `{"errors":["Forbidden"]}`, bad
 * queries 400 `{"errors":[…]}`, rate limits 429 with the `X-RateLimit-Limit/Period/Remaining/
 * Reset/Name` headers Datadog sends. Metrics: `<aggr>:<metric>{<scope>} [by {<tag>}]` with a
 * point every `interval` s over the range; `hold.*` metrics never answer (for cancellation).
 * Logs: `key:value` terms over 250 logs of the last hour, cursor paged like the real API. Paths
 * under `/limited/` always answer 429, under `/broken/` 500; `fail()` plans failures.
 */
export class DatadogEmulator {
  readonly logs: EmulatedLog[];
  readonly requests: { method: string; path: string; body: string }[] = [];
  /** Requests being held (a `hold.*` query) whose connection is still open. */
  openHeld = 0;
  private faults: DatadogFault[] = [];
  private server: Server | null = null;
  url = '';

  private readonly created: number;

  constructor(
    readonly keys: { apiKey: string; appKey: string },
    now = Date.now(),
  ) {
    this.created = now;
    this.logs = Array.from({ length: 250 }, (_, i) => {
      const host = DATADOG_HOSTS[i % DATADOG_HOSTS.length]!;
      const status = i % 5 === 0 ? 'error' : 'info';
      return {
        id: `AQAAAY${String(i).padStart(6, '0')}`,
        timestamp: now - 3_500_000 + i * 14_000,
        host,
        service: host.startsWith('web') ? 'web' : 'backend',
        status,
        message: status === 'error' ? `request ${i} failed: upstream reset` : `request ${i} ok`,
      };
    });
  }

  /** Events of the last hour (GET /api/v1/events). */
  get events() {
    const now = Math.floor(this.created / 1000);
    return DATADOG_HOSTS.flatMap((host, i) => [
      {
        id: 100 + i,
        title: `Deployed api to ${host}`,
        text: 'version 1.4.2',
        date_happened: now - 3000 + i * 60,
        priority: 'normal',
        host,
        tags: [`host:${host}`, 'service:api'],
        alert_type: 'info',
        source_type_name: 'deploy',
        url: `/event/event?id=${100 + i}`,
      },
    ]);
  }

  /** Monitors (GET /api/v1/monitor). */
  readonly monitors = Array.from({ length: 7 }, (_, i) => ({
    id: 5000 + i,
    name: i === 0 ? 'API error rate' : `Host check ${i}`,
    type: i === 0 ? 'query alert' : 'service check',
    query:
      i === 0
        ? 'avg(last_5m):sum:trace.http.request.errors{service:api} > 5'
        : `"datadog.agent.up".over("host:h${i}").last(2).count_by_status()`,
    overall_state: i === 0 ? 'Alert' : 'OK',
    tags: ['team:ops'],
    modified: '2026-11-30T10:00:00.000Z',
  }));

  /** The value of `host`'s series at point `k` (deterministic, so tests can recompute it). */
  static value(hostIndex: number, k: number): number {
    return hostIndex * 10 + (k % 5);
  }

  fail(fault: DatadogFault): void {
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
    const url = new URL(req.url ?? '/', 'http://datadog');
    this.requests.push({ method: req.method ?? '', path: url.pathname, body });
    const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(value));
    };
    const errors = (status: number, ...list: string[]) => json(status, { errors: list });
    const fault = this.faults[0];
    if (fault) {
      if (--fault.times <= 0) this.faults.shift();
      return json(fault.status, fault.body, fault.headers);
    }
    if (url.pathname.startsWith('/limited/')) {
      return json(
        429,
        { errors: ['Rate limit of 300 requests in 3600 seconds reached. Please try again later.'] },
        {
          'x-ratelimit-limit': '300',
          'x-ratelimit-period': '3600',
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': '120',
          'x-ratelimit-name': 'query',
        },
      );
    }
    if (url.pathname.startsWith('/broken/')) return errors(500, 'Internal Server Error');
    const apiKeyOk = req.headers['dd-api-key'] === this.keys.apiKey;
    if (url.pathname === '/api/v1/validate' && req.method === 'GET') {
      return apiKeyOk ? json(200, { valid: true }) : errors(403, 'Forbidden');
    }
    const known = [
      '/api/v1/query',
      '/api/v2/logs/events/search',
      '/api/v1/events',
      '/api/v1/monitor',
    ];
    if (!known.includes(url.pathname)) return errors(404, 'Not found');
    if (!apiKeyOk || req.headers['dd-application-key'] !== this.keys.appKey)
      return errors(403, 'Forbidden');
    if (url.pathname === '/api/v1/query' && req.method === 'GET')
      return this.query(url, req, res, json);
    if (url.pathname === '/api/v2/logs/events/search' && req.method === 'POST')
      return this.searchLogs(body, json);
    if (url.pathname === '/api/v1/events' && req.method === 'GET') {
      const start = Number(url.searchParams.get('start'));
      const end = Number(url.searchParams.get('end'));
      if (!Number.isInteger(start) || !Number.isInteger(end))
        return errors(400, 'start and end are required (POSIX seconds)');
      const tags = (url.searchParams.get('tags') ?? '').split(',').filter(Boolean);
      const page = Number(url.searchParams.get('page') ?? 0);
      const list = this.events.filter(
        (e) =>
          e.date_happened >= start &&
          e.date_happened <= end &&
          tags.every((t) => e.tags.includes(t)),
      );
      return json(200, { events: list.slice(page * 1000, (page + 1) * 1000), status: 'ok' });
    }
    if (url.pathname === '/api/v1/monitor' && req.method === 'GET') {
      const name = (url.searchParams.get('name') ?? '').toLowerCase();
      const page = Number(url.searchParams.get('page') ?? 0);
      const size = Number(url.searchParams.get('page_size') ?? 100);
      const list = this.monitors.filter((m) => m.name.toLowerCase().includes(name));
      return json(200, list.slice(page * size, (page + 1) * size));
    }
    return errors(405, 'Method Not Allowed');
  }

  private query(
    url: URL,
    req: IncomingMessage,
    res: ServerResponse,
    json: (s: number, v: unknown) => void,
  ): void {
    const from = Number(url.searchParams.get('from'));
    const to = Number(url.searchParams.get('to'));
    const query = (url.searchParams.get('query') ?? '').trim();
    if (!Number.isInteger(from) || !Number.isInteger(to) || to <= from)
      return json(400, { errors: ['Invalid from/to: to must be after from (POSIX seconds)'] });
    const m = METRIC_QUERY.exec(query);
    if (!m)
      return json(400, {
        errors: [
          `Error parsing query: \n unable to parse ${query}: Rule 'scope_expr' didn't match`,
        ],
      });
    const [, aggr, metric, scope, by] = m;
    if (metric!.startsWith('hold.')) {
      // Never answers: the client must give up and close the connection.
      this.openHeld++;
      res.on('close', () => this.openHeld--);
      req.socket.setKeepAlive(true);
      return;
    }
    const interval = Math.max(20, Math.ceil((to - from) / 180 / 20) * 20);
    const tags = scope!.trim() === '*' ? [] : scope!.split(',').map((t) => t.trim());
    const hosts = DATADOG_HOSTS.map((h, i) => [h, i] as const).filter(([h]) =>
      tags.every((t) => !t.startsWith('host:') || t === `host:${h}`),
    );
    const points = (hostIndexes: number[]) =>
      Array.from({ length: Math.floor((to - from) / interval) + 1 }, (_, k) => {
        const vals = hostIndexes.map((i) => DatadogEmulator.value(i, k));
        const v =
          aggr === 'sum'
            ? vals.reduce((a, b) => a + b, 0)
            : aggr === 'min'
              ? Math.min(...vals)
              : aggr === 'max'
                ? Math.max(...vals)
                : vals.reduce((a, b) => a + b, 0) / vals.length;
        return [(from + k * interval) * 1000, v] as [number, number];
      });
    const one = (name: string, tagSet: string[], idx: number[]) => {
      const pointlist = points(idx);
      return {
        metric: metric!,
        display_name: metric!,
        expression: `${aggr}:${metric}{${tagSet.length ? tagSet.join(',') : scope}}`,
        scope: tagSet.length ? tagSet.join(',') : scope!.trim(),
        tag_set: tagSet,
        aggr,
        interval,
        length: pointlist.length,
        start: pointlist[0]![0],
        end: pointlist[pointlist.length - 1]![0],
        pointlist,
        unit: [{ family: 'percentage', name: 'percent', short_name: '%' }, null],
        name,
      };
    };
    const series =
      by === 'host'
        ? hosts.map(([h, i]) => one(metric!, [`host:${h}`], [i]))
        : [
            one(
              metric!,
              [],
              hosts.map(([, i]) => i),
            ),
          ];
    json(200, {
      status: 'ok',
      res_type: 'time_series',
      resp_version: 1,
      query,
      from_date: from * 1000,
      to_date: to * 1000,
      group_by: by ? by.split(',') : [],
      message: '',
      series,
    });
  }

  private searchLogs(body: string, json: (s: number, v: unknown) => void): void {
    let req: {
      filter?: { query?: string; from?: string; to?: string };
      sort?: string;
      page?: { limit?: number; cursor?: string };
    };
    try {
      req = JSON.parse(body) as typeof req;
    } catch {
      return json(400, { errors: ['Malformed JSON in request body'] });
    }
    const query = req.filter?.query ?? '*';
    if ((query.match(/\(/g)?.length ?? 0) !== (query.match(/\)/g)?.length ?? 0))
      return json(400, { errors: [`Invalid query: unbalanced parentheses in "${query}"`] });
    const limit = req.page?.limit ?? 10;
    if (limit > 1000) return json(400, { errors: ['page[limit] must be at most 1000'] });
    const from = Date.parse(req.filter?.from ?? '') || Date.now() - 900_000;
    const to = Date.parse(req.filter?.to ?? '') || Date.now();
    const terms =
      query === '*' ? [] : query.split(/\s+/).map((t) => t.split(':') as [string, string]);
    const matching = this.logs
      .filter((l) => l.timestamp >= from && l.timestamp <= to)
      .filter((l) => terms.every(([k, v]) => String(l[k as keyof EmulatedLog]) === v))
      .sort((a, b) =>
        req.sort === 'timestamp' ? a.timestamp - b.timestamp : b.timestamp - a.timestamp,
      );
    let offset = 0;
    if (req.page?.cursor) {
      try {
        offset = (JSON.parse(Buffer.from(req.page.cursor, 'base64url').toString()) as { o: number })
          .o;
      } catch {
        return json(400, { errors: ['Invalid cursor'] });
      }
    }
    const page = matching.slice(offset, offset + limit);
    const after =
      offset + limit < matching.length
        ? Buffer.from(JSON.stringify({ o: offset + limit })).toString('base64url')
        : undefined;
    json(200, {
      data: page.map((l) => ({
        id: l.id,
        type: 'log',
        attributes: {
          timestamp: new Date(l.timestamp).toISOString(),
          host: l.host,
          service: l.service,
          status: l.status,
          message: l.message,
          tags: [`env:prod`, `service:${l.service}`],
          attributes: { http: { status_code: l.status === 'error' ? 502 : 200 } },
        },
      })),
      meta: {
        elapsed: 12,
        request_id: `req-${offset}`,
        status: 'done',
        ...(after ? { page: { after } } : {}),
      },
      ...(after ? { links: { next: `/api/v2/logs/events?page[cursor]=${after}` } } : {}),
    });
  }
}
