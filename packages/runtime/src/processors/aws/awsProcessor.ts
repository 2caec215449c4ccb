import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { SpinError, type Field, type FieldType, type Series } from '@spin/protocol';
import {
  AwsConfigSchema,
  AwsProgramSchema,
  AwsSecretsSchema,
  type AwsConfig,
  type AwsProgram,
  type AwsSecrets,
} from '@spin/protocol/processors/aws';
import {
  TablePager,
  cellDeadline,
  fetchWithRetry,
  sleep,
  type ProcessorConnection,
  type ProcessorFrame,
  type ProcessorHost,
  type ProcessorInstance,
  type ProcessorRequest,
  type VendorCall,
} from '../sdk.js';

interface Conn {
  config: AwsConfig;
  secrets: AwsSecrets;
}

/** The JSON-protocol services this processor calls: signing name and target prefix. */
const SERVICES = {
  logs: { signingName: 'logs', target: 'Logs_20140328', contentType: 'application/x-amz-json-1.1' },
  monitoring: {
    signingName: 'monitoring',
    target: 'GraniteServiceVersion20100801',
    contentType: 'application/x-amz-json-1.0',
  },
} as const;
type Service = keyof typeof SERVICES;

/** AWS error types by what they mean to the user (AWS JSON protocol `__type`). */
const AUTH = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'IncompleteSignatureException',
  'MissingAuthenticationTokenException',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
]);
const THROTTLED = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
]);

/** `__type` and message of an AWS JSON error body (`#` namespaces stripped). */
export function awsError(body: string): { type: string; message: string } {
  try {
    const j = JSON.parse(body) as { __type?: string; message?: string; Message?: string };
    return {
      type: (j.__type ?? '').split('#').pop() ?? '',
      message: j.message ?? j.Message ?? '',
    };
  } catch {
    return { type: '', message: body.slice(0, 500) };
  }
}

function mapError(status: number, body: string, retryAfterS: number | undefined): SpinError {
  const { type, message } = awsError(body);
  const said = `AWS ${type || `HTTP ${status}`}: ${message}`.trim();
  if (AUTH.has(type) || status === 401)
    return new SpinError(
      'processor.auth_failed',
      `authentication failed (HTTP ${status}): ${said}`,
    );
  if (type === 'AccessDeniedException' || status === 403)
    return new SpinError('processor.forbidden', `access denied (HTTP ${status}): ${said}`);
  if (THROTTLED.has(type) || status === 429) {
    const wait = retryAfterS !== undefined ? `; retry after ${retryAfterS} s` : '';
    return new SpinError(
      'processor.rate_limited',
      `rate limited (HTTP ${status})${wait}: ${said}`,
      retryAfterS !== undefined ? { retryAfterS } : undefined,
    );
  }
  if (type === 'ResourceNotFoundException' || status === 404)
    return new SpinError('processor.resource_not_found', `not found (HTTP ${status}): ${said}`);
  if (status >= 500)
    return new SpinError('processor.unavailable', `upstream unavailable (HTTP ${status}): ${said}`);
  if (status === 400)
    return new SpinError('processor.bad_query', `bad query (HTTP ${status}): ${said}`);
  return new SpinError('processor.upstream_error', `upstream answered HTTP ${status}: ${said}`);
}

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** A tag of a small, known XML answer (STS Query protocol responses). */
function xmlTag(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
}

/** A SigV4-signing client of the AWS JSON protocols for one connection. */
class AwsClient {
  private readonly signers = new Map<Service, SignatureV4>();
  private assumed: { credentials: Credentials; until: number } | null = null;

  constructor(
    private readonly conn: Conn,
    private readonly host: ProcessorHost,
  ) {}

  private baseCredentials(): Credentials {
    const { accessKeyId = '', secretAccessKey = '', sessionToken } = this.conn.secrets;
    return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
  }

