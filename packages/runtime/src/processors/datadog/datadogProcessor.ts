import { SpinError, type LogEntry, type Series } from '@spin/protocol';
import {
  DatadogConfigSchema,
  DatadogProgramSchema,
  DatadogSecretsSchema,
  type DatadogConfig,
  type DatadogProgram,
  type DatadogSecrets,
} from '@spin/protocol/processors/datadog';
import {
  TablePager,
  cellDeadline,
  retryAfterSeconds,
  vendorJson,
  type ProcessorConnection,
  type ProcessorFrame,
  type ProcessorHost,
  type ProcessorInstance,
  type ProcessorRequest,
  type VendorCall,
} from '../sdk.js';

interface Conn {
  config: DatadogConfig;
  secrets: DatadogSecrets;
}

/** One series of `GET /api/v1/query` (API reference, "Query timeseries points"). */
export interface DatadogSeries {
  metric: string;
  display_name?: string;
  expression?: string;
  scope: string;
  tag_set?: string[];
  pointlist: [number, number | null][];
  interval?: number;
  unit?: ({ short_name?: string; name?: string } | null)[] | null;
}

interface MetricsResponse {
  status: string;
  error?: string;
  series: DatadogSeries[];
}

/** One log of `POST /api/v2/logs/events/search` ("Search logs"). */
export interface DatadogLog {
  id: string;
  type: 'log';
  attributes: {
    timestamp: string;
    host?: string;
    service?: string;
    status?: string;
    message?: string;
    tags?: string[];
    attributes?: Record<string, unknown>;
  };
}

interface LogsResponse {
  data: DatadogLog[];
  meta?: { page?: { after?: string }; status?: string; warnings?: { detail?: string }[] };
}

/** Largest page the logs search API returns. */
const LOGS_PAGE_MAX = 1000;

function apiBase(conn: Conn): string {
  const base = conn.config.url ?? `https://api.${conn.config.site}`;
  return base.endsWith('/') ? base : `${base}/`;
}

function headers(conn: Conn): Record<string, string> {
  return {
    accept: 'application/json',
    'DD-API-KEY': conn.secrets.apiKey ?? '',
    'DD-APPLICATION-KEY': conn.secrets.appKey ?? '',
  };
}

/**
 * Datadog says when a rate limit resets in `X-RateLimit-Reset` (seconds; API docs, "Rate
 * limits"), not in Retry-After; a proxy in front may send Retry-After instead.
 */
function datadogRetryAfter(h: Headers): number | undefined {
  const reset = h.get('x-ratelimit-reset');
  if (reset && /^\d+$/.test(reset.trim())) return Number(reset);
  return retryAfterSeconds(h.get('retry-after'));
}

function call(host: ProcessorHost, signal: AbortSignal, deadline: number, notices: string[]) {
  return {
    host,
    vendor: 'Datadog',
    signal,
    deadline,
    retryAfterOf: datadogRetryAfter,
    onRetry: (s: number) => notices.push(`Datadog rate limited the request; retrying in ${s} s\n`),
  } satisfies VendorCall;
}

/**
 * Datadog answers a key it does not accept with 403 `{"errors":["Forbidden"]}` (its API has
 * no 401 for these endpoints): that is an authentication failure to the user.
 */
async function datadog<T>(url: URL, init: RequestInit, c: VendorCall): Promise<T> {
  try {
    return (await vendorJson<T>(url, init, c)).data;
  } catch (err) {
    if (err instanceof SpinError && err.code === 'processor.forbidden') {
      throw new SpinError(
        'processor.auth_failed',
        `${err.message.replace('access denied', 'Datadog refused the API or application key')}`,
      );
    }
    throw err;
  }
}

/** `host:web-1` tags as labels (a tag without a value keeps an empty one). */
export function tagLabels(tags: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const t of tags) {
    const i = t.indexOf(':');
    if (i < 0) labels[t] = '';
    else labels[t.slice(0, i)] = t.slice(i + 1);
  }
  return labels;
}

