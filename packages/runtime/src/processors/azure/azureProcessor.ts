import {
  ConfidentialClientApplication,
  type INetworkModule,
  type NetworkRequestOptions,
  type NetworkResponse,
} from '@azure/msal-node';
import { Agent, fetch as undiciFetch } from 'undici';
import { SpinError, type Field, type FieldType, type Series } from '@spin/protocol';
import {
  AzureConfigSchema,
  AzureProgramSchema,
  AzureSecretsSchema,
  type AzureConfig,
  type AzureProgram,
} from '@spin/protocol/processors/azure';
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

/** Azure's error body: `{"error":{"code","message","innererror":{…}}}`, innermost message last. */
export function azureMessage(body: string): string {
  try {
    const j = JSON.parse(body) as {
      error?: { code?: string; message?: string; innererror?: unknown };
    };
    const parts: string[] = [];
    for (
      let e = j.error as { code?: string; message?: string; innererror?: unknown } | undefined;
      e;
      e = e.innererror as typeof e
    ) {
      parts.push(e.code ? `${e.code}: ${e.message ?? ''}` : (e.message ?? ''));
    }
    if (parts.length) return parts.join(' — ');
  } catch {
    // a proxy's page
  }
  return body.slice(0, 500);
}

/** Log Analytics column types (KQL scalar types) as frame field types. */
function kqlType(t: string): FieldType {
  switch (t) {
    case 'datetime':
      return 'time';
    case 'long':
    case 'int':
      return 'integer';
    case 'real':
    case 'decimal':
      return 'number';
    case 'bool':
      return 'boolean';
    case 'dynamic':
      return 'json';
    default:
      return 'string';
  }
}

/** MSAL's network module over the connection's fetch (so a private cloud's CA applies). */
function networkModule(f: typeof fetch): INetworkModule {
  const send = async <T>(
    method: 'GET' | 'POST',
    url: string,
    options?: NetworkRequestOptions,
  ): Promise<NetworkResponse<T>> => {
    const res = await f(url, {
      method,
      headers: options?.headers ?? {},
      ...(options?.body !== undefined ? { body: options.body } : {}),
      signal: AbortSignal.timeout(30_000),
    });
    return {
      status: res.status,
      headers: Object.fromEntries(res.headers),
      body: (await res.json()) as T,
    };
  };
  return {
    sendGetRequestAsync: (url, options) => send('GET', url, options),
    sendPostRequestAsync: (url, options) => send('POST', url, options),
  };
}

