import { z } from 'zod';
import { SpinError } from '../../errors.js';
import { renderTemplate, templateRefs, templateText } from '../../templates.js';
import { defineProcessor } from '../manifest.js';

/** A GitHub connection, as Grafana's GitHub data source has it: a token and an API URL. */
export const GithubConfigSchema = z.object({
  url: z
    .url({ protocol: /^https?$/ })
    .default('https://api.github.com')
    .meta({
      title: 'API URL',
      description: 'https://api.github.com, or GitHub Enterprise Server: https://<host>/api/v3',
    }),
});
export type GithubConfig = z.infer<typeof GithubConfigSchema>;

/** Write-only fields of a GitHub connection. */
export const GithubSecretsSchema = z.object({
  token: z
    .string()
    .max(1024)
    .optional()
    .meta({ title: 'Token', description: 'A fine-grained or classic personal access token' }),
});
export type GithubSecrets = z.infer<typeof GithubSecretsSchema>;

export const GITHUB_QUERY_TYPES = [
  'repositories',
  'pull_requests',
  'commits',
  'workflow_runs',
  'search_issues',
] as const;

/** Parameters of a GitHub cell besides its target (owner, owner/repo or a search). */
export const GithubParamsSchema = z.object({
  queryType: z.enum(GITHUB_QUERY_TYPES).default('pull_requests').meta({
    title: 'Query type',
    description:
      'repositories of an owner; pull requests, commits or workflow runs of owner/repo; or an issue search',
  }),
  state: z.enum(['open', 'closed', 'all']).default('open').meta({
    title: 'State',
    description: 'Pull requests: which to list',
  }),
  ref: z
    .string()
    .regex(/^[\w./-]{1,255}$/)
    .optional()
    .meta({ title: 'Branch', description: 'Commits: the branch or SHA; runs: the branch' }),
  maxRows: z.number().int().min(1).max(100_000).default(1000).meta({ title: 'Row limit' }),
});

const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const REPO = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[\w.-]{1,100}$/;

/** A compiled GitHub query. */
export const GithubProgramSchema = z.object({
  queryType: z.enum(GITHUB_QUERY_TYPES),
  /** Owner, owner/repo, or the search query. */
  target: z.string().min(1).max(1024),
  state: z.enum(['open', 'closed', 'all']),
  ref: z
    .string()
    .regex(/^[\w./-]{1,255}$/)
    .nullable(),
  maxRows: z.number().int().min(1).max(100_000),
});
export type GithubProgram = z.infer<typeof GithubProgramSchema>;

/** Refuse a target that is not what the query type reads (a path segment must stay one). */
function checkTarget(
  queryType: (typeof GITHUB_QUERY_TYPES)[number],
  target: string,
  code: 'cell.invalid_params' | 'template.invalid',
): void {
  if (queryType === 'repositories' && !OWNER.test(target))
    throw new SpinError(code, `"${target}" is not a GitHub user or organization`);
  if (queryType !== 'repositories' && queryType !== 'search_issues' && !REPO.test(target))
    throw new SpinError(code, `write the repository as owner/repo (got "${target}")`);
}

/**
 * The GitHub processor: repositories, pull requests, commits, workflow runs and issue search
 * over the REST API (`Accept: application/vnd.github+json`, `X-GitHub-Api-Version`), following
 * `Link: rel="next"` pages; commits and runs use the notebook's time range.
 */
export const manifest = defineProcessor({
  id: 'github',
  name: 'GitHub',
  version: '1.0.0',
  description: 'Repositories, pull requests, commits, workflow runs and issue search',
  cellType: 'github',
  editor: {
    language: 'text/plain',
    placeholder: 'owner/repo — or a search: repo:owner/repo is:pr is:open',
  },
  capabilities: {
    query: true,
    stream: true,
    healthCheck: true,
    complete: false,
    schemaBrowse: false,
  },
  needsConnection: true,
  usesTimeRange: true,
  configSchema: GithubConfigSchema,
  secretsSchema: GithubSecretsSchema,
  paramsSchema: GithubParamsSchema,
  programSchema: GithubProgramSchema,
  defaults: {
    source: 'octocat/hello-world',
    params: { queryType: 'pull_requests', state: 'open', maxRows: 1000 },
  },
  compile(cell) {
    const target = cell.source.trim();
    if (target === '')
      throw new SpinError('cell.invalid_params', 'write owner/repo, an owner or a search');
    // With template references the target is checked once bound, at the runtime.
    if (templateRefs(target).length === 0)
      checkTarget(cell.params.queryType, target, 'cell.invalid_params');
    return {
      target,
      queryType: cell.params.queryType,
      state: cell.params.state,
      ref: cell.params.ref ?? null,
      maxRows: cell.params.maxRows,
    };
  },
  /** Values become part of a path: the bound target must still be a user or owner/repo. */
  bindTemplates(p, binder) {
    const target = renderTemplate(p.target, (ref) => templateText(binder.resolve(ref)));
    checkTarget(p.queryType, target, 'template.invalid');
    return { ...p, target };
  },
});
