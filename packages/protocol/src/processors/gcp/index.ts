import { z } from 'zod';
import { SpinError } from '../../errors.js';
import { defineProcessor } from '../manifest.js';

/** A GCP connection: the project and (for proxies and tests) the API base URL. */
export const GcpConfigSchema = z.object({
  projectId: z
    .string()
    .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'a project ID such as my-project-123')
    .optional()
    .meta({ title: 'Project ID', description: "Defaults to the service account key's project" }),
  apiUrl: z
    .url({ protocol: /^https?$/ })
    .optional()
    .meta({
      title: 'API URL',
      description: 'Overrides https://logging.googleapis.com and https://monitoring.googleapis.com',
    }),
});
export type GcpConfig = z.infer<typeof GcpConfigSchema>;

/** Write-only fields of a GCP connection. */
export const GcpSecretsSchema = z.object({
  serviceAccountKey: z.string().max(16_384).optional().meta({
    title: 'Service account key (JSON)',
    description: 'The key file a service account downloads',
  }),
});
export type GcpSecrets = z.infer<typeof GcpSecretsSchema>;

/** The fields of a service account key file the OAuth2 JWT flow needs. */
export const ServiceAccountKeySchema = z.object({
  type: z.literal('service_account'),
  project_id: z.string().optional(),
  private_key_id: z.string().optional(),
  private_key: z.string().regex(/-----BEGIN PRIVATE KEY-----/),
  client_email: z.string().email(),
  token_uri: z.url({ protocol: /^https?$/ }).default('https://oauth2.googleapis.com/token'),
});
export type ServiceAccountKey = z.infer<typeof ServiceAccountKeySchema>;

/** Parameters of a GCP cell besides its filter. */
export const GcpParamsSchema = z.object({
  queryType: z.enum(['logs', 'metrics']).default('logs').meta({
    title: 'Query type',
    description: 'logs: a Cloud Logging filter; metrics: a Cloud Monitoring time-series filter',
  }),
  maxRows: z.number().int().min(1).max(100_000).default(1000).meta({ title: 'Log limit' }),
  alignmentPeriodS: z.number().int().min(60).max(86_400).default(300).meta({
    title: 'Alignment period (s)',
    description: 'Metrics: points are aligned (mean) to this period',
  }),
});

/** A compiled GCP query. */
export const GcpProgramSchema = z.object({
  queryType: z.enum(['logs', 'metrics']),
  filter: z.string().min(1).max(20_000),
  maxRows: z.number().int().min(1).max(100_000),
  alignmentPeriodS: z.number().int().min(60).max(86_400),
});
export type GcpProgram = z.infer<typeof GcpProgramSchema>;

/**
 * The GCP processor: Cloud Logging (`entries:list`, paged by `nextPageToken`) as logs and
 * Cloud Monitoring (`projects.timeSeries.list`) as time series, in the notebook's time range,
 * authorized by a service account key through the OAuth2 JWT bearer flow (RFC 7523).
 */
export const manifest = defineProcessor({
  id: 'gcp',
  name: 'Google Cloud',
  version: '1.0.0',
  description: 'Query Cloud Logging and Cloud Monitoring with a service account',
  cellType: 'gcp',
  editor: { language: 'text/plain', placeholder: 'severity>=ERROR resource.type="k8s_container"' },
  capabilities: {
    query: true,
    stream: true,
    healthCheck: true,
    complete: false,
    schemaBrowse: false,
  },
  needsConnection: true,
  usesTimeRange: true,
  configSchema: GcpConfigSchema,
  secretsSchema: GcpSecretsSchema,
  paramsSchema: GcpParamsSchema,
  programSchema: GcpProgramSchema,
  defaults: {
    source: 'severity>=ERROR',
    params: { queryType: 'logs', maxRows: 1000, alignmentPeriodS: 300 },
  },
  compile(cell) {
    const filter = cell.source.trim();
    if (filter === '')
      throw new SpinError(
        'cell.invalid_params',
        'write a Cloud Logging or Cloud Monitoring filter',
      );
    return { filter, ...cell.params };
  },
});
