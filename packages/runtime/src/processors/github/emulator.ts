import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A planned failure: the next `times` requests answer it. */
export interface GithubFault {
  times: number;
  status: number;
  headers?: Record<string, string>;
  body: unknown;
}

const DOCS = 'https://docs.github.com/rest';

/**
 * A loopback GitHub REST API (docs.github.com/rest: "Repositories", "Pulls", "Commits",
 * "Actions › Workflow runs", "Search › issues"): `Authorization: Bearer`, `per_page`/`page`
 * pagination announced in `Link` headers (rel next/last/first/prev), list bodies as GitHub
 * writes them, and its errors: 401 `{"message":"Bad credentials"}`, 404 `Not Found`, 422
 * `Validation Failed` with `errors`, 403 primary rate limit (`x-ratelimit-remaining: 0`,
 * `x-ratelimit-reset`) and 429 secondary limit with Retry-After. Repository `acme/slow` never
 * answers its commits (for cancellation); paths under `/limited/` are always limited, under
 * `/broken/` answer 502.
 */
export class GithubEmulator {
  readonly pulls: Record<string, unknown>[];
  readonly commits: Record<string, unknown>[];
  readonly runs: Record<string, unknown>[];
  readonly requests: { path: string; query: URLSearchParams; authorization?: string }[] = [];
  openHeld = 0;
  private faults: GithubFault[] = [];
  private server: Server | null = null;
  url = '';

  constructor(
    readonly token: string,
    now = Date.now(),
  ) {
    const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
    this.pulls = Array.from({ length: 1200 }, (_, i) => {
      const n = 1200 - i;
      const state = n % 4 === 0 ? 'closed' : 'open';
      return {
        id: 1000 + n,
        number: n,
        title: `Change ${n}`,
        state,
        draft: n % 10 === 0,
        user: { login: n % 2 ? 'ada' : 'grace' },
        created_at: iso(now - n * 3_600_000),
        updated_at: iso(now - i * 60_000),
        merged_at: state === 'closed' ? iso(now - i * 60_000) : null,
        head: { ref: `feature-${n}` },
        base: { ref: 'main' },
        html_url: `https://github.com/acme/api/pull/${n}`,
      };
    });
    this.commits = Array.from({ length: 130 }, (_, i) => ({
      sha: (i.toString(16).padStart(8, '0') + 'a'.repeat(32)).slice(0, 40),
      commit: {
        author: { name: 'Ada', date: iso(now - i * 40_000) },
        message: `fix: thing ${i}\n\nbody`,
      },
      author: { login: 'ada' },
      html_url: `https://github.com/acme/api/commit/${i}`,
    }));
    this.runs = Array.from({ length: 60 }, (_, i) => ({
      id: 9000 + i,
      name: 'CI',
      status: 'completed',
      conclusion: i % 5 === 0 ? 'failure' : 'success',
      head_branch: i % 2 ? 'main' : 'dev',
      event: 'push',
      actor: { login: 'ada' },
      created_at: iso(now - i * 120_000),
      run_attempt: 1,
      html_url: `https://github.com/acme/api/actions/runs/${9000 + i}`,
    }));
  }

