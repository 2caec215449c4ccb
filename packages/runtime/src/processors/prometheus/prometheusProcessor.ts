import { SpinError, type Field, type Series } from '@spin/protocol';
import {
  PrometheusConfigSchema,
  PrometheusProgramSchema,
  PrometheusSecretsSchema,
  type PrometheusConfig,
  type PrometheusSecrets,
} from '@spin/protocol/processors/prometheus';
import {
  TablePager,
  httpError,
  type ProcessorConnection,
  type ProcessorFrame,
  type ProcessorHost,
  type ProcessorInstance,
  type ProcessorRequest,
} from '../sdk.js';

/** Sample values as the HTTP API writes them: strings, so NaN and ±Inf survive JSON. */
type SamplePair = [number, string];
interface MatrixSeries {
  metric: Record<string, string>;
  values: SamplePair[];
}
interface VectorSample {
  metric: Record<string, string>;
  value: SamplePair;
}
/** The `data` of a successful query (Prometheus HTTP API, "Expression query result formats"). */
export type PrometheusQueryData =
  | { resultType: 'matrix'; result: MatrixSeries[] }
  | { resultType: 'vector'; result: VectorSample[] }
  | { resultType: 'scalar'; result: SamplePair }
  | { resultType: 'string'; result: SamplePair };

/** The envelope every `/api/v1` endpoint answers with. */
interface ApiEnvelope<T> {
  status: 'success' | 'error';
  data?: T;
  errorType?: string;
  error?: string;
  warnings?: string[];
}

interface Conn {
  config: PrometheusConfig;
  secrets: PrometheusSecrets;
}

/**
 * A sample value as a frame number. NaN and ±Inf have no JSON spelling, so they become null
 * (a gap); `raw` keeps Prometheus's own strings.
 */
export function sampleValue(v: string): number | null {
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** A series name as Prometheus prints it: `metric{label="value", …}`. */
export function seriesName(metric: Record<string, string>): string {
  const { __name__: name = '', ...labels } = metric;
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`);
  return parts.length ? `${name}{${parts.join(', ')}}` : name || '{}';
}

function authHeaders(conn: Conn): Record<string, string> {
  const { config, secrets } = conn;
  if (config.auth === 'bearer' && secrets.token)
    return { authorization: `Bearer ${secrets.token}` };
  if (config.auth === 'basic') {
    const creds = Buffer.from(`${config.username ?? ''}:${secrets.password ?? ''}`, 'utf8');
    return { authorization: `Basic ${creds.toString('base64')}` };
  }
  return {};
}

function apiUrl(conn: Conn, path: string): URL {
  const base = conn.config.url.endsWith('/') ? conn.config.url : `${conn.config.url}/`;
  return new URL(path.replace(/^\//, ''), base);
}

/** The vendor's explanation from an error body: the API's `error`, else the text itself. */
function vendorMessage(text: string): string {
  try {
    const j = JSON.parse(text) as ApiEnvelope<unknown>;
    if (typeof j.error === 'string') return j.error;
  } catch {
    // not JSON: proxies and the 404 handler answer in text
  }
  return text.slice(0, 500);
}

/**
 * Call one `/api/v1` endpoint and return its `data`, mapping failures to processor errors:
 * the API's `bad_data`/`execution` errors keep Prometheus's own message as `processor.bad_query`;
 * 401/403/404/429 (from the server or a proxy in front of it) map by status.
 */
async function api<T>(
  conn: Conn,
  host: ProcessorHost,
  path: string,
  form: URLSearchParams | null,
  signal: AbortSignal,
): Promise<{ data: T; warnings: string[]; body: ApiEnvelope<T> }> {
  const url = apiUrl(conn, path);
  const timeout = AbortSignal.timeout(conn.config.timeoutS * 1000);
  const both = AbortSignal.any([signal, timeout]);
  let res: Response;
  let text: string;
  try {
    res = await host.fetch(url, {
      method: form ? 'POST' : 'GET',
      headers: {
        accept: 'application/json',
        ...authHeaders(conn),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(form ? { body: form.toString() } : {}),
      signal: both,
    });
    text = await res.text();
  } catch (err) {
    if (signal.aborted) throw err;
    if (timeout.aborted) {
      throw new SpinError(
        'processor.timeout',
        `Prometheus did not answer within ${conn.config.timeoutS} s`,
      );
    }
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new SpinError(
      'processor.unavailable',
      `cannot reach Prometheus at ${url.origin}: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
    );
  }
  host.logger.debug({ path: url.pathname, status: res.status }, 'prometheus request');
  let body: ApiEnvelope<T> | null = null;
  try {
    body = JSON.parse(text) as ApiEnvelope<T>;
  } catch {
    body = null;
  }
  if (body?.status === 'error') {
    // The API's own errors (HTTP API docs, "Format overview"): 400 bad_data, 422 execution,
    // 503 timeout/canceled. Statuses a proxy in front may answer are mapped below.
    if (body.errorType === 'timeout')
      throw new SpinError('processor.timeout', `Prometheus: ${body.error ?? 'query timed out'}`);
    if (res.status === 400 || res.status === 422)
      throw new SpinError(
        'processor.bad_query',
        `${body.errorType ?? 'error'}: ${body.error ?? 'query failed'}`,
      );
  }
  if (res.status >= 400) throw httpError(res.status, vendorMessage(text), res.headers);
  if (!body || body.status !== 'success' || body.data === undefined) {
    throw new SpinError(
      'processor.upstream_error',
      `${url.pathname} did not answer with the Prometheus API's JSON (HTTP ${res.status})`,
    );
  }
  return { data: body.data, warnings: body.warnings ?? [], body };
}

