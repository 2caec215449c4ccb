import { SpinError, type Field, type FieldType, type Series } from '@spin/protocol';
import {
  GrafanaConfigSchema,
  GrafanaProgramSchema,
  GrafanaSecretsSchema,
  type GrafanaConfig,
  type GrafanaProgram,
  type GrafanaSecrets,
} from '@spin/protocol/processors/grafana';
import {
  TablePager,
  cellDeadline,
  vendorJson,
  type ProcessorConnection,
  type ProcessorFrame,
  type ProcessorHost,
  type ProcessorInstance,
  type ProcessorRequest,
  type VendorCall,
} from '../sdk.js';

interface Conn {
  config: GrafanaConfig;
  secrets: GrafanaSecrets;
}

/** A data frame as `/api/ds/query` returns it (Grafana's data plane JSON). */
export interface GrafanaDataFrame {
  schema: {
    name?: string;
    refId?: string;
    fields: {
      name: string;
      type?: string;
      labels?: Record<string, string>;
      config?: { unit?: string };
    }[];
  };
  data: { values: unknown[][] };
}

interface DsQueryResponse {
  results: Record<string, { status?: number; error?: string; frames?: GrafanaDataFrame[] }>;
}

/**
 * Grafana's error bodies: `{"message": …}` from the API, or — for a failed data source
 * query, answered 400/500 — the per-query `results.<refId>.error`.
 */
export function grafanaMessage(body: string): string {
  try {
    const j = JSON.parse(body) as { message?: string; results?: DsQueryResponse['results'] };
    const errors = Object.values(j.results ?? {}).flatMap((r) => (r.error ? [r.error] : []));
    if (errors.length) return errors.join('; ');
    if (j.message) return j.message;
  } catch {
    // a proxy's page
  }
  return body.slice(0, 500);
}

function headers(conn: Conn): Record<string, string> {
  return {
    accept: 'application/json',
    ...(conn.secrets.token ? { authorization: `Bearer ${conn.secrets.token}` } : {}),
    ...(conn.config.orgId ? { 'x-grafana-org-id': String(conn.config.orgId) } : {}),
  };
}

function fieldType(t: string | undefined): FieldType {
  if (t === 'time') return 'time';
  if (t === 'number') return 'number';
  if (t === 'boolean') return 'boolean';
  if (t === 'string' || t === 'enum') return 'string';
  return 'json';
}

/**
 * Data frames as SPIN frames: every frame of one time field and number fields contributes its
 * series to one time-series result (as Grafana draws them in one panel), paged; any other
 * frame becomes a table.
 */
function* dataFrames(
  frames: GrafanaDataFrame[],
  request: ProcessorRequest,
  pageRows: number,
): Generator<ProcessorFrame> {
  const from = Date.parse(request.timeRange.from);
  const to = Date.parse(request.timeRange.to);
  const series: Series[] = [];
  const tables: GrafanaDataFrame[] = [];
  for (const df of frames) {
    const fields = df.schema.fields;
    const timeAt = fields.findIndex((f) => f.type === 'time');
    const numbers = fields.filter((f, j) => j !== timeAt && f.type === 'number');
    if (timeAt < 0 || numbers.length !== fields.length - 1) {
      tables.push(df);
      continue;
    }
    const ts = (df.data.values[timeAt] ?? []) as number[];
    fields.forEach((f, j) => {
      if (j === timeAt) return;
      series.push({
        name: (df.schema.name ? `${df.schema.name} ${f.name}` : f.name).slice(0, 1024),
        labels: f.labels ?? {},
        timestamps: ts,
        values: ((df.data.values[j] ?? []) as unknown[]).map((v) =>
          typeof v === 'number' ? v : null,
        ),
      });
    });
  }
  if (series.length > 0 || tables.length === 0) {
    const frameId = `${request.jti}:series`;
    const total = series.reduce((n, s) => n + s.values.length, 0);
    let index = 0;
    let offset = 0;
    let page: Series[] = [];
    let count = 0;
    const flush = (last: boolean): ProcessorFrame => {
      const f: ProcessorFrame = {
        type: 'timeseries',
        frame: {
          series: page,
          range: { from, to },
          page: { frameId, index: index++, offset, last, total },
        },
      };
      offset += count;
      page = [];
      count = 0;
      return f;
    };
    for (const s of series) {
      for (let at = 0; at < s.values.length;) {
        const n = Math.min(pageRows - count, s.values.length - at);
        page.push({
          ...s,
          timestamps: s.timestamps.slice(at, at + n),
          values: s.values.slice(at, at + n),
        });
        count += n;
        at += n;
        if (count >= pageRows && offset + count < total) yield flush(false);
      }
    }
    yield flush(true);
  }
  for (const [i, df] of tables.entries()) {
    const fields = df.schema.fields;
    const pager = new TablePager(
      fields.map((f): Field => ({ name: f.name, type: fieldType(f.type) })),
      `${request.jti}:table:${i}`,
      pageRows,
    );
    const rows = df.data.values[0]?.length ?? 0;
    for (let r = 0; r < rows; r++) {
      const page = pager.push(fields.map((_, j) => df.data.values[j]?.[r] ?? null));
      if (page) yield page;
    }
    yield pager.end(rows);
  }
}

