import { z } from 'zod';
import { SpinError } from '../../errors.js';
import { defineProcessor } from '../manifest.js';

/** An AWS connection, with the fields of Grafana's CloudWatch data source (access keys). */
export const AwsConfigSchema = z.object({
  region: z
    .string()
    .regex(/^[a-z]{2}(?:-gov)?-[a-z]+-\d$/, 'an AWS region such as us-east-1')
    .meta({ title: 'Default region', description: 'e.g. us-east-1, eu-west-1' }),
  endpoint: z
    .url({ protocol: /^https?$/ })
    .optional()
    .meta({
      title: 'Endpoint',
      description: 'Overrides https://<service>.<region>.amazonaws.com (VPC endpoints, proxies)',
    }),
  roleArn: z
    .string()
    .regex(/^arn:aws[\w-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, 'an IAM role ARN')
    .optional()
    .meta({ title: 'Assume role ARN', description: 'Queries run as this role (sts:AssumeRole)' }),
  externalId: z
    .string()
    .regex(/^[\w+=,.@:/-]{2,1224}$/)
    .optional()
    .meta({ title: 'External ID', description: 'If the role requires one' }),
});
export type AwsConfig = z.infer<typeof AwsConfigSchema>;

/** Write-only fields of an AWS connection: the access key pair (and a session token). */
export const AwsSecretsSchema = z.object({
  accessKeyId: z
    .string()
    .max(128)
    .optional()
    .meta({ title: 'Access key ID', description: 'e.g. AKIA…' }),
  secretAccessKey: z.string().max(256).optional().meta({ title: 'Secret access key' }),
  sessionToken: z
    .string()
    .max(8192)
    .optional()
    .meta({ title: 'Session token', description: 'For temporary credentials' }),
});
export type AwsSecrets = z.infer<typeof AwsSecretsSchema>;

const LOG_GROUP = /^[.\-_/#A-Za-z0-9]{1,512}$/;

/** Parameters of an AWS cell besides its query. */
export const AwsParamsSchema = z.object({
  queryType: z.enum(['logs', 'metrics']).default('logs').meta({
    title: 'Query type',
    description:
      'logs: a CloudWatch Logs Insights query; metrics: a CloudWatch metric math or Metrics Insights expression (GetMetricData)',
  }),
  logGroups: z
    .array(z.string().regex(LOG_GROUP))
    .max(50)
    .default([])
    .meta({ title: 'Log groups', description: 'For logs: the log groups to query' }),
  periodS: z.number().int().min(1).max(86_400).default(300).meta({
    title: 'Period (s)',
    description: 'For metrics: seconds per data point (1, 5, 10, 30 or a multiple of 60)',
  }),
  maxRows: z.number().int().min(1).max(10_000).default(1000).meta({
    title: 'Row limit',
    description: 'For logs: results at most (Logs Insights returns up to 10,000)',
  }),
});

/** A compiled AWS query. */
export const AwsProgramSchema = z.object({
  queryType: z.enum(['logs', 'metrics']),
  query: z.string().min(1).max(10_000),
  logGroups: z.array(z.string().regex(LOG_GROUP)).max(50),
  periodS: z.number().int().min(1).max(86_400),
  maxRows: z.number().int().min(1).max(10_000),
});
export type AwsProgram = z.infer<typeof AwsProgramSchema>;

/**
 * The AWS processor: CloudWatch Logs Insights (`StartQuery`, poll `GetQueryResults`,
 * `StopQuery` on cancel) and CloudWatch metrics (`GetMetricData`, paged by `NextToken`), over
 * the services' JSON protocols with SigV4-signed requests, in the notebook's time range.
 */
export const manifest = defineProcessor({
  id: 'aws',
  name: 'AWS CloudWatch',
  version: '1.0.0',
  description: 'Query CloudWatch Logs Insights and CloudWatch metrics',
  cellType: 'aws',
  editor: {
    language: 'text/x-cloudwatch',
    placeholder: 'fields @timestamp, @message | filter @message like /ERROR/ | limit 20',
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
  configSchema: AwsConfigSchema,
  secretsSchema: AwsSecretsSchema,
  paramsSchema: AwsParamsSchema,
  programSchema: AwsProgramSchema,
  defaults: {
    source: 'fields @timestamp, @message | sort @timestamp desc | limit 20',
    params: { queryType: 'logs', logGroups: [], periodS: 300, maxRows: 1000 },
  },
  compile(cell) {
    const query = cell.source.trim();
    if (query === '') {
      throw new SpinError(
        'cell.invalid_params',
        'write a Logs Insights query, or a metrics expression with the metrics query type',
      );
    }
    return { query, ...cell.params };
  },
});