/** Time-series pages of a matrix, at most `pageRows` points each (a long series is split). */
export function* matrixFrames(
  result: MatrixSeries[],
  opts: { frameId: string; pageRows: number; from: number; to: number; stepMs?: number },
): Generator<ProcessorFrame> {
  const range = { from: opts.from, to: opts.to, ...(opts.stepMs ? { stepMs: opts.stepMs } : {}) };
  const total = result.reduce((n, s) => n + s.values.length, 0);
  let page: Series[] = [];
  let inPage = 0;
  let offset = 0;
  let index = 0;
  const flush = (last: boolean): ProcessorFrame => {
    const frame: ProcessorFrame = {
      type: 'timeseries',
      frame: {
        series: page,
        range,
        page: { frameId: opts.frameId, index: index++, offset, last, total },
      },
    };
    offset += inPage;
    page = [];
    inPage = 0;
    return frame;
  };
  for (const s of result) {
    const name = seriesName(s.metric);
    const points = s.values.length;
    if (points === 0) page.push({ name, labels: s.metric, timestamps: [], values: [] });
    for (let at = 0; at < points;) {
      const chunk = s.values.slice(at, at + opts.pageRows - inPage);
      page.push({
        name,
        labels: s.metric,
        timestamps: chunk.map(([t]) => Math.round(t * 1000)),
        values: chunk.map(([, v]) => sampleValue(v)),
      });
      inPage += chunk.length;
      at += chunk.length;
      if (inPage >= opts.pageRows && offset + inPage < total) yield flush(false);
    }
  }
  yield flush(true);
}

/** An instant vector (or scalar, or string) as table pages: its labels, time and value. */
function instantFrames(data: PrometheusQueryData, frameId: string, pageRows: number) {
  const frames: ProcessorFrame[] = [];
  if (data.resultType === 'scalar' || data.resultType === 'string') {
    const pager = new TablePager(
      [
        { name: 'time', type: 'time' },
        { name: 'value', type: data.resultType === 'scalar' ? 'number' : 'string' },
      ],
      frameId,
      pageRows,
    );
    const [t, v] = data.result;
    pager.push([Math.round(t * 1000), data.resultType === 'scalar' ? sampleValue(v) : v]);
    frames.push(pager.end(1));
    return frames;
  }
  const samples = data.resultType === 'vector' ? data.result : [];
  const names = [...new Set(samples.flatMap((s) => Object.keys(s.metric)))].sort((a, b) =>
    a === '__name__' ? -1 : b === '__name__' ? 1 : a.localeCompare(b),
  );
  const column = (n: string) => (n === 'time' || n === 'value' ? `label_${n}` : n);
  const fields: Field[] = [
    ...names.map((n): Field => ({ name: column(n), type: 'string' })),
    { name: 'time', type: 'time' },
    { name: 'value', type: 'number' },
  ];
  const pager = new TablePager(fields, frameId, pageRows);
  for (const s of samples) {
    const page = pager.push([
      ...names.map((n) => s.metric[n] ?? null),
      Math.round(s.value[0] * 1000),
      sampleValue(s.value[1]),
    ]);
    if (page) frames.push(page);
  }
  frames.push(pager.end(samples.length));
  return frames;
}