/** An Azure processor instance for a connection. */
export function createAzure(
  connection: ProcessorConnection | null,
  host: ProcessorHost,
): ProcessorInstance {
  if (!connection) {
    throw new SpinError(
      'processor.connection_required',
      'an Azure cell needs a connection; choose one in the cell settings',
    );
  }
  const config: AzureConfig = AzureConfigSchema.parse(connection.config);
  const secrets = AzureSecretsSchema.parse(connection.secrets);
  const agent = config.caCert ? new Agent({ connect: { ca: config.caCert } }) : null;
  const azFetch: typeof fetch = agent
    ? (((input: URL | string, init?: RequestInit) =>
        undiciFetch(input, { ...(init as object), dispatcher: agent })) as unknown as typeof fetch)
    : host.fetch;
  const azHost: ProcessorHost = { ...host, fetch: azFetch };
  const authority = new URL(config.authorityHost);
  const msal = new ConfidentialClientApplication({
    auth: {
      clientId: config.clientId,
      clientSecret: secrets.clientSecret ?? '',
      authority: `${authority.origin}/${config.tenantId}`,
      knownAuthorities: [authority.host],
    },
    system: { networkClient: networkModule(azFetch) },
  });

  /** A bearer token for `resource` by client credentials; MSAL caches it until it expires. */
  async function token(resource: string): Promise<string> {
    try {
      const r = await msal.acquireTokenByClientCredential({
        scopes: [`${new URL(resource).origin}/.default`],
      });
      if (!r?.accessToken) throw new Error('no access token');
      return r.accessToken;
    } catch (err) {
      const e = err as { errorCode?: string; errorMessage?: string; message?: string };
      if (
        e.errorCode === 'invalid_client' ||
        e.errorCode === 'unauthorized_client' ||
        e.errorCode === 'invalid_request'
      )
        throw new SpinError(
          'processor.auth_failed',
          // MSAL prefixes "Error(s): … - Description:" to the service's own AADSTS text.
          `Microsoft Entra ID refused the app: ${e.errorCode}: ${(e.errorMessage ?? '').replace(/^[\s\S]*?Description:\s*/, '').split(/\r?\n/)[0]}`,
        );
      const cause = (err as { cause?: { code?: string } }).cause;
      throw new SpinError(
        'processor.unavailable',
        `cannot get a token from ${authority.origin}: ${cause?.code ?? e.errorMessage ?? e.message}`,
      );
    }
  }

  function call(
    request: Pick<ProcessorRequest, 'limits'> | null,
    signal: AbortSignal,
    notices: string[],
  ): VendorCall {
    return {
      host: azHost,
      vendor: 'Azure',
      signal,
      deadline: request ? cellDeadline(request) : Date.now() + 10_000,
      messageOf: azureMessage,
      onRetry: (s) => notices.push(`Azure rate limited the request; retrying in ${s} s\n`),
    };
  }

  async function* logs(
    p: AzureProgram,
    request: ProcessorRequest,
    c: VendorCall,
    notices: string[],
  ) {
    if (!config.workspaceId)
      throw new SpinError(
        'processor.invalid_params',
        'set the Log Analytics workspace ID on the connection',
      );
    const url = new URL(
      `v1/workspaces/${config.workspaceId}/query`,
      `${config.logsUrl.replace(/\/$/, '')}/`,
    );
    const { data } = await vendorJson<{
      tables: { name: string; columns: { name: string; type: string }[]; rows: unknown[][] }[];
      error?: { message?: string };
    }>(
      url,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${await token(config.logsUrl)}`,
          'content-type': 'application/json',
          accept: 'application/json',
        },
        body: JSON.stringify({
          query: p.query,
          timespan: `${request.timeRange.from}/${request.timeRange.to}`,
        }),
      },
      c,
    );
    for (const n of notices.splice(0))
      yield { type: 'stream', name: 'stderr', text: n } as ProcessorFrame;
    if (data.error?.message)
      yield {
        type: 'stream',
        name: 'stderr',
        text: `partial result: ${data.error.message}\n`,
      } as ProcessorFrame;
    for (const [i, t] of (data.tables ?? []).entries()) {
      const fields: Field[] = t.columns.map((col) => ({ name: col.name, type: kqlType(col.type) }));
      const pager = new TablePager(
        fields,
        `${request.jti}:${i === 0 ? 'result' : t.name}`,
        host.limits.pageRows,
      );
      for (const row of t.rows) {
        const page = pager.push(
          row.map((v, j) =>
            fields[j]!.type === 'time' && typeof v === 'string' ? Date.parse(v) : v,
          ),
        );
        if (page) yield page;
      }
      yield pager.end(t.rows.length);
    }
  }

  async function* metrics(
    p: AzureProgram,
    request: ProcessorRequest,
    c: VendorCall,
    notices: string[],
  ) {
    const url = new URL(
      `${config.managementUrl.replace(/\/$/, '')}${p.resourceId}/providers/Microsoft.Insights/metrics`,
    );
    url.searchParams.set('api-version', '2018-01-01');
    url.searchParams.set(
      'metricnames',
      p.query
        .split(',')
        .map((n) => n.trim())
        .filter(Boolean)
        .join(','),
    );
    url.searchParams.set('timespan', `${request.timeRange.from}/${request.timeRange.to}`);
    url.searchParams.set('interval', p.interval);
    url.searchParams.set('aggregation', p.aggregation);
    const { data } = await vendorJson<{
      value: {
        name: { value: string };
        unit?: string;
        timeseries: {
          metadatavalues?: { name: { value: string }; value: string }[];
          data: Record<string, number | string>[];
        }[];
      }[];
    }>(
      url,
      {
        headers: {
          authorization: `Bearer ${await token(config.managementUrl)}`,
          accept: 'application/json',
        },
      },
      c,
    );
    for (const n of notices.splice(0))
      yield { type: 'stream', name: 'stderr', text: n } as ProcessorFrame;
    const key = p.aggregation.toLowerCase();
    const series: Series[] = data.value.flatMap((m) =>
      m.timeseries.map((ts) => {
        const labels = Object.fromEntries(
          (ts.metadatavalues ?? []).map((md) => [md.name.value, md.value]),
        );
        return {
          name: m.name.value,
          labels: { metric: m.name.value, ...labels },
          timestamps: ts.data.map((d) => Date.parse(String(d.timeStamp))),
          values: ts.data.map((d) => (typeof d[key] === 'number' ? (d[key] as number) : null)),
        };
      }),
    );
    yield {
      type: 'timeseries',
      frame: {
        series,
        range: { from: Date.parse(request.timeRange.from), to: Date.parse(request.timeRange.to) },
        page: {
          frameId: `${request.jti}:metrics`,
          index: 0,
          offset: 0,
          last: true,
          total: series.reduce((n, s) => n + s.values.length, 0),
        },
      },
    } as ProcessorFrame;
  }

  return {
    query(request, signal) {
      const p = AzureProgramSchema.parse(request.params);
      const notices: string[] = [];
      const c = call(request, signal, notices);
      return p.queryType === 'metrics'
        ? metrics(p, request, c, notices)
        : logs(p, request, c, notices);
    },
    async checkHealth() {
      try {
        await token(config.workspaceId ? config.logsUrl : config.managementUrl);
        return {
          ok: true,
          message: `Azure tenant ${config.tenantId}: app ${config.clientId} signed in`,
        };
      } catch (err) {
        return { ok: false, message: (err as Error).message };
      }
    },
    dispose: () => agent?.close(),
  };
}
