import type { Readable } from 'node:stream';
import mysql from 'mysql2';
import { SpinError, SqlProgramSchema, type Field, type FieldType } from '@spin/protocol';
import {
  MysqlConfigSchema,
  MysqlSecretsSchema,
  type MysqlConfig,
} from '@spin/protocol/processors/mysql';
import {
  TablePager,
  type ProcessorConnection,
  type ProcessorFrame,
  type ProcessorHost,
  type ProcessorInstance,
  type ProcessorRequest,
} from '../sdk.js';

/** After `KILL QUERY`, how long a statement may take to stop before its stream is cut. */
const CANCEL_GRACE_MS = 5000;

// MySQL column type codes (mysql2/lib/constants/types) and the frame type each becomes.
const FIELD_TYPES: Record<number, FieldType> = {
  0x00: 'number',
  0xf6: 'number',
  0x01: 'integer',
  0x02: 'integer',
  0x03: 'integer',
  0x08: 'integer',
  0x09: 'integer',
  0x0d: 'integer',
  0x04: 'number',
  0x05: 'number',
  0x07: 'time',
  0x0c: 'time',
  0xf5: 'json',
};
const DECIMAL = new Set([0x00, 0xf6]);
const DATETIME = new Set([0x07, 0x0c]);

interface MysqlError {
  code?: string;
  errno?: number;
  sqlMessage?: string;
  message: string;
}

/** A mysql2 (or socket) failure as the processor error a user reads, with the server's text. */
export function mysqlError(err: unknown, config: MysqlConfig): SpinError {
  if (err instanceof SpinError) return err;
  const e = err as MysqlError;
  const n = e.errno ?? 0;
  const text = `${e.sqlMessage ?? e.message}${e.code && n ? ` (${e.code}, error ${n})` : ''}`;
  if (n === 1045 || n === 1698)
    return new SpinError('processor.auth_failed', `authentication failed: ${text}`);
  if (n === 1049 || n === 1146 || n === 1051)
    return new SpinError('processor.resource_not_found', `not found: ${text}`);
  if (n === 1792 || n === 1290 || n === 1836)
    return new SpinError(
      'processor.read_only',
      `this connection is read-only, the server refused the write: ${text}`,
    );
  if (n === 1044 || n === 1142 || n === 1143 || n === 1227)
    return new SpinError('processor.forbidden', `permission denied: ${text}`);
  if (n === 1226 || n === 1040 || n === 1203)
    return new SpinError('processor.rate_limited', `limit reached: ${text}`);
  if (n === 1317 || n === 1969 || n === 3024)
    return new SpinError('processor.timeout', `query stopped: ${text}`);
  if (n === 1064 || n === 1054 || n === 1149 || (n >= 1100 && n < 2000 && e.sqlMessage))
    return new SpinError('processor.bad_query', `bad query: ${text}`);
  if (
    /^(ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|ECONNRESET|PROTOCOL_CONNECTION_LOST)$/.test(
      e.code ?? '',
    )
  ) {
    return new SpinError(
      'processor.unavailable',
      `cannot reach the database at ${config.host}:${config.port}: ${e.code}`,
    );
  }
  return new SpinError('processor.upstream_error', `MySQL: ${text}`);
}

/** `DECIMAL` text as a number when that loses nothing, else the exact text. */
function decimal(text: string): number | string {
  const n = Number(text);
  if (!Number.isFinite(n)) return text;
  const canonical = text.includes('.') ? text.replace(/\.?0+$/, '') : text;
  return String(n) === canonical.replace(/^(-?)0+(?=\d)/, '$1') ? n : text;
}

/** One column value as JSON: exact numbers, UTC epoch ms for times, base64 for binary. */
function cell(v: unknown, type: number): unknown {
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v)) return v.toString('base64');
  if (typeof v === 'string' && DECIMAL.has(type)) return decimal(v);
  if (typeof v === 'string' && DATETIME.has(type)) {
    const ms = Date.parse(`${v.replace(' ', 'T')}Z`);
    return Number.isNaN(ms) ? v : ms; // zero dates stay as written
  }
  return v;
}

/** A bind parameter for mysql2: objects and arrays travel as JSON text. */
function toParam(v: unknown): unknown {
  return v !== null && typeof v === 'object' ? JSON.stringify(v) : v;
}