  fail(fault: GithubFault): void {
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
    const url = new URL(req.url ?? '/', 'http://github');
    this.requests.push({
      path: url.pathname,
      query: url.searchParams,
      authorization: req.headers.authorization,
    });
    const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, {
        'content-type': 'application/json; charset=utf-8',
        'x-github-api-version-selected': '2022-11-28',
        'x-ratelimit-limit': '5000',
        'x-ratelimit-remaining': '4999',
        ...headers,
      });
      res.end(JSON.stringify(value));
    };
    const fault = this.faults[0];
    if (fault) {
      if (--fault.times <= 0) this.faults.shift();
      return json(fault.status, fault.body, fault.headers);
    }
    if (url.pathname.startsWith('/limited/'))
      return json(
        403,
        {
          message: 'API rate limit exceeded for user ID 1.',
          documentation_url: `${DOCS}/overview/rate-limits-for-the-rest-api`,
        },
        {
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 120),
          'x-ratelimit-used': '5000',
        },
      );
    if (url.pathname.startsWith('/broken/')) {
      res.writeHead(502, { 'content-type': 'text/html' });
      return void res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
    }
    if (req.headers.authorization !== `Bearer ${this.token}`)
      return json(401, { message: 'Bad credentials', documentation_url: DOCS, status: '401' });
    const perPage = Math.min(100, Number(url.searchParams.get('per_page') ?? 30));
    const page = Number(url.searchParams.get('page') ?? 1);
    const list = (items: unknown[], wrap?: (page: unknown[]) => unknown) => {
      const last = Math.max(1, Math.ceil(items.length / perPage));
      const link = (p: number) => {
        const u = new URL(url.pathname + url.search, this.url);
        u.searchParams.set('page', String(p));
        return `<${u}>`;
      };
      const rels = [
        ...(page < last ? [`${link(page + 1)}; rel="next"`, `${link(last)}; rel="last"`] : []),
        ...(page > 1 ? [`${link(1)}; rel="first"`, `${link(page - 1)}; rel="prev"`] : []),
      ];
      const slice = items.slice((page - 1) * perPage, page * perPage);
      json(200, wrap ? wrap(slice) : slice, rels.length ? { link: rels.join(', ') } : {});
    };
    if (url.pathname === '/user') return json(200, { login: 'ada', id: 1 });
    if (url.pathname === '/users/acme/repos')
      return list(
        ['api', 'web', 'infra'].map((name, i) => ({
          name,
          full_name: `acme/${name}`,
          private: i === 2,
          language: 'TypeScript',
          stargazers_count: 10 * (i + 1),
          open_issues_count: i,
          default_branch: 'main',
          pushed_at: '2026-11-30T10:00:00Z',
          html_url: `https://github.com/acme/${name}`,
        })),
      );
    if (url.pathname === '/repos/acme/slow/commits') {
      this.openHeld++;
      res.on('close', () => this.openHeld--);
      return;
    }
    if (url.pathname === '/repos/acme/api/pulls') {
      const state = url.searchParams.get('state') ?? 'open';
      if (!['open', 'closed', 'all'].includes(state))
        return json(422, {
          message: 'Validation Failed',
          errors: [{ resource: 'Issue', field: 'state', code: 'invalid' }],
          documentation_url: DOCS,
          status: '422',
        });
      return list(this.pulls.filter((p) => state === 'all' || p.state === state));
    }
    if (url.pathname === '/repos/acme/api/commits') {
      const since = Date.parse(url.searchParams.get('since') ?? '') || 0;
      const until = Date.parse(url.searchParams.get('until') ?? '') || Infinity;
      return list(
        this.commits.filter((c) => {
          const t = Date.parse((c.commit as { author: { date: string } }).author.date);
          return t >= since && t <= until;
        }),
      );
    }
    if (url.pathname === '/repos/acme/api/actions/runs') {
      const [from, to] = (url.searchParams.get('created') ?? '..')
        .split('..')
        .map((s) => Date.parse(s));
      const runs = this.runs.filter((r) => {
        const t = Date.parse(r.created_at as string);
        return (!from || t >= from) && (!to || t <= to);
      });
      return list(runs, (slice) => ({ total_count: runs.length, workflow_runs: slice }));
    }
    if (url.pathname === '/search/issues') {
      const q = url.searchParams.get('q') ?? '';
      if (q.length > 256 || /\b(?:AND|OR|NOT)\s*$/.test(q) || q.includes('::'))
        return json(422, {
          message: 'Validation Failed',
          errors: [
            {
              message: `The search query "${q}" is not valid.`,
              resource: 'Search',
              field: 'q',
              code: 'invalid',
            },
          ],
          documentation_url: DOCS,
          status: '422',
        });
      const wantState = /\bis:(open|closed)\b/.exec(q)?.[1];
      const items = this.pulls
        .filter((p) => !wantState || p.state === wantState)
        .map((p) => ({
          ...p,
          repository_url: 'https://api.github.com/repos/acme/api',
          pull_request: { url: '' },
        }));
      return list(items, (slice) => ({
        total_count: items.length,
        incomplete_results: false,
        items: slice,
      }));
    }
    if (/^\/repos\/[^/]+\/[^/]+\//.test(url.pathname) || url.pathname.startsWith('/users/'))
      return json(404, { message: 'Not Found', documentation_url: DOCS, status: '404' });
    return json(404, { message: 'Not Found', documentation_url: DOCS, status: '404' });
  }
}
