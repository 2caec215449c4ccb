import { z } from 'zod';
import { defineProcessor } from '../manifest.js';
import {
  bindSqlTemplates,
  SqlParamsSchema,
  SqlProgramSchema,
  type SqlDialect,
} from '../sqlTemplates.js';

/** PostgreSQL's quoting: `"…"` identifiers, `$tag$` strings, nested comments; `$n` placeholders. */
export const POSTGRES_DIALECT: SqlDialect = {
  placeholder: 'numbered',
  doubleQuotedStrings: false,
  backslashEscapes: false,
  backtickIdentifiers: false,
  bracketIdentifiers: false,
  dollarQuotes: true,
  nestedComments: true,
  hashComments: false,
};

/**
 * A PostgreSQL connection. `readOnly` defaults to true: ops notebooks mostly look, and a
 * read-only connection is enforced by the database (every query runs in a `READ ONLY`
 * transaction of a session started with `default_transaction_read_only=on`), not by reading
 * the SQL.
 */
export const PostgresConfigSchema = z.object({
  host: z.string().min(1).max(255).default('127.0.0.1').meta({ title: 'Host' }),
  port: z.number().int().min(1).max(65_535).default(5432).meta({ title: 'Port' }),
  database: z.string().min(1).max(63).default('postgres').meta({ title: 'Database' }),
  user: z.string().min(1).max(63).default('postgres').meta({ title: 'User' }),
  sslMode: z.enum(['disable', 'require', 'verify-full']).default('disable').meta({
    title: 'SSL',
    description: 'require: encrypted, any certificate; verify-full: encrypted, checked certificate',
  }),
  readOnly: z.boolean().default(true).meta({
    title: 'Read only',
    description: 'The database refuses writes on this connection (on by default)',
  }),
  statementTimeoutMs: z.number().int().min(0).max(86_400_000).default(0).meta({
    title: 'Statement timeout (ms)',
    description: 'The server ends longer statements; 0: only the cell timeout applies',
  }),
});
export type PostgresConfig = z.infer<typeof PostgresConfigSchema>;

/** Write-only fields of a PostgreSQL connection. */
export const PostgresSecretsSchema = z.object({
  password: z.string().max(1024).optional().meta({ title: 'Password' }),
});

/** The PostgreSQL processor: one SQL statement, streamed back as table pages. */
export const manifest = defineProcessor({
  id: 'postgres',
  name: 'PostgreSQL',
  version: '1.0.0',
  description: 'Query PostgreSQL; {{values}} are bind parameters, large results stream in pages',
  cellType: 'postgres',
  editor: { language: 'text/x-pgsql', placeholder: 'SELECT … — Shift+Enter to run' },
  capabilities: {
    query: true,
    stream: true,
    healthCheck: true,
    complete: true,
    schemaBrowse: true,
  },
  needsConnection: true,
  usesTimeRange: false,
  configSchema: PostgresConfigSchema,
  secretsSchema: PostgresSecretsSchema,
  paramsSchema: SqlParamsSchema,
  programSchema: SqlProgramSchema,
  defaults: { source: 'SELECT now()', params: {} },
  compile: (cell) => ({ sql: cell.source, params: [] }),
  bindTemplates: (p, binder) => bindSqlTemplates(p.sql, binder, POSTGRES_DIALECT),
});
