import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One event of an emulated log group. */
export interface EmulatedLogEvent {
  timestamp: number;
  message: string;
}

interface Query {
  id: string;
  group: string;
  rows: { field: string; value: string }[][];
  status: 'Running' | 'Complete' | 'Cancelled';
  polls: number;
}

/** A planned failure: the next `times` requests answer it. */
export interface AwsFault {
  times: number;
  status: number;
  type: string;
  message: string;
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) =>
  createHmac('sha256', key).update(data).digest();

/** RFC 3986 encoding as SigV4 wants it (everything but unreserved characters). */
const uriEncode = (s: string) =>
  encodeURIComponent(s).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );

/**
 * Verify a request's AWS Signature Version 4 (AWS General Reference, "Create a signed AWS API
 * request"), written here from the specification — independently of the signing library the
 * processor uses — so a test shows the processor's requests would pass AWS's own check.
 * Returns null when valid, else the AWS error the service would answer.
 */
export function verifySigV4(
  req: {
    method: string;
    path: string;
    query: URLSearchParams;
    headers: IncomingMessage['headers'];
    body: string;
  },
  keys: ReadonlyMap<string, string>,
  now = Date.now(),
): { status: number; type: string; message: string } | null {
  const auth = req.headers.authorization ?? '';
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(
      auth,
    );
  if (!m)
    return {
      status: 400,
      type: 'IncompleteSignatureException',
      message: 'Authorization header requires Credential, SignedHeaders and Signature.',
    };
  const [, accessKeyId, date, region, service, signedHeaders, signature] = m as unknown as string[];
  const secret = keys.get(accessKeyId!);
  if (secret === undefined)
    return {
      status: 400,
      type: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    };
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const at = Date.parse(
    amzDate.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'),
  );
  if (Number.isNaN(at) || !amzDate.startsWith(date!))
    return {
      status: 400,
      type: 'IncompleteSignatureException',
      message: 'X-Amz-Date is missing or does not match the credential scope.',
    };
  if (Math.abs(now - at) > 5 * 60_000)
    return {
      status: 400,
      type: 'InvalidSignatureException',
      message: 'Signature expired: the request time is more than 5 minutes from the server time.',
    };
  const names = signedHeaders!.split(';');
  if (!names.includes('host'))
    return {
      status: 400,
      type: 'IncompleteSignatureException',
      message: 'The host header must be signed.',
    };
  const canonicalHeaders = names
    .map((n) => {
      const v = req.headers[n];
      const value = (Array.isArray(v) ? v.join(',') : (v ?? '')).trim().replace(/\s+/g, ' ');
      return `${n}:${value}\n`;
    })
    .join('');
  const canonicalQuery = [...req.query.entries()]
    .map(([k, v]) => [uriEncode(k), uriEncode(v)])
    .sort(([a, x], [b, y]) => (a! < b! ? -1 : a! > b! ? 1 : x! < y! ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalPath =
    req.path
      .split('/')
      .map((s) => uriEncode(decodeURIComponent(s)))
      .join('/') || '/';
  const payloadHash = String(req.headers['x-amz-content-sha256'] ?? sha256(req.body));
  const canonicalRequest = [
    req.method,
    canonicalPath,
    canonicalQuery,
    canonicalHeaders,
    signedHeaders,
    payloadHash,
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date!), region!), service!), 'aws4_request');
  const expected = hmac(key, stringToSign);
  if (!timingSafeEqual(expected, Buffer.from(signature!, 'hex')))
    return {
      status: 403,
      type: 'InvalidSignatureException',
      message:
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    };
  return null;
}

/**
 * A loopback CloudWatch Logs + CloudWatch (JSON protocols: `X-Amz-Target: Logs_20140328.*`,
 * `GraniteServiceVersion20100801.*`) that verifies every request's SigV4 signature with the
 * secret key ({@link verifySigV4}) and answers AWS's error bodies (`{"__type","message"}`):
 * unknown key 400 UnrecognizedClientException, wrong secret 403 InvalidSignatureException,
 * 400 ThrottlingException (AWS's rate limit), 400 MalformedQueryException, 400
 * ResourceNotFoundException, 500 ServiceUnavailableException. Logs Insights: StartQuery →
 * Running on the first GetQueryResults, Complete on the next (log group `/slow` stays Running
 * until StopQuery); a subset of the query language: `fields`, `filter @message like /re/`,
 * `stats count(*) by <field>`, `limit`. GetMetricData: `SELECT AVG(<metric>) FROM SCHEMA(
 * "AWS/EC2", InstanceId) GROUP BY InstanceId` with NextToken paging. Paths under `/limited/`
 * are always throttled, under `/broken/` unavailable.
 */
