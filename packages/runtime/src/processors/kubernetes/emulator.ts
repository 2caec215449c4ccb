import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A cluster CA and the API server's certificate for 127.0.0.1, made with openssl. */
export interface ClusterPki {
  caCert: string;
  serverCert: string;
  serverKey: string;
}

/** Make a throwaway cluster PKI (as kubeadm does, much smaller). */
export function clusterPki(): ClusterPki {
  const dir = mkdtempSync(join(tmpdir(), 'spin-k8s-pki-'));
  const run = (args: string[]) =>
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
    run([
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '2',
      '-subj',
      '/CN=kubernetes-ca',
    ]);
    run([
      'req',
      ...ec,
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
      '-subj',
      '/CN=kube-apiserver',
    ]);
    writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    run([
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.crt',
      '-days',
      '2',
      '-extfile',
      'ext.cnf',
    ]);
    const read = (f: string) => readFileSync(join(dir, f), 'utf8');
    return {
      caCert: read('ca.crt'),
      serverCert: read('server.crt'),
      serverKey: read('server.key'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Nodes of the emulated cluster. */
export const KUBE_NODES = ['web-1', 'web-2', 'worker-9'] as const;

/* eslint-disable-next-line @typescript-eslint/no-explicit-any -- objects are open JSON, as the API's */
type Obj = Record<string, any> & {
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    creationTimestamp?: string;
  };
};

/** A planned failure: the next `times` requests answer it. */
export interface KubeFault {
  times: number;
  status: number;
  headers?: Record<string, string>;
  body: unknown;
}

function status(code: number, reason: string, message: string, details?: object) {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  };
}

/**
 * A loopback Kubernetes API server over HTTPS (its certificate from {@link clusterPki}),
 * answering the documented REST paths (API reference, "Workloads", "Cluster"): pods, events,
 * services and nodes under `/api/v1`, deployments under `/apis/apps/v1`, namespaced and
 * cluster-wide, with `limit`/`continue` paging, `labelSelector` (`k=v`), and
 * `/api/v1/namespaces/{ns}/pods/{pod}/log` with `follow`, `timestamps`, `tailLines`,
 * `sinceTime`. Failures are meta/v1 `Status` bodies: 401 Unauthorized without the bearer
 * token, 404 NotFound, 400 BadRequest for a bad selector, 429 TooManyRequests with Retry-After
 * (API Priority and Fairness); `fail()` plans failures. `/version` needs no token, as on most
 * clusters. Namespace `bulk` holds 1,200 pods.
 */
export class KubernetesEmulator {
  readonly objects: Obj[] = [];
  readonly logLines = new Map<string, string[]>();
  readonly requests: { method: string; path: string; query: URLSearchParams }[] = [];
  /** Log streams with `follow=true` whose connection is still open. */
  openFollows = 0;
  private followers = new Map<string, Set<{ res: ServerResponse; stamp: boolean }>>();
  private faults: KubeFault[] = [];
  private server: Server | null = null;
  url = '';

  constructor(
    readonly token: string,
    readonly pki: ClusterPki,
    now = Date.now(),
  ) {
    const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const pod = (ns: string, name: string, node: string, app: string, restarts = 0): Obj => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: ns, labels: { app }, creationTimestamp: iso(now - 86_400_000) },
      spec: { nodeName: node, containers: [{ name: app, image: `${app}:1.0` }] },
      status: {
        phase: 'Running',
        podIP: `10.0.0.${this.objects.length + 2}`,
        containerStatuses: [{ name: app, ready: true, restartCount: restarts }],
      },
    });
    this.objects.push(
      pod('default', 'api-0', 'web-1', 'api', 2),
      pod('default', 'api-1', 'web-2', 'api'),
      pod('default', 'cache-0', 'worker-9', 'cache'),
      pod('kube-system', 'coredns-0', 'web-1', 'coredns'),
    );
    for (let i = 0; i < 1200; i++) this.objects.push(pod('bulk', `job-${i}`, 'worker-9', 'job'));
    const event = (
      i: number,
      podName: string,
      node: string,
      reason: string,
      type: string,
      ago: number,
    ) => ({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: {
        name: `${podName}.${i}`,
        namespace: 'default',
        creationTimestamp: iso(now - ago),
      },
      involvedObject: { kind: 'Pod', name: podName, namespace: 'default' },
      reason,
      message: `${reason} on ${podName}`,
      type,
      count: i + 1,
      firstTimestamp: iso(now - ago - 60_000),
      lastTimestamp: iso(now - ago),
      source: { component: 'kubelet', host: node },
    });
    this.objects.push(
      event(0, 'api-0', 'web-1', 'BackOff', 'Warning', 600_000),
      event(1, 'api-0', 'web-1', 'Pulled', 'Normal', 1_200_000),
      event(2, 'api-1', 'web-2', 'Unhealthy', 'Warning', 300_000),
      event(3, 'cache-0', 'worker-9', 'Started', 'Normal', 900_000),
      // Two hours ago: outside a one-hour time range.
      event(4, 'api-1', 'web-2', 'Scheduled', 'Normal', 7_200_000),
    );
    this.objects.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'api', namespace: 'default', creationTimestamp: iso(now - 86_400_000) },
      spec: { replicas: 2 },
      status: { readyReplicas: 2, updatedReplicas: 2, availableReplicas: 2 },
    });
    this.objects.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'api', namespace: 'default', creationTimestamp: iso(now - 86_400_000) },
      spec: { type: 'ClusterIP', clusterIP: '10.96.0.10', ports: [{ port: 80, protocol: 'TCP' }] },
    });
    for (const n of KUBE_NODES) {
      this.objects.push({
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: n, creationTimestamp: iso(now - 30 * 86_400_000) },
        status: {
          conditions: [{ type: 'Ready', status: 'True' }],
          nodeInfo: { kubeletVersion: 'v1.30.2' },
        },
      });
    }
    this.logLines.set(
      'default/api-0',
      Array.from(
        { length: 5 },
        (_, i) => `${iso(now - 60_000 + i * 1000)} GET /healthz 200 (${i})`,
      ),
    );
  }

  fail(fault: KubeFault): void {
    this.faults.push({ ...fault });
  }

  /** Write a new line to a pod's log: followers see it at once. */
  appendLog(namespace: string, pod: string, text: string): void {
    const line = `${new Date().toISOString()} ${text}`;
    const key = `${namespace}/${pod}`;
    this.logLines.set(key, [...(this.logLines.get(key) ?? []), line]);
    for (const f of this.followers.get(key) ?? []) f.res.write(`${f.stamp ? line : text}\n`);
  }

  async start(): Promise<this> {
    this.server = createServer({ cert: this.pki.serverCert, key: this.pki.serverKey }, (req, res) =>
      this.handle(req, res),
    );
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'https://kube');
    this.requests.push({ method: req.method ?? '', path: url.pathname, query: url.searchParams });
    const json = (code: number, value: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(code, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(value));
    };
    const fault = this.faults[0];
    if (fault) {
      if (--fault.times <= 0) this.faults.shift();
      return json(fault.status, fault.body, fault.headers);
    }
    if (url.pathname === '/version')
      return json(200, { major: '1', minor: '30', gitVersion: 'v1.30.2', platform: 'linux/amd64' });
    if (url.pathname.startsWith('/limited/'))
      return json(
        429,
        status(429, 'TooManyRequests', 'Too many requests, please try again later.', {
          retryAfterSeconds: 120,
        }),
        { 'retry-after': '120' },
      );
    if (url.pathname.startsWith('/broken/'))
      return json(
        500,
        status(500, 'InternalError', 'Internal error occurred: etcdserver: request timed out'),
      );
    if (req.headers.authorization !== `Bearer ${this.token}`)
      return json(401, status(401, 'Unauthorized', 'Unauthorized'));
    if (req.method !== 'GET')
      return json(405, status(405, 'MethodNotAllowed', 'the server does not allow this method'));
    const log = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/log$/.exec(url.pathname);
    if (log)
      return this.podLog(decodeURIComponent(log[1]!), decodeURIComponent(log[2]!), url, res, json);
    const m =
      /^\/(?:api\/v1|apis\/apps\/v1)(?:\/namespaces\/([^/]+))?\/(pods|events|services|deployments|nodes)$/.exec(
        url.pathname,
      );
    const kinds: Record<string, [string, string]> = {
      pods: ['Pod', 'api/v1'],
      events: ['Event', 'api/v1'],
      services: ['Service', 'api/v1'],
      nodes: ['Node', 'api/v1'],
      deployments: ['Deployment', 'apis/apps/v1'],
    };
    if (!m || !url.pathname.startsWith(`/${kinds[m[2]!]![1]}/`))
      return json(404, status(404, 'NotFound', 'the server could not find the requested resource'));
    const [, ns, resource] = m;
    const selector = url.searchParams.get('labelSelector');
    let match: (o: Obj) => boolean = () => true;
    if (selector) {
      const sel = /^([\w./-]+)(==?|!=)([\w.-]*)$/.exec(selector);
      if (!sel)
        return json(
          400,
          status(
            400,
            'BadRequest',
            `unable to parse requirement: found '${selector}', expected: identifier`,
          ),
        );
      const [, k, op, v] = sel;
      match = (o) => ((o.metadata.labels?.[k!] ?? null) === v) === (op !== '!=');
    }
    const items = this.objects.filter(
      (o) => o.kind === kinds[resource!]![0] && (!ns || o.metadata.namespace === ns) && match(o),
    );
    const limit = Number(url.searchParams.get('limit') ?? 0);
    let start = 0;
    const token = url.searchParams.get('continue');
    if (token) {
      start = Number(Buffer.from(token, 'base64').toString().split(':')[1]);
      if (!Number.isInteger(start))
        return json(410, status(410, 'Expired', 'The provided continue parameter is too old'));
    }
    const page = limit > 0 ? items.slice(start, start + limit) : items.slice(start);
    const next = limit > 0 && start + limit < items.length ? start + limit : null;
    json(200, {
      kind: `${kinds[resource!]![0]}List`,
      apiVersion: kinds[resource!]![1].replace(/^apis?\//, ''),
      metadata: {
        resourceVersion: '4242',
        ...(next !== null
          ? {
              continue: Buffer.from(`rv4242:${next}`).toString('base64'),
              remainingItemCount: items.length - next,
            }
          : {}),
      },
      items: page,
    });
  }

  private podLog(
    ns: string,
    pod: string,
    url: URL,
    res: ServerResponse,
    json: (code: number, v: unknown) => void,
  ): void {
    if (
      !this.objects.some(
        (o) => o.kind === 'Pod' && o.metadata.namespace === ns && o.metadata.name === pod,
      )
    )
      return json(
        404,
        status(404, 'NotFound', `pods "${pod}" not found`, { name: pod, kind: 'pods' }),
      );
    const key = `${ns}/${pod}`;
    let lines = this.logLines.get(key) ?? [];
    const since = url.searchParams.get('sinceTime');
    if (since) lines = lines.filter((l) => Date.parse(l.split(' ')[0]!) >= Date.parse(since));
    const tail = url.searchParams.get('tailLines');
    if (tail !== null) lines = lines.slice(-Number(tail));
    const stamp = url.searchParams.get('timestamps') === 'true';
    const text = (l: string) => (stamp ? l : l.slice(l.indexOf(' ') + 1));
    res.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' });
    for (const l of lines) res.write(`${text(l)}\n`);
    if (url.searchParams.get('follow') !== 'true') return void res.end();
    // Following: keep the stream open and send new lines until the client goes away.
    const set = this.followers.get(key) ?? new Set<{ res: ServerResponse; stamp: boolean }>();
    this.followers.set(key, set);
    const follower = { res, stamp };
    set.add(follower);
    this.openFollows++;
    res.on('close', () => {
      set.delete(follower);
      this.openFollows--;
    });
  }
}
