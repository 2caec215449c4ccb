import { SignJWT, importPKCS8 } from 'jose';
import { SpinError, type LogEntry, type Series } from '@spin/protocol';
import {
  GcpConfigSchema,
  GcpProgramSchema,
  GcpSecretsSchema,
  ServiceAccountKeySchema,
  type GcpConfig,
  type GcpProgram,
  type ServiceAccountKey,
} from '@spin/protocol/processors/gcp';
import {
  cellDeadline,
  vendorJson,
  type ProcessorConnection,
  type ProcessorFrame,
  type ProcessorHost,
  type ProcessorInstance,
  type ProcessorRequest,
  type VendorCall,
} from '../sdk.js';

/** Read-only scopes the access token asks for. */
export const GCP_SCOPES = [
  'https://www.googleapis.com/auth/logging.read',
  'https://www.googleapis.com/auth/monitoring.read',
];

/** Google's error body: `{"error":{"code","message","status"}}` (AIP-193); OAuth errors too. */
export function googleMessage(body: string): string {
  try {
    const j = JSON.parse(body) as {
      error?: { message?: string; status?: string } | string;
      error_description?: string;
    };
    if (typeof j.error === 'object' && j.error?.message)
      return j.error.status ? `${j.error.status}: ${j.error.message}` : j.error.message;
    if (typeof j.error === 'string')
      return j.error_description ? `${j.error}: ${j.error_description}` : j.error;
  } catch {
    // a proxy's page
  }
  return body.slice(0, 500);
}

/**
 * Access tokens for a service account by the OAuth2 JWT bearer flow (RFC 7523, Google's
 * "Using OAuth 2.0 for Server to Server Applications"): an RS256 assertion signed with the
 * key by `jose`, exchanged at the key's `token_uri`; cached until a minute before it expires.
 */
class ServiceAccountTokens {
  private cached: { token: string; until: number } | null = null;

  constructor(
    private readonly key: ServiceAccountKey,
    private readonly host: ProcessorHost,
  ) {}

  async token(call: Omit<VendorCall, 'vendor'>): Promise<string> {
    if (this.cached && Date.now() < this.cached.until) return this.cached.token;
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({ scope: GCP_SCOPES.join(' ') })
      .setProtectedHeader({
        alg: 'RS256',
        typ: 'JWT',
        ...(this.key.private_key_id ? { kid: this.key.private_key_id } : {}),
      })
      .setIssuer(this.key.client_email)
      .setAudience(this.key.token_uri)
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(await importPKCS8(this.key.private_key, 'RS256'));
    const { data } = await vendorJson<{ access_token: string; expires_in?: number }>(
      new URL(this.key.token_uri),
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
          assertion,
        }).toString(),
      },
      { ...call, host: this.host, vendor: 'Google OAuth' },
    ).catch((err: unknown) => {
      // The token endpoint refuses a bad key with 400 invalid_grant: that is failed authentication.
      if (err instanceof SpinError && err.code === 'processor.bad_query')
        throw new SpinError(
          'processor.auth_failed',
          err.message.replace('bad query', 'the service account key was refused'),
        );
      throw err;
    });
    this.cached = {
      token: data.access_token,
      until: Date.now() + ((data.expires_in ?? 3600) - 60) * 1000,
    };
    return data.access_token;
  }
}

interface GcpLogEntry {
  logName?: string;
  timestamp?: string;
  severity?: string;
  insertId?: string;
  textPayload?: string;
  jsonPayload?: Record<string, unknown>;
  resource?: { type?: string; labels?: Record<string, string> };
  labels?: Record<string, string>;
}

interface GcpTimeSeries {
  metric: { type: string; labels?: Record<string, string> };
  resource: { type: string; labels?: Record<string, string> };
  points: {
    interval: { startTime?: string; endTime: string };
    value: Record<string, number | string>;
  }[];
}