export class AwsEmulator {
  readonly groups = new Map<string, EmulatedLogEvent[]>();
  readonly queries = new Map<string, Query>();
  readonly requests: {
    target: string;
    region: string;
    service: string;
    body: string;
    accessKeyId?: string;
    rejected?: string;
  }[] = [];
  private keys: Map<string, string>;
  /** Session tokens of temporary keys STS issued. */
  private sessions = new Map<string, string>();
  /** Roles that may be assumed, and by which access key. */
  readonly roles = new Map<string, string>();
  private faults: AwsFault[] = [];
  private server: Server | null = null;
  private nextId = 1;
  url = '';

  constructor(keys: { accessKeyId: string; secretAccessKey: string }, now = Date.now()) {
    this.keys = new Map([[keys.accessKeyId, keys.secretAccessKey]]);
    this.groups.set(
      '/aws/lambda/api',
      Array.from({ length: 120 }, (_, i) => ({
        timestamp: now - 3_540_000 + i * 29_000,
        message: `${i % 6 === 0 ? 'ERROR' : 'INFO'} request ${i} host=web-${(i % 3) + 1}`,
      })),
    );
    this.groups.set(
      '/aws/bulk',
      Array.from({ length: 1200 }, (_, i) => ({
        timestamp: now - 3_000_000 + i * 1000,
        message: `line ${i}`,
      })),
    );
    this.groups.set('/slow', []);
  }

  fail(fault: AwsFault): void {
    this.faults.push({ ...fault });
  }