async function* run(
  request: ProcessorRequest,
  signal: AbortSignal,
  host: ProcessorHost,
  conn: Conn,
) {
  const p: GrafanaProgram = GrafanaProgramSchema.parse(request.params);
  const notices: string[] = [];
  const call: VendorCall = {
    host,
    vendor: 'Grafana',
    signal,
    deadline: cellDeadline(request),
    messageOf: grafanaMessage,
    onRetry: (s) => notices.push(`Grafana rate limited the request; retrying in ${s} s\n`),
  };
  const base = conn.config.url.endsWith('/') ? conn.config.url : `${conn.config.url}/`;
  const pageRows = host.limits.pageRows;
  if (p.queryType === 'datasource') {
    const body = {
      queries: [
        {
          refId: 'A',
          datasource: { uid: p.datasourceUid },
          maxDataPoints: p.maxDataPoints,
          ...(p.query as object),
        },
      ],
      from: String(Date.parse(request.timeRange.from)),
      to: String(Date.parse(request.timeRange.to)),
    };
    const { data } = await vendorJson<DsQueryResponse>(
      new URL('api/ds/query', base),
      {
        method: 'POST',
        headers: { ...headers(conn), 'content-type': 'application/json' },
        body: JSON.stringify(body),
      },
      call,
    );
    for (const n of notices.splice(0))
      yield { type: 'stream', name: 'stderr', text: n } as ProcessorFrame;
    const result = data.results?.A;
    if (result?.error) throw new SpinError('processor.bad_query', `Grafana: ${result.error}`);
    yield* dataFrames(result?.frames ?? [], request, pageRows);
    yield { type: 'raw', value: data } as ProcessorFrame;
    return;
  }
  const fields: Field[] =
    p.queryType === 'dashboards'
      ? [
          { name: 'uid', type: 'string' },
          { name: 'title', type: 'string' },
          { name: 'folder', type: 'string' },
          { name: 'tags', type: 'json' },
          { name: 'url', type: 'string' },
        ]
      : [
          { name: 'alertname', type: 'string' },
          { name: 'state', type: 'string' },
          { name: 'active_at', type: 'time' },
          { name: 'value', type: 'string' },
          { name: 'labels', type: 'json' },
          { name: 'summary', type: 'string' },
        ];
  const pager = new TablePager(fields, `${request.jti}:${p.queryType}`, pageRows);
  let rows = 0;
  if (p.queryType === 'dashboards') {
    // /api/search pages with `limit` and `page` (1-based); a short page is the last.
    const limit = Math.min(1000, pageRows);
    for (let page = 1; ; page++) {
      const u = new URL('api/search', base);
      u.searchParams.set('type', 'dash-db');
      if (typeof p.query === 'string' && p.query) u.searchParams.set('query', p.query);
      u.searchParams.set('limit', String(limit));
      u.searchParams.set('page', String(page));
      const { data } = await vendorJson<Record<string, unknown>[]>(
        u,
        { headers: headers(conn) },
        call,
      );
      for (const n of notices.splice(0))
        yield { type: 'stream', name: 'stderr', text: n } as ProcessorFrame;
      for (const d of data) {
        rows++;
        const out = pager.push([d.uid, d.title, d.folderTitle ?? 'General', d.tags ?? [], d.url]);
        if (out) yield out;
      }
      if (data.length < limit) break;
    }
  } else {
    const { data } = await vendorJson<{
      data?: {
        alerts?: {
          labels: Record<string, string>;
          annotations?: Record<string, string>;
          state: string;
          activeAt?: string;
          value?: string;
        }[];
      };
    }>(new URL('api/prometheus/grafana/api/v1/alerts', base), { headers: headers(conn) }, call);
    for (const a of data.data?.alerts ?? []) {
      rows++;
      const t = Date.parse(a.activeAt ?? '');
      const out = pager.push([
        a.labels.alertname ?? null,
        a.state,
        Number.isNaN(t) ? null : t,
        a.value ?? null,
        a.labels,
        a.annotations?.summary ?? null,
      ]);
      if (out) yield out;
    }
  }
  yield pager.end(rows);
}

/** A Grafana processor instance for a connection. */
export function createGrafana(
  connection: ProcessorConnection | null,
  host: ProcessorHost,
): ProcessorInstance {
  if (!connection) {
    throw new SpinError(
      'processor.connection_required',
      'a Grafana cell needs a connection; choose one in the cell settings',
    );
  }
  const conn: Conn = {
    config: GrafanaConfigSchema.parse(connection.config),
    secrets: GrafanaSecretsSchema.parse(connection.secrets),
  };
  const base = conn.config.url.endsWith('/') ? conn.config.url : `${conn.config.url}/`;
  return {
    query: (request, signal) => run(request, signal, host, conn),
    async checkHealth() {
      const call: VendorCall = {
        host,
        vendor: 'Grafana',
        signal: AbortSignal.timeout(10_000),
        deadline: Date.now() + 10_000,
        messageOf: grafanaMessage,
      };
      try {
        const { data } = await vendorJson<{ version?: string; database?: string }>(
          new URL('api/health', base),
          {},
          call,
        );
        // /api/health needs no token: a one-row search proves the token too.
        await vendorJson(new URL('api/search?limit=1', base), { headers: headers(conn) }, call);
        return {
          ok: data?.database === 'ok',
          message: `Grafana ${data?.version ?? ''} (database ${data?.database ?? '?'})`,
        };
      } catch (err) {
        return { ok: false, message: (err as Error).message };
      }
    },
    dispose: () => undefined,
  };
}
