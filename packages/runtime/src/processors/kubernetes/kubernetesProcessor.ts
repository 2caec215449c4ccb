import { Agent, fetch as undiciFetch } from 'undici';
import { SpinError, type Field } from '@spin/protocol';
import {
  KubernetesConfigSchema,
  KubernetesProgramSchema,
  KubernetesSecretsSchema,
  type KubernetesConfig,
  type KubernetesProgram,
  type KubernetesResource,
  type KubernetesSecrets,
} from '@spin/protocol/processors/kubernetes';
import {
  TablePager,
  cellDeadline,
  fetchWithRetry,
  httpError,
  vendorJson,
  type ProcessorConnection,
  type ProcessorFrame,
  type ProcessorHost,
  type ProcessorInstance,
  type ProcessorRequest,
  type VendorCall,
} from '../sdk.js';

interface Conn {
  config: KubernetesConfig;
  secrets: KubernetesSecrets;
}

/** The parts of an object the views read (core/v1, apps/v1). */
/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes objects are open JSON; the views
   read a few optional fields of each, all guarded with `?.` and `??`. */
interface KubeObject {
  metadata: { name: string; namespace?: string; creationTimestamp?: string };
  spec?: Record<string, any>;
  status?: Record<string, any>;
  [key: string]: any;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

interface KubeList {
  kind: string;
  metadata: { continue?: string; resourceVersion?: string; remainingItemCount?: number };
  items: KubeObject[];
}

/** The API server's error body (meta/v1 Status). */
export function statusMessage(body: string): string {
  try {
    const s = JSON.parse(body) as { kind?: string; message?: string; reason?: string };
    if (s.message) return s.reason ? `${s.message} (${s.reason})` : s.message;
  } catch {
    // not a Status: a proxy or load balancer answered
  }
  return body.slice(0, 500);
}

const time = (v: unknown): number | null => {
  const t = typeof v === 'string' ? Date.parse(v) : NaN;
  return Number.isNaN(t) ? null : t;
};

/** Columns of each `get`, as kubectl's wide output and `describe` show them. */
const VIEWS: Record<KubernetesResource, { fields: Field[]; row(o: KubeObject): unknown[] }> = {
  pods: {
    fields: [
      { name: 'namespace', type: 'string' },
      { name: 'name', type: 'string' },
      { name: 'phase', type: 'string' },
      { name: 'ready', type: 'string' },
      { name: 'restarts', type: 'integer' },
      { name: 'node', type: 'string' },
      { name: 'ip', type: 'string' },
      { name: 'created', type: 'time' },
    ],
    row(o) {
      const cs = (o.status?.containerStatuses ?? []) as {
        ready?: boolean;
        restartCount?: number;
      }[];
      return [
        o.metadata.namespace ?? null,
        o.metadata.name,
        o.status?.phase ?? null,
        `${cs.filter((c) => c.ready).length}/${(o.spec?.containers ?? cs).length}`,
        cs.reduce((n, c) => n + (c.restartCount ?? 0), 0),
        o.spec?.nodeName ?? null,
        o.status?.podIP ?? null,
        time(o.metadata.creationTimestamp),
      ];
    },
  },
  events: {
    fields: [
      { name: 'namespace', type: 'string' },
      { name: 'last_seen', type: 'time' },
      { name: 'type', type: 'string' },
      { name: 'reason', type: 'string' },
      { name: 'object', type: 'string' },
      { name: 'node', type: 'string' },
      { name: 'count', type: 'integer' },
      { name: 'message', type: 'string' },
    ],
    row(o) {
      return [
        o.metadata.namespace ?? null,
        eventTime(o),
        o.type ?? null,
        o.reason ?? null,
        o.involvedObject ? `${o.involvedObject.kind}/${o.involvedObject.name}` : null,
        o.source?.host ?? null,
        o.count ?? 1,
        o.message ?? null,
      ];
    },
  },
  services: {
    fields: [
      { name: 'namespace', type: 'string' },
      { name: 'name', type: 'string' },
      { name: 'type', type: 'string' },
      { name: 'cluster_ip', type: 'string' },
      { name: 'ports', type: 'string' },
      { name: 'created', type: 'time' },
    ],
    row(o) {
      const ports = (o.spec?.ports ?? []) as { port: number; protocol?: string }[];
      return [
        o.metadata.namespace ?? null,
        o.metadata.name,
        o.spec?.type ?? null,
        o.spec?.clusterIP ?? null,
        ports.map((p) => `${p.port}/${p.protocol ?? 'TCP'}`).join(','),
        time(o.metadata.creationTimestamp),
      ];
    },
  },
  deployments: {
    fields: [
      { name: 'namespace', type: 'string' },
      { name: 'name', type: 'string' },
      { name: 'ready', type: 'string' },
      { name: 'up_to_date', type: 'integer' },
      { name: 'available', type: 'integer' },
      { name: 'created', type: 'time' },
    ],
    row(o) {
      return [
        o.metadata.namespace ?? null,
        o.metadata.name,
        `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 0}`,
        o.status?.updatedReplicas ?? 0,
        o.status?.availableReplicas ?? 0,
        time(o.metadata.creationTimestamp),
      ];
    },
  },
  nodes: {
    fields: [
      { name: 'name', type: 'string' },
      { name: 'ready', type: 'string' },
      { name: 'kubelet_version', type: 'string' },
      { name: 'created', type: 'time' },
    ],
    row(o) {
      const ready = ((o.status?.conditions ?? []) as { type: string; status: string }[]).find(
        (c) => c.type === 'Ready',
      );
      return [
        o.metadata.name,
        ready?.status ?? 'Unknown',
        o.status?.nodeInfo?.kubeletVersion ?? null,
        time(o.metadata.creationTimestamp),
      ];
    },
  },
};

/** When an event last happened (core/v1 Event keeps it in one of three places). */
function eventTime(o: KubeObject): number | null {
  return time(o.lastTimestamp) ?? time(o.eventTime) ?? time(o.metadata.creationTimestamp);
}

function collectionPath(p: Extract<KubernetesProgram, { verb: 'get' }>, conn: Conn): string {
  const group = p.resource === 'deployments' ? 'apis/apps/v1' : 'api/v1';
  if (p.resource === 'nodes' || p.namespace === '*') return `${group}/${p.resource}`;
  const ns = p.namespace ?? conn.config.namespace;
  return `${group}/namespaces/${encodeURIComponent(ns)}/${p.resource}`;
}

async function* list(
  p: Extract<KubernetesProgram, { verb: 'get' }>,
  request: ProcessorRequest,
  c: VendorCall,
  conn: Conn,
  url: (path: string) => URL,
): AsyncGenerator<ProcessorFrame> {
  const view = VIEWS[p.resource];
  const pageRows = c.host.limits.pageRows;
  const pager = new TablePager(view.fields, `${request.jti}:${p.resource}`, pageRows);
  const from = Date.parse(request.timeRange.from);
  const to = Date.parse(request.timeRange.to);
  let token: string | undefined;
  let rows = 0;
  const metadata: unknown[] = [];
  do {
    const u = url(collectionPath(p, conn));
    u.searchParams.set('limit', String(pageRows));
    if (token) u.searchParams.set('continue', token);
    if (p.labelSelector) u.searchParams.set('labelSelector', p.labelSelector);
    if (p.fieldSelector) u.searchParams.set('fieldSelector', p.fieldSelector);
    const { data } = await vendorJson<KubeList>(u, { headers: headers(conn) }, c);
    metadata.push({ kind: data.kind, metadata: data.metadata, items: data.items.length });
    for (const item of data.items) {
      if (p.resource === 'events') {
        // Events are the cluster's recent history: show those of the notebook's time range.
        const t = eventTime(item);
        if (t !== null && (t < from || t > to)) continue;
      }
      rows++;
      const page = pager.push(view.row(item));
      if (page) yield page;
    }
    token = data.metadata?.continue || undefined;
  } while (token);
  yield pager.end(rows);
  yield { type: 'raw', value: metadata };
}

/** A log line with `timestamps=true`: RFC 3339 time, a space, the line. */
function logLine(line: string): { time: number; line: string } {
  const i = line.indexOf(' ');
  const t = i > 0 ? Date.parse(line.slice(0, i)) : NaN;
  return Number.isNaN(t) ? { time: Date.now(), line } : { time: t, line: line.slice(i + 1) };
}

async function* logs(
  p: Extract<KubernetesProgram, { verb: 'logs' }>,
  request: ProcessorRequest,
  c: VendorCall,
  conn: Conn,
  url: (path: string) => URL,
): AsyncGenerator<ProcessorFrame> {
  const ns = p.namespace ?? conn.config.namespace;
  const u = url(
    `api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(p.pod)}/log`,
  );
  u.searchParams.set('timestamps', 'true');
  if (p.follow) u.searchParams.set('follow', 'true');
  if (p.container) u.searchParams.set('container', p.container);
  if (p.tailLines !== null) u.searchParams.set('tailLines', String(p.tailLines));
  else
    u.searchParams.set(
      'sinceTime',
      new Date(Date.parse(request.timeRange.from)).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    );
  const { res } = await fetchWithRetry(u, { headers: { ...headers(conn), accept: '*/*' } }, c);
  if (res.status >= 400)
    throw httpError(res.status, `Kubernetes: ${statusMessage(await res.text())}`, res.headers);
  if (!res.body)
    throw new SpinError('processor.upstream_error', 'the API server sent no log stream');
  const frameId = `${request.jti}:logs`;
  const labels = { namespace: ns, pod: p.pod, ...(p.container ? { container: p.container } : {}) };
  const decoder = new TextDecoder();
  let rest = '';
  let offset = 0;
  let index = 0;
  // Reading stops when the signal aborts (cancel, timeout): the fetch then closes the upstream
  // connection, so the API server stops following too.
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    rest += decoder.decode(chunk, { stream: true });
    const lines = rest.split('\n');
    rest = lines.pop() ?? '';
    if (lines.length === 0) continue;
    const entries = lines.map((l) => ({ ...logLine(l.replace(/\r$/, '')), labels }));
    yield {
      type: 'logs',
      frame: { entries, page: { frameId, index: index++, offset, last: false } },
    };
    offset += entries.length;
  }
  rest += decoder.decode();
  const entries = rest ? [{ ...logLine(rest), labels }] : [];
  yield {
    type: 'logs',
    frame: {
      entries,
      page: { frameId, index, offset, last: true, total: offset + entries.length },
    },
  };
}