  /** Logs Insights queries still running. */
  runningQueries(): number {
    return [...this.queries.values()].filter((q) => q.status === 'Running').length;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => this.handle(req, res, body));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }

  private handle(req: IncomingMessage, res: ServerResponse, body: string): void {
    const url = new URL(req.url ?? '/', 'http://aws');
    const target = String(req.headers['x-amz-target'] ?? '');
    const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\//.exec(
      req.headers.authorization ?? '',
    );
    const seen: (typeof this.requests)[number] = {
      target,
      region: scope?.[1] ?? '',
      service: scope?.[2] ?? '',
      body,
    };
    this.requests.push(seen);
    const json = (status: number, value: unknown, type?: string) => {
      res.writeHead(status, {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-requestid': crypto.randomUUID(),
        ...(type ? { 'x-amzn-errortype': type } : {}),
      });
      res.end(JSON.stringify(value));
    };
    const error = (status: number, type: string, message: string) => {
      seen.rejected = type;
      json(status, { __type: type, message }, type);
    };
    const bad = verifySigV4(
      {
        method: req.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
      },
      this.keys,
    );
    if (bad) return error(bad.status, bad.type, bad.message);
    const keyId = /Credential=([^/]+)\//.exec(req.headers.authorization ?? '')?.[1] ?? '';
    seen.accessKeyId = keyId;
    const session = this.sessions.get(keyId);
    if (session !== undefined && req.headers['x-amz-security-token'] !== session)
      return error(
        400,
        'UnrecognizedClientException',
        'The security token included in the request is invalid.',
      );
    if (seen.service === 'sts') return this.sts(new URLSearchParams(body), keyId, res, seen);
    const fault = this.faults[0];
    if (fault) {
      if (--fault.times <= 0) this.faults.shift();
      return error(fault.status, fault.type, fault.message);
    }
    if (url.pathname.startsWith('/limited/'))
      return error(400, 'ThrottlingException', 'Rate exceeded');
    if (url.pathname.startsWith('/broken/'))
      return error(
        500,
        'ServiceUnavailableException',
        'The service is unavailable. Please try again later.',
      );
    if (url.pathname !== '/')
      return error(404, 'UnknownOperationException', `no such path ${url.pathname}`);
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(body || '{}') as Record<string, unknown>;
    } catch {
      return error(400, 'SerializationException', 'the request body is not valid JSON');
    }
    const [prefix, action] = target.split('.');
    const service =
      prefix === 'Logs_20140328'
        ? 'logs'
        : prefix === 'GraniteServiceVersion20100801'
          ? 'monitoring'
          : '';
    if (!service || seen.service !== service)
      return error(
        400,
        'InvalidSignatureException',
        `Credential should be scoped to correct service: '${service || 'unknown'}'.`,
      );
    switch (`${service}.${action}`) {
      case 'logs.DescribeLogGroups':
        return json(200, {
          logGroups: [...this.groups.keys()].map((logGroupName) => ({
            logGroupName,
            storedBytes: 1,
          })),
        });
      case 'logs.StartQuery':
        return this.startQuery(input, json, error);
      case 'logs.GetQueryResults': {
        const q = this.queries.get(String(input.queryId));
        if (!q)
          return error(400, 'ResourceNotFoundException', 'The specified query does not exist.');
        if (q.status === 'Running' && q.group !== '/slow' && q.polls++ > 0) q.status = 'Complete';
        return json(200, {
          status: q.status,
          results: q.status === 'Complete' ? q.rows : [],
          statistics: {
            recordsMatched: q.rows.length,
            recordsScanned: q.rows.length * 2,
            bytesScanned: 1024,
          },
        });
      }
      case 'logs.StopQuery': {
        const q = this.queries.get(String(input.queryId));
        if (!q)
          return error(400, 'ResourceNotFoundException', 'The specified query does not exist.');
        const success = q.status === 'Running';
        if (success) q.status = 'Cancelled';
        return json(200, { success });
      }
      case 'monitoring.GetMetricData':
        return this.getMetricData(input, json, error);
      default:
        return error(400, 'UnknownOperationException', `unknown operation ${target}`);
    }
  }

  /** STS AssumeRole (Query protocol, XML answers), for keys allowed to assume the role. */
  private sts(
    form: URLSearchParams,
    keyId: string,
    res: ServerResponse,
    seen: { target: string; rejected?: string },
  ): void {
    seen.target = `sts.${form.get('Action') ?? ''}`;
    const xml = (status: number, text: string) => {
      res.writeHead(status, { 'content-type': 'text/xml' });
      res.end(text);
    };
    const arn = form.get('RoleArn') ?? '';
    if (form.get('Action') !== 'AssumeRole')
      return xml(
        400,
        '<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>Could not find operation</Message></Error></ErrorResponse>',
      );
    if (this.roles.get(arn) !== keyId) {
      seen.rejected = 'AccessDenied';
      return xml(
        403,
        `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/spin is not authorized to perform: sts:AssumeRole on resource: ${arn}</Message></Error><RequestId>0</RequestId></ErrorResponse>`,
      );
    }
    const accessKeyId = `ASIA${crypto.randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase()}`;
    const secret = crypto.randomUUID();
    const token = Buffer.from(crypto.randomUUID()).toString('base64');
    this.keys.set(accessKeyId, secret);
    this.sessions.set(accessKeyId, token);
    xml(
      200,
      `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><AssumedRoleUser><Arn>${arn}/spin-notebook</Arn><AssumedRoleId>AROA:spin-notebook</AssumedRoleId></AssumedRoleUser><Credentials><AccessKeyId>${accessKeyId}</AccessKeyId><SecretAccessKey>${secret}</SecretAccessKey><SessionToken>${token}</SessionToken><Expiration>${new Date(Date.now() + 3_600_000).toISOString()}</Expiration></Credentials></AssumeRoleResult><ResponseMetadata><RequestId>0</RequestId></ResponseMetadata></AssumeRoleResponse>`,
    );
  }

  /** Access keys STS issued (temporary, with a session token). */
  temporaryKeys(): string[] {
    return [...this.sessions.keys()];
  }

  private startQuery(
    input: Record<string, unknown>,
    json: (s: number, v: unknown) => void,
    error: (s: number, t: string, m: string) => void,
  ): void {
    const groups = (input.logGroupNames as string[] | undefined) ?? [];
    if (groups.length === 0)
      return error(
        400,
        'InvalidParameterException',
        'logGroupNames or logGroupIdentifiers must be specified',
      );
    const missing = groups.find((g) => !this.groups.has(g));
    if (missing)
      return error(
        400,
        'ResourceNotFoundException',
        `Log group '${missing}' does not exist for account ID '123456789012'`,
      );
    const start = Number(input.startTime) * 1000;
    const end = Number(input.endTime) * 1000;
    const text = String(input.queryString ?? '');
    let events = groups
      .flatMap((g) => this.groups.get(g)!)
      .filter((e) => e.timestamp >= start && e.timestamp <= end);
    const fmt = (t: number) => new Date(t).toISOString().replace('T', ' ').replace('Z', '');
    let rows: { field: string; value: string }[][] = [];
    let fields = ['@timestamp', '@message'];
    let limit = Number(input.limit ?? 1000);
    let stats: string | null = null;
    for (const stage of text.split('|').map((s) => s.trim())) {
      let m: RegExpExecArray | null;
      if ((m = /^fields\s+(.+)$/.exec(stage))) fields = m[1]!.split(',').map((f) => f.trim());
      else if ((m = /^filter\s+@message\s+like\s+\/(.*)\/$/.exec(stage))) {
        const re = new RegExp(m[1]!);
        events = events.filter((e) => re.test(e.message));
      } else if ((m = /^stats\s+count\(\*\)\s+by\s+(\w+)$/.exec(stage))) stats = m[1]!;
      else if ((m = /^sort\s+@timestamp\s+(asc|desc)$/.exec(stage)))
        events = [...events].sort((a, b) =>
          m![1] === 'asc' ? a.timestamp - b.timestamp : b.timestamp - a.timestamp,
        );
      else if ((m = /^limit\s+(\d+)$/.exec(stage))) limit = Math.min(limit, Number(m[1]));
      else
        return error(
          400,
          'MalformedQueryException',
          `unexpected symbol found ${stage.split(/\s+/)[0] ?? ''} at line 1 and position ${text.indexOf(stage) + 1}`,
        );
    }
    if (stats) {
      const counts = new Map<string, number>();
      for (const e of events) {
        const v = new RegExp(`${stats}=(\\S+)`).exec(e.message)?.[1] ?? '';
        counts.set(v, (counts.get(v) ?? 0) + 1);
      }
      rows = [...counts].sort().map(([v, c]) => [
        { field: stats!, value: v },
        { field: 'count(*)', value: String(c) },
      ]);
    } else {
      rows = events.slice(0, limit).map((e, i) => [
        ...fields.map((f) => ({
          field: f,
          value: f === '@timestamp' ? fmt(e.timestamp) : e.message,
        })),
        { field: '@ptr', value: `ptr-${i}` },
      ]);
    }
    const id = `q-${this.nextId++}-${crypto.randomUUID()}`;
    this.queries.set(id, { id, group: groups[0]!, rows, status: 'Running', polls: 0 });
    json(200, { queryId: id });
  }

  private getMetricData(
    input: Record<string, unknown>,
    json: (s: number, v: unknown) => void,
    error: (s: number, t: string, m: string) => void,
  ): void {
    const q = (
      input.MetricDataQueries as { Id: string; Expression?: string; Period?: number }[] | undefined
    )?.[0];
    const m =
      /^SELECT AVG\((\w+)\) FROM SCHEMA\("AWS\/EC2", ?InstanceId\) GROUP BY InstanceId$/.exec(
        q?.Expression ?? '',
      );
    if (!q || !m)
      return error(
        400,
        'ValidationError',
        `Error in expression 'q1': Unrecognized token in ${q?.Expression ?? ''}`,
      );
    const period = q.Period ?? 300;
    const start = Number(input.StartTime);
    const end = Number(input.EndTime);
    const points = Math.max(0, Math.floor((end - start) / period));
    const instances = ['i-0a1', 'i-0b2', 'i-0c3'];
    // Two pages: the first carries the first half of each series, as NextToken pages do.
    const half = Math.ceil(points / 2);
    const second = input.NextToken === 'page-2';
    const range = second ? [half, points] : [0, half];
    json(200, {
      MetricDataResults: instances.map((id, n) => ({
        Id: 'q1',
        Label: id,
        StatusCode: 'Complete',
        Timestamps: Array.from(
          { length: range[1]! - range[0]! },
          (_, k) => start + (range[0]! + k) * period,
        ),
        Values: Array.from(
          { length: range[1]! - range[0]! },
          (_, k) => n * 10 + ((range[0]! + k) % 4),
        ),
      })),
      ...(second || half === points ? {} : { NextToken: 'page-2' }),
      Messages: [],
    });
  }
}