function poolOptions(config: MysqlConfig, password: string | undefined): mysql.PoolOptions {
  return {
    host: config.host,
    port: config.port,
    user: config.user,
    ...(config.database ? { database: config.database } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(config.sslMode === 'disable'
      ? {}
      : { ssl: { rejectUnauthorized: config.sslMode === 'verify-full' } }),
    connectTimeout: 10_000,
    // exact values: big integers as text when unsafe, dates as the server's text (UTC here)
    supportBigNumbers: true,
    dateStrings: true,
    timezone: 'Z',
    rowsAsArray: true,
    multipleStatements: false,
  };
}

/** Session settings of every connection: read-only and the statement time limit. */
async function prepareSession(conn: mysql.PoolConnection, config: MysqlConfig): Promise<void> {
  const q = conn.promise();
  if (config.readOnly) await q.query('SET SESSION TRANSACTION READ ONLY');
  if (config.statementTimeoutMs) {
    try {
      // MariaDB: seconds
      await q.query('SET SESSION max_statement_time = ?', [config.statementTimeoutMs / 1000]);
    } catch {
      // MySQL: milliseconds, SELECTs only
      await q.query('SET SESSION max_execution_time = ?', [config.statementTimeoutMs]);
    }
  }
}

/**
 * A MySQL/MariaDB processor instance: a small pool per connection; rows stream from the socket
 * (mysql2's `stream()`, which pauses the socket when the runtime falls behind), so no result is
 * held whole. Values are bound by a prepared statement (`execute`), never interpolated. On a
 * read-only connection the session is `TRANSACTION READ ONLY` and each query runs in its own
 * `START TRANSACTION READ ONLY`, rolled back after. Cancelling sends `KILL QUERY <thread>` from
 * a second connection.
 */
export function createMysql(
  connection: ProcessorConnection | null,
  host: ProcessorHost,
): ProcessorInstance {
  if (!connection) {
    throw new SpinError('processor.connection_required', 'a MySQL cell needs a connection');
  }
  const config = MysqlConfigSchema.parse(connection.config);
  const { password } = MysqlSecretsSchema.parse(connection.secrets);
  const options = poolOptions(config, password);
  const pool = mysql.createPool({ ...options, connectionLimit: 4, maxIdle: 2 });
  const prepared = new WeakSet<mysql.PoolConnection>();

  async function acquire(): Promise<mysql.PoolConnection> {
    const conn = await new Promise<mysql.PoolConnection>((resolve, reject) =>
      pool.getConnection((err, c) => (err ? reject(err) : resolve(c))),
    );
    if (!prepared.has(conn)) {
      try {
        await prepareSession(conn, config);
      } catch (err) {
        conn.destroy();
        throw err;
      }
      prepared.add(conn);
    }
    return conn;
  }

  /** Stop a thread's running statement from a second, short-lived connection. */
  async function killQuery(threadId: number): Promise<void> {
    const c = mysql.createConnection(options);
    try {
      await c.promise().query(`KILL QUERY ${Number(threadId)}`);
    } catch (err) {
      host.logger.warn({ code: (err as MysqlError).code, threadId }, 'mysql kill query failed');
    } finally {
      c.destroy();
    }
  }

  async function* run(
    request: ProcessorRequest,
    signal: AbortSignal,
  ): AsyncGenerator<ProcessorFrame> {
    const p = SqlProgramSchema.parse(request.params);
    let conn: mysql.PoolConnection;
    try {
      conn = await acquire();
    } catch (err) {
      throw mysqlError(err, config);
    }
    const threadId = conn.threadId;
    let stream: Readable | undefined;
    let cutTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      void killQuery(threadId);
      // a server too busy to honour the kill: end the stream so the cell still ends
      cutTimer = setTimeout(
        () => stream?.destroy(new SpinError('processor.timeout', 'the query was cancelled')),
        CANCEL_GRACE_MS,
      );
    };
    signal.addEventListener('abort', onAbort, { once: true });
    let clean = false;
    try {
      if (signal.aborted) throw new SpinError('processor.timeout', 'the query was cancelled');
      if (config.readOnly) await conn.promise().query('START TRANSACTION READ ONLY');
      const cmd = p.params.length
        ? conn.execute({ sql: p.sql, values: p.params.map(toParam) })
        : conn.query({ sql: p.sql });
      stream = cmd.stream({ highWaterMark: host.limits.pageRows });
      let types: number[] = [];
      let pager: TablePager | null = null;
      stream.on('fields', (fields: { name: string; columnType: number }[] | undefined) => {
        if (!fields) return; // a statement without a result set (DO, SET, INSERT…)
        types = fields.map((f) => f.columnType);
        const schema: Field[] = fields.map((f) => ({
          name: f.name || '?',
          type: FIELD_TYPES[f.columnType] ?? 'string',
        }));
        pager = new TablePager(schema, `${request.jti}:rows`, host.limits.pageRows);
      });
      let total = 0;
      let header: { affectedRows?: number } | null = null;
      for await (const row of stream as AsyncIterable<unknown>) {
        if (signal.aborted) break;
        if (!Array.isArray(row)) {
          header = row as { affectedRows?: number }; // a statement without rows
          continue;
        }
        total++;
        const frame = (pager as TablePager | null)!.push(row.map((v, i) => cell(v, types[i]!)));
        if (frame) yield frame;
      }
      if (signal.aborted) throw new SpinError('processor.timeout', 'the query was cancelled');
      const done = pager as TablePager | null;
      if (done) yield done.end(total);
      else {
        const n = header?.affectedRows ?? 0;
        yield {
          type: 'stream',
          name: 'stderr',
          text: `OK, ${n} row${n === 1 ? '' : 's'} affected\n`,
        };
      }
      yield { type: 'raw', value: { rowCount: done ? total : (header?.affectedRows ?? 0) } };
      if (config.readOnly) await conn.promise().query('ROLLBACK');
      clean = true;
    } catch (err) {
      throw mysqlError(err, config);
    } finally {
      clearTimeout(cutTimer);
      signal.removeEventListener('abort', onAbort);
      // a connection left mid-statement or mid-transaction is closed, never reused
      if (clean) conn.release();
      else conn.destroy();
    }
  }

  async function rows<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    let conn: mysql.PoolConnection | undefined;
    try {
      conn = await acquire();
      const [out] = await conn.promise().query({ sql, values: params, rowsAsArray: false });
      return out as T[];
    } catch (err) {
      throw mysqlError(err, config);
    } finally {
      conn?.release();
    }
  }

  const SYSTEM = "('mysql', 'information_schema', 'performance_schema', 'sys')";
  return {
    query: (request, signal) => run(request, signal),
    async checkHealth() {
      try {
        const [r] = await rows<{ v: string }>('SELECT VERSION() AS v');
        return { ok: true, message: `server ${r?.v}` };
      } catch (err) {
        return { ok: false, message: (err as Error).message };
      }
    },
    /** `[]`: databases; `[db]`: its tables and views; `[db, table]`: its columns. */
    async browse(path) {
      if (path.length === 0) {
        return rows(
          `SELECT schema_name AS name, 'schema' AS kind FROM information_schema.schemata
           WHERE schema_name NOT IN ${SYSTEM} ORDER BY 1`,
        );
      }
      if (path.length === 1) {
        return rows(
          `SELECT table_name AS name, IF(table_type = 'VIEW', 'view', 'table') AS kind
           FROM information_schema.tables WHERE table_schema = ? ORDER BY 1`,
          [path[0]],
        );
      }
      const cols = await rows<{ name: string; kind: string; type: string; nullable: string }>(
        `SELECT column_name AS name, 'column' AS kind, column_type AS type, is_nullable AS nullable
         FROM information_schema.columns WHERE table_schema = ? AND table_name = ?
         ORDER BY ordinal_position`,
        [path[0], path[1]],
      );
      return cols.map((c) => ({ ...c, nullable: c.nullable === 'YES' }));
    },
    /** Table and column names starting with the word before the cursor. */
    async complete(text, cursor) {
      const word = /[A-Za-z_][A-Za-z0-9_$]*$/.exec(text.slice(0, cursor))?.[0] ?? '';
      const like = `${word.replace(/[\\%_]/g, '\\$&')}%`;
      const found = await rows<{ name: string }>(
        `SELECT DISTINCT name FROM (
           SELECT table_name AS name FROM information_schema.tables
           WHERE table_schema NOT IN ${SYSTEM}
           UNION SELECT column_name FROM information_schema.columns
           WHERE table_schema NOT IN ${SYSTEM}
         ) n WHERE name LIKE ? ORDER BY 1 LIMIT 200`,
        [like],
      );
      return found.map((r) => r.name);
    },
    dispose: () =>
      new Promise<void>((resolve) => {
        pool.end(() => resolve());
      }),
  };
}