function headers(conn: Conn): Record<string, string> {
  return {
    accept: 'application/json',
    ...(conn.secrets.token ? { authorization: `Bearer ${conn.secrets.token}` } : {}),
  };
}

/** A Kubernetes processor instance for a connection (one TLS agent per connection). */
export function createKubernetes(
  connection: ProcessorConnection | null,
  host: ProcessorHost,
): ProcessorInstance {
  if (!connection) {
    throw new SpinError(
      'processor.connection_required',
      'a Kubernetes cell needs a connection; choose one in the cell settings',
    );
  }
  const conn: Conn = {
    config: KubernetesConfigSchema.parse(connection.config),
    secrets: KubernetesSecretsSchema.parse(connection.secrets),
  };
  // The cluster's own CA verifies the API server; Node's global fetch cannot take one, so the
  // requests go through undici with an agent that does.
  const agent = new Agent({
    connect: {
      ...(conn.config.caCert ? { ca: conn.config.caCert } : {}),
      rejectUnauthorized: !conn.config.insecureSkipTlsVerify,
    },
  });
  const kubeHost: ProcessorHost = {
    ...host,
    fetch: ((input: URL, init?: RequestInit) =>
      undiciFetch(input, { ...(init as object), dispatcher: agent })) as unknown as typeof fetch,
  };
  const base = conn.config.server.endsWith('/') ? conn.config.server : `${conn.config.server}/`;
  const url = (path: string) => new URL(path, base);
  const call = (signal: AbortSignal, deadline: number): VendorCall => ({
    host: kubeHost,
    vendor: 'Kubernetes',
    signal,
    deadline,
    messageOf: statusMessage,
  });
  return {
    query(request, signal) {
      const p = KubernetesProgramSchema.parse(request.params);
      const c = call(signal, cellDeadline(request));
      if (p.verb === 'template')
        throw new SpinError(
          'processor.invalid_params',
          'the command still holds template references',
        );
      return p.verb === 'logs' ? logs(p, request, c, conn, url) : list(p, request, c, conn, url);
    },
    async checkHealth() {
      const c = call(AbortSignal.timeout(10_000), Date.now() + 10_000);
      try {
        const { data: version } = await vendorJson<{ gitVersion?: string }>(
          url('version'),
          { headers: headers(conn) },
          c,
        );
        // /version is public on most clusters: listing a pod proves the token too.
        const ns = encodeURIComponent(conn.config.namespace);
        await vendorJson(
          url(`api/v1/namespaces/${ns}/pods?limit=1`),
          { headers: headers(conn) },
          c,
        );
        return { ok: true, message: `Kubernetes ${version?.gitVersion ?? ''}`.trim() };
      } catch (err) {
        return { ok: false, message: (err as Error).message };
      }
    },
    dispose: () => agent.close(),
  };
}
