import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jwtVerify } from 'jose';

/** A service account with its key file, as IAM hands it out. */
export interface TestServiceAccount {
  keyFile: Record<string, string>;
  publicKey: KeyObject;
}

/** Make a service account key file (RSA 2048, PKCS#8) whose `token_uri` is `tokenUri`. */
export function serviceAccount(
  tokenUri: string,
  project = 'spin-test-project',
): TestServiceAccount {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    publicKey,
    keyFile: {
      type: 'service_account',
      project_id: project,
      private_key_id: crypto.randomUUID().replace(/-/g, ''),
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: `spin-reader@${project}.iam.gserviceaccount.com`,
      client_id: '1234567890',
      token_uri: tokenUri,
    },
  };
}

/** A planned failure: the next `times` API requests (not token requests) answer it. */
export interface GcpFault {
  times: number;
  status: number;
  headers?: Record<string, string>;
  body: unknown;
}

const googleError = (code: number, status: string, message: string) => ({
  error: { code, message, status },
});

/**
 * A loopback Google token endpoint and Cloud Logging / Cloud Monitoring APIs. `POST /token`
 * verifies the RFC 7523 assertion (RS256 with the service account's public key, `iss`,
 * `aud` = the token URI, read scopes, at most an hour) and answers `invalid_grant` otherwise;
 * `POST /v2/entries:list` pages 1,200 entries of the last hour by `nextPageToken`;
 * `GET /v3/projects/{p}/timeSeries` answers aligned points. Errors are AIP-193 bodies:
 * 401 UNAUTHENTICATED, 404 NOT_FOUND, 400 INVALID_ARGUMENT, 429 RESOURCE_EXHAUSTED (paths under
 * `/limited/`), 503 UNAVAILABLE (`/broken/`). A filter with `hold` never answers.
 */
export class GcpEmulator {
  readonly entries: { timestamp: number; severity: string; text: string; pod: string }[];
  readonly requests: { path: string; body: string; authorization?: string }[] = [];
  readonly issued = new Set<string>();
  readonly accounts = new Map<string, KeyObject>();
  openHeld = 0;
  private faults: GcpFault[] = [];
  private server: Server | null = null;
  url = '';

  constructor(
    readonly project = 'spin-test-project',
    now = Date.now(),
  ) {
    this.entries = Array.from({ length: 1200 }, (_, i) => ({
      timestamp: now - 3_500_000 + i * 2900,
      severity: i % 10 === 0 ? 'ERROR' : 'INFO',
      text: `request ${i} ${i % 10 === 0 ? 'failed' : 'ok'}`,
      pod: `api-${i % 3}`,
    }));
  }

  get tokenUri(): string {
    return `${this.url}/token`;
  }

  /** Trust a service account (its public key), as IAM would. */
  trust(account: TestServiceAccount): void {
    this.accounts.set(account.keyFile.client_email!, account.publicKey);
  }