function* seriesFrames(
  list: DatadogSeries[],
  opts: { frameId: string; pageRows: number; from: number; to: number },
): Generator<ProcessorFrame> {
  const total = list.reduce((n, s) => n + s.pointlist.length, 0);
  const unit = list[0]?.unit?.[0]?.short_name ?? undefined;
  const stepS = list[0]?.interval;
  let page: Series[] = [];
  let inPage = 0;
  let offset = 0;
  let index = 0;
  const flush = (last: boolean): ProcessorFrame => {
    const frame: ProcessorFrame = {
      type: 'timeseries',
      frame: {
        series: page,
        ...(unit ? { unit: unit.slice(0, 32) } : {}),
        range: { from: opts.from, to: opts.to, ...(stepS ? { stepMs: stepS * 1000 } : {}) },
        page: { frameId: opts.frameId, index: index++, offset, last, total },
      },
    };
    offset += inPage;
    page = [];
    inPage = 0;
    return frame;
  };
  for (const s of list) {
    const labels = tagLabels(s.tag_set ?? (s.scope === '*' ? [] : s.scope.split(',')));
    const name = (s.expression ?? `${s.metric}{${s.scope}}`).slice(0, 1024);
    if (s.pointlist.length === 0) page.push({ name, labels, timestamps: [], values: [] });
    for (let at = 0; at < s.pointlist.length;) {
      const chunk = s.pointlist.slice(at, at + opts.pageRows - inPage);
      page.push({
        name,
        labels,
        timestamps: chunk.map(([t]) => t),
        values: chunk.map(([, v]) => (typeof v === 'number' && Number.isFinite(v) ? v : null)),
      });
      inPage += chunk.length;
      at += chunk.length;
      if (inPage >= opts.pageRows && offset + inPage < total) yield flush(false);
    }
  }
  yield flush(true);
}

async function* metrics(
  p: DatadogProgram,
  request: ProcessorRequest,
  c: VendorCall,
  conn: Conn,
  notices: string[],
): AsyncGenerator<ProcessorFrame> {
  const from = Date.parse(request.timeRange.from);
  const to = Date.parse(request.timeRange.to);
  const url = new URL('api/v1/query', apiBase(conn));
  url.searchParams.set('from', String(Math.floor(from / 1000)));
  url.searchParams.set('to', String(Math.floor(to / 1000)));
  url.searchParams.set('query', p.query);
  const body = await datadog<MetricsResponse>(url, { headers: headers(conn) }, c);
  for (const n of notices.splice(0)) yield { type: 'stream', name: 'stderr', text: n };
  if (body.status === 'error') {
    throw new SpinError('processor.bad_query', `Datadog: ${body.error ?? 'query failed'}`);
  }
  yield* seriesFrames(body.series ?? [], {
    frameId: `${request.jti}:series`,
    pageRows: c.host.limits.pageRows,
    from,
    to,
  });
  yield { type: 'raw', value: body };
}

function logEntry(log: DatadogLog): LogEntry {
  const a = log.attributes;
  const labels: Record<string, string> = { id: log.id };
  if (a.host) labels.host = a.host;
  if (a.service) labels.service = a.service;
  for (const [k, v] of Object.entries(tagLabels(a.tags ?? []))) labels[k] ??= v;
  return {
    time: Date.parse(a.timestamp),
    line: a.message ?? JSON.stringify(a.attributes ?? {}),
    ...(a.status ? { level: a.status.slice(0, 32) } : {}),
    labels,
  };
}

async function* logs(
  p: DatadogProgram,
  request: ProcessorRequest,
  c: VendorCall,
  conn: Conn,
  notices: string[],
): AsyncGenerator<ProcessorFrame> {
  const url = new URL('api/v2/logs/events/search', apiBase(conn));
  const frameId = `${request.jti}:logs`;
  const pageSize = Math.min(LOGS_PAGE_MAX, c.host.limits.pageRows);
  let cursor: string | undefined;
  let read = 0;
  let index = 0;
  const pages: unknown[] = [];
  for (;;) {
    const limit = Math.min(pageSize, p.maxLogs - read);
    const body = await datadog<LogsResponse>(
      url,
      {
        method: 'POST',
        headers: { ...headers(conn), 'content-type': 'application/json' },
        body: JSON.stringify({
          filter: { query: p.query, from: request.timeRange.from, to: request.timeRange.to },
          sort: p.sort,
          page: { limit, ...(cursor ? { cursor } : {}) },
        }),
      },
      c,
    );
    for (const n of notices.splice(0)) yield { type: 'stream', name: 'stderr', text: n };
    for (const w of body.meta?.warnings ?? [])
      yield { type: 'stream', name: 'stderr', text: `warning: ${w.detail ?? ''}\n` };
    const entries = (body.data ?? []).map(logEntry);
    cursor = body.meta?.page?.after;
    const offset = read;
    read += entries.length;
    const last = !cursor || read >= p.maxLogs || entries.length === 0;
    pages.push(body.meta ?? {});
    yield {
      type: 'logs',
      frame: {
        entries,
        page: { frameId, index: index++, offset, last, ...(last ? { total: read } : {}) },
      },
    };
    if (last) {
      if (cursor && read >= p.maxLogs)
        yield {
          type: 'stream',
          name: 'stderr',
          text: `showing the first ${read} logs (log limit)\n`,
        };
      break;
    }
  }
  yield { type: 'raw', value: { pages, count: read } };
}