  /**
   * The credentials requests are signed with: the connection's keys, or — with a role ARN —
   * temporary ones from STS AssumeRole (Query protocol), kept until five minutes before they
   * expire.
   */
  private readonly credentials = async (): Promise<Credentials> => {
    const { roleArn, externalId } = this.conn.config;
    if (!roleArn) return this.baseCredentials();
    if (this.assumed && Date.now() < this.assumed.until) return this.assumed.credentials;
    const url = new URL(
      this.conn.config.endpoint ?? `https://sts.${this.conn.config.region}.amazonaws.com/`,
    );
    const body = new URLSearchParams({
      Action: 'AssumeRole',
      Version: '2011-06-15',
      RoleArn: roleArn,
      RoleSessionName: 'spin-notebook',
      DurationSeconds: '3600',
      ...(externalId ? { ExternalId: externalId } : {}),
    }).toString();
    const signed = await new SignatureV4({
      service: 'sts',
      region: this.conn.config.region,
      credentials: this.baseCredentials(),
      sha256: Sha256,
    }).sign({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query: {},
      headers: {
        host: url.host,
        'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      },
      body,
    });
    let res: Response;
    let xml: string;
    try {
      res = await this.host.fetch(url, {
        method: 'POST',
        headers: signed.headers,
        body,
        signal: AbortSignal.timeout(10_000),
      });
      xml = await res.text();
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause;
      throw new SpinError(
        'processor.unavailable',
        `cannot reach AWS STS at ${url.origin}: ${cause?.code ?? (err as Error).message}`,
      );
    }
    if (res.status >= 400) {
      const code = xmlTag(xml, 'Code') ?? `HTTP ${res.status}`;
      const said = `AWS STS ${code}: ${xmlTag(xml, 'Message') ?? ''}`;
      if (code === 'AccessDenied')
        throw new SpinError(
          'processor.forbidden',
          `cannot assume ${roleArn} (HTTP ${res.status}): ${said}`,
        );
      throw mapError(
        res.status,
        JSON.stringify({ __type: code, message: xmlTag(xml, 'Message') ?? '' }),
        undefined,
      );
    }
    const credentials: Credentials = {
      accessKeyId: xmlTag(xml, 'AccessKeyId') ?? '',
      secretAccessKey: xmlTag(xml, 'SecretAccessKey') ?? '',
      sessionToken: xmlTag(xml, 'SessionToken') ?? '',
    };
    const expires = Date.parse(xmlTag(xml, 'Expiration') ?? '');
    this.assumed = {
      credentials,
      until: (Number.isNaN(expires) ? Date.now() + 900_000 : expires) - 300_000,
    };
    return credentials;
  };

  private signer(service: Service): SignatureV4 {
    let s = this.signers.get(service);
    if (!s) {
      s = new SignatureV4({
        service: SERVICES[service].signingName,
        region: this.conn.config.region,
        credentials: this.credentials,
        sha256: Sha256,
      });
      this.signers.set(service, s);
    }
    return s;
  }

  endpoint(service: Service): URL {
    return new URL(
      this.conn.config.endpoint ?? `https://${service}.${this.conn.config.region}.amazonaws.com/`,
    );
  }

  /** Call `action` with `input`; the request is signed for this service and region. */
  async call<T>(
    service: Service,
    action: string,
    input: unknown,
    opts: { signal: AbortSignal; deadline: number; notices?: string[] },
  ): Promise<T> {
    const url = this.endpoint(service);
    const body = JSON.stringify(input);
    const signed = await this.signer(service).sign({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query: {},
      headers: {
        host: url.host,
        'content-type': SERVICES[service].contentType,
        'x-amz-target': `${SERVICES[service].target}.${action}`,
      },
      body,
    });
    const call: VendorCall = {
      host: this.host,
      vendor: 'AWS',
      signal: opts.signal,
      deadline: opts.deadline,
      // AWS sends no Retry-After: back off 1 s, then 2 s, as the SDKs' standard mode (3 tries).
      maxAttempts: 3,
      retryAfterOf: () => undefined,
      throttled: (_status, text) => THROTTLED.has(awsError(text).type),
      onRetry: (s) => opts.notices?.push(`AWS throttled ${action}; retrying in ${s} s\n`),
    };
    const { res, retryAfterS } = await fetchWithRetry(
      url,
      { method: 'POST', headers: signed.headers, body },
      call,
    );
    const text = await res.text();
    this.host.logger.debug({ service, action, status: res.status }, 'aws request');
    if (res.status >= 400) throw mapError(res.status, text, retryAfterS);
    try {
      return JSON.parse(text || '{}') as T;
    } catch {
      throw new SpinError(
        'processor.upstream_error',
        `AWS answered ${action} with something other than JSON`,
      );
    }
  }
}

interface QueryResults {
  status: 'Scheduled' | 'Running' | 'Complete' | 'Failed' | 'Cancelled' | 'Timeout' | 'Unknown';
  results?: { field: string; value: string }[][];
  statistics?: Record<string, number>;
}

function columnType(name: string, values: (string | undefined)[]): FieldType {
  if (name === '@timestamp' || name === '@ingestionTime') return 'time';
  const present = values.filter((v): v is string => v !== undefined && v !== '');
  if (present.length > 0 && present.every((v) => /^-?\d+(?:\.\d+)?(?:e[+-]?\d+)?$/i.test(v)))
    return present.every((v) => /^-?\d+$/.test(v)) ? 'integer' : 'number';
  return 'string';
}

function cellValue(type: FieldType, v: string | undefined): unknown {
  if (v === undefined) return null;
  if (type === 'time') {
    // Logs Insights writes `2026-12-02 09:00:00.000` in UTC.
    const t = Date.parse(/Z|[+-]\d\d:?\d\d$/.test(v) ? v : `${v.replace(' ', 'T')}Z`);
    return Number.isNaN(t) ? null : t;
  }
  if (type === 'integer' || type === 'number') return Number(v);
  return v;
}

async function* insights(
  p: AwsProgram,
  request: ProcessorRequest,
  client: AwsClient,
  host: ProcessorHost,
  signal: AbortSignal,
): AsyncGenerator<ProcessorFrame> {
  const deadline = cellDeadline(request);
  const notices: string[] = [];
  const opts = { signal, deadline, notices };
  const { queryId } = await client.call<{ queryId: string }>(
    'logs',
    'StartQuery',
    {
      ...(p.logGroups.length ? { logGroupNames: p.logGroups } : {}),
      queryString: p.query,
      startTime: Math.floor(Date.parse(request.timeRange.from) / 1000),
      endTime: Math.floor(Date.parse(request.timeRange.to) / 1000),
      limit: p.maxRows,
    },
    opts,
  );
  let finished = false;
  try {
    let out: QueryResults;
    for (let wait = 200; ; wait = Math.min(wait * 2, 2000)) {
      for (const n of notices.splice(0)) yield { type: 'stream', name: 'stderr', text: n };
      out = await client.call<QueryResults>('logs', 'GetQueryResults', { queryId }, opts);
      if (out.status === 'Complete') break;
      if (out.status === 'Failed' || out.status === 'Cancelled' || out.status === 'Timeout') {
        throw new SpinError(
          out.status === 'Timeout' ? 'processor.timeout' : 'processor.upstream_error',
          `Logs Insights query ${queryId} ended ${out.status}`,
        );
      }
      await sleep(wait, signal);
    }
    const rows = (out.results ?? []).map(
      (r) => new Map(r.filter((c) => c.field !== '@ptr').map((c) => [c.field, c.value])),
    );
    const names = [...new Set(rows.flatMap((r) => [...r.keys()]))];
    const fields: Field[] = names.map((name) => ({
      name,
      type: columnType(
        name,
        rows.map((r) => r.get(name)),
      ),
    }));
    const pager = new TablePager(fields, `${request.jti}:results`, host.limits.pageRows);
    for (const r of rows) {
      const page = pager.push(fields.map((f) => cellValue(f.type, r.get(f.name))));
      if (page) yield page;
    }
    yield pager.end(rows.length);
    yield { type: 'raw', value: { queryId, status: out.status, statistics: out.statistics } };
    finished = true;
  } finally {
    if (!finished) {
      // Cancelled, timed out or failed: stop the query so it scans (and bills) no further.
      await client
        .call('logs', 'StopQuery', { queryId }, { signal: AbortSignal.timeout(5000), deadline: 0 })
        .catch((err: Error) =>
          host.logger.warn({ queryId, err: err.message }, 'aws StopQuery failed'),
        );
    }
  }
}

interface MetricDataResult {
  Id: string;
  Label?: string;
  Timestamps: number[];
  Values: number[];
  StatusCode?: string;
}

async function* metrics(
  p: AwsProgram,
  request: ProcessorRequest,
  client: AwsClient,
  host: ProcessorHost,
  signal: AbortSignal,
): AsyncGenerator<ProcessorFrame> {
  const opts = { signal, deadline: cellDeadline(request), notices: [] as string[] };
  const from = Date.parse(request.timeRange.from);
  const to = Date.parse(request.timeRange.to);
  const byLabel = new Map<string, Series>();
  const messages: unknown[] = [];
  let token: string | undefined;
  do {
    const page = await client.call<{
      MetricDataResults: MetricDataResult[];
      NextToken?: string;
      Messages?: unknown[];
    }>(
      'monitoring',
      'GetMetricData',
      {
        MetricDataQueries: [{ Id: 'q1', Expression: p.query, Period: p.periodS, ReturnData: true }],
        StartTime: Math.floor(from / 1000),
        EndTime: Math.floor(to / 1000),
        ScanBy: 'TimestampAscending',
        ...(token ? { NextToken: token } : {}),
      },
      opts,
    );
    for (const n of opts.notices.splice(0)) yield { type: 'stream', name: 'stderr', text: n };
    messages.push(...(page.Messages ?? []));
    for (const r of page.MetricDataResults ?? []) {
      const name = r.Label ?? r.Id;
      const s = byLabel.get(name) ?? { name, labels: { label: name }, timestamps: [], values: [] };
      s.timestamps.push(...r.Timestamps.map((t) => t * 1000));
      s.values.push(...r.Values);
      byLabel.set(name, s);
    }
    token = page.NextToken;
  } while (token);
  // GetMetricData pages are bounded by its data-point limit; cut the series into frame pages.
  const series = [...byLabel.values()];
  const total = series.reduce((n, s) => n + s.values.length, 0);
  const frameId = `${request.jti}:metrics`;
  const range = { from, to, stepMs: p.periodS * 1000 };
  let page: Series[] = [];
  let count = 0;
  let offset = 0;
  let index = 0;
  const flush = (last: boolean): ProcessorFrame => {
    const f: ProcessorFrame = {
      type: 'timeseries',
      frame: { series: page, range, page: { frameId, index: index++, offset, last, total } },
    };
    offset += count;
    page = [];
    count = 0;
    return f;
  };
  for (const s of series) {
    for (let at = 0; at < s.values.length || (at === 0 && s.values.length === 0);) {
      const n = Math.min(host.limits.pageRows - count, s.values.length - at);
      page.push({
        ...s,
        timestamps: s.timestamps.slice(at, at + n),
        values: s.values.slice(at, at + n),
      });
      count += n;
      at += n;
      if (n === 0) break;
      if (count >= host.limits.pageRows && offset + count < total) yield flush(false);
    }
  }
  yield flush(true);
  yield { type: 'raw', value: { series: series.map((s) => s.name), messages } };
}

/** An AWS processor instance for a connection. */
export function createAws(
  connection: ProcessorConnection | null,
  host: ProcessorHost,
): ProcessorInstance {
  if (!connection) {
    throw new SpinError(
      'processor.connection_required',
      'an AWS cell needs a connection; choose one in the cell settings',
    );
  }
  const conn: Conn = {
    config: AwsConfigSchema.parse(connection.config),
    secrets: AwsSecretsSchema.parse(connection.secrets),
  };
  const client = new AwsClient(conn, host);
  return {
    query(request, signal) {
      const p = AwsProgramSchema.parse(request.params);
      return p.queryType === 'metrics'
        ? metrics(p, request, client, host, signal)
        : insights(p, request, client, host, signal);
    },
    async checkHealth() {
      try {
        // A cheap signed call: wrong keys, clocks or regions fail it as they would fail a query.
        await client.call(
          'logs',
          'DescribeLogGroups',
          { limit: 1 },
          {
            signal: AbortSignal.timeout(10_000),
            deadline: Date.now() + 10_000,
          },
        );
        return { ok: true, message: `AWS ${conn.config.region}: credentials accepted` };
      } catch (err) {
        return { ok: false, message: (err as Error).message };
      }
    },
    dispose: () => undefined,
  };
}
