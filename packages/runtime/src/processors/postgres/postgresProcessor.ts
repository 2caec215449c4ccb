import pg from 'pg';
import Cursor from 'pg-cursor';
import { SpinError, SqlProgramSchema, type Field, type FieldType } from '@spin/protocol';
import {
  PostgresConfigSchema,
  PostgresSecretsSchema,
  type PostgresConfig,
} from '@spin/protocol/processors/postgres';
import {
  TablePager,
  type ProcessorConnection,
  type ProcessorFrame,
  type ProcessorHost,
  type ProcessorInstance,
  type ProcessorRequest,
} from '../sdk.js';

/** After a cancel request, how long a query may take to stop before its socket is cut. */
const CANCEL_GRACE_MS = 5000;

// PostgreSQL type OIDs (pg_type.oid) and the frame type each becomes.
const OID = { bool: 16, int8: 20, int2: 21, int4: 23, oid: 26, json: 114, float4: 700 } as const;
const FIELD_TYPES: Record<number, FieldType> = {
  16: 'boolean',
  20: 'integer',
  21: 'integer',
  23: 'integer',
  26: 'integer',
  700: 'number',
  701: 'number',
  1700: 'number',
  114: 'json',
  3802: 'json',
  1114: 'time',
  1184: 'time',
  // arrays of the common types (pg parses them into JS arrays)
  1000: 'json',
  1005: 'json',
  1007: 'json',
  1016: 'json',
  1009: 'json',
  1015: 'json',
  1021: 'json',
  1022: 'json',
};

/** An integer column value: a number when exact, else its exact text. */
function parseInt8(text: string): number | string {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
}

/** A `numeric` value: a number when that loses nothing, else its exact text. */
function parseNumeric(text: string): number | string {
  const n = Number(text);
  if (!Number.isFinite(n)) return text;
  const canonical = text.includes('.') ? text.replace(/\.?0+$/, '') : text;
  return String(n) === canonical ? n : text;
}

/** Timestamps as epoch ms (frames' `time`); `timestamp` without zone is read as UTC. */
function parseTimestamp(text: string, withZone: boolean): number | string {
  const iso = text.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00');
  const ms = Date.parse(withZone ? iso : `${iso}Z`);
  return Number.isNaN(ms) ? text : ms; // infinity, BC dates: keep the text
}

/** Type parsers of this processor: exact values, JSON-friendly (no Dates, no BigInts). */
const TYPES = {
  getTypeParser(oid: number, format?: string): (value: string) => unknown {
    if (format === 'binary') return pg.types.getTypeParser(oid, 'binary');
    if (oid === OID.int8) return parseInt8;
    if (oid === 1700) return parseNumeric;
    if (oid === 1114) return (v: string) => parseTimestamp(v, false);
    if (oid === 1184) return (v: string) => parseTimestamp(v, true);
    if (oid === 1082 || oid === 1083 || oid === 1266 || oid === 1186) return String; // date, time, interval
    return pg.types.getTypeParser(oid, 'text');
  },
};

/** A bind parameter for pg: arrays stay arrays (for `= ANY($1)`), objects become JSON text. */
function toParam(v: unknown): unknown {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? JSON.stringify(v) : v;
}

interface PgError {
  code?: string;
  message: string;
  errno?: number;
  address?: string;
  port?: number;
}

