import { SpinError, type Field, type FieldType } from '@spin/protocol';
import {
  SplunkConfigSchema,
  SplunkProgramSchema,
  SplunkSecretsSchema,
  type SplunkConfig,
  type SplunkProgram,
  type SplunkSecrets,
} from '@spin/protocol/processors/splunk';
import {
  TablePager,
  cellDeadline,
  fetchWithRetry,
  httpError,
  sleep,
  vendorJson,
  type ProcessorConnection,
  type ProcessorFrame,
  type ProcessorHost,
  type ProcessorInstance,
  type ProcessorRequest,
  type VendorCall,
} from '../sdk.js';

interface Conn {
  config: SplunkConfig;
  secrets: SplunkSecrets;
}

/** `content` of a search job entry (REST API reference, "search/jobs/{search_id}"). */
export interface SplunkJob {
  sid: string;
  dispatchState: string;
  isDone: boolean;
  isFailed: boolean;
  resultCount: number;
  doneProgress?: number;
  messages?: Record<string, string[]> | { type: string; text: string }[];
}

/** A page of `search/jobs/{sid}/results?output_mode=json`. */
interface ResultsPage {
  fields?: { name: string }[];
  results: Record<string, string | string[] | null>[];
  messages?: { type: string; text: string }[];
}

/** Splunk's error bodies: `{"messages":[{"type":"FATAL","text":"…"}]}`. */
export function splunkMessage(body: string): string {
  try {
    const j = JSON.parse(body) as { messages?: { type?: string; text?: string }[] };
    const texts = (j.messages ?? []).flatMap((m) => (m.text ? [m.text] : []));
    if (texts.length) return texts.join('; ');
  } catch {
    // not JSON (XML when output_mode is missing, or a proxy's page)
  }
  return body.slice(0, 500);
}

function authHeader(conn: Conn): string {
  if (conn.config.auth === 'basic') {
    const creds = `${conn.config.username ?? ''}:${conn.secrets.password ?? ''}`;
    return `Basic ${Buffer.from(creds, 'utf8').toString('base64')}`;
  }
  return `Bearer ${conn.secrets.token ?? ''}`;
}

function endpoint(conn: Conn, path: string, query: Record<string, string> = {}): URL {
  const base = conn.config.url.endsWith('/') ? conn.config.url : `${conn.config.url}/`;
  const prefix = conn.config.app
    ? `servicesNS/-/${encodeURIComponent(conn.config.app)}/`
    : 'services/';
  const url = new URL(prefix + path, base);
  url.searchParams.set('output_mode', 'json');
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  return url;
}

/** Job messages (two shapes across Splunk versions) as lines. */
function jobMessages(job: SplunkJob): string[] {
  const m = job.messages;
  if (!m) return [];
  if (Array.isArray(m)) return m.map((x) => `${x.type}: ${x.text}`);
  return Object.entries(m).flatMap(([type, list]) => list.map((t) => `${type}: ${t}`));
}

// Splunk's JSON writes every value as a string; a column is numeric when all its values are.
function columnType(name: string, values: unknown[]): FieldType {
  if (name === '_time') return 'time';
  const present = values.filter((v) => v !== null && v !== undefined && v !== '');
  if (present.some((v) => Array.isArray(v))) return 'json';
  if (
    present.length > 0 &&
    present.every((v) => typeof v === 'string' && /^-?\d+(?:\.\d+)?(?:e[+-]?\d+)?$/i.test(v))
  )
    return present.every((v) => /^-?\d+$/.test(v as string)) ? 'integer' : 'number';
  return 'string';
}

function cellValue(type: FieldType, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (type === 'time') {
    const t = Date.parse(String(v));
    return Number.isNaN(t) ? null : t;
  }
  if (type === 'integer' || type === 'number') {
    const n = Number(v);
    return v === '' || !Number.isFinite(n) ? null : n;
  }
  return v;
}

