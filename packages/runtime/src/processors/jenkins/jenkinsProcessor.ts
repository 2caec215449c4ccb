import { SpinError, type Field } from '@spin/protocol';
import {
  JenkinsConfigSchema,
  JenkinsProgramSchema,
  JenkinsSecretsSchema,
  type JenkinsConfig,
  type JenkinsProgram,
  type JenkinsSecrets,
} from '@spin/protocol/processors/jenkins';
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
  config: JenkinsConfig;
  secrets: JenkinsSecrets;
}

/** Seconds between progressive-text polls of a running build. */
const FOLLOW_POLL_MS = 1000;

/** Jenkins (Jetty) error pages carry the reason in `<title>Error 401 …</title>`; JSON has `message`. */
export function jenkinsMessage(body: string): string {
  const title = /<title>([^<]*)<\/title>/i.exec(body)?.[1]?.trim();
  if (title) return title.replace(/^Error \d+\s*/, '');
  try {
    const j = JSON.parse(body) as { message?: string };
    if (j.message) return j.message;
  } catch {
    // plain text
  }
  return body
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 500);
}

function headers(conn: Conn): Record<string, string> {
  const creds = Buffer.from(
    `${conn.config.username}:${conn.secrets.apiToken ?? ''}`,
    'utf8',
  ).toString('base64');
  return { authorization: `Basic ${creds}` };
}

function jobUrl(conn: Conn, job: string[], rest: string): URL {
  const base = conn.config.url.endsWith('/') ? conn.config.url : `${conn.config.url}/`;
  const path = job.map((s) => `job/${encodeURIComponent(s)}/`).join('');
  return new URL(path + rest, base);
}

async function* jobs(p: JenkinsProgram, request: ProcessorRequest, c: VendorCall, conn: Conn) {
  const u = jobUrl(conn, p.job, 'api/json');
  u.searchParams.set(
    'tree',
    'jobs[name,fullName,url,color,lastBuild[number,result,timestamp,duration]]',
  );
  const { data } = await vendorJson<{
    jobs?: {
      name: string;
      fullName?: string;
      url: string;
      color?: string;
      lastBuild?: {
        number: number;
        result: string | null;
        timestamp: number;
        duration: number;
      } | null;
    }[];
  }>(u, { headers: { ...headers(conn), accept: 'application/json' } }, c);
  const fields: Field[] = [
    { name: 'name', type: 'string' },
    { name: 'full_name', type: 'string' },
    { name: 'status', type: 'string' },
    { name: 'last_build', type: 'integer' },
    { name: 'last_result', type: 'string' },
    { name: 'last_started', type: 'time' },
    { name: 'url', type: 'string' },
  ];
  const pager = new TablePager(fields, `${request.jti}:jobs`, c.host.limits.pageRows);
  const list = (data.jobs ?? []).slice(0, p.maxRows);
  for (const j of list) {
    const lb = j.lastBuild ?? null;
    const page = pager.push([
      j.name,
      j.fullName ?? j.name,
      j.color ?? null,
      lb?.number ?? null,
      lb?.result ?? (lb ? 'RUNNING' : null),
      lb?.timestamp ?? null,
      j.url,
    ]);
    if (page) yield page;
  }
  yield pager.end(list.length);
  yield { type: 'raw', value: data } as ProcessorFrame;
}

async function* builds(p: JenkinsProgram, request: ProcessorRequest, c: VendorCall, conn: Conn) {
  const from = Date.parse(request.timeRange.from);
  const to = Date.parse(request.timeRange.to);
  // Top-level names of the extra fields (`actions[parameters[name]],x` → actions, x).
  const extra = p.fields
    .replace(/\[[^\]]*\]/g, (m) => m.replace(/,/g, ';'))
    .split(',')
    .map((f) => f.split('[')[0]!)
    .filter(Boolean);
  const fields: Field[] = [
    { name: 'number', type: 'integer' },
    { name: 'result', type: 'string' },
    { name: 'building', type: 'boolean' },
    { name: 'started', type: 'time' },
    { name: 'duration_ms', type: 'integer', unit: 'ms' },
    { name: 'url', type: 'string' },
    ...extra.map((name): Field => ({ name, type: 'json' })),
  ];
  const pageRows = c.host.limits.pageRows;
  const pager = new TablePager(fields, `${request.jti}:builds`, pageRows);
  // Newest first; read ranges `{m,n}` of builds until one is older than the range.
  let rows = 0;
  for (let at = 0; rows < p.maxRows; at += pageRows) {
    const u = jobUrl(conn, p.job, 'api/json');
    u.searchParams.set(
      'tree',
      `builds[number,result,building,timestamp,duration,url${p.fields ? `,${p.fields}` : ''}]{${at},${at + pageRows}}`,
    );
    const { data } = await vendorJson<{
      builds?: ({
        number: number;
        result: string | null;
        building: boolean;
        timestamp: number;
        duration: number;
        url: string;
      } & Record<string, unknown>)[];
    }>(u, { headers: { ...headers(conn), accept: 'application/json' } }, c);
    const list = data.builds ?? [];
    let older = false;
    for (const b of list) {
      if (b.timestamp > to) continue;
      if (b.timestamp < from) {
        older = true;
        break;
      }
      if (rows >= p.maxRows) break;
      rows++;
      const page = pager.push([
        b.number,
        b.result ?? (b.building ? 'RUNNING' : null),
        b.building,
        b.timestamp,
        b.duration,
        b.url,
        ...extra.map((name) => b[name] ?? null),
      ]);
      if (page) yield page;
    }
    if (older || list.length < pageRows) break;
  }
  yield pager.end(rows);
}