async function* runQuery(
  request: ProcessorRequest,
  signal: AbortSignal,
  host: ProcessorHost,
  conn: Conn,
): AsyncGenerator<ProcessorFrame> {
  const p = PrometheusProgramSchema.parse(request.params);
  const from = Date.parse(request.timeRange.from);
  const to = Date.parse(request.timeRange.to);
  const form = new URLSearchParams({ query: p.query, timeout: `${conn.config.timeoutS}s` });
  if (p.queryType === 'range') {
    form.set('start', String(from / 1000));
    form.set('end', String(to / 1000));
    form.set('step', String(p.stepS));
  } else {
    form.set('time', String(to / 1000));
  }
  const path = p.queryType === 'range' ? 'api/v1/query_range' : 'api/v1/query';
  const { data, warnings, body } = await api<PrometheusQueryData>(conn, host, path, form, signal);
  for (const w of warnings) yield { type: 'stream', name: 'stderr', text: `warning: ${w}\n` };
  const frameId = `${request.jti}:result`;
  if (data.resultType === 'matrix') {
    yield* matrixFrames(data.result, {
      frameId,
      pageRows: host.limits.pageRows,
      from,
      to,
      ...(p.queryType === 'range' ? { stepMs: p.stepS * 1000 } : {}),
    });
  } else {
    yield* instantFrames(data, frameId, host.limits.pageRows);
  }
  yield { type: 'raw', value: body };
}

/** The identifier being typed at `cursor`, and whether it sits inside a `{…}` label matcher. */
function completionContext(text: string, cursor: number) {
  const before = text.slice(0, cursor);
  const prefix = /[A-Za-z_:][A-Za-z0-9_:]*$/.exec(before)?.[0] ?? '';
  const open = before.lastIndexOf('{');
  const inLabels = open > before.lastIndexOf('}');
  const metric = inLabels ? /([A-Za-z_:][A-Za-z0-9_:]*)\s*$/.exec(before.slice(0, open))?.[1] : '';
  return { prefix, inLabels, metric };
}

/** A Prometheus processor instance for a connection. */
export function createPrometheus(
  connection: ProcessorConnection | null,
  host: ProcessorHost,
): ProcessorInstance {
  if (!connection) {
    throw new SpinError(
      'processor.connection_required',
      'a Prometheus cell needs a connection; choose one in the cell settings',
    );
  }
  const conn: Conn = {
    config: PrometheusConfigSchema.parse(connection.config),
    secrets: PrometheusSecretsSchema.parse(connection.secrets),
  };
  const hourAgo = () => String(Math.floor(Date.now() / 1000) - 3600);
  return {
    query: (request, signal) => runQuery(request, signal, host, conn),
    async checkHealth() {
      const signal = AbortSignal.timeout(10_000);
      try {
        const ready = await host.fetch(apiUrl(conn, '-/ready'), {
          headers: authHeaders(conn),
          signal,
        });
        const readyText = await ready.text();
        if (ready.status === 401 || ready.status === 403)
          return { ok: false, message: `authentication failed (HTTP ${ready.status})` };
        if (ready.status !== 200 && ready.status !== 404)
          return { ok: false, message: `not ready (HTTP ${ready.status}): ${readyText.trim()}` };
        const { data } = await api<{ version?: string }>(
          conn,
          host,
          'api/v1/status/buildinfo',
          null,
          signal,
        );
        return { ok: true, message: `Prometheus ${data.version ?? '(unknown version)'}` };
      } catch (err) {
        const cause = (err as { cause?: { code?: string } }).cause;
        return { ok: false, message: cause?.code ?? (err as Error).message };
      }
    },
    async complete(text, cursor) {
      const { prefix, inLabels, metric } = completionContext(text, cursor);
      const signal = AbortSignal.timeout(10_000);
      const q = new URLSearchParams({ start: hourAgo() });
      if (inLabels && metric) q.append('match[]', metric);
      const path = inLabels ? `api/v1/labels?${q}` : `api/v1/label/__name__/values?${q}`;
      const { data } = await api<string[]>(conn, host, path, null, signal);
      return data.filter((n) => n.startsWith(prefix) && n !== '__name__').slice(0, 200);
    },
    async browse(path) {
      const signal = AbortSignal.timeout(15_000);
      if (path.length === 0) {
        const [names, meta] = await Promise.all([
          api<string[]>(
            conn,
            host,
            `api/v1/label/__name__/values?start=${hourAgo()}`,
            null,
            signal,
          ),
          api<Record<string, { type: string; help: string; unit: string }[]>>(
            conn,
            host,
            'api/v1/metadata',
            null,
            signal,
          ),
        ]);
        return names.data.map((name) => ({ name, ...(meta.data[name]?.[0] ?? {}) }));
      }
      if (path.length === 1) {
        const q = new URLSearchParams({ start: hourAgo() });
        q.append('match[]', path[0]!);
        const { data } = await api<Record<string, string>[]>(
          conn,
          host,
          `api/v1/series?${q}`,
          null,
          signal,
        );
        return data.slice(0, 1000);
      }
      return [];
    },
    dispose: () => undefined,
  };
}
