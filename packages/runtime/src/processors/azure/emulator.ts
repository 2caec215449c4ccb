import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A CA and a certificate for 127.0.0.1 (MSAL accepts only https authorities). */
export function testTls(): { caCert: string; cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'spin-azure-pki-'));
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
      '/CN=azure-test-ca',
    ]);
    run(['req', ...ec, '-keyout', 'srv.key', '-out', 'srv.csr', '-subj', '/CN=127.0.0.1']);
    writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
    run([
      'x509',
      '-req',
      '-in',
      'srv.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'srv.crt',
      '-days',
      '2',
      '-extfile',
      'ext.cnf',
    ]);
    const read = (f: string) => readFileSync(join(dir, f), 'utf8');
    return { caCert: read('ca.crt'), cert: read('srv.crt'), key: read('srv.key') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A planned failure: the next `times` API requests (not token requests) answer it. */
export interface AzureFault {
  times: number;
  status: number;
  headers?: Record<string, string>;
  body: unknown;
}

const azError = (code: string, message: string, inner?: { code: string; message: string }) => ({
  error: { code, message, ...(inner ? { innererror: inner } : {}) },
});

/**
 * A loopback Microsoft Entra ID (v2.0 OpenID configuration and `oauth2/v2.0/token` with the
 * client-credentials grant; a wrong secret answers 401 `invalid_client` AADSTS7000215) and the
 * Azure Monitor APIs: Log Analytics `POST /v1/workspaces/{id}/query` (tables of typed columns;
 * 400 BadArgumentError/SyntaxError, 404 WorkspaceNotFoundError, 401 InvalidTokenError) and
 * Resource Manager metrics. All over HTTPS with its own CA. KQL subset: `Heartbeat` rows of
 * the time range, `| where Computer == "x"`, `| summarize count() by Computer`, `| take N`,
 * `range x from 1 to N step 1`; a query with `hold` never answers. `/limited/` answers 429
 * with Retry-After, `/broken/` 503.
 */
export class AzureEmulator {
  readonly heartbeats: { time: number; computer: string }[];
  readonly requests: { method: string; path: string; body: string; authorization?: string }[] = [];
  readonly issued = new Map<string, string>();
  openHeld = 0;
  private faults: AzureFault[] = [];
  private server: Server | null = null;
  url = '';

  constructor(
    readonly tls: { cert: string; key: string },
    readonly app: { tenantId: string; clientId: string; clientSecret: string; workspaceId: string },
    now = Date.now(),
  ) {
    this.heartbeats = Array.from({ length: 90 }, (_, i) => ({
      time: now - 3_500_000 + i * 38_000,
      computer: ['web-1', 'web-2', 'db-1'][i % 3]!,
    }));
  }

  fail(fault: AzureFault): void {
    this.faults.push({ ...fault });
  }

  async start(): Promise<this> {
    this.server = createServer({ cert: this.tls.cert, key: this.tls.key }, (req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => this.handle(req, res, body));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }

  private handle(req: IncomingMessage, res: ServerResponse, body: string): void {
    const url = new URL(req.url ?? '/', 'https://azure');
    this.requests.push({
      method: req.method ?? '',
      path: url.pathname,
      body,
      authorization: req.headers.authorization,
    });
    const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(value));
    };
    const { tenantId } = this.app;
    if (url.pathname === `/${tenantId}/v2.0/.well-known/openid-configuration`) {
      return json(200, {
        token_endpoint: `${this.url}/${tenantId}/oauth2/v2.0/token`,
        authorization_endpoint: `${this.url}/${tenantId}/oauth2/v2.0/authorize`,
        end_session_endpoint: `${this.url}/${tenantId}/oauth2/v2.0/logout`,
        issuer: `${this.url}/${tenantId}/v2.0`,
        jwks_uri: `${this.url}/${tenantId}/discovery/v2.0/keys`,
        response_types_supported: ['code', 'id_token', 'token'],
        token_endpoint_auth_methods_supported: [
          'client_secret_post',
          'private_key_jwt',
          'client_secret_basic',
        ],
      });
    }
    if (url.pathname === `/${tenantId}/oauth2/v2.0/token` && req.method === 'POST') {
      const form = new URLSearchParams(body);
      if (form.get('grant_type') !== 'client_credentials')
        return json(400, {
          error: 'unsupported_grant_type',
          error_description: 'AADSTS70003: The app requested an unsupported grant type.',
        });
      if (
        form.get('client_id') !== this.app.clientId ||
        form.get('client_secret') !== this.app.clientSecret
      )
        return json(401, {
          error: 'invalid_client',
          error_description: `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${form.get('client_id')}'.\r\nTrace ID: 0\r\nCorrelation ID: 0\r\nTimestamp: ${new Date().toISOString()}`,
          error_codes: [7000215],
        });
      const scope = form.get('scope') ?? '';
      const token = `eyJ0eXAiOiJKV1QifQ.${Buffer.from(JSON.stringify({ aud: scope.replace('/.default', ''), n: crypto.randomUUID() })).toString('base64url')}.sig`;
      this.issued.set(
        token,
        scope
          .split(' ')
          .find((s) => s.endsWith('/.default'))
          ?.replace('/.default', '') ?? '',
      );
      return json(200, {
        token_type: 'Bearer',
        expires_in: 3599,
        ext_expires_in: 3599,
        access_token: token,
      });
    }
    const fault = this.faults[0];
    if (fault) {
      if (--fault.times <= 0) this.faults.shift();
      return json(fault.status, fault.body, fault.headers);
    }
    if (url.pathname.startsWith('/limited/'))
      return json(
        429,
        azError('ThrottledError', 'Too many requests: your queries are being throttled, slow down'),
        { 'retry-after': '120' },
      );
    if (url.pathname.startsWith('/broken/'))
      return json(
        503,
        azError('ServiceUnavailableError', 'The service is temporarily unavailable'),
      );
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    if (!this.issued.has(token))
      return json(
        401,
        azError('InvalidTokenError', 'The provided authentication is not valid for this resource'),
      );
    const ws = /^\/v1\/workspaces\/([^/]+)\/query$/.exec(url.pathname);
    if (ws && req.method === 'POST') {
      if (ws[1] !== this.app.workspaceId)
        return json(
          404,
          azError('WorkspaceNotFoundError', `The workspace ${ws[1]} could not be found`),
        );
      return this.kql(
        JSON.parse(body || '{}') as { query?: string; timespan?: string },
        req,
        res,
        json,
      );
    }
    if (/\/providers\/Microsoft\.Insights\/metrics$/.test(url.pathname)) {
      const [from, to] = (url.searchParams.get('timespan') ?? '/')
        .split('/')
        .map((s) => Date.parse(s));
      const step = 300_000;
      const names = (url.searchParams.get('metricnames') ?? '').split(',');
      return json(200, {
        cost: 0,
        timespan: url.searchParams.get('timespan'),
        interval: url.searchParams.get('interval'),
        value: names.map((n) => ({
          id: `${url.pathname}/${n}`,
          type: 'Microsoft.Insights/metrics',
          name: { value: n, localizedValue: n },
          unit: 'Percent',
          timeseries: [
            {
              metadatavalues: [],
              data: Array.from({ length: Math.floor((to! - from!) / step) }, (_, k) => ({
                timeStamp: new Date(from! + k * step).toISOString(),
                average: k % 7,
              })),
            },
          ],
        })),
      });
    }
    return json(
      404,
      azError('PathNotFoundError', `The requested path does not exist: ${url.pathname}`),
    );
  }

  private kql(
    q: { query?: string; timespan?: string },
    req: IncomingMessage,
    res: ServerResponse,
    json: (s: number, v: unknown) => void,
  ): void {
    const text = q.query ?? '';
    if (text.includes('hold')) {
      this.openHeld++;
      res.on('close', () => this.openHeld--);
      return;
    }
    const syntax = (message: string) =>
      json(
        400,
        azError('BadArgumentError', 'The request had some invalid properties', {
          code: 'SyntaxError',
          message,
        }),
      );
    if ((text.match(/\(/g)?.length ?? 0) !== (text.match(/\)/g)?.length ?? 0))
      return syntax("A recognition error occurred in the query: unbalanced '('");
    const [from, to] = (q.timespan ?? '/').split('/').map((s) => Date.parse(s));
    const stages = text.split('|').map((s) => s.trim());
    let columns = [
      { name: 'TimeGenerated', type: 'datetime' },
      { name: 'Computer', type: 'string' },
    ];
    let rows: unknown[][];
    const range = /^range (\w+) from 1 to (\d+) step 1$/.exec(stages[0]!);
    if (range) {
      columns = [{ name: range[1]!, type: 'long' }];
      rows = Array.from({ length: Number(range[2]) }, (_, i) => [i + 1]);
    } else if (stages[0] === 'Heartbeat') {
      rows = this.heartbeats
        .filter((h) => (!from || h.time >= from) && (!to || h.time <= to))
        .map((h) => [new Date(h.time).toISOString(), h.computer]);
    } else
      return json(
        400,
        azError('BadArgumentError', 'The request had some invalid properties', {
          code: 'SemanticError',
          message: `'${stages[0]}' could not be resolved to a table`,
        }),
      );
    for (const stage of stages.slice(1)) {
      let m: RegExpExecArray | null;
      if ((m = /^where Computer == "([^"]*)"$/.exec(stage)))
        rows = rows.filter((r) => r[1] === m![1]);
      else if ((m = /^take (\d+)$/.exec(stage))) rows = rows.slice(0, Number(m[1]));
      else if (/^summarize count\(\) by Computer$/.test(stage)) {
        const counts = new Map<string, number>();
        for (const r of rows) counts.set(r[1] as string, (counts.get(r[1] as string) ?? 0) + 1);
        columns = [
          { name: 'Computer', type: 'string' },
          { name: 'count_', type: 'long' },
        ];
        rows = [...counts].sort();
      } else return syntax(`A recognition error occurred in the query: '${stage.split(' ')[0]}'`);
    }
    void req;
    json(200, { tables: [{ name: 'PrimaryResult', columns, rows }] });
  }
}