/** A pg (or socket) failure as the processor error a user reads, with PostgreSQL's own text. */
export function postgresError(err: unknown, config: PostgresConfig): SpinError {
  if (err instanceof SpinError) return err;
  const e = err as PgError;
  const code = e.code ?? '';
  const text = `${e.message}${/^[0-9A-Z]{5}$/.test(code) ? ` (SQLSTATE ${code})` : ''}`;
  if (code === '28P01' || code === '28000')
    return new SpinError('processor.auth_failed', `authentication failed: ${text}`);
  if (code === '3D000' || code === '42P01' || code === '3F000')
    return new SpinError('processor.resource_not_found', `not found: ${text}`);
  if (code === '25006')
    return new SpinError(
      'processor.read_only',
      `this connection is read-only, the database refused the write: ${text}`,
    );
  if (code === '42501') return new SpinError('processor.forbidden', `permission denied: ${text}`);
  if (code === '53300')
    return new SpinError('processor.rate_limited', `connection limit reached: ${text}`);
  if (code === '57014') return new SpinError('processor.timeout', `query stopped: ${text}`);
  if (/^(42|22|2F|0A|21|23|44)/.test(code))
    return new SpinError('processor.bad_query', `bad query: ${text}`);
  if (
    /^(08|57P)/.test(code) ||
    /^(ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|ECONNRESET)$/.test(code)
  ) {
    return new SpinError(
      'processor.unavailable',
      `cannot reach PostgreSQL at ${config.host}:${config.port}: ${e.message}`,
    );
  }
  if (/timeout/i.test(e.message))
    return new SpinError(
      'processor.unavailable',
      `cannot reach PostgreSQL at ${config.host}:${config.port}: ${e.message}`,
    );
  return new SpinError('processor.upstream_error', `PostgreSQL: ${text}`);
}