  fail(fault: GcpFault): void {
    this.faults.push({ ...fault });
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => void this.handle(req, res, body));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }

  private async handle(req: IncomingMessage, res: ServerResponse, body: string): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://google');
    this.requests.push({ path: url.pathname, body, authorization: req.headers.authorization });
    const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
      res.end(JSON.stringify(value));
    };
    if (url.pathname === '/token' && req.method === 'POST') return this.token(body, json);
    const fault = this.faults[0];
    if (fault) {
      if (--fault.times <= 0) this.faults.shift();
      return json(fault.status, fault.body, fault.headers);
    }
    if (url.pathname.startsWith('/limited/'))
      return json(
        429,
        googleError(
          429,
          'RESOURCE_EXHAUSTED',
          "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute'",
        ),
      );
    if (url.pathname.startsWith('/broken/'))
      return json(503, googleError(503, 'UNAVAILABLE', 'The service is currently unavailable.'));
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    if (!this.issued.has(token))
      return json(
        401,
        googleError(
          401,
          'UNAUTHENTICATED',
          'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
        ),
      );
    if (url.pathname === '/v2/entries:list' && req.method === 'POST') {
      const q = JSON.parse(body || '{}') as {
        resourceNames?: string[];
        filter?: string;
        pageSize?: number;
        pageToken?: string;
      };
      if (q.resourceNames?.[0] !== `projects/${this.project}`)
        return json(404, googleError(404, 'NOT_FOUND', 'Requested entity was not found.'));
      const filter = q.filter ?? '';
      if (filter.includes('hold')) {
        this.openHeld++;
        res.on('close', () => this.openHeld--);
        return;
      }
      if ((filter.match(/\(/g)?.length ?? 0) !== (filter.match(/\)/g)?.length ?? 0))
        return json(
          400,
          googleError(
            400,
            'INVALID_ARGUMENT',
            `Invalid filter expression: unbalanced parentheses in "${filter}"`,
          ),
        );
      const since = Date.parse(/timestamp>="([^"]+)"/.exec(filter)?.[1] ?? '') || 0;
      const until = Date.parse(/timestamp<="([^"]+)"/.exec(filter)?.[1] ?? '') || Infinity;
      const wantErrors = /severity>=ERROR/.test(filter);
      const matching = this.entries
        .filter(
          (e) =>
            e.timestamp >= since && e.timestamp <= until && (!wantErrors || e.severity === 'ERROR'),
        )
        .sort((a, b) => b.timestamp - a.timestamp);
      const offset = q.pageToken ? Number(Buffer.from(q.pageToken, 'base64').toString()) : 0;
      const size = Math.min(q.pageSize ?? 50, 1000);
      const page = matching.slice(offset, offset + size);
      const next =
        offset + size < matching.length
          ? Buffer.from(String(offset + size)).toString('base64')
          : undefined;
      return json(200, {
        entries: page.map((e, i) => ({
          logName: `projects/${this.project}/logs/stdout`,
          resource: {
            type: 'k8s_container',
            labels: { project_id: this.project, pod_name: e.pod },
          },
          timestamp: new Date(e.timestamp).toISOString(),
          receiveTimestamp: new Date(e.timestamp + 50).toISOString(),
          severity: e.severity,
          insertId: `ins-${offset + i}`,
          textPayload: e.text,
        })),
        ...(next ? { nextPageToken: next } : {}),
      });
    }
    const ts = /^\/v3\/projects\/([^/]+)\/timeSeries$/.exec(url.pathname);
    if (ts && req.method === 'GET') {
      if (ts[1] !== this.project)
        return json(
          404,
          googleError(404, 'NOT_FOUND', `Project ${ts[1]} not found or permission denied.`),
        );
      const filter = url.searchParams.get('filter') ?? '';
      const type = /metric\.type\s*=\s*"([^"]+)"/.exec(filter)?.[1];
      if (!type)
        return json(
          400,
          googleError(
            400,
            'INVALID_ARGUMENT',
            'Field filter had an invalid value: a metric.type is required',
          ),
        );
      const start = Date.parse(url.searchParams.get('interval.startTime') ?? '');
      const end = Date.parse(url.searchParams.get('interval.endTime') ?? '');
      const period =
        Number((url.searchParams.get('aggregation.alignmentPeriod') ?? '300s').replace('s', '')) *
        1000;
      const n = Math.floor((end - start) / period);
      return json(200, {
        timeSeries: ['api-0', 'api-1'].map((pod, j) => ({
          metric: { type, labels: { container: 'api' } },
          resource: { type: 'k8s_container', labels: { pod_name: pod } },
          metricKind: 'GAUGE',
          valueType: 'DOUBLE',
          points: Array.from({ length: n }, (_, k) => ({
            interval: { endTime: new Date(end - k * period).toISOString() },
            value: { doubleValue: j + k / 10 },
          })),
        })),
        unit: '1',
      });
    }
    return json(404, googleError(404, 'NOT_FOUND', `no route ${url.pathname}`));
  }

  private async token(body: string, json: (s: number, v: unknown) => void): Promise<void> {
    const form = new URLSearchParams(body);
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer')
      return json(400, {
        error: 'unsupported_grant_type',
        error_description: 'Invalid grant_type',
      });
    const assertion = form.get('assertion') ?? '';
    const iss = (() => {
      try {
        return (
          JSON.parse(Buffer.from(assertion.split('.')[1] ?? '', 'base64url').toString()) as {
            iss?: string;
          }
        ).iss;
      } catch {
        return undefined;
      }
    })();
    const key = iss ? this.accounts.get(iss) : undefined;
    if (!key)
      return json(400, {
        error: 'invalid_grant',
        error_description: 'Invalid grant: account not found',
      });
    try {
      const { payload } = await jwtVerify(assertion, key, {
        issuer: iss,
        audience: this.tokenUri,
        algorithms: ['RS256'],
      });
      if ((payload.exp ?? 0) - (payload.iat ?? 0) > 3600) throw new Error('lifetime');
      if (!String(payload.scope ?? '').includes('logging.read')) throw new Error('scope');
    } catch {
      return json(400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
    }
    const token = `ya29.${crypto.randomUUID()}`;
    this.issued.add(token);
    json(200, { access_token: token, expires_in: 3599, token_type: 'Bearer' });
  }
}