async function* runSearch(
  request: ProcessorRequest,
  signal: AbortSignal,
  host: ProcessorHost,
  conn: Conn,
): AsyncGenerator<ProcessorFrame> {
  const p = SplunkProgramSchema.parse(request.params);
  if (p.mode === 'export') {
    yield* exportSearch(p, request, signal, host, conn);
    return;
  }
  const notices: string[] = [];
  const call: VendorCall = {
    host,
    vendor: 'Splunk',
    signal,
    deadline: cellDeadline(request),
    messageOf: splunkMessage,
    onRetry: (s) => notices.push(`Splunk rate limited the request; retrying in ${s} s\n`),
  };
  const headers = { authorization: authHeader(conn), accept: 'application/json' };
  const from = Date.parse(request.timeRange.from) / 1000;
  const to = Date.parse(request.timeRange.to) / 1000;
  const form = new URLSearchParams({
    search: p.search,
    earliest_time: String(from),
    latest_time: String(to),
    exec_mode: 'normal',
    output_mode: 'json',
  });
  const created = await vendorJson<{ sid?: string }>(
    endpoint(conn, 'search/jobs'),
    {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    },
    call,
  );
  const sid = created.data?.sid;
  if (!sid)
    throw new SpinError('processor.upstream_error', 'Splunk created no search job (no sid)');
  const jobPath = `search/jobs/${encodeURIComponent(sid)}`;
  let finished = false;
  try {
    for (const n of notices.splice(0)) yield { type: 'stream', name: 'stderr', text: n };
    let job: SplunkJob;
    for (let wait = 100; ; wait = Math.min(wait * 2, 1000)) {
      const { data } = await vendorJson<{ entry?: { content: SplunkJob }[] }>(
        endpoint(conn, jobPath),
        { headers },
        call,
      );
      const content = data?.entry?.[0]?.content;
      if (!content)
        throw new SpinError('processor.upstream_error', `Splunk job ${sid} has no status`);
      job = content;
      if (job.isFailed || job.dispatchState === 'FAILED') {
        throw new SpinError(
          'processor.bad_query',
          `Splunk search failed: ${jobMessages(job).join('; ') || job.dispatchState}`,
        );
      }
      if (job.isDone) break;
      await sleep(wait, signal);
    }
    for (const m of jobMessages(job)) yield { type: 'stream', name: 'stderr', text: `${m}\n` };
    const total = Math.min(job.resultCount, p.maxRows);
    const frameId = `${request.jti}:results`;
    let pager: TablePager | null = null;
    let fields: Field[] = [];
    let read = 0;
    while (read < total) {
      const count = Math.min(host.limits.pageRows, total - read);
      const { data } = await vendorJson<ResultsPage>(
        endpoint(conn, `${jobPath}/results`, { offset: String(read), count: String(count) }),
        { headers },
        call,
      );
      const rows = data?.results ?? [];
      if (!pager) {
        const names = data?.fields?.map((f) => f.name) ?? [
          ...new Set(rows.flatMap((r) => Object.keys(r))),
        ];
        fields = names.map((name) => ({
          name,
          type: columnType(
            name,
            rows.map((r) => r[name]),
          ),
        }));
        pager = new TablePager(fields, frameId, host.limits.pageRows);
      }
      for (const row of rows) {
        const page = pager.push(fields.map((f) => cellValue(f.type, row[f.name])));
        if (page) yield page;
      }
      read += rows.length;
      if (rows.length < count) break;
    }
    yield (pager ?? new TablePager([], frameId, host.limits.pageRows)).end(read);
    if (job.resultCount > read) {
      yield {
        type: 'stream',
        name: 'stderr',
        text: `showing ${read} of ${job.resultCount} results (row limit ${p.maxRows})\n`,
      };
    }
    yield { type: 'raw', value: { sid, job } };
    finished = true;
  } finally {
    if (!finished) {
      // Cancelled, timed out or failed: stop the job so it uses no more of the search quota.
      await host
        .fetch(endpoint(conn, jobPath), {
          method: 'DELETE',
          headers,
          signal: AbortSignal.timeout(5000),
        })
        .then((r) => r.body?.cancel())
        .catch((err: Error) => host.logger.warn({ sid, err: err.message }, 'splunk cancel failed'));
    }
  }
}

