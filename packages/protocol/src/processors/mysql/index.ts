import { z } from 'zod';
import { defineProcessor } from '../manifest.js';
import {
  bindSqlTemplates,
  SqlParamsSchema,
  SqlProgramSchema,
  type SqlDialect,
} from '../sqlTemplates.js';

/** MySQL's quoting: `"…"` strings, backslash escapes, backtick identifiers, `#` comments. */
export const MYSQL_DIALECT: SqlDialect = {
  placeholder: 'question',
  doubleQuotedStrings: true,
  backslashEscapes: true,
  backtickIdentifiers: true,
  bracketIdentifiers: false,
  dollarQuotes: false,
  nestedComments: false,
  hashComments: true,
};

/**
 * A MySQL or MariaDB connection. `readOnly` defaults to true and is enforced by the server:
 * every query runs in a `START TRANSACTION READ ONLY` of a session set to
 * `SESSION TRANSACTION READ ONLY`, so writes fail there, whatever the SQL says.
 */
export const MysqlConfigSchema = z.object({
  host: z.string().min(1).max(255).default('127.0.0.1').meta({ title: 'Host' }),
  port: z.number().int().min(1).max(65_535).default(3306).meta({ title: 'Port' }),
  database: z.string().min(1).max(64).optional().meta({ title: 'Database' }),
  user: z.string().min(1).max(80).default('root').meta({ title: 'User' }),
  sslMode: z.enum(['disable', 'require', 'verify-full']).default('disable').meta({
    title: 'SSL',
    description: 'require: encrypted, any certificate; verify-full: encrypted, checked certificate',
  }),
  readOnly: z.boolean().default(true).meta({
    title: 'Read only',
    description: 'The server refuses writes on this connection (on by default)',
  }),
  statementTimeoutMs: z.number().int().min(0).max(86_400_000).default(0).meta({
    title: 'Statement timeout (ms)',
    description: 'The server ends longer SELECTs (max_statement_time); 0: only the cell timeout',
  }),
});
export type MysqlConfig = z.infer<typeof MysqlConfigSchema>;

/** Write-only fields of a MySQL connection. */
export const MysqlSecretsSchema = z.object({
  password: z.string().max(1024).optional().meta({ title: 'Password' }),
});

/** The MySQL/MariaDB processor: one SQL statement, streamed back as table pages. */
export const manifest = defineProcessor({
  id: 'mysql',
  name: 'MySQL / MariaDB',
  version: '1.0.0',
  description: 'Query MySQL or MariaDB; {{values}} are bind parameters, large results stream',
  cellType: 'mysql',
  editor: { language: 'text/x-mysql', placeholder: 'SELECT … — Shift+Enter to run' },
  capabilities: {
    query: true,
    stream: true,
    healthCheck: true,
    complete: true,
    schemaBrowse: true,
  },
  needsConnection: true,
  usesTimeRange: false,
  configSchema: MysqlConfigSchema,
  secretsSchema: MysqlSecretsSchema,
  paramsSchema: SqlParamsSchema,
  programSchema: SqlProgramSchema,
  defaults: { source: 'SELECT NOW()', params: {} },
  compile: (cell) => ({ sql: cell.source, params: [] }),
  bindTemplates: (p, binder) => bindSqlTemplates(p.sql, binder, MYSQL_DIALECT),
});