function entry(e: GcpLogEntry): LogEntry {
  const labels: Record<string, string> = {};
  if (e.logName) labels.log = e.logName.replace(/^.*\/logs\//, '');
  if (e.resource?.type) labels.resource = e.resource.type;
  for (const [k, v] of Object.entries({ ...e.resource?.labels, ...e.labels })) labels[k] ??= v;
  if (e.insertId) labels.insertId = e.insertId;
  return {
    time: Date.parse(e.timestamp ?? '') || 0,
    line:
      e.textPayload ??
      (typeof e.jsonPayload?.message === 'string'
        ? e.jsonPayload.message
        : JSON.stringify(e.jsonPayload ?? {})),
    ...(e.severity ? { level: e.severity.toLowerCase().slice(0, 32) } : {}),
    labels,
  };
}

function pointValue(v: Record<string, number | string>): number | null {
  const x = v.doubleValue ?? v.int64Value;
  const n = typeof x === 'string' ? Number(x) : x;
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
}

/** A GCP processor instance for a connection. */
export function createGcp(
  connection: ProcessorConnection | null,
  host: ProcessorHost,
): ProcessorInstance {
  if (!connection) {
    throw new SpinError(
      'processor.connection_required',
      'a Google Cloud cell needs a connection; choose one in the cell settings',
    );
  }
  const config: GcpConfig = GcpConfigSchema.parse(connection.config);
  const secrets = GcpSecretsSchema.parse(connection.secrets);
  let key: ServiceAccountKey | null = null;
  let keyProblem = 'the connection has no service account key';
  if (secrets.serviceAccountKey) {
    try {
      const parsed = ServiceAccountKeySchema.safeParse(JSON.parse(secrets.serviceAccountKey));
      if (parsed.success) key = parsed.data;
      else
        keyProblem = `the service account key lacks ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`;
    } catch {
      keyProblem = 'the service account key is not JSON';
    }
  }
  const tokens = key ? new ServiceAccountTokens(key, host) : null;
  const project = config.projectId ?? key?.project_id;
  const api = (service: 'logging' | 'monitoring', path: string) =>
    new URL(
      path,
      config.apiUrl
        ? config.apiUrl.endsWith('/')
          ? config.apiUrl
          : `${config.apiUrl}/`
        : `https://${service}.googleapis.com/`,
    );

  async function authed(call: VendorCall): Promise<Record<string, string>> {
    if (!tokens) throw new SpinError('processor.auth_failed', `Google Cloud: ${keyProblem}`);
    if (!project)
      throw new SpinError('processor.invalid_params', 'set the project ID (the key names none)');
    return { authorization: `Bearer ${await tokens.token(call)}`, accept: 'application/json' };
  }

  function vendorCall(
    request: Pick<ProcessorRequest, 'limits'> | null,
    signal: AbortSignal,
    notices: string[],
  ): VendorCall {
    return {
      host,
      vendor: 'Google Cloud',
      signal,
      deadline: request ? cellDeadline(request) : Date.now() + 10_000,
      messageOf: googleMessage,
      // Google APIs send no Retry-After: back off 1 s, then 2 s.
      maxAttempts: 3,
      onRetry: (s) => notices.push(`Google Cloud rate limited the request; retrying in ${s} s\n`),
    };
  }

  async function* logs(
    p: GcpProgram,
    request: ProcessorRequest,
    call: VendorCall,
    notices: string[],
  ) {
    const frameId = `${request.jti}:logs`;
    const filter = `(${p.filter}) AND timestamp>="${request.timeRange.from}" AND timestamp<="${request.timeRange.to}"`;
    let pageToken: string | undefined;
    let read = 0;
    let index = 0;
    for (;;) {
      const { data } = await vendorJson<{ entries?: GcpLogEntry[]; nextPageToken?: string }>(
        api('logging', 'v2/entries:list'),
        {
          method: 'POST',
          headers: { ...(await authed(call)), 'content-type': 'application/json' },
          body: JSON.stringify({
            resourceNames: [`projects/${project}`],
            filter,
            orderBy: 'timestamp desc',
            pageSize: Math.min(1000, host.limits.pageRows, p.maxRows - read),
            ...(pageToken ? { pageToken } : {}),
          }),
        },
        call,
      );
      for (const n of notices.splice(0))
        yield { type: 'stream', name: 'stderr', text: n } as ProcessorFrame;
      const entries = (data.entries ?? []).map(entry);
      const offset = read;
      read += entries.length;
      pageToken = data.nextPageToken || undefined;
      const last = !pageToken || read >= p.maxRows;
      yield {
        type: 'logs',
        frame: {
          entries,
          page: { frameId, index: index++, offset, last, ...(last ? { total: read } : {}) },
        },
      } as ProcessorFrame;
      if (last) return;
    }
  }

  async function* metrics(
    p: GcpProgram,
    request: ProcessorRequest,
    call: VendorCall,
    notices: string[],
  ) {
    const series: Series[] = [];
    let pageToken: string | undefined;
    do {
      const u = api('monitoring', `v3/projects/${encodeURIComponent(project ?? '')}/timeSeries`);
      u.searchParams.set('filter', p.filter);
      u.searchParams.set('interval.startTime', request.timeRange.from);
      u.searchParams.set('interval.endTime', request.timeRange.to);
      u.searchParams.set('aggregation.alignmentPeriod', `${p.alignmentPeriodS}s`);
      u.searchParams.set('aggregation.perSeriesAligner', 'ALIGN_MEAN');
      if (pageToken) u.searchParams.set('pageToken', pageToken);
      const { data } = await vendorJson<{ timeSeries?: GcpTimeSeries[]; nextPageToken?: string }>(
        u,
        { headers: await authed(call) },
        call,
      );
      for (const n of notices.splice(0))
        yield { type: 'stream', name: 'stderr', text: n } as ProcessorFrame;
      for (const ts of data.timeSeries ?? []) {
        // Points come newest first; a series reads oldest first.
        const points = [...ts.points].reverse();
        const labels = { ...ts.resource.labels, ...ts.metric.labels };
        series.push({
          name: `${ts.metric.type}{${Object.entries(labels)
            .map(([k, v]) => `${k}="${v}"`)
            .join(',')}}`.slice(0, 1024),
          labels,
          timestamps: points.map((pt) => Date.parse(pt.interval.endTime)),
          values: points.map((pt) => pointValue(pt.value)),
        });
      }
      pageToken = data.nextPageToken || undefined;
    } while (pageToken);
    const total = series.reduce((n, s) => n + s.values.length, 0);
    yield {
      type: 'timeseries',
      frame: {
        series,
        range: {
          from: Date.parse(request.timeRange.from),
          to: Date.parse(request.timeRange.to),
          stepMs: p.alignmentPeriodS * 1000,
        },
        page: { frameId: `${request.jti}:metrics`, index: 0, offset: 0, last: true, total },
      },
    } as ProcessorFrame;
  }

  return {
    query(request, signal) {
      const p = GcpProgramSchema.parse(request.params);
      const notices: string[] = [];
      const call = vendorCall(request, signal, notices);
      return p.queryType === 'metrics'
        ? metrics(p, request, call, notices)
        : logs(p, request, call, notices);
    },
    async checkHealth() {
      try {
        const call = vendorCall(null, AbortSignal.timeout(10_000), []);
        await vendorJson(
          api('logging', 'v2/entries:list'),
          {
            method: 'POST',
            headers: { ...(await authed(call)), 'content-type': 'application/json' },
            body: JSON.stringify({ resourceNames: [`projects/${project}`], pageSize: 1 }),
          },
          call,
        );
        return { ok: true, message: `Google Cloud project ${project}: ${key!.client_email}` };
      } catch (err) {
        return { ok: false, message: (err as Error).message };
      }
    },
    dispose: () => undefined,
  };
}
