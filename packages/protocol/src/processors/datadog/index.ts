import { z } from 'zod';
import { SpinError } from '../../errors.js';
import { parseTemplate, templateText, type TemplateRef } from '../../templates.js';
import { defineProcessor } from '../manifest.js';

/** Datadog sites (Datadog docs, "Getting Started with Datadog Sites"): the API is api.<site>. */
export const DATADOG_SITES = [
  'datadoghq.com',
  'us3.datadoghq.com',
  'us5.datadoghq.com',
  'datadoghq.eu',
  'ap1.datadoghq.com',
  'ddog-gov.com',
] as const;

/** A Datadog connection, as Grafana's Datadog data source has it: a site and two keys. */
export const DatadogConfigSchema = z.object({
  site: z.enum(DATADOG_SITES).default('datadoghq.com').meta({
    title: 'Site',
    description: 'US1 datadoghq.com, US3, US5, EU datadoghq.eu, AP1, US1-FED ddog-gov.com',
  }),
  url: z
    .url({ protocol: /^https?$/ })
    .optional()
    .meta({
      title: 'API URL',
      description: 'Overrides the site, for a proxy in front of Datadog (e.g. https://dd-proxy)',
    }),
});
export type DatadogConfig = z.infer<typeof DatadogConfigSchema>;

/** Write-only fields of a Datadog connection. */
export const DatadogSecretsSchema = z.object({
  apiKey: z.string().max(256).optional().meta({ title: 'API key', description: 'DD-API-KEY' }),
  appKey: z
    .string()
    .max(256)
    .optional()
    .meta({ title: 'Application key', description: 'DD-APPLICATION-KEY' }),
});
export type DatadogSecrets = z.infer<typeof DatadogSecretsSchema>;

/** Parameters of a Datadog cell besides its query. */
export const DatadogParamsSchema = z.object({
  queryType: z.enum(['metrics', 'logs', 'events', 'monitors']).default('metrics').meta({
    title: 'Query type',
    description:
      'metrics: a metrics query as time series; logs: a log search; events: events with these tags (a,b); monitors: monitors whose name contains the text',
  }),
  maxLogs: z.number().int().min(1).max(100_000).default(1000).meta({
    title: 'Log limit',
    description: 'Log events read at most (cursor pages of up to 1,000)',
  }),
  sort: z.enum(['timestamp', '-timestamp']).default('-timestamp').meta({
    title: 'Log order',
    description: '-timestamp: newest first',
  }),
});

/** A compiled Datadog query. */
export const DatadogProgramSchema = z.object({
  queryType: z.enum(['metrics', 'logs', 'events', 'monitors']),
  /** Empty only for events and monitors (all of them). */
  query: z.string().max(100_000),
  maxLogs: z.number().int().min(1).max(100_000),
  sort: z.enum(['timestamp', '-timestamp']),
});
export type DatadogProgram = z.infer<typeof DatadogProgramSchema>;

// What may stand bare in a Datadog query: a tag value, metric name or number.
const BARE = /^[A-Za-z0-9_.:/\-*@]+$/;

/**
 * Bind template references in a Datadog metrics query or log search by where they stand:
 * inside `"…"` escaped (`\\`, `\"`); bare, only a tag-like word, since spaces, commas, braces
 * or boolean operators would change the query — those are refused with `template.invalid`.
 */
export function bindDatadogQuery(query: string, text: (ref: TemplateRef) => string): string {
  let inString = false;
  let escaped = false;
  let out = '';
  for (const part of parseTemplate(query)) {
    if (part.kind === 'text') {
      for (const ch of part.text) {
        if (escaped) escaped = false;
        else if (inString && ch === '\\') escaped = true;
        else if (ch === '"') inString = !inString;
      }
      out += part.text;
      continue;
    }
    const value = text(part.ref);
    if (inString) out += value.replace(/[\\"]/g, (c) => `\\${c}`).replace(/[\r\n]+/g, ' ');
    else if (BARE.test(value)) out += value;
    else {
      throw new SpinError(
        'template.invalid',
        `${part.ref.raw}: outside quotes a value must be a single tag-like word; ` +
          `write it inside quotes, e.g. host:"${part.ref.raw}"`,
      );
    }
  }
  return out;
}

/**
 * The Datadog processor: metrics queries through `GET /api/v1/query` as time series, log
 * searches through `POST /api/v2/logs/events/search` as logs, read page by page with the
 * response's cursor, events (`GET /api/v1/events`, paged) and monitors (`GET /api/v1/monitor`,
 * paged) as tables. Metrics, logs and events use the notebook's time range.
 */
export const manifest = defineProcessor({
  id: 'datadog',
  name: 'Datadog',
  version: '1.0.0',
  description: 'Query Datadog metrics (time series) and search its logs',
  cellType: 'datadog',
  editor: {
    language: 'text/x-datadog',
    placeholder: 'avg:system.cpu.user{env:prod} by {host} — or a log search with Logs',
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
  configSchema: DatadogConfigSchema,
  secretsSchema: DatadogSecretsSchema,
  paramsSchema: DatadogParamsSchema,
  programSchema: DatadogProgramSchema,
  defaults: {
    source: 'avg:system.cpu.user{*} by {host}',
    params: { queryType: 'metrics', maxLogs: 1000, sort: '-timestamp' },
  },
  compile(cell) {
    const query = cell.source.trim();
    if (query === '' && (cell.params.queryType === 'metrics' || cell.params.queryType === 'logs')) {
      throw new SpinError(
        'cell.invalid_params',
        'write a metrics query (avg:system.cpu.user{*} by {host}) or a log search (service:web)',
      );
    }
    return { query, ...cell.params };
  },
  bindTemplates: (p, binder) => ({
    ...p,
    query: bindDatadogQuery(p.query, (ref) => templateText(binder.resolve(ref))),
  }),
});
