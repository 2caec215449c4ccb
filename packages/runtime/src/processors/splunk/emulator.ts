import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One event of the emulator's `index=web`. */
export interface SplunkEvent {
  _time: number;
  host: string;
  status: number;
  bytes: number;
}

interface Job {
  sid: string;
  search: string;
  rows: Record<string, string>[];
  fields: string[];
  polls: number;
  /** `| hold` searches run until cancelled. */
  held: boolean;
  state: 'RUNNING' | 'DONE' | 'FAILED';
  messages: { type: string; text: string }[];
}

/** A planned failure: the next `times` requests answer it. */
export interface SplunkFault {
  times: number;
  status: number;
  headers?: Record<string, string>;
  body: unknown;
}

/** Hosts of the emulator's data, in order. */
export const SPLUNK_HOSTS = ['web-1', 'web-2', 'web-3', 'db-1'] as const;

/**
 * A loopback Splunk REST API (Splunk Enterprise REST API reference, "Search endpoints"), close
 * enough that the processor would work against a real search head:
 * `POST /services/search/jobs` (also under `/servicesNS/<user>/<app>/`) answers 201 `{sid}`; the
 * job is RUNNING on its first poll and DONE on the next; `/results` pages with `offset`/`count`;
 * `DELETE` cancels; `/services/search/jobs/export` streams results as newline-delimited
 * JSON; `/services/server/info` reports the version. Values in results are strings,
 * as Splunk writes them. Auth is `Authorization: Bearer <token>` or Basic; failures answer
 * Splunk's `{"messages":[{"type","text"}]}` bodies. Paths under `/limited/` always answer 429
 * with Retry-After, under `/broken/` 500; `fail()` plans failures for the next requests.
 *
 * Its SPL is a small, honest subset: `search index=web [field=value …]`, `| makeresults
 * count=N`, `| stats count by host`, `| head N`, and `| hold` (a job that never finishes).
 */
export class SplunkEmulator {
  readonly events: SplunkEvent[];
  readonly jobs = new Map<string, Job>();
  readonly requests: { method: string; path: string; authorization: string | undefined }[] = [];
  /** Export searches whose connection is still open. */
  openExports = 0;
  private faults: SplunkFault[] = [];
  private server: Server | null = null;
  private nextSid = 1;
  url = '';

  constructor(
    readonly auth: { token: string; username: string; password: string },
    now = Date.now(),
  ) {
    // An event every 30 s over the last hour, hosts in turn, every seventh a 500.
    this.events = Array.from({ length: 120 }, (_, i) => ({
      _time: Math.floor(now / 1000) - 3600 + i * 30,
      host: SPLUNK_HOSTS[i % SPLUNK_HOSTS.length]!,
      status: i % 7 === 0 ? 500 : 200,
      bytes: 100 + i,
    }));
  }

  /** The next `times` requests (any path) answer `status` with `body`. */
  fail(fault: SplunkFault): void {
    this.faults.push({ ...fault });
  }

