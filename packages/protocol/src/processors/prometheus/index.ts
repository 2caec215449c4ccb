import { z } from 'zod';
import { SpinError } from '../../errors.js';
import { templateText } from '../../templates.js';
import { defineProcessor } from '../manifest.js';
import { bindPromql } from './promqlTemplates.js';

export { bindPromql, type PromqlContext } from './promqlTemplates.js';

/** A Prometheus connection: the server's URL, how to authenticate, how long a query may take. */
export const PrometheusConfigSchema = z.object({
  url: z.url({ protocol: /^https?$/ }).meta({
    title: 'URL',
    description: 'Prometheus server (or a proxy in front of it), e.g. http://prometheus:9090',
  }),
  auth: z
    .enum(['none', 'bearer', 'basic'])
    .default('none')
    .meta({ title: 'Authentication', description: 'What the server or its proxy expects' }),
  username: z
    .string()
    .max(256)
    .optional()
    .meta({ title: 'User name', description: 'For basic authentication' }),
  timeoutS: z.number().int().min(1).max(3600).default(60).meta({
    title: 'Query timeout (s)',
    description: 'Sent to Prometheus as the query timeout; the request is abandoned after it',
  }),
});
export type PrometheusConfig = z.infer<typeof PrometheusConfigSchema>;

/** Write-only fields of a Prometheus connection. */
export const PrometheusSecretsSchema = z.object({
  token: z
    .string()
    .max(16_384)
    .optional()
    .meta({ title: 'Bearer token', description: 'For bearer authentication' }),
  password: z
    .string()
    .max(1024)
    .optional()
    .meta({ title: 'Password', description: 'For basic authentication' }),
});
export type PrometheusSecrets = z.infer<typeof PrometheusSecretsSchema>;

// A Prometheus duration (`30s`, `1m30s`, `2h`) or plain seconds.
const STEP = /^(?:auto|\d+(?:\.\d+)?|(?:\d+(?:ms|[smhdwy]))+)$/;
const UNIT_S: Record<string, number> = {
  ms: 0.001,
  s: 1,
  m: 60,
  h: 3600,
  d: 86_400,
  w: 604_800,
  y: 31_536_000,
};

/** Parameters of a Prometheus cell besides its PromQL. */
export const PrometheusParamsSchema = z.object({
  queryType: z.enum(['range', 'instant']).default('range').meta({
    title: 'Query type',
    description: 'range: a series over the time range; instant: one value per series at its end',
  }),
  step: z
    .string()
    .regex(STEP, 'a duration such as 15s, 1m or 1h30m, seconds, or "auto"')
    .default('auto')
    .meta({
      title: 'Step',
      description: 'Resolution of a range query; auto aims at about 720 points over the range',
    }),
});
export type PrometheusParams = z.infer<typeof PrometheusParamsSchema>;

/** A compiled Prometheus query. */
export const PrometheusProgramSchema = z.object({
  query: z.string().min(1).max(100_000),
  queryType: z.enum(['range', 'instant']),
  /** Range queries: seconds between points. */
  stepS: z.number().positive().max(31_536_000),
});
export type PrometheusProgram = z.infer<typeof PrometheusProgramSchema>;

/** Points an `auto` step aims at; Prometheus refuses more than 11,000 per series. */
export const AUTO_STEP_POINTS = 720;
const NICE_STEPS_S = [
  1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400,
];

/** Seconds of a step parameter: a duration, plain seconds, or auto from the range's length. */
export function stepSeconds(step: string, rangeMs: number): number {
  if (step === 'auto') {
    const raw = rangeMs / 1000 / AUTO_STEP_POINTS;
    return NICE_STEPS_S.find((s) => s >= raw) ?? Math.ceil(raw / 86_400) * 86_400;
  }
  if (/^\d+(?:\.\d+)?$/.test(step)) return Number(step);
  let s = 0;
  for (const m of step.matchAll(/(\d+)(ms|[smhdwy])/g)) s += Number(m[1]) * UNIT_S[m[2]!]!;
  return s;
}

/**
 * The Prometheus processor: PromQL over the HTTP API (`/api/v1/query_range`, `/api/v1/query`).
 * Range queries become time-series frames, instant vectors and scalars tables; `raw` is the
 * server's JSON. The notebook's time range applies unless the cell overrides it.
 */
export const manifest = defineProcessor({
  id: 'prometheus',
  name: 'Prometheus',
  version: '1.0.0',
  description: 'Query Prometheus with PromQL: range queries as time series, instant ones as tables',
  cellType: 'prometheus',
  editor: {
    language: 'text/x-promql',
    placeholder: 'rate(http_requests_total[5m]) — Shift+Enter to run',
  },
  capabilities: {
    query: true,
    stream: true,
    healthCheck: true,
    complete: true,
    schemaBrowse: true,
  },
  needsConnection: true,
  usesTimeRange: true,
  configSchema: PrometheusConfigSchema,
  secretsSchema: PrometheusSecretsSchema,
  paramsSchema: PrometheusParamsSchema,
  programSchema: PrometheusProgramSchema,
  defaults: { source: 'up', params: { queryType: 'range', step: 'auto' } },
  compile(cell, ctx) {
    if (cell.source.trim() === '') {
      throw new SpinError('cell.invalid_params', 'write a PromQL query, e.g. up');
    }
    const rangeMs = Date.parse(ctx.timeRange.to) - Date.parse(ctx.timeRange.from);
    const stepS = stepSeconds(cell.params.step, rangeMs);
    if (cell.params.queryType === 'range' && rangeMs / 1000 / stepS > 11_000) {
      throw new SpinError(
        'cell.invalid_params',
        `a step of ${stepS} s gives more than 11,000 points over this range; use a larger step`,
      );
    }
    return { query: cell.source, queryType: cell.params.queryType, stepS };
  },
  /** Values are escaped for where they stand: inside PromQL strings, or bare as names/numbers. */
  bindTemplates: (p, binder) => ({
    ...p,
    query: bindPromql(p.query, (ref) => templateText(binder.resolve(ref))),
  }),
});