async function* consoleLog(
  p: JenkinsProgram,
  request: ProcessorRequest,
  c: VendorCall,
  conn: Conn,
  signal: AbortSignal,
) {
  const frameId = `${request.jti}:console`;
  const labels = { job: p.job.join('/'), build: p.build! };
  let start = 0;
  let index = 0;
  let offset = 0;
  let rest = '';
  for (;;) {
    const u = jobUrl(conn, p.job, `${p.build}/logText/progressiveText`);
    u.searchParams.set('start', String(start));
    const { res } = await fetchWithRetry(u, { headers: headers(conn) }, c);
    const text = await res.text();
    if (res.status >= 400)
      throw httpError(res.status, `Jenkins: ${jenkinsMessage(text)}`, res.headers);
    // X-Text-Size is where the next read starts; X-More-Data says the build still writes.
    const size = Number(res.headers.get('x-text-size'));
    if (Number.isFinite(size) && size >= start) start = size;
    const more = res.headers.get('x-more-data') === 'true' && p.follow;
    const lines = (rest + text).split('\n');
    rest = more ? (lines.pop() ?? '') : '';
    const entries = lines
      .filter((l, i) => l !== '' || i < lines.length - 1)
      .map((line) => ({ time: Date.now(), line: line.replace(/\r$/, ''), labels }));
    if (!more) {
      yield {
        type: 'logs',
        frame: {
          entries,
          page: { frameId, index, offset, last: true, total: offset + entries.length },
        },
      } as ProcessorFrame;
      return;
    }
    if (entries.length) {
      yield {
        type: 'logs',
        frame: { entries, page: { frameId, index: index++, offset, last: false } },
      } as ProcessorFrame;
      offset += entries.length;
    }
    await sleep(FOLLOW_POLL_MS, signal);
  }
}

/** A Jenkins processor instance for a connection. */
export function createJenkins(
  connection: ProcessorConnection | null,
  host: ProcessorHost,
): ProcessorInstance {
  if (!connection) {
    throw new SpinError(
      'processor.connection_required',
      'a Jenkins cell needs a connection; choose one in the cell settings',
    );
  }
  const conn: Conn = {
    config: JenkinsConfigSchema.parse(connection.config),
    secrets: JenkinsSecretsSchema.parse(connection.secrets),
  };
  return {
    query(request, signal) {
      const p = JenkinsProgramSchema.parse(request.params);
      const c: VendorCall = {
        host,
        vendor: 'Jenkins',
        signal,
        deadline: cellDeadline(request),
        messageOf: jenkinsMessage,
      };
      if (p.queryType === 'jobs') return jobs(p, request, c, conn);
      if (p.queryType === 'builds') return builds(p, request, c, conn);
      return consoleLog(p, request, c, conn, signal);
    },
    async checkHealth() {
      try {
        const { data, res } = await vendorJson<{ mode?: string }>(
          jobUrl(conn, [], 'api/json?tree=mode'),
          { headers: { ...headers(conn), accept: 'application/json' } },
          {
            host,
            vendor: 'Jenkins',
            signal: AbortSignal.timeout(10_000),
            deadline: Date.now() + 10_000,
            messageOf: jenkinsMessage,
          },
        );
        return {
          ok: true,
          message:
            `Jenkins ${res.headers.get('x-jenkins') ?? ''} (${data?.mode ?? 'NORMAL'})`.replace(
              /\s+/g,
              ' ',
            ),
        };
      } catch (err) {
        return { ok: false, message: (err as Error).message };
      }
    },
    dispose: () => undefined,
  };
}
