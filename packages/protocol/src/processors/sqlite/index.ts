import { z } from 'zod';
import { defineProcessor } from '../manifest.js';
import {
  bindSqlTemplates,
  SqlParamsSchema,
  SqlProgramSchema,
  type SqlDialect,
} from '../sqlTemplates.js';

/** SQLite's quoting: `"…"`, backtick and `[…]` identifiers. */
export const SQLITE_DIALECT: SqlDialect = {
  placeholder: 'question',
  doubleQuotedStrings: false,
  backslashEscapes: false,
  backtickIdentifiers: true,
  bracketIdentifiers: true,
  dollarQuotes: false,
  nestedComments: false,
  hashComments: false,
};

/**
 * A SQLite database file on the runtime. `readOnly` defaults to true: the file is opened
 * read-only (SQLITE_OPEN_READONLY), so SQLite itself refuses writes.
 */
export const SqliteConfigSchema = z.object({
  path: z
    .string()
    .min(1)
    .max(4096)
    .refine((p) => p.startsWith('/'), 'an absolute path on the runtime')
    .meta({ title: 'Database file', description: 'Absolute path on the runtime' }),
  readOnly: z.boolean().default(true).meta({
    title: 'Read only',
    description: 'Open the file read-only (on by default)',
  }),
  statementTimeoutMs: z.number().int().min(0).max(86_400_000).default(0).meta({
    title: 'Statement timeout (ms)',
    description: 'Longer statements are stopped; 0: only the cell timeout applies',
  }),
});
export type SqliteConfig = z.infer<typeof SqliteConfigSchema>;

/** The SQLite processor: one SQL statement over a database file, streamed as table pages. */
export const manifest = defineProcessor({
  id: 'sqlite',
  name: 'SQLite',
  version: '1.0.0',
  description: 'Query a SQLite file on the runtime; {{values}} are bind parameters',
  cellType: 'sqlite',
  editor: { language: 'text/x-sqlite', placeholder: 'SELECT … — Shift+Enter to run' },
  capabilities: {
    query: true,
    stream: true,
    healthCheck: true,
    complete: true,
    schemaBrowse: true,
  },
  needsConnection: true,
  usesTimeRange: false,
  configSchema: SqliteConfigSchema,
  secretsSchema: z.object({}),
  paramsSchema: SqlParamsSchema,
  programSchema: SqlProgramSchema,
  defaults: { source: "SELECT name FROM sqlite_master WHERE type = 'table'", params: {} },
  compile: (cell) => ({ sql: cell.source, params: [] }),
  bindTemplates: (p, binder) => bindSqlTemplates(p.sql, binder, SQLITE_DIALECT),
});
