import { z } from 'zod';
import { SpinError } from '../../errors.js';
import { defineProcessor } from '../manifest.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * An Azure connection, with the fields of Grafana's Azure Monitor data source: an app
 * registration (tenant, client ID; its secret below), the Log Analytics workspace, and the
 * cloud's endpoints (public cloud by default).
 */
export const AzureConfigSchema = z.object({
  tenantId: z
    .string()
    .regex(GUID, 'a directory (tenant) ID')
    .meta({ title: 'Directory (tenant) ID' }),
  clientId: z
    .string()
    .regex(GUID, 'an application (client) ID')
    .meta({ title: 'Application (client) ID' }),
  workspaceId: z
    .string()
    .regex(GUID, 'a Log Analytics workspace ID')
    .optional()
    .meta({ title: 'Log Analytics workspace ID', description: 'For KQL queries' }),
  authorityHost: z
    .url({ protocol: /^https$/ })
    .default('https://login.microsoftonline.com')
    .meta({
      title: 'Authority host',
      description: 'Microsoft Entra ID; sovereign clouds have their own',
    }),
  logsUrl: z
    .url({ protocol: /^https$/ })
    .default('https://api.loganalytics.io')
    .meta({ title: 'Log Analytics API' }),
  managementUrl: z
    .url({ protocol: /^https$/ })
    .default('https://management.azure.com')
    .meta({ title: 'Resource Manager API' }),
  caCert: z
    .string()
    .max(65_536)
    .regex(/-----BEGIN CERTIFICATE-----/)
    .optional()
    .meta({
      title: 'CA certificate (PEM)',
      description: 'Only for private clouds or a TLS-inspecting proxy',
    }),
});
export type AzureConfig = z.infer<typeof AzureConfigSchema>;

/** Write-only fields of an Azure connection. */
export const AzureSecretsSchema = z.object({
  clientSecret: z.string().max(1024).optional().meta({ title: 'Client secret' }),
});
export type AzureSecrets = z.infer<typeof AzureSecretsSchema>;

/** Parameters of an Azure cell besides its KQL (or metric names). */
export const AzureParamsSchema = z.object({
  queryType: z.enum(['logs', 'metrics']).default('logs').meta({
    title: 'Query type',
    description: 'logs: KQL over the Log Analytics workspace; metrics: metric names of a resource',
  }),
  resourceId: z
    .string()
    .regex(/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/[\w./-]+$/i)
    .optional()
    .meta({
      title: 'Resource ID',
      description: 'Metrics: /subscriptions/…/resourceGroups/…/providers/…',
    }),
  interval: z
    .enum(['PT1M', 'PT5M', 'PT15M', 'PT30M', 'PT1H', 'PT6H', 'PT12H', 'P1D'])
    .default('PT5M')
    .meta({ title: 'Interval' }),
  aggregation: z
    .enum(['Average', 'Minimum', 'Maximum', 'Total', 'Count'])
    .default('Average')
    .meta({ title: 'Aggregation' }),
});

/** A compiled Azure query. */
export const AzureProgramSchema = z.object({
  queryType: z.enum(['logs', 'metrics']),
  query: z.string().min(1).max(100_000),
  resourceId: z.string().nullable(),
  interval: z.string().regex(/^P(?:T\d+[MH]|\d+D)$/),
  aggregation: z.enum(['Average', 'Minimum', 'Maximum', 'Total', 'Count']),
});
export type AzureProgram = z.infer<typeof AzureProgramSchema>;

/**
 * The Azure processor: Azure Monitor Logs (KQL through the Log Analytics query API) as tables
 * and Azure Monitor metrics of a resource as time series, in the notebook's time range, with
 * tokens from the client-credentials flow (MSAL).
 */
export const manifest = defineProcessor({
  id: 'azure',
  name: 'Azure Monitor',
  version: '1.0.0',
  description: 'Query Azure Monitor Logs with KQL and Azure Monitor metrics',
  cellType: 'azure',
  editor: {
    language: 'text/x-kql',
    placeholder: 'AppRequests | where Success == false | summarize count() by AppRoleName',
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
  configSchema: AzureConfigSchema,
  secretsSchema: AzureSecretsSchema,
  paramsSchema: AzureParamsSchema,
  programSchema: AzureProgramSchema,
  defaults: {
    source: 'Heartbeat | take 10',
    params: { queryType: 'logs', interval: 'PT5M', aggregation: 'Average' },
  },
  compile(cell) {
    const query = cell.source.trim();
    if (query === '')
      throw new SpinError('cell.invalid_params', 'write a KQL query (or metric names for metrics)');
    if (cell.params.queryType === 'metrics' && !cell.params.resourceId)
      throw new SpinError(
        'cell.invalid_params',
        'metrics need the resource ID of what to read them from',
      );
    return {
      query,
      queryType: cell.params.queryType,
      resourceId: cell.params.resourceId ?? null,
      interval: cell.params.interval,
      aggregation: cell.params.aggregation,
    };
  },
});