  /** Jobs still running on the "server" (not done, not cancelled). */
  runningJobs(): number {
    return [...this.jobs.values()].filter((j) => j.state === 'RUNNING').length;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => this.handle(req, res, body));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }

  private authorized(header: string | undefined): boolean {
    if (header === `Bearer ${this.auth.token}`) return true;
    const basic = Buffer.from(`${this.auth.username}:${this.auth.password}`).toString('base64');
    return header === `Basic ${basic}`;
  }

  private handle(req: IncomingMessage, res: ServerResponse, body: string): void {
    const url = new URL(req.url ?? '/', 'http://splunk');
    this.requests.push({
      method: req.method ?? '',
      path: url.pathname,
      authorization: req.headers.authorization,
    });
    const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
      res.end(JSON.stringify(value));
    };
    const msg = (status: number, type: string, text: string, headers?: Record<string, string>) =>
      json(status, { messages: [{ type, text }] }, headers);
    const fault = this.faults[0];
    if (fault) {
      if (--fault.times <= 0) this.faults.shift();
      return json(fault.status, fault.body, fault.headers);
    }
    if (url.pathname.startsWith('/limited/'))
      return msg(429, 'ERROR', 'Too many requests; slow down', { 'retry-after': '120' });
    if (url.pathname.startsWith('/broken/'))
      return msg(500, 'ERROR', 'Internal server error: splunkd is restarting');
    if (!this.authorized(req.headers.authorization))
      return msg(401, 'WARN', 'call not properly authenticated');
    if (url.searchParams.get('output_mode') !== 'json' && !/output_mode=json/.test(body)) {
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end('<?xml version="1.0"?><response/>');
      return;
    }
    const path = url.pathname.replace(/^\/servicesNS\/[^/]+\/[^/]+\//, '/services/');
    if (path === '/services/server/info' && req.method === 'GET') {
      return json(200, {
        entry: [{ name: 'server-info', content: { version: '9.2.1', serverName: 'emulator' } }],
      });
    }
    if (path === '/services/search/jobs/export' && req.method === 'POST') {
      const form = new URLSearchParams(body);
      const parsed = this.run(
        form.get('search') ?? '',
        Number(form.get('earliest_time')),
        Number(form.get('latest_time')),
      );
      if ('error' in parsed) return msg(400, 'FATAL', parsed.error);
      const count = Number(form.get('count') ?? 0);
      const rows = count > 0 ? parsed.rows.slice(0, count) : parsed.rows;
      res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
      rows.forEach((result, offset) => {
        const last = offset === rows.length - 1 && !parsed.held;
        res.write(
          `${JSON.stringify({ preview: false, offset, ...(last ? { lastrow: true } : {}), result })}\n`,
        );
      });
      if (!parsed.held) return void res.end();
      // `| hold`: the search goes on until the client closes the connection.
      this.openExports++;
      res.on('close', () => this.openExports--);
      return;
    }
    if (path === '/services/search/jobs' && req.method === 'POST') {
      const form = new URLSearchParams(body);
      const search = form.get('search') ?? '';
      const parsed = this.run(
        search,
        Number(form.get('earliest_time')),
        Number(form.get('latest_time')),
      );
      if ('error' in parsed) return msg(400, 'FATAL', parsed.error);
      const sid = `${Math.floor(Date.now() / 1000)}.${this.nextSid++}`;
      this.jobs.set(sid, { sid, search, polls: 0, state: 'RUNNING', messages: [], ...parsed });
      return json(201, { sid });
    }
    const m = /^\/services\/search\/jobs\/([^/]+)(\/results)?$/.exec(path);
    const job = m ? this.jobs.get(decodeURIComponent(m[1]!)) : undefined;
    if (m && !job) return msg(404, 'FATAL', 'Unknown sid.');
    if (job && !m![2] && req.method === 'DELETE') {
      this.jobs.delete(job.sid);
      if (job.state === 'RUNNING') job.state = 'FAILED';
      return msg(200, 'INFO', 'Search job cancelled.');
    }
    if (job && !m![2] && req.method === 'GET') {
      if (!job.held && job.polls++ > 0) job.state = 'DONE';
      const done = job.state === 'DONE';
      return json(200, {
        entry: [
          {
            name: job.search,
            content: {
              sid: job.sid,
              dispatchState: job.state,
              isDone: done,
              isFailed: false,
              doneProgress: done ? 1 : 0.5,
              resultCount: done ? job.rows.length : 0,
              messages: job.messages,
            },
          },
        ],
      });
    }
    if (job && m![2] && req.method === 'GET') {
      if (job.state !== 'DONE') return json(204, {});
      const offset = Number(url.searchParams.get('offset') ?? 0);
      const count = Number(url.searchParams.get('count') ?? 100);
      const rows = job.rows.slice(offset, count === 0 ? undefined : offset + count);
      return json(200, {
        preview: false,
        init_offset: offset,
        messages: [],
        fields: job.fields.map((name) => ({ name })),
        results: rows,
      });
    }
    return msg(404, 'ERROR', `Not Found: ${url.pathname}`);
  }

  /** Evaluate the emulator's SPL subset over its events. */
  private run(
    search: string,
    earliest: number,
    latest: number,
  ): { rows: Record<string, string>[]; fields: string[]; held: boolean } | { error: string } {
    if ((search.match(/"/g)?.length ?? 0) % 2 === 1)
      return { error: "Error in 'search' command: Unable to parse the search: unbalanced quotes." };
    if ((search.match(/\(/g)?.length ?? 0) !== (search.match(/\)/g)?.length ?? 0))
      return {
        error: "Error in 'search' command: Unable to parse the search: Unbalanced parentheses.",
      };
    const stages = search.split('|').map((s) => s.trim());
    let rows: Record<string, string>[] = [];
    let fields: string[] = [];
    let held = false;
    const iso = (t: number) => new Date(t * 1000).toISOString().replace('Z', '+00:00');
    for (const [i, stage] of stages.entries()) {
      const [command = '', ...args] = stage.split(/\s+/);
      if (i === 0 && command === '') continue;
      if (command === 'search') {
        const terms = Object.fromEntries(
          args.map((a) => a.split('=')).map(([k, v]) => [k, (v ?? '').replace(/^"|"$/g, '')]),
        ) as Record<string, string>;
        if (terms.index !== 'web') continue;
        rows = this.events
          .filter((e) => (!earliest || e._time >= earliest) && (!latest || e._time < latest))
          .filter((e) =>
            Object.entries(terms).every(
              ([k, v]) => k === 'index' || String(e[k as keyof SplunkEvent]) === v,
            ),
          )
          .map((e) => ({
            _time: iso(e._time),
            host: e.host,
            status: String(e.status),
            bytes: String(e.bytes),
            _raw: `${iso(e._time)} host=${e.host} status=${e.status} bytes=${e.bytes}`,
          }));
        fields = ['_time', 'host', 'status', 'bytes', '_raw'];
      } else if (command === 'makeresults') {
        const n = Number(/count=(\d+)/.exec(stage)?.[1] ?? 1);
        const t = iso(latest || Math.floor(Date.now() / 1000));
        rows = Array.from({ length: n }, (_, k) => ({ _time: t, n: String(k), label: `row ${k}` }));
        fields = ['_time', 'n', 'label'];
      } else if (command === 'stats' && /^count by (\w+)$/.test(args.join(' '))) {
        const by = args[2]!;
        const counts = new Map<string, number>();
        for (const r of rows) counts.set(r[by]!, (counts.get(r[by]!) ?? 0) + 1);
        rows = [...counts].sort().map(([k, c]) => ({ [by]: k, count: String(c) }));
        fields = [by, 'count'];
      } else if (command === 'head') {
        rows = rows.slice(0, Number(args[0] ?? 10));
      } else if (command === 'hold') {
        held = true;
      } else {
        return { error: `Unknown search command '${command}'.` };
      }
    }
    return { rows, fields, held };
  }
}