/**
 * `search/jobs/export` (REST API reference): results arrive as newline-delimited JSON objects
 * `{"preview":false,"offset":n,"result":{…}}` while the search runs; the first page fixes the
 * columns. Closing the connection (cancel, timeout) ends the search on the server.
 */
async function* exportSearch(
  p: SplunkProgram,
  request: ProcessorRequest,
  signal: AbortSignal,
  host: ProcessorHost,
  conn: Conn,
): AsyncGenerator<ProcessorFrame> {
  const form = new URLSearchParams({
    search: p.search,
    earliest_time: String(Date.parse(request.timeRange.from) / 1000),
    latest_time: String(Date.parse(request.timeRange.to) / 1000),
    output_mode: 'json',
    count: String(p.maxRows),
  });
  const { res } = await fetchWithRetry(
    endpoint(conn, 'search/jobs/export'),
    {
      method: 'POST',
      headers: {
        authorization: authHeader(conn),
        accept: 'application/json',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: form.toString(),
    },
    { host, vendor: 'Splunk', signal, deadline: cellDeadline(request), messageOf: splunkMessage },
  );
  if (res.status >= 400)
    throw httpError(res.status, `Splunk: ${splunkMessage(await res.text())}`, res.headers);
  if (!res.body) throw new SpinError('processor.upstream_error', 'Splunk sent no export stream');
  const frameId = `${request.jti}:results`;
  const pageRows = host.limits.pageRows;
  let first: Record<string, string | string[] | null>[] = [];
  let fields: Field[] | null = null;
  let pager: TablePager | null = null;
  let rows = 0;
  const start = (): void => {
    const names = [...new Set(first.flatMap((r) => Object.keys(r)))];
    fields = names.map((name) => ({
      name,
      type: columnType(
        name,
        first.map((r) => r[name]),
      ),
    }));
    pager = new TablePager(fields, frameId, pageRows);
  };
  function* add(row: Record<string, string | string[] | null>): Generator<ProcessorFrame> {
    if (!pager) {
      first.push(row);
      if (first.length < pageRows) return;
      start();
      const held = first;
      first = [];
      for (const r of held) yield* add(r);
      return;
    }
    rows++;
    const page = pager.push(fields!.map((f) => cellValue(f.type, row[f.name])));
    if (page) yield page;
  }
  const decoder = new TextDecoder();
  let rest = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    rest += decoder.decode(chunk, { stream: true });
    const lines = rest.split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.trim()) continue;
      const msg = JSON.parse(line) as {
        preview?: boolean;
        result?: Record<string, string | string[] | null>;
        messages?: { type: string; text: string }[];
      };
      for (const m of msg.messages ?? [])
        yield { type: 'stream', name: 'stderr', text: `${m.type}: ${m.text}\n` };
      if (msg.result && msg.preview !== true) yield* add(msg.result);
    }
  }
  if (!pager) {
    start();
    const held = first;
    first = [];
    for (const r of held) yield* add(r);
  }
  yield (pager as TablePager | null)!.end(rows);
}

/** A Splunk processor instance for a connection. */
export function createSplunk(
  connection: ProcessorConnection | null,
  host: ProcessorHost,
): ProcessorInstance {
  if (!connection) {
    throw new SpinError(
      'processor.connection_required',
      'a Splunk cell needs a connection; choose one in the cell settings',
    );
  }
  const conn: Conn = {
    config: SplunkConfigSchema.parse(connection.config),
    secrets: SplunkSecretsSchema.parse(connection.secrets),
  };
  return {
    query: (request, signal) => runSearch(request, signal, host, conn),
    async checkHealth() {
      try {
        const { data } = await vendorJson<{ entry?: { content?: { version?: string } }[] }>(
          endpoint(conn, 'server/info'),
          { headers: { authorization: authHeader(conn), accept: 'application/json' } },
          {
            host,
            vendor: 'Splunk',
            signal: AbortSignal.timeout(10_000),
            deadline: Date.now() + 10_000,
            messageOf: splunkMessage,
          },
        );
        return { ok: true, message: `Splunk ${data?.entry?.[0]?.content?.version ?? ''}`.trim() };
      } catch (err) {
        return { ok: false, message: (err as Error).message };
      }
    },
    dispose: () => undefined,
  };
}
