import { SpinError, type Field } from '@spin/protocol';
import {
  GithubConfigSchema,
  GithubProgramSchema,
  GithubSecretsSchema,
  type GithubConfig,
  type GithubProgram,
  type GithubSecrets,
} from '@spin/protocol/processors/github';
import {
  TablePager,
  cellDeadline,
  retryAfterSeconds,
  vendorJson,
  type ProcessorConnection,
  type ProcessorFrame,
  type ProcessorHost,
  type ProcessorInstance,
  type ProcessorRequest,
  type VendorCall,
} from '../sdk.js';

interface Conn {
  config: GithubConfig;
  secrets: GithubSecrets;
}

type Json = Record<string, unknown>;
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const time = (v: unknown): number | null => {
  const t = typeof v === 'string' ? Date.parse(v) : NaN;
  return Number.isNaN(t) ? null : t;
};
const login = (v: unknown): string | null => str((v as Json | null)?.login);

/** Columns of each query type, and how a REST item fills them. */
const VIEWS: Record<GithubProgram['queryType'], { fields: Field[]; row(o: Json): unknown[] }> = {
  repositories: {
    fields: [
      { name: 'name', type: 'string' },
      { name: 'full_name', type: 'string' },
      { name: 'private', type: 'boolean' },
      { name: 'language', type: 'string' },
      { name: 'stars', type: 'integer' },
      { name: 'open_issues', type: 'integer' },
      { name: 'default_branch', type: 'string' },
      { name: 'pushed_at', type: 'time' },
      { name: 'url', type: 'string' },
    ],
    row: (o) => [
      o.name,
      o.full_name,
      o.private,
      o.language ?? null,
      o.stargazers_count,
      o.open_issues_count,
      o.default_branch,
      time(o.pushed_at),
      o.html_url,
    ],
  },
  pull_requests: {
    fields: [
      { name: 'number', type: 'integer' },
      { name: 'title', type: 'string' },
      { name: 'state', type: 'string' },
      { name: 'author', type: 'string' },
      { name: 'draft', type: 'boolean' },
      { name: 'created_at', type: 'time' },
      { name: 'updated_at', type: 'time' },
      { name: 'merged_at', type: 'time' },
      { name: 'head', type: 'string' },
      { name: 'base', type: 'string' },
      { name: 'url', type: 'string' },
    ],
    row: (o) => [
      o.number,
      o.title,
      o.state,
      login(o.user),
      o.draft ?? false,
      time(o.created_at),
      time(o.updated_at),
      time(o.merged_at),
      str((o.head as Json | undefined)?.ref),
      str((o.base as Json | undefined)?.ref),
      o.html_url,
    ],
  },
  commits: {
    fields: [
      { name: 'sha', type: 'string' },
      { name: 'author', type: 'string' },
      { name: 'date', type: 'time' },
      { name: 'message', type: 'string' },
      { name: 'url', type: 'string' },
    ],
    row: (o) => {
      const c = (o.commit ?? {}) as { author?: { name?: string; date?: string }; message?: string };
      return [
        o.sha,
        login(o.author) ?? c.author?.name ?? null,
        time(c.author?.date),
        (c.message ?? '').split('\n')[0],
        o.html_url,
      ];
    },
  },
  workflow_runs: {
    fields: [
      { name: 'id', type: 'integer' },
      { name: 'workflow', type: 'string' },
      { name: 'status', type: 'string' },
      { name: 'conclusion', type: 'string' },
      { name: 'branch', type: 'string' },
      { name: 'event', type: 'string' },
      { name: 'actor', type: 'string' },
      { name: 'created_at', type: 'time' },
      { name: 'attempt', type: 'integer' },
      { name: 'url', type: 'string' },
    ],
    row: (o) => [
      o.id,
      o.name,
      o.status,
      o.conclusion ?? null,
      o.head_branch,
      o.event,
      login(o.actor),
      time(o.created_at),
      o.run_attempt ?? 1,
      o.html_url,
    ],
  },
  search_issues: {
    fields: [
      { name: 'number', type: 'integer' },
      { name: 'title', type: 'string' },
      { name: 'state', type: 'string' },
      { name: 'author', type: 'string' },
      { name: 'repository', type: 'string' },
      { name: 'pull_request', type: 'boolean' },
      { name: 'created_at', type: 'time' },
      { name: 'updated_at', type: 'time' },
      { name: 'url', type: 'string' },
    ],
    row: (o) => [
      o.number,
      o.title,
      o.state,
      login(o.user),
      str(o.repository_url)?.replace(/^.*\/repos\//, '') ?? null,
      o.pull_request !== undefined,
      time(o.created_at),
      time(o.updated_at),
      o.html_url,
    ],
  },
};

/** The `rel="next"` URL of a Link header (RFC 8288), as GitHub pages its lists. */
export function nextLink(link: string | null): string | null {
  for (const part of (link ?? '').split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?([^";]+)"?/.exec(part.trim());
    if (m && m[2]!.split(/\s+/).includes('next')) return m[1]!;
  }
  return null;
}

/**
 * GitHub's rate limits: the secondary limit sends Retry-After; the primary one answers 403 or
 * 429 with `x-ratelimit-remaining: 0` and the reset as epoch seconds in `x-ratelimit-reset`.
 */
function githubRetryAfter(h: Headers): number | undefined {
  const after = retryAfterSeconds(h.get('retry-after'));
  if (after !== undefined) return after;
  const reset = Number(h.get('x-ratelimit-reset'));
  if (h.get('x-ratelimit-remaining') === '0' && Number.isFinite(reset))
    return Math.max(0, Math.ceil(reset - Date.now() / 1000));
  return undefined;
}

function headers(conn: Conn): Record<string, string> {
  return {
    accept: 'application/vnd.github+json',
    'x-github-api-version': '2022-11-28',
    ...(conn.secrets.token ? { authorization: `Bearer ${conn.secrets.token}` } : {}),
  };
}

function firstUrl(p: GithubProgram, request: ProcessorRequest, base: string, perPage: number): URL {
  const from = request.timeRange.from;
  const to = request.timeRange.to;
  const u = (path: string) => new URL(path, base.endsWith('/') ? base : `${base}/`);
  let url: URL;
  switch (p.queryType) {
    case 'repositories':
      url = u(`users/${encodeURIComponent(p.target)}/repos`);
      url.searchParams.set('sort', 'pushed');
      break;
    case 'pull_requests':
      url = u(`repos/${p.target}/pulls`);
      url.searchParams.set('state', p.state);
      url.searchParams.set('sort', 'updated');
      url.searchParams.set('direction', 'desc');
      break;
    case 'commits':
      url = u(`repos/${p.target}/commits`);
      url.searchParams.set('since', from);
      url.searchParams.set('until', to);
      if (p.ref) url.searchParams.set('sha', p.ref);
      break;
    case 'workflow_runs':
      url = u(`repos/${p.target}/actions/runs`);
      url.searchParams.set('created', `${from}..${to}`);
      if (p.ref) url.searchParams.set('branch', p.ref);
      break;
    case 'search_issues':
      url = u('search/issues');
      url.searchParams.set('q', p.target);
      break;
  }
  url.searchParams.set('per_page', String(perPage));
  return url;
}

async function* run(
  request: ProcessorRequest,
  signal: AbortSignal,
  host: ProcessorHost,
  conn: Conn,
): AsyncGenerator<ProcessorFrame> {
  const p = GithubProgramSchema.parse(request.params);
  const notices: string[] = [];
  const call: VendorCall = {
    host,
    vendor: 'GitHub',
    signal,
    deadline: cellDeadline(request),
    retryAfterOf: githubRetryAfter,
    // The primary rate limit is a 403 whose body says so.
    throttled: (status, body) => status === 403 && /rate limit/i.test(body),
    onRetry: (s) => notices.push(`GitHub rate limited the request; retrying in ${s} s\n`),
  };
  const view = VIEWS[p.queryType];
  const pager = new TablePager(view.fields, `${request.jti}:${p.queryType}`, host.limits.pageRows);
  const base = conn.config.url;
  const origin = new URL(base).origin;
  let url: URL | null = firstUrl(p, request, base, Math.min(100, host.limits.pageRows));
  let rows = 0;
  let pages = 0;
  let total: number | undefined;
  while (url && rows < p.maxRows) {
    const { data, res } = await vendorJson<Json[] | Json>(url, { headers: headers(conn) }, call);
    for (const n of notices.splice(0)) yield { type: 'stream', name: 'stderr', text: n };
    pages++;
    const items = Array.isArray(data) ? data : ((data.workflow_runs ?? data.items ?? []) as Json[]);
    if (!Array.isArray(data) && typeof data.total_count === 'number') total = data.total_count;
    for (const item of items) {
      if (rows >= p.maxRows) break;
      rows++;
      const page = pager.push(view.row(item));
      if (page) yield page;
    }
    const next = nextLink(res.headers.get('link'));
    // Follow pages only on the API's own origin: the token must not go anywhere else.
    url = next && new URL(next).origin === origin ? new URL(next) : null;
  }
  yield pager.end(rows);
  if (url && rows >= p.maxRows)
    yield {
      type: 'stream',
      name: 'stderr',
      text: `showing the first ${rows}${total ? ` of ${total}` : ''} (row limit)\n`,
    };
  yield {
    type: 'raw',
    value: {
      queryType: p.queryType,
      target: p.target,
      pages,
      rows,
      ...(total !== undefined ? { total } : {}),
    },
  };
}

/** A GitHub processor instance for a connection. */
export function createGithub(
  connection: ProcessorConnection | null,
  host: ProcessorHost,
): ProcessorInstance {
  if (!connection) {
    throw new SpinError(
      'processor.connection_required',
      'a GitHub cell needs a connection; choose one in the cell settings',
    );
  }
  const conn: Conn = {
    config: GithubConfigSchema.parse(connection.config),
    secrets: GithubSecretsSchema.parse(connection.secrets),
  };
  return {
    query: (request, signal) => run(request, signal, host, conn),
    async checkHealth() {
      try {
        const base = conn.config.url.endsWith('/') ? conn.config.url : `${conn.config.url}/`;
        const { data } = await vendorJson<{ login?: string }>(
          new URL('user', base),
          { headers: headers(conn) },
          {
            host,
            vendor: 'GitHub',
            signal: AbortSignal.timeout(10_000),
            deadline: Date.now() + 10_000,
          },
        );
        return { ok: true, message: `GitHub: signed in as ${data?.login ?? '(unknown)'}` };
      } catch (err) {
        return { ok: false, message: (err as Error).message };
      }
    },
    dispose: () => undefined,
  };
}