function clientConfig(config: PostgresConfig, password: string | undefined): pg.ClientConfig {
  const options = [
    config.readOnly ? '-c default_transaction_read_only=on' : '',
    config.statementTimeoutMs ? `-c statement_timeout=${config.statementTimeoutMs}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  return {
    host: config.host,
    port: config.port,
    database: config.database,
    user: config.user,
    ...(password !== undefined ? { password } : {}),
    ssl:
      config.sslMode === 'disable'
        ? false
        : { rejectUnauthorized: config.sslMode === 'verify-full' },
    application_name: 'spin',
    connectionTimeoutMillis: 10_000,
    ...(options ? { options } : {}),
    types: TYPES,
  };
}

function fieldsOf(result: { fields: { name: string; dataTypeID: number }[] }): Field[] {
  return result.fields.map((f) => ({
    name: f.name || '?column?',
    type: FIELD_TYPES[f.dataTypeID] ?? 'string',
  }));
}

function readPage(
  cursor: Cursor,
  rows: number,
): Promise<{ rows: unknown[][]; result: pg.QueryResult }> {
  return new Promise((resolve, reject) =>
    cursor.read(rows, (err, got, result) =>
      err ? reject(err) : resolve({ rows: got as unknown[][], result }),
    ),
  );
}

/**
 * A PostgreSQL processor instance: a small pool per connection; each query streams through a
 * server-side cursor, `pageRows` rows at a time, so no result is ever held whole. On a
 * read-only connection each query runs in its own `READ ONLY` transaction, rolled back after,
 * so not even `SET` outlives it. Cancelling asks the server to cancel the backend
 * (`pg_cancel_backend` over a second connection).
 */
export function createPostgres(
  connection: ProcessorConnection | null,
  host: ProcessorHost,
): ProcessorInstance {
  if (!connection) {
    throw new SpinError('processor.connection_required', 'a PostgreSQL cell needs a connection');
  }
  const config = PostgresConfigSchema.parse(connection.config);
  const { password } = PostgresSecretsSchema.parse(connection.secrets);
  const settings = clientConfig(config, password);
  const pool = new pg.Pool({ ...settings, max: 4, idleTimeoutMillis: 30_000 });
  // An idle client whose server went away must not take the runtime down.
  pool.on('error', (err) =>
    host.logger.warn({ code: (err as PgError).code }, 'postgres idle client failed'),
  );

  /** Cancel a backend's running statement from a second, short-lived connection. */
  async function cancelBackend(pid: number): Promise<void> {
    const c = new pg.Client(settings);
    try {
      await c.connect();
      await c.query('SELECT pg_cancel_backend($1)', [pid]);
    } catch (err) {
      host.logger.warn({ code: (err as PgError).code, pid }, 'postgres cancel failed');
    } finally {
      await c.end().catch(() => undefined);
    }
  }

  async function* run(
    request: ProcessorRequest,
    signal: AbortSignal,
  ): AsyncGenerator<ProcessorFrame> {
    const p = SqlProgramSchema.parse(request.params);
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      throw postgresError(err, config);
    }
    const pid = (client as unknown as { processID: number }).processID;
    let cutTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      void cancelBackend(pid);
      // a server too busy to honour the cancel: cut the socket so the cell still ends
      cutTimer = setTimeout(
        () =>
          (
            client as unknown as { connection: { stream: { destroy(): void } } }
          ).connection.stream.destroy(),
        CANCEL_GRACE_MS,
      );
    };
    signal.addEventListener('abort', onAbort, { once: true });
    let clean = false;
    try {
      if (signal.aborted) throw new SpinError('processor.timeout', 'the query was cancelled');
      if (config.readOnly) await client.query('BEGIN TRANSACTION READ ONLY');
      const cursor = client.query(new Cursor(p.sql, p.params.map(toParam), { rowMode: 'array' }));
      const pageRows = host.limits.pageRows;
      let pager: TablePager | null = null;
      let total = 0;
      let last: pg.QueryResult | null = null;
      for (;;) {
        if (signal.aborted) throw new SpinError('processor.timeout', 'the query was cancelled');
        const page = await readPage(cursor, pageRows);
        last = page.result;
        if (!pager && page.result.fields.length > 0) {
          pager = new TablePager(fieldsOf(page.result), `${request.jti}:rows`, pageRows);
        }
        for (const row of page.rows) {
          const frame = pager!.push(row);
          if (frame) yield frame;
        }
        total += page.rows.length;
        if (page.rows.length === 0) break;
      }
      await cursor.close();
      if (pager) yield pager.end(total);
      else {
        // a statement without rows (DDL, INSERT on a writable connection): its command tag
        const tag = [last?.command, last?.rowCount].filter((x) => x != null).join(' ');
        yield { type: 'stream', name: 'stderr', text: `${tag || 'OK'}\n` };
      }
      yield {
        type: 'raw',
        value: { command: last?.command ?? null, rowCount: total || (last?.rowCount ?? 0) },
      };
      if (config.readOnly) await client.query('ROLLBACK');
      clean = true;
    } catch (err) {
      throw postgresError(err, config);
    } finally {
      clearTimeout(cutTimer);
      signal.removeEventListener('abort', onAbort);
      // a client left mid-statement or mid-transaction is closed, never reused
      client.release(clean ? undefined : true);
    }
  }

  async function rows<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    try {
      return (await pool.query(sql, params)).rows as T[];
    } catch (err) {
      throw postgresError(err, config);
    }
  }

  return {
    query: (request, signal) => run(request, signal),
    async checkHealth() {
      try {
        const [r] = await rows<{ v: string }>('SELECT current_setting($1) AS v', [
          'server_version',
        ]);
        return { ok: true, message: `PostgreSQL ${r?.v}` };
      } catch (err) {
        return { ok: false, message: (err as Error).message };
      }
    },
    /** `[]`: schemas; `[schema]`: its tables and views; `[schema, table]`: its columns. */
    async browse(path) {
      if (path.length === 0) {
        return rows(
          `SELECT schema_name AS name, 'schema' AS kind FROM information_schema.schemata
           WHERE schema_name NOT IN ('pg_catalog', 'information_schema') AND schema_name NOT LIKE 'pg_toast%'
           ORDER BY 1`,
        );
      }
      if (path.length === 1) {
        return rows(
          `SELECT table_name AS name, CASE table_type WHEN 'VIEW' THEN 'view' ELSE 'table' END AS kind
           FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`,
          [path[0]],
        );
      }
      return rows(
        `SELECT column_name AS name, 'column' AS kind, data_type AS type, is_nullable = 'YES' AS nullable
         FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2
         ORDER BY ordinal_position`,
        [path[0], path[1]],
      );
    },
    /** Table and column names starting with the word before the cursor. */
    async complete(text, cursor) {
      const word = /[A-Za-z_][A-Za-z0-9_]*$/.exec(text.slice(0, cursor))?.[0] ?? '';
      const found = await rows<{ name: string }>(
        `SELECT DISTINCT name FROM (
           SELECT table_name AS name FROM information_schema.tables
           WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
           UNION SELECT column_name FROM information_schema.columns
           WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
         ) n WHERE name ILIKE $1 || '%' ORDER BY 1 LIMIT 200`,
        [word.replace(/[\\%_]/g, '\\$&')],
      );
      return found.map((r) => r.name);
    },
    dispose: () => pool.end().catch(() => undefined),
  };
}
