import { z } from 'zod';
import { SpinError } from '../../errors.js';
import { defineProcessor } from '../manifest.js';

/** A Jenkins connection: the controller's URL and a user with an API token. */
export const JenkinsConfigSchema = z.object({
  url: z
    .url({ protocol: /^https?$/ })
    .meta({ title: 'URL', description: 'e.g. https://jenkins.example.com' }),
  username: z.string().min(1).max(256).meta({ title: 'User name' }),
});
export type JenkinsConfig = z.infer<typeof JenkinsConfigSchema>;

/** Write-only fields of a Jenkins connection. */
export const JenkinsSecretsSchema = z.object({
  apiToken: z
    .string()
    .max(1024)
    .optional()
    .meta({ title: 'API token', description: 'User › Security › API Token' }),
});
export type JenkinsSecrets = z.infer<typeof JenkinsSecretsSchema>;

/** Parameters of a Jenkins cell besides its job path. */
export const JenkinsParamsSchema = z.object({
  queryType: z.enum(['jobs', 'builds', 'console']).default('builds').meta({
    title: 'Query type',
    description: 'jobs of a folder (or the root); builds of a job; the console log of one build',
  }),
  follow: z.boolean().default(true).meta({
    title: 'Follow',
    description: 'Console: keep reading while the build runs (progressive text)',
  }),
  maxRows: z.number().int().min(1).max(100_000).default(1000).meta({ title: 'Row limit' }),
  fields: z
    .string()
    .regex(/^[\w,[\]]{0,500}$/)
    .default('')
    .meta({
      title: 'Extra build fields',
      description: 'Builds: more fields of the JSON API tree, e.g. actions[parameters[name,value]]',
    }),
});

const SEGMENT = /^[^/#?%\s][^/#?%]{0,199}$/;

/** A compiled Jenkins query. */
export const JenkinsProgramSchema = z.object({
  queryType: z.enum(['jobs', 'builds', 'console']),
  /** Job path segments (folders, then the job); empty for the root's jobs. */
  job: z.array(z.string().regex(SEGMENT)).max(20),
  /** Console: a build number or a permalink (lastBuild, lastFailedBuild…). */
  build: z
    .string()
    .regex(/^(?:\d{1,10}|last(?:Successful|Failed|Stable|Unstable|Completed)?Build)$/)
    .nullable(),
  follow: z.boolean(),
  maxRows: z.number().int().min(1).max(100_000),
  /** Builds: extra fields inside `builds[…]` of the `tree` parameter. */
  fields: z.string().regex(/^[\w,[\]]{0,500}$/),
});
export type JenkinsProgram = z.infer<typeof JenkinsProgramSchema>;

/**
 * The Jenkins processor: jobs and builds through the JSON API (`/api/json?tree=…`, builds in
 * the notebook's time range) and a build's console log through `logText/progressiveText`,
 * followed while the build runs. Source: `folder/job` (and `#42` or `#lastBuild` for console).
 */
export const manifest = defineProcessor({
  id: 'jenkins',
  name: 'Jenkins',
  version: '1.0.0',
  description: 'Jenkins jobs, builds and console logs (followed while a build runs)',
  cellType: 'jenkins',
  editor: {
    language: 'text/plain',
    placeholder: 'folder/job — or folder/job #lastBuild for its console',
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
  configSchema: JenkinsConfigSchema,
  secretsSchema: JenkinsSecretsSchema,
  paramsSchema: JenkinsParamsSchema,
  programSchema: JenkinsProgramSchema,
  defaults: { source: '', params: { queryType: 'jobs', follow: true, maxRows: 1000, fields: '' } },
  compile(cell) {
    const m = /^([^#]*?)\s*(?:#\s*(\S+))?$/.exec(cell.source.trim());
    const job = (m?.[1] ?? '')
      .split('/')
      .map((s) => s.trim())
      .filter(Boolean);
    const build = m?.[2] ?? null;
    const { queryType, follow, maxRows, fields } = cell.params;
    for (const s of job)
      if (!SEGMENT.test(s)) throw new SpinError('cell.invalid_params', `"${s}" is not a job name`);
    if (queryType !== 'jobs' && job.length === 0)
      throw new SpinError('cell.invalid_params', 'write the job as folder/job');
    if (queryType === 'console' && build === null)
      throw new SpinError('cell.invalid_params', 'write the build: folder/job #42 (or #lastBuild)');
    if (build !== null && !JenkinsProgramSchema.shape.build.safeParse(build).success)
      throw new SpinError(
        'cell.invalid_params',
        `"#${build}" is not a build number or permalink such as lastBuild`,
      );
    return {
      queryType,
      job,
      build: queryType === 'console' ? build : null,
      follow,
      maxRows,
      fields,
    };
  },
});
