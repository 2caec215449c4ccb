import { z } from 'zod';
import { SpinError } from '../../errors.js';
import { defineProcessor } from '../manifest.js';

/** A Grafana connection: its URL, a service-account token and (optionally) the organization. */
export const GrafanaConfigSchema = z.object({
  url: z
    .url({ protocol: /^https?$/ })
    .meta({ title: 'URL', description: 'e.g. https://grafana.example.com' }),
  orgId: z.number().int().min(1).optional().meta({
    title: 'Organization ID',
    description: "Sent as X-Grafana-Org-Id; the token's own organization when unset",
  }),
});
export type GrafanaConfig = z.infer<typeof GrafanaConfigSchema>;

/** Write-only fields of a Grafana connection. */
export const GrafanaSecretsSchema = z.object({
  token: z
    .string()
    .max(4096)
    .optional()
    .meta({ title: 'Service account token', description: 'glsa_…' }),
});
export type GrafanaSecrets = z.infer<typeof GrafanaSecretsSchema>;

/** Parameters of a Grafana cell besides its source. */
export const GrafanaParamsSchema = z.object({
  queryType: z.enum(['datasource', 'dashboards', 'alerts']).default('datasource').meta({
    title: 'Query type',
    description:
      'datasource: a query through /api/ds/query; dashboards: a dashboard search; alerts: firing Grafana alerts',
  }),
  datasourceUid: z
    .string()
    .regex(/^[\w-]{1,40}$/)
    .optional()
    .meta({ title: 'Data source UID', description: 'For datasource queries' }),
  maxDataPoints: z
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(1000)
    .meta({ title: 'Max data points' }),
});

/** A compiled Grafana query. */
export const GrafanaProgramSchema = z.object({
  queryType: z.enum(['datasource', 'dashboards', 'alerts']),
  /** Data source query model (its own fields: `expr`, `rawSql`…) or the dashboard search text. */
  query: z.record(z.string(), z.unknown()).or(z.string().max(10_000)),
  datasourceUid: z
    .string()
    .regex(/^[\w-]{1,40}$/)
    .nullable(),
  maxDataPoints: z.number().int().min(1).max(100_000),
});
export type GrafanaProgram = z.infer<typeof GrafanaProgramSchema>;

/**
 * The Grafana processor: data-source queries through `POST /api/ds/query` (the data frames
 * come back as time series or tables), dashboard search (`/api/search`) and firing alerts
 * (Grafana-managed alerting's Prometheus-compatible `/api/prometheus/grafana/api/v1/alerts`).
 */
export const manifest = defineProcessor({
  id: 'grafana',
  name: 'Grafana',
  version: '1.0.0',
  description: 'Query any Grafana data source, search dashboards, list firing alerts',
  cellType: 'grafana',
  editor: {
    language: 'text/plain',
    placeholder: 'The data source query (PromQL, SQL…) or a JSON query model',
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
  configSchema: GrafanaConfigSchema,
  secretsSchema: GrafanaSecretsSchema,
  paramsSchema: GrafanaParamsSchema,
  programSchema: GrafanaProgramSchema,
  defaults: { source: '', params: { queryType: 'dashboards', maxDataPoints: 1000 } },
  compile(cell) {
    const { queryType, datasourceUid, maxDataPoints } = cell.params;
    const text = cell.source.trim();
    if (queryType !== 'datasource')
      return { queryType, query: text, datasourceUid: null, maxDataPoints };
    if (!datasourceUid)
      throw new SpinError('cell.invalid_params', 'choose the data source (its UID) to query');
    if (text === '') throw new SpinError('cell.invalid_params', 'write the data source query');
    let query: Record<string, unknown> = { expr: text };
    if (text.startsWith('{')) {
      try {
        query = JSON.parse(text) as Record<string, unknown>;
      } catch (err) {
        throw new SpinError(
          'cell.invalid_params',
          `the query model is not JSON: ${(err as Error).message}`,
        );
      }
    }
    return { queryType, query, datasourceUid, maxDataPoints };
  },
});