async function* events(
  p: DatadogProgram,
  request: ProcessorRequest,
  c: VendorCall,
  conn: Conn,
  notices: string[],
): AsyncGenerator<ProcessorFrame> {
  const pager = new TablePager(
    [
      { name: 'time', type: 'time' },
      { name: 'title', type: 'string' },
      { name: 'alert_type', type: 'string' },
      { name: 'host', type: 'string' },
      { name: 'source', type: 'string' },
      { name: 'tags', type: 'json' },
      { name: 'text', type: 'string' },
      { name: 'url', type: 'string' },
    ],
    `${request.jti}:events`,
    c.host.limits.pageRows,
  );
  let rows = 0;
  // GET /api/v1/events answers up to 1,000 events a page; `page` counts from 0.
  for (let page = 0; ; page++) {
    const url = new URL('api/v1/events', apiBase(conn));
    url.searchParams.set('start', String(Math.floor(Date.parse(request.timeRange.from) / 1000)));
    url.searchParams.set('end', String(Math.floor(Date.parse(request.timeRange.to) / 1000)));
    if (p.query) url.searchParams.set('tags', p.query);
    url.searchParams.set('page', String(page));
    const body = await datadog<{ events?: Record<string, unknown>[] }>(
      url,
      { headers: headers(conn) },
      c,
    );
    for (const n of notices.splice(0)) yield { type: 'stream', name: 'stderr', text: n };
    const list = body.events ?? [];
    for (const e of list) {
      rows++;
      const out = pager.push([
        typeof e.date_happened === 'number' ? e.date_happened * 1000 : null,
        e.title ?? null,
        e.alert_type ?? null,
        e.host ?? null,
        e.source_type_name ?? null,
        e.tags ?? [],
        e.text ?? null,
        e.url ?? null,
      ]);
      if (out) yield out;
    }
    if (list.length < 1000) break;
  }
  yield pager.end(rows);
}

async function* monitors(
  p: DatadogProgram,
  request: ProcessorRequest,
  c: VendorCall,
  conn: Conn,
  notices: string[],
): AsyncGenerator<ProcessorFrame> {
  const pager = new TablePager(
    [
      { name: 'id', type: 'integer' },
      { name: 'name', type: 'string' },
      { name: 'type', type: 'string' },
      { name: 'state', type: 'string' },
      { name: 'query', type: 'string' },
      { name: 'tags', type: 'json' },
      { name: 'modified', type: 'time' },
    ],
    `${request.jti}:monitors`,
    c.host.limits.pageRows,
  );
  const pageSize = Math.min(1000, c.host.limits.pageRows);
  let rows = 0;
  for (let page = 0; ; page++) {
    const url = new URL('api/v1/monitor', apiBase(conn));
    if (p.query) url.searchParams.set('name', p.query);
    url.searchParams.set('page', String(page));
    url.searchParams.set('page_size', String(pageSize));
    const list = await datadog<Record<string, unknown>[]>(url, { headers: headers(conn) }, c);
    for (const n of notices.splice(0)) yield { type: 'stream', name: 'stderr', text: n };
    for (const m of list) {
      rows++;
      const t = Date.parse(String(m.modified ?? ''));
      const out = pager.push([
        m.id,
        m.name,
        m.type,
        m.overall_state ?? null,
        m.query ?? null,
        m.tags ?? [],
        Number.isNaN(t) ? null : t,
      ]);
      if (out) yield out;
    }
    if (list.length < pageSize) break;
  }
  yield pager.end(rows);
}

/** A Datadog processor instance for a connection. */
export function createDatadog(
  connection: ProcessorConnection | null,
  host: ProcessorHost,
): ProcessorInstance {
  if (!connection) {
    throw new SpinError(
      'processor.connection_required',
      'a Datadog cell needs a connection; choose one in the cell settings',
    );
  }
  const conn: Conn = {
    config: DatadogConfigSchema.parse(connection.config),
    secrets: DatadogSecretsSchema.parse(connection.secrets),
  };
  return {
    query(request, signal) {
      const p = DatadogProgramSchema.parse(request.params);
      const notices: string[] = [];
      const c = call(host, signal, cellDeadline(request), notices);
      if (p.queryType === 'logs') return logs(p, request, c, conn, notices);
      if (p.queryType === 'events') return events(p, request, c, conn, notices);
      if (p.queryType === 'monitors') return monitors(p, request, c, conn, notices);
      return metrics(p, request, c, conn, notices);
    },
    async checkHealth() {
      try {
        const signal = AbortSignal.timeout(10_000);
        const body = await datadog<{ valid?: boolean }>(
          new URL('api/v1/validate', apiBase(conn)),
          { headers: headers(conn) },
          call(host, signal, Date.now() + 10_000, []),
        );
        return body?.valid
          ? { ok: true, message: `Datadog API key valid (${new URL(apiBase(conn)).host})` }
          : { ok: false, message: 'Datadog did not accept the API key' };
      } catch (err) {
        return { ok: false, message: (err as Error).message };
      }
    },
    dispose: () => undefined,
  };
}
