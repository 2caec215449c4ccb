import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Build {
  number: number;
  result: string | null;
  building: boolean;
  timestamp: number;
  duration: number;
  url: string;
  actions: unknown[];
  console: string[];
}

/** A planned failure: the next `times` requests answer it. */
export interface JenkinsFault {
  times: number;
  status: number;
  headers?: Record<string, string>;
  body: string;
}

/** A Jetty error page, as Jenkins answers errors outside its JSON API. */
export function jettyPage(status: number, reason: string): string {
  return `<html><head><meta http-equiv="Content-Type" content="text/html;charset=utf-8"/><title>Error ${status} ${reason}</title></head><body><h2>HTTP ERROR ${status} ${reason}</h2></body></html>`;
}

/**
 * A loopback Jenkins controller (Jenkins "Remote access API"): Basic auth with a user's API
 * token, `/api/json` with `tree` filters (ranges `{m,n}` on builds), folders as `/job/a/job/b`,
 * and `/job/…/<n>/logText/progressiveText?start=` with `X-Text-Size` and `X-More-Data` headers.
 * Job `team/api` has 1,200 builds over the last hour; its last build (#1200) keeps running and
 * writes a line each time it is read. Errors are Jetty pages (401 "Invalid password/token for
 * user", 404 Not Found, 400 for a malformed tree); `/limited/` answers 429 with Retry-After
 * (a proxy in front), `/broken/` 503 as while Jenkins restarts.
 */
export class JenkinsEmulator {
  readonly builds: Build[] = [];
  readonly requests: { path: string; query: URLSearchParams; authorization?: string }[] = [];
  /** Console reads of the running build. */
  runningPolls = 0;
  private faults: JenkinsFault[] = [];
  private server: Server | null = null;
  url = '';

  constructor(
    readonly user: string,
    readonly apiToken: string,
    now = Date.now(),
  ) {
    for (let n = 1200; n >= 1; n--) {
      const running = n === 1200;
      this.builds.push({
        number: n,
        result: running ? null : n % 9 === 0 ? 'FAILURE' : 'SUCCESS',
        building: running,
        timestamp: now - (1200 - n) * 2900 - 1000,
        duration: running ? 0 : 60_000 + n,
        url: `/job/team/job/api/${n}/`,
        actions: [
          {
            _class: 'hudson.model.ParametersAction',
            parameters: [{ name: 'ENV', value: n % 2 ? 'prod' : 'staging' }],
          },
        ],
        console: running
          ? ['Started by user ada', '[Pipeline] Start of Pipeline']
          : Array.from({ length: 50 }, (_, i) => `[build ${n}] step ${i}`).concat([
              'Finished: SUCCESS',
            ]),
      });
    }
  }

  fail(fault: JenkinsFault): void {
    this.faults.push({ ...fault });
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://jenkins');
    this.requests.push({
      path: url.pathname,
      query: url.searchParams,
      authorization: req.headers.authorization,
    });
    const base = { 'x-jenkins': '2.479.1', 'x-content-type-options': 'nosniff' };
    const html = (status: number, reason: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'text/html;charset=utf-8', ...base, ...headers });
      res.end(jettyPage(status, reason));
    };
    const json = (value: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json;charset=utf-8', ...base });
      res.end(JSON.stringify(value));
    };
    const fault = this.faults[0];
    if (fault) {
      if (--fault.times <= 0) this.faults.shift();
      res.writeHead(fault.status, { 'content-type': 'text/html', ...fault.headers });
      return void res.end(fault.body);
    }
    if (url.pathname.startsWith('/limited/'))
      return html(429, 'Too Many Requests: slow down', { 'retry-after': '120' });
    if (url.pathname.startsWith('/broken/'))
      return html(503, 'Service Unavailable: Jenkins is restarting');
    const expected = `Basic ${Buffer.from(`${this.user}:${this.apiToken}`).toString('base64')}`;
    if (req.headers.authorization !== expected) {
      const user = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64')
        .toString()
        .split(':')[0];
      return html(401, `Invalid password/token for user: ${user ?? ''}`);
    }
    const tree = url.searchParams.get('tree') ?? '';
    if ((tree.match(/\[/g)?.length ?? 0) !== (tree.match(/\]/g)?.length ?? 0))
      return html(400, `Malformed tree expression: unmatched brackets in ${tree}`);
    const path = url.pathname;
    if (path === '/api/json') {
      return json({
        _class: 'hudson.model.Hudson',
        mode: 'NORMAL',
        jobs: [
          {
            _class: 'com.cloudbees.hudson.plugins.folder.Folder',
            name: 'team',
            fullName: 'team',
            url: `${this.url}/job/team/`,
          },
          {
            _class: 'hudson.model.FreeStyleProject',
            name: 'deploy',
            fullName: 'deploy',
            url: `${this.url}/job/deploy/`,
            color: 'blue',
            lastBuild: {
              number: 7,
              result: 'SUCCESS',
              timestamp: Date.now() - 60_000,
              duration: 1000,
            },
          },
        ],
      });
    }
    if (path === '/job/team/api/json')
      return json({
        jobs: [
          {
            name: 'api',
            fullName: 'team/api',
            url: `${this.url}/job/team/job/api/`,
            color: 'blue_anime',
            lastBuild: {
              number: 1200,
              result: null,
              timestamp: this.builds[0]!.timestamp,
              duration: 0,
            },
          },
        ],
      });
    if (path === '/job/team/job/api/api/json') {
      const range = /\{(\d+),(\d+)\}$/.exec(tree);
      const wantActions = /builds\[[^{]*actions/.test(tree);
      const list = this.builds
        .slice(range ? Number(range[1]) : 0, range ? Number(range[2]) : 100)
        .map(({ console: _c, actions, ...b }) => ({
          _class: 'org.jenkinsci.plugins.workflow.job.WorkflowRun',
          ...b,
          ...(wantActions ? { actions } : {}),
        }));
      return json({ _class: 'org.jenkinsci.plugins.workflow.job.WorkflowJob', builds: list });
    }
    const log = /^\/job\/team\/job\/api\/(\w+)\/logText\/progressiveText$/.exec(path);
    if (log) {
      const id = log[1]!;
      const b =
        id === 'lastBuild' ? this.builds[0] : this.builds.find((x) => String(x.number) === id);
      if (!b) return html(404, 'Not Found');
      if (b.building) {
        this.runningPolls++;
        b.console.push(`[Pipeline] poll ${this.runningPolls}`);
      }
      const text = b.console.map((l) => `${l}\n`).join('');
      const start = Number(url.searchParams.get('start') ?? 0);
      const bytes = Buffer.from(text);
      res.writeHead(200, {
        'content-type': 'text/plain;charset=UTF-8',
        ...base,
        'x-text-size': String(bytes.length),
        ...(b.building ? { 'x-more-data': 'true' } : {}),
      });
      return void res.end(bytes.subarray(Math.min(start, bytes.length)));
    }
    return html(404, 'Not Found');
  }
}
